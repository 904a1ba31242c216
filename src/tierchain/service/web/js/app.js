// The supplier portal: screens over the service's API, actions signed in the member's wallet.
import { api, ApiError } from "./api.js";
import { Wallet, WalletError, discoverWallets } from "./wallet.js";
import { t, tv, term, setLanguage, preferredLanguage, language, translateTree } from "./i18n.js";
import { formatMoney, formatCents, parseAmount, unitsToAmount, formatUnits, AmountError } from "./money.js";
import { formatDateTime, formatDate } from "./time.js";

// ethers (520 KB) and the signing checks load only when an action needs them (and in the
// background once the first screen is drawn), so the first load carries neither.
let ethersLib = null;
async function eth() {
  if (!ethersLib) ethersLib = (await import("../vendor/ethers.min.js")).ethers;
  return ethersLib;
}
const signing = () => import("./summary.js");
import { renderTrace } from "./trace.js";

const state = {
  deployment: null,
  wallets: [],
  wallet: null,
  shortIds: {},
  busy: false,
  chainError: null,
  prefetch: null,
};

// ---------------------------------------------------------------------------- small helpers

const $ = (sel, root = document) => root.querySelector(sel);

function h(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "dataset") Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined && c !== false) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

const shortAddr = (a) => (typeof a === "string" && a.length > 12 ? `${a.slice(0, 6)}…${a.slice(-4)}` : String(a ?? "—"));
const sameAddress = (a, b) => typeof a === "string" && typeof b === "string" && a.toLowerCase() === b.toLowerCase();
// As the wallet answers it: checksummed, or all lower case (MetaMask); the API takes both.
const account = () => (state.wallet && state.wallet.account) || null;
const onRightChain = () => state.wallet && state.deployment && state.wallet.chainId === String(state.deployment.chain_id);

function addrCell(a) {
  if (sameAddress(a, account())) return h("span", { title: a }, `${t("word.me")} (${shortAddr(a)})`);
  for (const [name, c] of Object.entries((state.deployment && state.deployment.contracts) || {})) if (sameAddress(a, c)) return h("span", { title: a }, t("contract." + name));
  return h("code", { title: a }, shortAddr(a));
}

/** Announce a status change to everyone (the page's aria-live region). */
function announce(text) {
  const live = $("#live");
  live.textContent = "";
  window.setTimeout(() => { live.textContent = text; }, 30);
}

/** A refusal or failure in words, with the code kept for tests and support. */
function errorText(e) {
  if (e instanceof AmountError || e instanceof WalletError || (e && typeof e.key === "string" && e.key.startsWith("err."))) return t(e.key, e.params || {});
  if (e instanceof ApiError) {
    if (e.code === "ServiceDown") return t("err.service_down");
    const known = `api.${e.code}`;
    const words = t(known, e.details || {});
    return words !== known ? `${words} (${e.code})` : t("err.api", { code: e.code, message: e.message });
  }
  return t("err.unexpected", { message: (e && e.message) || String(e) });
}

function errorBox(e) {
  return h("p", { class: "error", role: "alert", dataset: { code: (e && (e.code ?? e.key)) || "" } }, h("span", { class: "icon", "aria-hidden": "true" }, "⚠ "), errorText(e));
}

function stateBadge(s) {
  const icons = { held: "●", locked: "◐", frozen: "■", due: "◆", matured: "◇", closed: "✓", settled: "✓", issued: "…", accepted: "✓", overdue: "!" };
  return h("span", { class: `badge state-${s}` }, h("span", { "aria-hidden": "true" }, `${icons[s] || "•"} `), tv("state", s));
}

/** "piece" → "Piece" for a column heading (glossary terms are lower case in English). */
const capitalize = (x) => (typeof x === "string" && x ? x[0].toUpperCase() + x.slice(1) : x);

function table(caption, headers, rows, empty) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h("table", {},
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, headers.map((x) => h("th", { scope: "col" }, capitalize(x))))),
    h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", {}, c)))))));
}

function rememberShortIds(items) {
  for (const p of items || []) if (p && p.token_id && p.short_id) state.shortIds[p.token_id] = p.short_id;
}

// ---------------------------------------------------------------------------- wallet

async function connect(entry, { render = true, known = null } = {}) {
  const wallet = new Wallet(entry, { onChange: onWalletChange });
  try {
    await wallet.connect(known);
  } catch (e) {
    renderHeader();
    showMainError(e);
    return;
  }
  if (state.wallet) state.wallet.disconnect();
  state.wallet = wallet;
  announce(t("wallet.connected", { account: shortAddr(wallet.account) }));
  renderHeader();
  if (!onRightChain()) await switchChain();
  if (render) await route();
}

function addChainParams() {
  const d = state.deployment;
  return d && d.rpc_url ? { chainName: `tierchain ${d.chain_id}`, rpcUrls: [d.rpc_url], nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 } } : null;
}

/** Ask the wallet for the service's chain; a refusal is kept and shown in the header. */
async function switchChain() {
  try {
    await state.wallet.ensureChain(state.deployment.chain_id, addChainParams());
    state.chainError = null;
    announce(t("wallet.chain_ok", { chain: state.deployment.chain_id }));
    return true;
  } catch (e) {
    state.chainError = e;
    announce(errorText(e));
    return false;
  } finally {
    renderHeader();
  }
}

