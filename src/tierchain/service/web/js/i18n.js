// One dictionary per language (i18n/<lang>.json) and one glossary shared with the CLI
// (glossary.json, copied from tierchain/core/glossary.json by the build). Dictionary strings
// name glossary terms as {g.piece}; parameters as {name}.

export const LANGS = ["zh-CN", "en"];
let lang = "zh-CN";
let dict = {};
let glossary = {};

async function loadJson(url) {
  const res = await fetch(url, { headers: { Accept: "application/json" } });
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return res.json();
}

export async function setLanguage(next) {
  if (!LANGS.includes(next)) next = "zh-CN";
  const [g, d] = await Promise.all([glossary.terms ? glossary : loadJson("glossary.json"), loadJson(`i18n/${next}.json`)]);
  glossary = g;
  dict = d;
  lang = next;
  document.documentElement.lang = next;
  try { localStorage.setItem("tierchain.lang", next); } catch { /* private mode */ }
}

export function preferredLanguage() {
  try {
    const saved = localStorage.getItem("tierchain.lang");
    if (saved && LANGS.includes(saved)) return saved;
  } catch { /* private mode */ }
  return "zh-CN";
}

export function language() {
  return lang;
}

/** A glossary term in the current language ("piece" → "凭证"). */
export function term(key) {
  const entry = glossary.terms && glossary.terms[key];
  return entry ? entry[lang] || entry.en : key;
}

/** The dictionary text for `key`, with {g.term} and {param} filled in. */
export function t(key, params = {}) {
  let text = dict[key];
  if (text === undefined) text = key;
  return text.replace(/\{(g\.)?([a-zA-Z_0-9]+)\}/g, (whole, g, name) => {
    if (g) return term(name);
    return params[name] !== undefined ? String(params[name]) : whole;
  });
}

/** Fill every [data-i18n] element's text (and [data-i18n-label] aria-labels) in `root`. */
export function translateTree(root) {
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-label]")) el.setAttribute("aria-label", t(el.dataset.i18nLabel));
}

/** The text of `prefix.value`, or `value` itself when the dictionary has no entry for it
 *  (a state or kind added by the service later still reads as a word, never as a key). */
export function tv(prefix, value) {
  const key = `${prefix}.${value}`;
  return dict[key] === undefined ? String(value) : t(key);
}
