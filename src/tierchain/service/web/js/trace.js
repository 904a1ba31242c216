// The provenance of a piece as a picture: the data package, the payable, the split chain down
// to this piece, and the pieces split off it. An SVG with a title and description, and the
// same facts as a list for screen readers and text search.
import { formatMoney } from "./money.js";
import { formatDate } from "./time.js";
import { t, tv, term } from "./i18n.js";

const NS = "http://www.w3.org/2000/svg";
const W = 200;
const H = 64;
const GAP_Y = 36;
const GAP_X = 16;

function el(name, attrs = {}, text = null) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== null) e.textContent = text;
  return e;
}

const shortHex = (h) => (typeof h === "string" && h.length > 14 ? `${h.slice(0, 8)}…${h.slice(-4)}` : String(h || "—"));

/** Nodes, top to bottom: package, payable, ancestors (oldest first), the piece, its descendants. */
export function traceNodes(detail) {
  const rows = [];
  const pkg = detail.package || {};
  const payable = detail.payable || {};
  rows.push([{ kind: "package", title: term("package"), lines: [shortHex(pkg.root), t("trace.invoices", { n: pkg.invoice_count ?? "—" })] }]);
  if (detail.invoice) {
    const inv = detail.invoice;
    rows.unshift([{ kind: "invoice", title: `${term("invoice")} ${inv.name || ""} ✓`, lines: [shortHex(inv.leaf || inv.invoice_hash), inv.verified ? t("trace.proved") : t("trace.not_proved")] }]);
  }
  rows.push([{ kind: "payable", title: `${term("payable")} ${payable.payable_id ?? ""}`, lines: [formatMoney(payable.face_value), `${term("maturity")} ${formatDate(payable.maturity_at)}`] }]);
  for (const a of detail.ancestors || []) rows.push([{ kind: "ancestor", title: `${term("piece")} ${a.short_id || ""}`, lines: [a.value ? formatMoney(a.value) : "", a.state ? tv("state", a.state) : ""] }]);
  const p = detail.piece || {};
  rows.push([{ kind: "self", title: `${term("piece")} ${p.short_id || ""} ◆ ${t("trace.this")}`, lines: [formatMoney(p.value), p.state ? tv("state", p.state) : ""] }]);
  const desc = (detail.descendants || []).map((d) => ({ kind: "descendant", title: `${term("piece")} ${d.short_id || ""}`, lines: [d.value ? formatMoney(d.value) : "", d.state ? tv("state", d.state) : ""] }));
  if (desc.length) rows.push(desc);
  return rows;
}

export function renderTrace(detail) {
  const rows = traceNodes(detail);
  const cols = Math.max(...rows.map((r) => r.length));
  const width = Math.max(cols * (W + GAP_X) + GAP_X, W + 2 * GAP_X);
  const height = rows.length * (H + GAP_Y) + GAP_Y;
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, width, height, role: "img", "aria-labelledby": "trace-title trace-desc", class: "trace" });
  svg.append(el("title", { id: "trace-title" }, t("trace.title")));
  const descText = rows.flat().map((n) => `${n.title}: ${n.lines.filter(Boolean).join(", ")}`).join("; ");
  svg.append(el("desc", { id: "trace-desc" }, descText));
  const defs = el("defs");
  const marker = el("marker", { id: "arrow", viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: "auto" });
  marker.append(el("path", { d: "M0,0 L10,5 L0,10 z", class: "trace-arrow" }));
  defs.append(marker);
  svg.append(defs);
  const centres = [];
  rows.forEach((row, i) => {
    const y = GAP_Y / 2 + i * (H + GAP_Y);
    const rowWidth = row.length * W + (row.length - 1) * GAP_X;
    const x0 = (width - rowWidth) / 2;
    centres.push(row.map((_, j) => ({ x: x0 + j * (W + GAP_X) + W / 2, top: y, bottom: y + H })));
    row.forEach((node, j) => {
      const x = x0 + j * (W + GAP_X);
      const g = el("g", { class: `trace-node trace-${node.kind}` });
      g.append(el("rect", { x, y, width: W, height: H, rx: 6, "stroke-dasharray": node.kind === "descendant" ? "5 3" : "none" }));
      g.append(el("text", { x: x + 10, y: y + 20, class: "trace-title" }, node.title));
      node.lines.forEach((line, k) => g.append(el("text", { x: x + 10, y: y + 38 + k * 16 }, line)));
      svg.append(g);
    });
  });
  for (let i = 1; i < centres.length; i++) {
    const from = centres[i - 1][0];
    for (const to of centres[i]) svg.append(el("line", { x1: from.x, y1: from.bottom, x2: to.x, y2: to.top - 2, class: "trace-link", "marker-end": "url(#arrow)" }));
  }
  const list = document.createElement("ol");
  list.className = "trace-list";
  for (const n of rows.flat()) {
    const li = document.createElement("li");
    li.textContent = `${n.title}: ${n.lines.filter(Boolean).join(", ")}`;
    list.append(li);
  }
  const figure = document.createElement("figure");
  figure.className = "trace-figure";
  const scroller = document.createElement("div");
  scroller.className = "trace-scroll";
  scroller.append(svg);
  const caption = document.createElement("figcaption");
  caption.textContent = t("trace.caption");
  figure.append(scroller, caption, list);
  return figure;
}