function onWalletChange(what) {
  if (what === "accounts") announce(account() ? t("wallet.account_changed", { account: shortAddr(account()) }) : t("wallet.disconnected"));
  if (what === "chain" && onRightChain()) state.chainError = null;
  if (what === "chain") announce(onRightChain() ? t("wallet.chain_ok", { chain: state.wallet.chainId }) : t("wallet.chain_wrong", { chain: state.wallet.chainId, expected: state.deployment.chain_id }));
  renderHeader();
  route();
}

function renderHeader() {
  const chainError = state.chainError;
  const box = $("#wallet");
  box.replaceChildren();
  if (!state.wallet || !account()) {
    if (!state.wallets.length) {
      box.append(h("p", { class: "hint" }, t("wallet.none")));
      return;
    }
    if (state.wallets.length > 1) {
      const sel = h("select", { id: "wallet-choice" }, state.wallets.map((w, i) => h("option", { value: i }, w.info.name)));
      box.append(h("label", { for: "wallet-choice" }, t("wallet.choose")), sel);
    }
    box.append(h("button", { type: "button", id: "connect", onclick: () => connect(state.wallets[Number(($("#wallet-choice") || { value: 0 }).value)]) }, t("wallet.connect")));
    return;
  }
  box.append(h("span", { class: "account", title: account() }, h("span", { "aria-hidden": "true" }, "◉ "), `${t("wallet.account")}: `, h("code", {}, shortAddr(account()))));
  if (onRightChain()) {
    box.append(h("span", { class: "chain ok" }, h("span", { "aria-hidden": "true" }, "✓ "), t("wallet.chain_label", { chain: state.wallet.chainId })));
  } else {
    box.append(h("span", { class: "chain bad", role: "alert" }, h("span", { "aria-hidden": "true" }, "⚠ "), t("wallet.chain_wrong", { chain: state.wallet.chainId, expected: state.deployment ? state.deployment.chain_id : "?" })));
    box.append(h("button", { type: "button", id: "switch-chain", onclick: async () => { if (await switchChain()) route(); } }, t("wallet.switch")));
    if (chainError) box.append(errorBox(chainError));
  }
}

// ---------------------------------------------------------------------------- request flow

const STEPS = ["drafted", "signed", "queued", "sent", "confirmed"];

/** The visible state of one action: each step in words with a symbol, the tx hash, the reason. */
class RequestView {
  constructor(container, direct = false, steps = null) {
    this.steps = steps || (direct ? ["drafted", "sent", "confirmed"] : STEPS);
    this.list = h("ol", { class: "steps" });
    this.detail = h("div", { class: "request-detail" });
    // Announced through the page's one live region (announce), so it is not a live region itself.
    this.root = h("section", { class: "request", "aria-label": t("req.label") }, this.list, this.detail);
    container.append(this.root);
    this.set("drafted");
  }

  set(step, extra = {}) {
    this.list.replaceChildren();
    const at = this.steps.indexOf(step);
    this.steps.forEach((s, i) => {
      let mark = "○";
      let cls = "todo";
      if (step === "failed") { mark = i === 0 ? "✓" : "○"; cls = i === 0 ? "done" : "todo"; }
      else if (i < at || (i === at && (step === "confirmed" || step === "posted"))) { mark = "✓"; cls = "done"; }
      else if (i === at) { mark = "…"; cls = "now"; }
      this.list.append(h("li", { class: `step ${cls}`, dataset: { step: s } }, h("span", { "aria-hidden": "true" }, `${mark} `), t(`req.${s}`), cls === "now" ? ` (${t("req.current")})` : ""));
    });
    if (step === "failed") this.list.append(h("li", { class: "step failed", dataset: { step: "failed" } }, h("span", { "aria-hidden": "true" }, "✗ "), t("req.failed")));
    this.root.dataset.state = step;
    if (extra.txHash) this.detail.replaceChildren(h("p", {}, `${t("req.tx_hash")}: `, h("code", { class: "tx-hash" }, extra.txHash)));
    if (extra.error) this.detail.append(errorBox(extra.error));
    if (step === "confirmed") this.detail.append(h("button", { type: "button", class: "refresh", onclick: () => route() }, t("req.refresh")));
    announce(`${t("req.state")}: ${t(step === "failed" ? "req.failed" : `req.${step}`)}${extra.error ? ` — ${errorText(extra.error)}` : ""}`);
  }
}

function deploymentCtx() {
  return { account: account(), deployment: state.deployment, currency: state.deployment.currency, shortIds: state.shortIds };
}

async function readyToAct() {
  if (!account()) throw new WalletError("err.not_connected");
  if (!onRightChain()) {
    try {
      await state.wallet.ensureChain(state.deployment.chain_id, addChainParams());
      state.chainError = null;
    } catch (e) {
      state.chainError = e;
      throw e;
    } finally {
      renderHeader();
    }
  }
}

