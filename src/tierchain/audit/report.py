"""Exports from the index: positions and history as JSON or CSV, and the provenance picture of a
payable as hand-written SVG.

Everything here reads the :class:`~tierchain.audit.index.Index` only (never the chain). Values are
exported as integer cents (``value_cents``) and as text with two decimals (``value``); token ids
as decimal strings (they exceed 2^64) beside their short form ``P3#2``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal
from xml.sax.saxutils import escape

from tierchain.audit import index as ix
from tierchain.core.errors import UsageError
from tierchain.core.ids import short_id
from tierchain.core.money import format_cents

Format = Literal["json", "csv"]
FORMATS: Final = ("json", "csv")


# ---------------------------------------------------------------------------- rows


POSITION_FIELDS: Final = (
    "holder", "holder_name", "piece", "token_id", "payable_id", "debtor", "maturity_at", "value_cents",
    "value", "tier", "parent", "frozen", "locked",
)  # fmt: skip
HISTORY_FIELDS: Final = (
    "block", "time", "log_index", "tx_hash", "piece", "token_id", "kind", "other_piece", "from", "to",
    "value_cents", "value", "note",
)  # fmt: skip


def _namer(labels: Mapping[str, str] | None) -> Callable[[str], str]:
    names = {k.lower(): v for k, v in (labels or {}).items()}
    return lambda address: names.get(address.lower(), "")


def positions_rows(
    index: ix.Index, holder: str | None = None, *, labels: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """One row per live piece (of ``holder``, or of everyone); ``holder_name`` from ``labels``
    (address → name), empty for unlabelled holders."""
    held = ix.positions(index, holder).pieces if holder else tuple(ix.all_positions(index))
    name = _namer(labels)
    return [
        {
            "holder": p.piece.owner,
            "holder_name": name(p.piece.owner),
            "piece": p.piece.short_id,
            "token_id": str(p.piece.token_id),
            "payable_id": p.piece.payable_id,
            "debtor": p.debtor,
            "maturity_at": _iso(p.maturity_at),
            "value_cents": p.piece.value,
            "value": format_cents(p.piece.value, grouping=False),
            "tier": p.piece.depth + 1,
            "parent": short_id(p.piece.parent_token_id) if p.piece.parent_token_id else "",
            "frozen": p.piece.frozen,
            "locked": p.piece.locked,
        }
        for p in held
    ]


def history_rows(
    index: ix.Index, *, piece: str | int | None = None, payable_id: int | None = None
) -> list[dict[str, Any]]:
    """One row per history line: of one piece, of one payable, or of everything."""
    if piece is not None:
        moves = ix.history(index, piece)
    else:
        if payable_id is not None:
            ix.payable(index, payable_id)  # NotIndexedError for an unknown payable
        moves = ix.all_moves(index, payable_id)
    times = index.block_times()
    return [
        {
            "block": m.block_number,
            "time": _iso(times[m.block_number]) if m.block_number in times else "",
            "log_index": m.log_index,
            "tx_hash": m.tx_hash,
            "piece": short_id(m.token_id),
            "token_id": str(m.token_id),
            "kind": m.kind,
            "other_piece": short_id(m.other_token_id) if m.other_token_id else "",
            "from": m.from_addr or "",
            "to": m.to_addr or "",
            "value_cents": "" if m.value is None else m.value,
            "value": "" if m.value is None else format_cents(m.value, grouping=False),
            "note": m.note or "",
        }
        for m in moves
    ]


def render(rows: Sequence[Mapping[str, Any]], fmt: str, fields: Sequence[str] | None = None) -> str:
    """Rows as a JSON array or as CSV with a header line (``fields``, else the first row's
    keys; an empty CSV with ``fields`` is its header alone)."""
    if fmt == "json":
        return json.dumps(list(rows), indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        names = list(fields) if fields is not None else (list(rows[0]) if rows else [])
        if names:
            writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return out.getvalue()
    raise UsageError(f"unknown format {fmt!r}: json or csv")


def export_positions(
    index: ix.Index, fmt: str = "json", holder: str | None = None, *, labels: Mapping[str, str] | None = None
) -> str:
    return render(positions_rows(index, holder, labels=labels), fmt, POSITION_FIELDS)


def export_history(
    index: ix.Index,
    fmt: str = "json",
    *,
    piece: str | int | None = None,
    payable_id: int | None = None,
) -> str:
    return render(history_rows(index, piece=piece, payable_id=payable_id), fmt, HISTORY_FIELDS)


def block_time_iso(index: ix.Index, block_number: int) -> str:
    """The time of an indexed block with events (ISO 8601, UTC; empty when not recorded)."""
    stamp = index.block_time(block_number)
    return "" if stamp is None else _iso(stamp)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---------------------------------------------------------------------------- provenance SVG

BOX_W: Final = 176
BOX_H: Final = 70
GAP_X: Final = 14
ROW_H: Final = 112  # tier to tier, growing downwards
COL_W: Final = 226  # tier to tier, growing to the right
GAP_Y: Final = 10
WIDE_LIMIT: Final = 10  # more leaf slots than this: grow to the right
MARGIN: Final = 24
GUTTER: Final = 52  # left column with the tier labels
HEADER_H: Final = 122
CHAR_W: Final = 7.4  # rough width of a heading character, to size the picture
FONT_FAMILY: Final = (
    "Helvetica, Arial, 'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'PingFang SC', "
    "'Microsoft YaHei', 'WenQuanYi Zen Hei', 'Noto Serif CJK SC', sans-serif"
)
"""Latin fonts first, then CJK families (Chinese holder names render instead of boxes)."""


@dataclass
class _Node:
    """A box of the picture: a piece, or a collapsed group of pieces."""

    key: str
    depth: int
    piece: ix.PieceRecord | None = None
    hidden_count: int = 0  # for a collapsed group: pieces it stands for
    hidden_value: int = 0  # their live value
    children: list[_Node] | None = None
    x: float = 0.0

    @property
    def kids(self) -> list[_Node]:
        if self.children is None:
            self.children = []
        return self.children


def provenance_svg(
    index: ix.Index,
    payable_id: int,
    *,
    labels: Mapping[str, str] | None = None,
    highlight: str | int | None = None,
    max_nodes: int = 150,
    max_children: int = 12,
    show_burned: bool = True,
    title: str | None = None,
) -> str:
    """The provenance tree of a payable as an SVG document (a string).

    One layer per tier (the issued piece first: on top for a narrow tree, on the left for a
    wide one, siblings then stacked vertically), one box per piece with its short id
    (``P1#3``), holder (``labels[address]`` or a short address; for an ended piece its last
    holder), its value now and when it was split, and how it ended (paid in full, merged,
    financed to whom, taken back by recourse); edges run from parent to child, green and
    labelled where a financier bought the child. The heading gives the payable's real state
    (paid in full, overdue, ...), what was paid and what is still unpaid. Frozen pieces have a
    red border and say so, locked ones an orange one, financed ones green, recourse purple,
    ended (paid, merged) ones are dashed and grey. ``highlight`` (a piece) draws its path
    up to the issued piece in blue and keeps it visible.

    Large trees collapse instead of becoming unreadable: at most ``max_children`` boxes under
    one parent (the rest become one "+N more" box with their count and value), and at most
    ``max_nodes`` boxes in all (deeper pieces fold into a "+N below" box under their parent).
    """
    if max_nodes < 1 or max_children < 2:
        raise UsageError("max_nodes must be at least 1 and max_children at least 2")
    pay = ix.payable(index, payable_id)
    pieces = ix.pieces_of_payable(index, payable_id)
    fates = ix.piece_fates(index, payable_id)
    st = ix.settlement_state(index, payable_id)
    financings = ix.financing_history(index, payable_id=payable_id)
    financed_edges = {(f.from_token_id, f.token_id) for f in financings if f.from_token_id != f.token_id}
    financed_whole = {f.token_id for f in financings if f.from_token_id == f.token_id}
    package = ix.package(index, pay.invoice_root)
    by_id = {p.token_id: p for p in pieces}
    children: dict[int, list[ix.PieceRecord]] = {}
    for p in pieces:
        if p.parent_token_id is not None:
            children.setdefault(p.parent_token_id, []).append(p)
    path: set[int] = set()
    if highlight is not None:
        hid = ix.resolve_piece(index, highlight)
        while hid in by_id:
            path.add(hid)
            parent = by_id[hid].parent_token_id
            if parent is None:
                break
            hid = parent

    # Subtree sizes and live values (children have higher indices than parents).
    size: dict[int, int] = {}
    live: dict[int, int] = {}
    for p in sorted(pieces, key=lambda q: -q.index):
        kids = children.get(p.token_id, [])
        size[p.token_id] = 1 + sum(size[k.token_id] for k in kids)
        live[p.token_id] = (0 if p.burned else p.value) + sum(live[k.token_id] for k in kids)

    def visible(p: ix.PieceRecord) -> bool:
        return show_burned or not p.burned or p.token_id in path

    root_piece = by_id.get(pay.token_id)
    if root_piece is None:
        raise ix.NotIndexedError(f"payable {payable_id} has no issued piece in the index")
    root = _Node(root_piece.short_id, 0, root_piece)
    shown = 1
    queue = [root]
    while queue:
        node = queue.pop(0)
        assert node.piece is not None
        kids = [k for k in children.get(node.piece.token_id, []) if visible(k)]
        if not kids:
            continue
        kids.sort(key=lambda k: (k.token_id not in path, k.index))
        room = max_nodes - shown
        keep: list[ix.PieceRecord] = []
        rest: list[ix.PieceRecord] = []
        for k in kids:
            must = k.token_id in path
            limit_hit = len(keep) >= max_children - 1 and len(kids) > max_children
            if must or (not limit_hit and room > 0):
                keep.append(k)
                room -= 0 if must else 1
            else:
                rest.append(k)
        for k in keep:
            child = _Node(k.short_id, node.depth + 1, k)
            node.kids.append(child)
            queue.append(child)
            shown += 1
        if rest:
            group = _Node(
                f"{node.key}+", node.depth + 1,
                hidden_count=sum(size[k.token_id] for k in rest),
                hidden_value=sum(live[k.token_id] for k in rest),
            )  # fmt: skip
            node.kids.append(group)
            shown += 1

    # Layout: leaves take the next slot, a parent sits in the middle of its children. Narrow
    # trees grow downwards (tiers are rows); wide ones grow to the right (tiers are columns,
    # siblings stacked), which keeps a hundred leaves readable on a scrolling page.
    slot = [0]
    max_depth = [0]

    def place(node: _Node) -> None:
        max_depth[0] = max(max_depth[0], node.depth)
        if not node.kids:
            node.x = float(slot[0])
            slot[0] += 1
            return
        for k in node.kids:
            place(k)
        node.x = (node.kids[0].x + node.kids[-1].x) / 2

    place(root)
    downwards = slot[0] <= WIDE_LIMIT
    names = {k.lower(): v for k, v in (labels or {}).items()}

    def who(address: str) -> str:
        return names.get(address.lower()) or ix.short_address(address)

    heading = title or f"Provenance of payable {payable_id}"
    status = ix.STATE_TEXT.get(st.state) or pay.status
    if package is not None and package.voided:
        status += ", voided package"
    lines = [
        f"{heading}: face {format_cents(pay.face_value)}, paid {format_cents(st.paid)}, unpaid "
        f"{format_cents(st.unpaid)}, {len(pieces)} pieces ({status})",
        f"debtor {who(pay.debtor)} → first creditor {who(pay.creditor)}; maturity {_iso(pay.maturity_at)}"
        + (f"; overdue since {_iso(st.overdue_at)}" if st.overdue else ""),
        f"invoice package {pay.invoice_root[:18]}…"
        + (
            f" ({package.invoice_count} invoices, {format_cents(package.total_cents)}, seller {who(package.seller)})"
            if package is not None
            else " (not indexed)"
        ),
    ]
    legend = (
        f"{'rows' if downwards else 'columns'} = tiers; red = frozen, orange = locked, green = financed, "
        "purple = recourse, dashed = ended (paid in full, merged); values: now of value at split"
        + ("; blue = highlighted path" if path else "")
    )
    text_w = CHAR_W * max(len(line) for line in [*lines, legend])
    left = MARGIN + (GUTTER if downwards else 0)
    top_y = HEADER_H + (0 if downwards else 20)

    def corner(node: _Node) -> tuple[float, float]:
        """Top-left corner of a node's box."""
        if downwards:
            return left + node.x * (BOX_W + GAP_X), top_y + node.depth * ROW_H
        return left + node.depth * COL_W, top_y + node.x * (BOX_H + GAP_Y)

    if downwards:
        width = max(GUTTER + slot[0] * (BOX_W + GAP_X) - GAP_X, text_w) + 2 * MARGIN
        height = top_y + max_depth[0] * ROW_H + BOX_H + MARGIN
    else:
        width = max(max_depth[0] * COL_W + BOX_W, text_w) + 2 * MARGIN
        height = top_y + slot[0] * (BOX_H + GAP_Y) - GAP_Y + MARGIN

    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="{FONT_FAMILY}" '
        'font-size="11">',
        "<style>.id{font-weight:bold;font-size:12px}.sub{fill:#444}.hd{font-size:13px}"
        ".edge{fill:none;stroke:#888;stroke-width:1.2}.path{stroke:#1f5fbf;stroke-width:2.4}"
        ".fin{stroke:#1e8a3c;stroke-width:1.8;stroke-dasharray:6,3}.finlabel{fill:#1e8a3c;font-size:10px}"
        "</style>",
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
    ]
    for i, line in enumerate(lines):
        cls = "id hd" if i == 0 else "sub"
        out.append(f'<text x="{MARGIN}" y="{MARGIN + 8 + 18 * i}" class="{cls}">{escape(line)}</text>')
    legend_y = MARGIN + 8 + 18 * len(lines)
    out.append(f'<text x="{MARGIN}" y="{legend_y}" class="sub">{escape(legend)}</text>')
    for depth in range(max_depth[0] + 1):
        if downwards:
            tx, ty = MARGIN, top_y + depth * ROW_H + BOX_H / 2 + 4
        else:
            tx, ty = left + depth * COL_W + 8, top_y - 8
        out.append(f'<text x="{tx:.1f}" y="{ty:.1f}" class="sub">tier {depth + 1}</text>')

    edges: list[str] = []
    boxes: list[str] = []

    def draw(node: _Node) -> None:
        x0, y0 = corner(node)
        for k in node.kids:
            cx, cy = corner(k)
            if downwards:
                px, py, cx = x0 + BOX_W / 2, y0 + BOX_H, cx + BOX_W / 2
                d = f"M{px:.1f},{py:.1f} V{(py + cy) / 2:.1f} H{cx:.1f} V{cy:.1f}"
            else:
                px, py, cy = x0 + BOX_W, y0 + BOX_H / 2, cy + BOX_H / 2
                d = f"M{px:.1f},{py:.1f} H{(px + cx) / 2:.1f} V{cy:.1f} H{cx:.1f}"
            on_path = (
                node.piece is not None and k.piece is not None and k.piece.token_id in path
                and node.piece.token_id in path
            )  # fmt: skip
            financed = (
                node.piece is not None and k.piece is not None
                and ((node.piece.token_id, k.piece.token_id) in financed_edges
                     or k.piece.token_id in financed_whole)
            )  # fmt: skip
            cls = "edge path" if on_path else "edge fin" if financed else "edge"
            edges.append(f'<path class="{cls}" d="{d}"/>')
            if financed and k.piece is not None:
                fate = fates.get(k.piece.token_id)
                buyer = who(fate.financed_to) if fate is not None and fate.financed_to else "financier"
                lx, ly = (cx - 4, cy - 6) if downwards else (cx - 4, cy - 8)
                edges.append(
                    f'<text x="{lx:.1f}" y="{ly:.1f}" class="finlabel" text-anchor="end">'
                    f"financed → {escape(_clip(buyer, 18))}</text>"
                )
            draw(k)
        boxes.append(_box(node, x0, y0, who, path, fates))

    draw(root)
    out.extend(e for e in edges if "edge path" not in e)  # the highlighted path on top
    out.extend(e for e in edges if "edge path" in e)
    out.extend(boxes)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def _box(node: _Node, x: float, y: float, who: Any, path: set[int], fates: Mapping[int, ix.PieceFate]) -> str:
    if node.piece is None:
        lines = (
            f"+{node.hidden_count} more piece" + ("s" if node.hidden_count != 1 else ""),
            "collapsed",
            f"live {format_cents(node.hidden_value)}",
        )
        return (
            f'<g><rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="6" '
            'fill="#f4f4f4" stroke="#aaa" stroke-dasharray="2,3"/>' + _lines(x, y, lines) + "</g>"
        )
    p = node.piece
    fate = fates.get(p.token_id)
    fill, stroke, dash, width = "#eef4ff", "#5a7bb5", "", 1.2
    status = ""
    if fate is not None and fate.end == "financed":
        fill, stroke, width, status = "#eefaf0", "#1e8a3c", 1.8, "financed"
    if fate is not None and fate.end == "recourse":
        fill, stroke, width, status = "#f6effa", "#7b3fa0", 2.0, "recourse"
    if p.burned:
        fill, stroke, dash = "#f2f2f2", "#999", ' stroke-dasharray="5,3"'
        status = {"paid": "paid", "merged": "merged"}.get(fate.end if fate else "", "burned")
    if p.locked:
        stroke, width, status = "#e08a00", 2.0, "locked"
    if p.frozen:
        fill, stroke, width, status = "#fff0f0", "#cc0000", 2.6, "FROZEN"
    if p.token_id in path:
        width = max(width, 2.4)
        if not p.frozen:
            stroke = "#1f5fbf"
    split = p.value if fate is None else fate.value_at_split
    if fate is not None and fate.financed_to and fate.financed_from:
        if p.burned:
            stroke = "#1e8a3c"
        holder = f"{who(fate.financed_from)} ⇒ {who(fate.financed_to)}"
        value = format_cents(p.value) + (f" of {format_cents(split)}" if split != p.value else "")
        if p.burned:
            value = f"split {format_cents(split)}"
    elif p.burned:
        last = fate.holder if fate is not None else ""
        holder = f"was {who(last)}" if last and last != ix.ZERO_ADDRESS else "—"
        value = f"split {format_cents(split)}"
    else:
        holder = who(p.owner)
        value = format_cents(p.value) + (f" of {format_cents(split)}" if split != p.value else "")
    end = fate.short(who) if fate is not None else ("live" if not p.burned else "burned")
    first = p.short_id + (f"  {status}" if status else "")
    held = " → ".join(fate.holders) if fate is not None else p.owner
    title = (
        f"{p.short_id} token {p.token_id}; holders {held}; value {format_cents(p.value)}, split at "
        f"{format_cents(split)}; {fate.describe(who) if fate is not None else end}"
    )
    return (
        f"<g><title>{escape(title)}</title>"
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{BOX_W}" height="{BOX_H}" rx="6" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="{width}"{dash}/>'
        + _lines(x, y, (first, holder, value, end), frozen=p.frozen)
        + "</g>"
    )


def _lines(x: float, y: float, lines: Sequence[str], *, frozen: bool = False) -> str:
    parts = []
    for i, text in enumerate(lines):
        cls = "id" if i == 0 else "sub"
        fill = ' fill="#cc0000"' if frozen and i == 0 else ""
        parts.append(
            f'<text x="{x + 8:.1f}" y="{y + 16 + 15 * i:.1f}" class="{cls}"{fill}>{escape(_clip(text))}</text>'
        )
    return "".join(parts)


def _clip(text: str, limit: int = 28) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


__all__ = [
    "block_time_iso",
    "export_history",
    "export_positions",
    "history_rows",
    "positions_rows",
    "provenance_svg",
    "render",
]
