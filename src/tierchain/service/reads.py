"""The read API's answers, built from the audit index (and, for claims, one batched chain read).

Every id, nonce and instant is a decimal string; every amount a :func:`~.core.money` object.
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Sequence
from typing import Any, Final

from eth_utils.crypto import keccak

from tierchain.audit import index as ix
from tierchain.audit.project import _PIECE_COLUMNS  # the index's own row layout
from tierchain.audit.query import _piece_record
from tierchain.core.ids import Role, short_id, split_token_id
from tierchain.service.core import Service, money

MAX_LIMIT: Final = 500
DEFAULT_LIMIT: Final = 100
_CLAIMABLE: Final = "0x" + keccak(text="claimableOf(uint256)")[:4].hex()


class BadCursorError(ValueError):
    pass


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"o:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        if not text.startswith("o:") or not text[2:].isdigit():
            raise ValueError(text)
        return int(text[2:])
    except (ValueError, UnicodeDecodeError):
        raise BadCursorError(f"not a cursor from this API: {cursor!r}") from None


def page(items: Sequence[Any], offset: int, limit: int) -> tuple[list[Any], str | None]:
    chunk = list(items[offset : offset + limit])
    nxt = encode_cursor(offset + limit) if offset + limit < len(items) else None
    return chunk, nxt


def iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def role_names(mask: int) -> list[str]:
    return [r.name.lower().replace("_", "-") for r in Role if mask & r.value and r.name]


# ---------------------------------------------------------------------------- pieces


def _payables(index: ix.Index, ids: set[int]) -> dict[int, dict[str, Any]]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    cur = index.conn.execute(
        f"SELECT payable_id, debtor, creditor, currency, maturity_at, face_value, status FROM payables "
        f"WHERE payable_id IN ({marks})",
        tuple(ids),
    )
    return {
        int(r[0]): {"debtor": r[1], "creditor": r[2], "currency": r[3], "maturity_at": int(r[4]),
                    "face_value": int(r[5]), "status": r[6]}
        for r in cur
    }  # fmt: skip


def claimables(svc: Service, pieces: Sequence[ix.PieceRecord], now: int) -> dict[int, int]:
    """``Settlement.claimableOf`` of the live, matured pieces (one JSON-RPC batch)."""
    due = [p.token_id for p in pieces if not p.burned and split_token_id(p.token_id).maturity_at <= now]
    if not due:
        return {}
    head = int(svc.w3.eth.block_number)
    words = ix.read_many(svc.w3, svc.deployment.settlement, _CLAIMABLE, due, head)
    return {tid: int(w, 16) for tid, w in zip(due, words, strict=True)}


def piece_state(p: ix.PieceRecord, maturity_at: int, now: int, claimable: int) -> str:
    if p.burned:
        return "closed"
    if p.frozen:
        return "frozen"
    if p.locked:
        return "locked"
    if now >= maturity_at:
        return "due" if claimable > 0 else "matured"
    return "held"


def piece_json(
    svc: Service, p: ix.PieceRecord, pay: dict[str, Any] | None, now: int, claimable: int | None
) -> dict[str, Any]:
    maturity_at = split_token_id(p.token_id).maturity_at
    code = svc.code(pay["currency"]) if pay else ""
    matured = now >= maturity_at
    claim = claimable or 0
    return {
        "token_id": str(p.token_id),
        "short_id": p.short_id,
        "payable_id": str(p.payable_id),
        "index": p.index,
        "parent_token_id": None if p.parent_token_id is None else str(p.parent_token_id),
        "depth": p.depth,
        "owner": p.owner,
        "value": money(p.value, code),
        "debtor": pay["debtor"] if pay else None,
        "maturity_at": str(maturity_at),
        "maturity": iso(maturity_at),
        "state": piece_state(p, maturity_at, now, claim),
        "locked": p.locked,
        "frozen": p.frozen,
        "burned": p.burned,
        "owed_now": money(p.value if matured and not p.burned else 0, code),
        "claimable": money(claim, code),
        "minted_block": p.minted_block,
    }


def member_pieces(svc: Service, address: str, offset: int, limit: int) -> dict[str, Any]:
    """One page of the member's live pieces, read as one page (LIMIT/OFFSET) plus one
    aggregate for the count and totals: a holder of thousands of pieces costs one page."""
    index = svc.index()
    cols = ", ".join("p." + c.strip() for c in _PIECE_COLUMNS.split(","))
    rows = index.conn.execute(
        f"SELECT {cols}, y.debtor, y.creditor, y.currency, y.maturity_at, y.face_value, y.status "
        "FROM pieces p JOIN payables y USING (payable_id) WHERE p.owner = ? AND p.burned = 0 "
        "ORDER BY p.payable_id, p.idx LIMIT ? OFFSET ?",
        (address, limit, offset),
    ).fetchall()
    totals = index.conn.execute(
        "SELECT y.currency, count(*), sum(p.value) FROM pieces p JOIN payables y USING (payable_id) "
        "WHERE p.owner = ? AND p.burned = 0 GROUP BY y.currency ORDER BY y.currency",
        (address,),
    ).fetchall()
    now = svc.chain_time(index)
    n = len(_PIECE_COLUMNS.split(","))
    pieces = [_piece_record(r[:n]) for r in rows]
    pays = {
        p.payable_id: {"debtor": r[n], "creditor": r[n + 1], "currency": r[n + 2], "maturity_at": int(r[n + 3]),
                       "face_value": int(r[n + 4]), "status": r[n + 5]}
        for p, r in zip(pieces, rows, strict=True)
    }  # fmt: skip
    claims = claimables(svc, pieces, now)
    count = sum(int(t[1]) for t in totals)
    return {
        "address": address,
        "items": [piece_json(svc, p, pays.get(p.payable_id), now, claims.get(p.token_id)) for p in pieces],
        "total": [money(int(t[2]), svc.code(str(t[0]))) for t in totals],
        "count": count,
        "next_cursor": encode_cursor(offset + limit) if offset + limit < count else None,
    }


def payable_json(svc: Service, pay: ix.PayableRecord) -> dict[str, Any]:
    code = svc.code(pay.currency)
    return {
        "payable_id": str(pay.payable_id),
        "token_id": str(pay.token_id),
        "debtor": pay.debtor,
        "creditor": pay.creditor,
        "face_value": money(pay.face_value, code),
        "outstanding": money(pay.outstanding, code),
        "currency": {"address": pay.currency, "code": code, "decimals": 2},
        "maturity_at": str(pay.maturity_at),
        "maturity": iso(pay.maturity_at),
        "invoice_root": pay.invoice_root,
        "document_hash": pay.document_hash,
        "status": pay.status,
        "piece_count": pay.piece_count,
        "issued_block": pay.issued_block,
        "issued_tx": pay.issued_tx,
    }


def pending_payables(svc: Service, address: str, offset: int, limit: int) -> dict[str, Any]:
    index = svc.index()
    ids = [
        int(r[0])
        for r in index.conn.execute(
            "SELECT payable_id FROM payables WHERE creditor = ? AND status = 'issued' ORDER BY payable_id",
            (address,),
        )
    ]
    chunk, nxt = page(ids, offset, limit)
    return {"items": [payable_json(svc, ix.payable(index, i)) for i in chunk], "next_cursor": nxt}


def payable_with_pieces(svc: Service, payable_id: int, offset: int, limit: int) -> dict[str, Any]:
    index = svc.index()
    pay = ix.payable(index, payable_id)
    pieces = ix.pieces_of_payable(index, payable_id)
    chunk, nxt = page(pieces, offset, limit)
    now = svc.chain_time(index)
    claims = claimables(svc, chunk, now)
    raw = _payables(index, {payable_id}).get(payable_id)
    out = payable_json(svc, pay)
    states = [s for s in ix.settlement_states(index) if s.payable_id == payable_id]
    out["settlement"] = settlement_json(svc, states[0], pay.currency) if states else None
    out["items"] = [piece_json(svc, p, raw, now, claims.get(p.token_id)) for p in chunk]
    out["next_cursor"] = nxt
    return out


def settlement_json(svc: Service, st: ix.SettlementRecord, currency: str) -> dict[str, Any]:
    code = svc.code(currency)
    return {
        "state": st.state,
        "opened": st.opened,
        "paid": money(st.paid, code),
        "unpaid": money(st.unpaid, code),
        "claimed": money(st.claimed, code),
        "overdue": st.overdue,
        "overdue_at": str(st.overdue_at),
    }


def piece_detail(svc: Service, ref: str) -> dict[str, Any]:
    index = svc.index()
    prov = ix.provenance(index, ref)
    p = prov.piece
    now = svc.chain_time(index)
    raw = _payables(index, {p.payable_id}).get(p.payable_id)
    claims = claimables(svc, [p], now)
    code = svc.code(prov.payable.currency)
    states = [s for s in ix.settlement_states(index) if s.payable_id == p.payable_id]
    settlement = settlement_json(svc, states[0], prov.payable.currency) if states else {}
    claimed = sum(c.cents for c in ix.claims(index, payable_id=p.payable_id) if c.token_id == p.token_id)
    settlement |= {
        "owed_now": money(p.value if now >= split_token_id(p.token_id).maturity_at and not p.burned else 0, code),
        "claimable": money(claims.get(p.token_id, 0), code),
        "claimed_by_piece": money(claimed, code),
    }
    package = None
    if prov.package is not None:
        package = {
            "root": prov.package.root,
            "invoice_count": prov.package.invoice_count,
            "total": money(prov.package.total_cents, code),
            "debtor": prov.package.debtor,
            "seller": prov.package.seller,
            "registered_block": prov.package.registered_block,
        }
    return {
        "piece": piece_json(svc, p, raw, now, claims.get(p.token_id)),
        "payable": payable_json(svc, prov.payable),
        "package": package,
        "ancestors": [piece_json(svc, a, raw, now, None) for a in prov.ancestors],
        "descendants": [piece_json(svc, d, raw, now, None) for d in prov.descendants],
        "history": [move_json(svc, m, code) for m in prov.history],
        "financings": [financing_json(f, code) for f in ix.financing_history(index, piece=p.token_id)],
        "settlement": settlement,
    }


def move_json(svc: Service, m: ix.Move, code: str) -> dict[str, Any]:
    return {
        "block_number": m.block_number,
        "log_index": m.log_index,
        "tx_hash": m.tx_hash,
        "kind": m.kind,
        "token_id": str(m.token_id),
        "short_id": short_id(m.token_id),
        "other_token_id": None if m.other_token_id is None else str(m.other_token_id),
        "from": m.from_addr,
        "to": m.to_addr,
        "value": None if m.value is None else money(m.value, code),
        "note": m.note,
    }


def financing_json(f: ix.FinancingRecord, code: str) -> dict[str, Any]:
    return {
        "block_number": f.block_number,
        "tx_hash": f.tx_hash,
        "offer_hash": f.offer_hash,
        "token_id": str(f.token_id),
        "short_id": f.piece,
        "from_token_id": str(f.from_token_id),
        "financier": f.financier,
        "seller": f.seller,
        "value": money(f.value, code),
        "price": money(f.price, code),
        "recourse": f.recourse,
    }


def member_history(svc: Service, address: str, offset: int, limit: int) -> dict[str, Any]:
    index = svc.index()
    rows: list[tuple[int, int, dict[str, Any]]] = []
    codes: dict[int, str] = {}

    def code_of(payable_id: int) -> str:
        if payable_id not in codes:
            pay = _payables(index, {payable_id}).get(payable_id)
            codes[payable_id] = svc.code(pay["currency"]) if pay else ""
        return codes[payable_id]

    for b, li, tx, t, k, o, f, to, v, n in index.conn.execute(
        "SELECT block_number, log_index, tx_hash, token_id, kind, other_token_id, from_addr, to_addr, value, note "
        "FROM moves WHERE from_addr = ? OR to_addr = ? ORDER BY block_number, log_index, seq",
        (address, address),
    ):
        move = ix.Move(int(b), int(li), str(tx), int(t), str(k), None if o is None else int(o), f, to,
                       None if v is None else int(v), n)  # fmt: skip
        rows.append(
            (move.block_number, move.log_index, move_json(svc, move, code_of(split_token_id(move.token_id).payable_id)))
        )
    for f in ix.financing_history(index, seller=address) + ix.financing_history(index, financier=address):
        doc = financing_json(f, code_of(f.payable_id))
        doc["kind"] = "financed-sold" if f.seller == address else "financed-bought"
        rows.append((f.block_number, f.log_index, doc))
    for c in ix.claims(index, holder=address):
        rows.append((c.block_number, c.log_index, {
            "block_number": c.block_number, "tx_hash": c.tx_hash, "kind": "claim", "token_id": str(c.token_id),
            "short_id": c.piece, "value": money(c.cents, code_of(c.payable_id)), "settled": c.settled,
        }))  # fmt: skip
    rows.sort(key=lambda r: (r[0], r[1]))
    chunk, nxt = page([r[2] for r in rows], offset, limit)
    return {"address": address, "items": chunk, "next_cursor": nxt}


__all__ = [
    "MAX_LIMIT",
    "BadCursorError",
    "decode_cursor",
    "member_history",
    "member_pieces",
    "payable_with_pieces",
    "pending_payables",
    "piece_detail",
]