/** Show the summary built from `td` (the object that goes to the wallet) and wait for a choice. */
async function confirmPanel(container, td, directTx) {
  const { summarize } = await signing();
  const sum = summarize(td, deploymentCtx());
  return new Promise((resolve) => {
    const rows = [...sum.rows, ...sum.decoded];
    const panel = h("section", { class: "confirm", "aria-labelledby": "confirm-title", dataset: { primaryType: td.primaryType } },
      h("h3", { id: "confirm-title", tabindex: "-1" }, t("confirm.title")),
      h("p", { class: "sentence", "data-summary": "sentence" }, sum.sentence),
      h("dl", { class: "summary" }, rows.map((r) => [h("dt", {}, r.label), h("dd", { dataset: { field: r.field, raw: r.raw } }, r.shown)])),
      h("p", { class: "hint" }, t("confirm.domain", { name: td.domain.name, chain: td.domain.chainId, contract: td.domain.verifyingContract })));
    const done = (choice) => { panel.querySelectorAll("button").forEach((b) => { b.disabled = true; }); resolve(choice); };
    const buttons = h("div", { class: "buttons" },
      h("button", { type: "button", class: "primary", id: "sign", onclick: () => done("sign") }, t("confirm.sign")),
      directTx ? h("button", { type: "button", id: "direct", onclick: () => done("direct") }, t("confirm.direct")) : null,
      h("button", { type: "button", id: "cancel", onclick: () => done("cancel") }, t("confirm.cancel")));
    panel.append(buttons);
    container.append(panel);
    $("#confirm-title", panel).focus();
  });
}

async function pollRequest(id, view) {
  for (let i = 0; i < 600; i++) {
    const r = await api.request(id);
    if (r.status === "confirmed") { view.set("confirmed", { txHash: r.tx_hash }); return r; }
    if (r.status === "failed") {
      const err = r.error || {};
      view.set("failed", { txHash: r.tx_hash, error: new ApiError(err.code || "Failed", err.message || "", err.details || {}) });
      return r;
    }
    view.set(r.status === "sent" ? "sent" : "queued", { txHash: r.tx_hash });
    await new Promise((res) => setTimeout(res, 400));
  }
  return null;
}

async function waitReceipt(hash, view) {
  for (let i = 0; i < 600; i++) {
    const rc = await state.wallet.receipt(hash);
    if (rc) {
      if (BigInt(rc.status) === 1n) view.set("confirmed", { txHash: hash });
      else view.set("failed", { txHash: hash, error: new WalletError("err.tx_reverted") });
      return rc;
    }
    await new Promise((res) => setTimeout(res, 400));
  }
  return null;
}

/** Draft → check → show → sign (or send directly) → relay → follow. Returns true if confirmed. */
async function act(container, draftBody) {
  container.replaceChildren();
  let view = null;
  try {
    await readyToAct();
    const [{ checkTypedData, directTxMatches }, ethers] = await Promise.all([signing(), eth()]);
    const draft = await api.draft({ ...draftBody, signer: ethers.getAddress(account()) });
    const td = draft.typed_data;
    checkTypedData(td, { chainId: state.deployment.chain_id, verifyingContract: state.deployment.contracts.relay, signer: account() });
    const directTx = draft.direct_tx && directTxMatches(td, draft.direct_tx, deploymentCtx()) ? draft.direct_tx : null;
    const choice = await confirmPanel(container, td, directTx);
    if (choice === "cancel") { announce(t("req.cancelled")); container.append(h("p", { class: "note" }, t("req.cancelled"))); return false; }
    if (choice === "direct") {
      view = new RequestView(container, true);
      const hash = await state.wallet.sendTransaction(directTx);
      view.set("sent", { txHash: hash });
      const rc = await waitReceipt(hash, view);
      return !!rc && BigInt(rc.status) === 1n;
    }
    view = new RequestView(container);
    const signature = await state.wallet.signTypedData(td);
    const types = { [td.primaryType]: td.types[td.primaryType] };
    const recovered = ethers.verifyTypedData(td.domain, types, td.message, signature);
    if (!sameAddress(recovered, account())) throw new WalletError("err.signature_mismatch");
    view.set("signed");
    const posted = await api.submit(td, signature);
    view.set(posted.status === "sent" ? "sent" : "queued", { txHash: posted.tx_hash });
    const r = await pollRequest(posted.id, view);
    return !!r && r.status === "confirmed";
  } catch (e) {
    if (view) view.set("failed", { error: e });
    else container.append(errorBox(e));
    announce(errorText(e));
    return false;
  }
}

// ---------------------------------------------------------------------------- screens

const SCREENS = ["pending", "holdings", "transfer", "finance", "claims", "history"];

function screenHeading(key, extra = "") {
  return h("h2", { id: "screen-title", tabindex: "-1" }, t(key) + extra);
}

function showMainError(e) {
  const main = $("#main");
  main.append(errorBox(e));
  announce(errorText(e));
}

function needWallet(main) {
  if (!state.deployment) return true;
  if (account()) return false;
  main.append(h("div", { class: "notice" },
    h("p", {}, state.wallets.length ? t("wallet.please_connect") : t("wallet.none")),
    state.wallets.length ? h("button", { type: "button", onclick: () => connect(state.wallets[0]) }, t("wallet.connect")) : null));
  return true;
}

async function screenPending(main) {
  main.append(screenHeading("nav.pending"), h("p", { class: "lead" }, t("pending.lead")));
  if (needWallet(main)) return;
  const { items } = await api.pending(account());
  const out = h("div", { class: "action-area" });
  main.append(table(t("pending.caption"), [term("payable"), term("debtor"), term("face_value"), term("maturity"), t("col.action")],
    items.map((p) => [
      `${term("payable")} ${p.payable_id}`, addrCell(p.debtor), formatMoney(p.face_value), `${formatDate(p.maturity_at)}`,
      h("button", { type: "button", "data-action": "accept", "data-payable": p.payable_id, onclick: async () => { if (await act(out, { kind: "accept", payable: p.payable_id })) await refreshLater(); } }, `${term("accept")} ${term("payable")} ${p.payable_id}`),
    ]), t("pending.empty")), out);
}

async function screenHoldings(main) {
  main.append(screenHeading("nav.holdings"), h("p", { class: "lead" }, t("holdings.lead")));
  if (needWallet(main)) return;
  const doc = await piecesOf(account());
  rememberShortIds(doc.items);
  const totals = Array.isArray(doc.total) ? doc.total : doc.total ? [doc.total] : [];
  main.append(h("p", { class: "total" }, `${t("holdings.total")}: `,
    h("strong", {}, totals.length ? totals.map((m) => formatMoney(m)).join(" + ") : formatMoney({ units: "0", decimals: 2, currency: "eCNY" })),
    doc.count !== undefined ? ` · ${t("holdings.count", { n: doc.count })}` : ""));
  main.append(table(t("holdings.caption"), [term("piece"), term("value"), term("debtor"), term("maturity"), t("col.state"), t("col.owed_now"), t("col.claimable"), t("col.action")],
    doc.items.map((p) => [
      h("a", { href: `#/piece/${encodeURIComponent(p.token_id)}` }, `${term("piece")} ${p.short_id}`),
      formatMoney(p.value), addrCell(p.debtor || (p.payable && p.payable.debtor)), formatDate(p.maturity_at || (p.payable && p.payable.maturity_at)),
      stateBadge(p.state), formatMoney(p.owed_now), formatMoney(p.claimable),
      p.state === "held"
        ? h("span", { class: "row-actions" },
          h("a", { href: `#/transfer/${encodeURIComponent(p.token_id)}` }, `${term("split")}/${term("transfer")} ${p.short_id}`), " ",
          h("a", { href: `#/finance/${encodeURIComponent(p.token_id)}` }, `${term("financing")} ${p.short_id}`))
        : BigInt((p.claimable && p.claimable.units) || "0") > 0n
          ? h("a", { href: "#/claims" }, `${term("claim")} ${p.short_id}`)
          : "—",
    ]), t("holdings.empty")));
  performance.mark("tierchain:holdings"); // the first load's end, as the bench measures it
}

/** The member's pieces; the first call after a silent reconnect takes the prefetched answer. */
function piecesOf(address) {
  const p = state.prefetch;
  state.prefetch = null;
  if (p && p.account === String(address).toLowerCase()) return p.pieces;
  return api.pieces(address);
}

async function screenPiece(main, id) {
  const d = await api.piece(id);
  rememberShortIds([d.piece, ...(d.ancestors || []), ...(d.descendants || [])]);
  const p = d.piece;
  main.append(screenHeading("piece.title", ` ${p.short_id}`));
  const s = d.settlement || {};
  main.append(h("dl", { class: "facts" },
    h("dt", {}, t("piece.token_id")), h("dd", {}, h("code", { class: "wrap" }, p.token_id)),
    h("dt", {}, term("holder")), h("dd", {}, addrCell(p.owner)),
    h("dt", {}, term("value")), h("dd", {}, formatMoney(p.value)),
    h("dt", {}, t("col.state")), h("dd", {}, stateBadge(p.state)),
    h("dt", {}, term("payable")), h("dd", {}, `${d.payable.payable_id} · ${term("face_value")} ${formatMoney(d.payable.face_value)}`),
    h("dt", {}, term("debtor")), h("dd", {}, addrCell(d.payable.debtor)),
    h("dt", {}, term("maturity")), h("dd", {}, `${formatDateTime(d.payable.maturity_at)} ${t("word.beijing")}`),
    h("dt", {}, t("col.owed_now")), h("dd", {}, formatMoney(s.owed_now)),
    h("dt", {}, t("col.claimable")), h("dd", {}, formatMoney(s.claimable)),
    h("dt", {}, t("piece.settlement")), h("dd", {}, s.state ? tv("settle", s.state) : "—")));
  const figure = h("div", { id: "trace" }, renderTrace(d));
  main.append(h("h3", {}, `${term("trace")}`), figure, proveForm(d, figure));
  main.append(h("h3", {}, term("history")), historyTable(d.history || []));
}

const HASH_RE = /^0x[0-9a-fA-F]{64}$/;
const REGISTRY_VERIFY = "function verifyInvoice(bytes32 root, bytes32 invoiceKey, bytes32 detailsHash, bytes32[] proof) view returns (bool)";

/** One invoice proved against the registry: the proof file `tierchain invoices prove --json`
 *  writes (root, key, details_hash, proof) is checked by the registry itself, through the
 *  wallet's node, and the invoice joins the picture. */
function proveForm(d, figure) {
  const out = h("div", { class: "prove-result", "aria-live": "polite" });
  const input = h("input", { type: "file", id: "proof-file", accept: "application/json,.json" });
  const form = h("form", { id: "prove-form", novalidate: true },
    h("p", { class: "hint" }, t("prove.lead")),
    h("label", { for: "proof-file" }, t("prove.file")), input,
    h("button", { type: "submit", id: "submit-proof" }, t("prove.submit")), out);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    out.replaceChildren();
    try {
      if (!input.files || !input.files.length) throw new AmountError("err.proof_missing");
      let doc;
      try { doc = JSON.parse(await input.files[0].text()); } catch { throw new AmountError("err.proof_format"); }
      const ok = doc && HASH_RE.test(doc.root) && HASH_RE.test(doc.key) && HASH_RE.test(doc.details_hash) && Array.isArray(doc.proof) && doc.proof.every((x) => HASH_RE.test(x));
      if (!ok) throw new AmountError("err.proof_format");
      if (doc.root.toLowerCase() !== String(d.payable.invoice_root).toLowerCase()) throw new AmountError("err.proof_other_package");
      if (!account()) throw new WalletError("err.not_connected");
      const REGISTRY_ABI = new (await eth()).Interface([REGISTRY_VERIFY]);
      const data = REGISTRY_ABI.encodeFunctionData("verifyInvoice", [doc.root, doc.key, doc.details_hash, doc.proof]);
      const [verified] = REGISTRY_ABI.decodeFunctionResult("verifyInvoice", await state.wallet.call(state.deployment.contracts.registry, data));
      if (!verified) throw new AmountError("err.proof_rejected");
      const name = doc.invoice_code && doc.invoice_number ? `${doc.invoice_code}/${doc.invoice_number}` : doc.key.slice(0, 10);
      figure.replaceChildren(renderTrace({ ...d, invoice: { leaf: doc.key, verified: true, name } }));
      out.append(h("p", { class: "ok", id: "proof-ok" }, h("span", { "aria-hidden": "true" }, "✓ "), t("prove.ok", { invoice: name })));
      announce(t("prove.ok", { invoice: name }));
    } catch (e) {
      out.append(errorBox(e));
      announce(errorText(e));
    }
  });
  return form;
}

function recipientRow(list, index) {
  const addrId = `to-${index}`;
  const amtId = `amount-${index}`;
  const rowEl = h("fieldset", { class: "recipient", dataset: { index } },
    h("legend", {}, t("split.recipient", { n: index + 1 })),
    h("label", { for: addrId }, t("split.to")), h("input", { id: addrId, name: "to", autocomplete: "off", spellcheck: "false", placeholder: "0x…", required: true }),
    h("label", { for: amtId }, t("split.amount")), h("input", { id: amtId, name: "amount", inputmode: "decimal", autocomplete: "off", placeholder: "1000.00", required: true }),
    index > 0 ? h("button", { type: "button", class: "remove", onclick: () => rowEl.remove() }, t("split.remove", { n: index + 1 })) : null);
  list.append(rowEl);
}

async function screenTransfer(main, id) {
  main.append(screenHeading("nav.transfer"), h("p", { class: "lead" }, t("transfer.lead")));
  if (needWallet(main)) return;
  const doc = await api.pieces(account());
  rememberShortIds(doc.items);
  const mine = doc.items.filter((p) => p.state === "held");
  if (!mine.length) { main.append(h("p", { class: "empty" }, t("holdings.empty"))); return; }
  const chosen = mine.find((p) => p.token_id === id || p.short_id === id) || mine[0];
  const pieceSel = h("select", { id: "piece", name: "piece" }, mine.map((p) => h("option", { value: p.token_id, selected: p.token_id === chosen.token_id }, `${p.short_id} · ${formatMoney(p.value)}`)));
  const modeSplit = h("input", { type: "radio", name: "mode", id: "mode-split", value: "split", checked: true });
  const modeWhole = h("input", { type: "radio", name: "mode", id: "mode-whole", value: "transfer" });
  const list = h("div", { class: "recipients" });
  recipientRow(list, 0);
  let next = 1;
  const addBtn = h("button", { type: "button", id: "add-recipient", onclick: () => { recipientRow(list, next++); list.lastElementChild.querySelector("input").focus(); } }, t("split.add"));
  const wholeTo = h("div", { class: "whole", hidden: true }, h("label", { for: "whole-to" }, t("split.to")), h("input", { id: "whole-to", name: "whole-to", autocomplete: "off", spellcheck: "false", placeholder: "0x…" }));
  const sync = () => { const whole = modeWhole.checked; list.hidden = whole; addBtn.hidden = whole; wholeTo.hidden = !whole; };
  modeSplit.addEventListener("change", sync);
  modeWhole.addEventListener("change", sync);
  const out = h("div", { class: "action-area" });
  const formErr = h("div", { class: "form-error", "aria-live": "assertive" });
  const form = h("form", { id: "transfer-form", novalidate: true },
    h("label", { for: "piece" }, term("piece")), pieceSel,
    h("fieldset", { class: "mode" }, h("legend", {}, t("split.mode")),
      h("span", { class: "radio" }, modeSplit, h("label", { for: "mode-split" }, t("split.mode_split"))),
      h("span", { class: "radio" }, modeWhole, h("label", { for: "mode-whole" }, t("split.mode_whole")))),
    list, addBtn, wholeTo, formErr,
    h("button", { type: "submit", class: "primary", id: "submit-transfer" }, t("split.submit")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    formErr.replaceChildren();
    const piece = mine.find((p) => p.token_id === pieceSel.value);
    let plan;
    try {
      plan = planTransfer(await eth(), piece, modeWhole.checked, list, $("#whole-to", form).value);
    } catch (e) {
      formErr.append(errorBox(e));
      announce(errorText(e));
      return;
    }
    form.querySelector("#submit-transfer").disabled = true;
    for (const [i, step] of plan.entries()) {
      const area = h("div", { class: "step-area", dataset: { step: i } });
      out.append(h("h3", {}, t("split.step", { n: i + 1, total: plan.length })), area);
      if (!(await act(area, step))) break;
    }
    form.querySelector("#submit-transfer").disabled = false;
    await refreshLater();
  });
  main.append(form, out);
}

/** Validate the form before anything is drafted: addresses, amounts (strict, cents), the sum
 *  against the piece's value. Throws a worded error; returns the draft bodies in order. */
function planTransfer(ethers, piece, whole, list, wholeTo) {
  const checkAddr = (text, n) => {
    const a = String(text || "").trim();
    if (!ethers.isAddress(a)) throw new AmountError("err.address", { n, text: a.slice(0, 44) });
    if (sameAddress(a, account())) throw new AmountError("err.address_self", { n });
    return ethers.getAddress(a);
  };
  if (whole) return [{ kind: "transfer", piece: piece.token_id, to: checkAddr(wholeTo, 1) }];
  const rows = [...list.querySelectorAll("fieldset.recipient")];
  const held = BigInt(piece.value.units);
  let sum = 0n;
  const steps = rows.map((r, i) => {
    const to = checkAddr(r.querySelector("input[name=to]").value, i + 1);
    let units;
    try {
      units = parseAmount(r.querySelector("input[name=amount]").value, 2);
    } catch (e) {
      e.params = { ...e.params, n: i + 1 };
      e.key = `${e.key}_n`;
      throw e;
    }
    sum += units;
    return { kind: "split", piece: piece.token_id, to, value: unitsToAmount(units, 2) };
  });
  if (sum > held) throw new AmountError("err.amount_over_piece", { sum: formatCents(sum.toString(), piece.value.currency), held: formatMoney(piece.value), piece: piece.short_id });
  return steps;
}

async function screenFinance(main, id) {
  main.append(screenHeading("nav.finance"), h("p", { class: "lead" }, t("finance.lead")));
  if (needWallet(main)) return;
  const doc = await api.pieces(account());
  rememberShortIds(doc.items);
  main.append(h("h3", {}, t("finance.offers_title")));
  const out = h("div", { class: "action-area" });
  const rows = [];
  for (const p of doc.items.filter((x) => x.state === "held")) {
    const offers = (await api.offers(p.token_id)).items || [];
    for (const o of offers) {
      const m = (o.typed_data && o.typed_data.message) || o.offer || o;
      rows.push([
        `${term("piece")} ${p.short_id}`, addrCell(m.financier), formatCents(m.value, p.value.currency),
        String(m.pricing) === "0" ? t("pricing.fixed") : `${(Number(m.rateBps) / 100).toFixed(2)}% ${t("word.per_year")}`,
        o.price_now ? formatMoney(o.price_now) : "—",
        m.recourse ? t("word.with_recourse") : t("word.without_recourse"),
        `${formatDateTime(m.deadline)}`,
        h("button", { type: "button", "data-action": "take", "data-offer": o.offer_hash, onclick: async () => { if (await act(out, { kind: "take", offer: o.offer_hash })) await refreshLater(); } }, t("finance.take", { piece: p.short_id })),
      ]);
    }
  }
  main.append(table(t("finance.offers_caption"), [term("piece"), term("financier"), term("value"), t("col.pricing"), t("col.price_now"), term("recourse"), t("col.deadline"), t("col.action")], rows, t("finance.no_offers")), out);
  main.append(h("h3", {}, t("finance.make_title")), offerForm(id));
}

function offerForm(id) {
  const out = h("div", { class: "action-area" });
  const formErr = h("div", { class: "form-error", "aria-live": "assertive" });
  const form = h("form", { id: "offer-form", novalidate: true },
    h("p", { class: "hint" }, t("offer.lead")),
    h("label", { for: "offer-piece" }, t("offer.piece")), h("input", { id: "offer-piece", name: "piece", autocomplete: "off", value: id && !state.shortIds[id] ? id : (state.shortIds[id] || ""), placeholder: "P1#2" }),
    h("label", { for: "offer-value" }, t("offer.value")), h("input", { id: "offer-value", name: "value", inputmode: "decimal", autocomplete: "off" }),
    h("fieldset", { class: "mode" }, h("legend", {}, t("col.pricing")),
      h("span", { class: "radio" }, h("input", { type: "radio", name: "pricing", id: "pricing-rate", value: "1", checked: true }), h("label", { for: "pricing-rate" }, t("pricing.rate"))),
      h("span", { class: "radio" }, h("input", { type: "radio", name: "pricing", id: "pricing-fixed", value: "0" }), h("label", { for: "pricing-fixed" }, t("pricing.fixed")))),
    h("label", { for: "offer-rate" }, t("offer.rate")), h("input", { id: "offer-rate", name: "rate", inputmode: "decimal", autocomplete: "off", value: "6.00" }),
    h("label", { for: "offer-price" }, t("offer.price")), h("input", { id: "offer-price", name: "price", inputmode: "decimal", autocomplete: "off" }),
    h("span", { class: "check" }, h("input", { type: "checkbox", id: "offer-recourse", name: "recourse" }), h("label", { for: "offer-recourse" }, term("recourse"))),
    h("label", { for: "offer-days" }, t("offer.days")), h("input", { id: "offer-days", name: "days", inputmode: "numeric", autocomplete: "off", value: "3" }),
    formErr,
    h("button", { type: "submit", class: "primary", id: "submit-offer" }, t("offer.submit")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    formErr.replaceChildren();
    out.replaceChildren();
    await makeOffer(form, formErr, out);
  });
  return h("div", {}, form, out);
}

function randomNonce() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return BigInt("0x" + [...b].map((x) => x.toString(16).padStart(2, "0")).join("")).toString();
}

async function makeOffer(form, formErr, out) {
  let view = null;
  try {
    await readyToAct();
    const [{ checkTypedData, KNOWN_TYPES }, ethers] = await Promise.all([signing(), eth()]);
    const pieceText = form.querySelector("#offer-piece").value.trim();
    if (!pieceText) throw new AmountError("err.piece_missing");
    const d = await api.piece(pieceText);
    rememberShortIds([d.piece]);
    const units = parseAmount(form.querySelector("#offer-value").value, 2, d.piece.value.units);
    const fixed = form.querySelector("#pricing-fixed").checked;
    const price = fixed ? parseAmount(form.querySelector("#offer-price").value, 2, units) : 0n;
    const rateBps = fixed ? 0n : parseAmount(form.querySelector("#offer-rate").value, 2, 10000n);
    const daysText = form.querySelector("#offer-days").value.trim();
    if (!/^[0-9]{1,3}$/.test(daysText) || Number(daysText) < 1) throw new AmountError("err.days");
    const dep = state.deployment;
    const deadline = (BigInt(Math.floor(Date.now() / 1000)) + BigInt(daysText) * 86400n).toString();
    const td = {
      types: { EIP712Domain: [{ name: "name", type: "string" }, { name: "version", type: "string" }, { name: "chainId", type: "uint256" }, { name: "verifyingContract", type: "address" }], Offer: KNOWN_TYPES.Offer.map((x) => ({ ...x })) },
      primaryType: "Offer",
      domain: { ...dep.eip712.desk },
      message: {
        financier: ethers.getAddress(account()), seller: d.piece.owner ? ethers.getAddress(d.piece.owner) : ethers.ZeroAddress,
        tokenId: d.piece.token_id, value: units.toString(), pricing: fixed ? "0" : "1", price: price.toString(),
        rateBps: rateBps.toString(), recourse: form.querySelector("#offer-recourse").checked, nonce: randomNonce(), deadline,
      },
    };
    checkTypedData(td, { chainId: dep.chain_id, verifyingContract: dep.contracts.desk, signer: account() });
    const choice = await confirmPanel(out, td, null);
    if (choice === "cancel") { out.append(h("p", { class: "note" }, t("req.cancelled"))); announce(t("req.cancelled")); return; }
    view = new RequestView(out, false, ["drafted", "signed", "posted"]);
    const signature = await state.wallet.signTypedData(td);
    const recovered = ethers.verifyTypedData(td.domain, { Offer: td.types.Offer }, td.message, signature);
    if (!sameAddress(recovered, account())) throw new WalletError("err.signature_mismatch");
    view.set("signed");
    const posted = await api.postOffer(td, signature);
    view.set("posted");
    view.detail.replaceChildren(h("p", { class: "ok" }, h("span", { "aria-hidden": "true" }, "✓ "), t("offer.posted"), " ", h("code", { class: "offer-hash" }, posted.offer_hash)));
    announce(t("offer.posted"));
    await ensureAllowance(out, fixed ? price : units);
  } catch (e) {
    if (view) view.set("failed", { error: e });
    else formErr.append(errorBox(e));
    announce(errorText(e));
  }
}

/** The desk pulls the price from the financier when the offer is taken: make sure it may. */
async function ensureAllowance(out, cents) {
  const { ERC20_ABI } = await signing();
  const dep = state.deployment;
  const cur = dep.currency;
  const tokenDecimals = Number(cur.token_decimals ?? cur.decimals);
  const need = BigInt(cents) * 10n ** BigInt(tokenDecimals - 2);
  const data = ERC20_ABI.encodeFunctionData("allowance", [account(), dep.contracts.desk]);
  const [allowed] = ERC20_ABI.decodeFunctionResult("allowance", await state.wallet.call(cur.address || dep.contracts.currency, data));
  if (allowed >= need) { out.append(h("p", { class: "ok" }, t("offer.allowance_ok"))); return; }
  const area = h("div", { class: "allowance" });
  const btn = h("button", { type: "button", id: "approve", onclick: async () => {
    btn.disabled = true;
    const view = new RequestView(area, true);
    try {
      const tx = { to: cur.address || dep.contracts.currency, data: ERC20_ABI.encodeFunctionData("approve", [dep.contracts.desk, need]) };
      const hash = await state.wallet.sendTransaction(tx);
      view.set("sent", { txHash: hash });
      await waitReceipt(hash, view);
    } catch (e) { view.set("failed", { error: e }); }
  } }, t("offer.approve", { amount: formatUnits(need, tokenDecimals, 2) }));
  area.append(h("p", {}, t("offer.allowance_low", { amount: formatUnits(need, tokenDecimals, 2) })), btn);
  out.append(area);
}

async function screenClaims(main) {
  main.append(screenHeading("nav.claims"), h("p", { class: "lead" }, t("claims.lead")));
  if (needWallet(main)) return;
  const doc = await api.pieces(account());
  rememberShortIds(doc.items);
  const out = h("div", { class: "action-area" });
  const due = doc.items.filter((p) => BigInt((p.claimable && p.claimable.units) || "0") > 0n || p.state === "due");
  main.append(table(t("claims.caption"), [term("piece"), term("maturity"), term("value"), t("col.owed_now"), t("col.claimable"), t("col.action")],
    due.map((p) => [
      `${term("piece")} ${p.short_id}`, formatDate(p.maturity_at || (p.payable && p.payable.maturity_at)), formatMoney(p.value), formatMoney(p.owed_now), formatMoney(p.claimable),
      h("button", { type: "button", "data-action": "claim", "data-piece": p.token_id, onclick: async () => { if (await act(out, { kind: "claim", piece: p.token_id })) await refreshLater(); } }, `${term("claim")} ${p.short_id}`),
    ]), t("claims.empty")), out);
}

function kindText(kind) {
  return tv("kind", kind);
}

function historyTable(items) {
  return table(t("history.caption"), [t("col.block"), t("col.kind"), term("piece"), t("col.from"), t("col.to"), term("value"), t("col.tx")],
    items.map((x) => [String(x.block_number), kindText(x.kind), x.short_id || "—", x.from ? addrCell(x.from) : "—", x.to ? addrCell(x.to) : "—", x.value ? formatMoney(x.value) : "—", h("code", { class: "tx-hash", title: x.tx_hash }, shortAddr(x.tx_hash))]),
    t("history.empty"));
}

async function screenHistory(main) {
  main.append(screenHeading("nav.history"), h("p", { class: "lead" }, t("history.lead")));
  if (needWallet(main)) return;
  const doc = await api.history(account());
  main.append(historyTable(doc.items));
}

// ---------------------------------------------------------------------------- routing

let routeSeq = 0;

async function refreshLater() {
  // The index follows the chain a moment later; re-read the screen once it has caught up.
  await new Promise((res) => setTimeout(res, 300));
}

async function route() {
  const seq = ++routeSeq;
  const [, name = "holdings", arg = ""] = (location.hash || "#/holdings").split("/");
  const id = decodeURIComponent(arg);
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.screen === name) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  const main = $("#main");
  const fresh = h("div", { class: "screen", dataset: { screen: name } });
  main.replaceChildren(fresh);
  document.title = `${t("nav." + name)} · ${t("app.title")}`;
  if (!state.deployment) {
    fresh.append(screenHeading("app.title"));
    fresh.append(errorBox(new ApiError("ServiceDown", "")));
    fresh.append(h("button", { type: "button", onclick: () => start() }, t("app.retry")));
    return;
  }
  try {
    if (name === "pending") await screenPending(fresh);
    else if (name === "piece") await screenPiece(fresh, id);
    else if (name === "transfer") await screenTransfer(fresh, id);
    else if (name === "finance") await screenFinance(fresh, id);
    else if (name === "claims") await screenClaims(fresh);
    else if (name === "history") await screenHistory(fresh);
    else await screenHoldings(fresh);
  } catch (e) {
    if (seq === routeSeq) fresh.append(errorBox(e));
  }
  if (seq === routeSeq) {
    const title = $("#screen-title", fresh);
    if (title && document.activeElement === document.body) title.focus({ preventScroll: true });
    main.dataset.ready = String(seq);
  }
}

function renderChrome() {
  translateTree(document);
  const nav = $("#nav-list");
  nav.replaceChildren(...SCREENS.map((s) => h("li", {}, h("a", { href: `#/${s}`, dataset: { screen: s } }, t("nav." + s)))));
  const langBtn = $("#lang");
  langBtn.textContent = language() === "zh-CN" ? "English" : "中文";
  langBtn.setAttribute("lang", language() === "zh-CN" ? "en" : "zh-CN");
  langBtn.setAttribute("aria-label", t("app.switch_language"));
  renderHeader();
}

async function start() {
  try {
    state.deployment = await api.deployment();
  } catch (e) {
    state.deployment = null;
  }
  renderChrome();
  await route();
}

async function boot() {
  // Language, wallets and the deployment are fetched side by side; a wallet that already
  // authorised this page reconnects without a prompt before the first screen is drawn.
  const language_ = setLanguage(preferredLanguage());
  const wallets = discoverWallets();
  // A wallet that already authorised this page: its account, and its pieces fetched meanwhile.
  const known = wallets.then(async (found) => {
    if (!found.length) return null;
    try {
      const accounts = await found[0].provider.request({ method: "eth_accounts" });
      if (!accounts || !accounts.length) return null;
      state.prefetch = { account: accounts[0].toLowerCase(), pieces: api.pieces(accounts[0]) };
      state.prefetch.pieces.catch(() => null);
      return accounts;
    } catch {
      return null; // stays disconnected
    }
  });
  const deployment = api.deployment().catch(() => null);
  await language_;
  $("#lang").addEventListener("click", async () => {
    await setLanguage(language() === "zh-CN" ? "en" : "zh-CN");
    renderChrome();
    await route();
    announce(t("app.language_changed"));
  });
  window.addEventListener("hashchange", () => {
    route().then(() => { const title = $("#screen-title"); if (title) title.focus({ preventScroll: true }); });
  });
  state.wallets = await wallets;
  state.deployment = await deployment;
  const accounts = await known;
  if (accounts && state.deployment) await connect(state.wallets[0], { render: false, known: accounts });
  renderChrome();
  await route();
  document.body.dataset.booted = "true";
  window.setTimeout(() => { eth(); signing(); }, 0); // warm: the first action needs no wait
}

boot();
