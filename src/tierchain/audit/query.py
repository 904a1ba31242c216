"""Queries over the index: records of pieces, payables, members, moves, money, and the
functions that read them."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from eth_utils.address import to_checksum_address

from tierchain.audit.project import _PIECE_COLUMNS
from tierchain.audit.schema import (
    Index,
    NotIndexedError,
)
from tierchain.core.errors import UsageError
from tierchain.core.ids import short_id, split_token_id
from tierchain.core.money import format_cents

# ---------------------------------------------------------------------------- token ids


def short_address(address: str) -> str:
    return f"{address[:6]}…{address[-4:]}" if len(address) == 42 else address


# ---------------------------------------------------------------------------- query records


@dataclass(slots=True)
class PieceRecord:
    """One piece as the index knows it (owner zero and ``burned`` once merged or settled).

    Not frozen: a payable's provenance builds thousands of these, and a frozen dataclass costs
    four times as much to construct."""

    token_id: int
    short_id: str
    payable_id: int
    index: int
    parent_token_id: int | None
    depth: int
    owner: str
    value: int
    frozen: bool
    locked: bool
    burned: bool
    minted_block: int
    minted_tx: str


@dataclass(frozen=True)
class PayableRecord:
    payable_id: int
    token_id: int
    debtor: str
    creditor: str
    face_value: int
    currency: str
    maturity_at: int
    invoice_root: str
    document_hash: str
    status: str
    piece_count: int
    issued_block: int
    issued_tx: str
    outstanding: int  # sum of live piece values


@dataclass(frozen=True)
class PackageRecord:
    root: str
    debtor: str
    seller: str
    invoice_count: int
    total_cents: int
    issued_cents: int
    document_hash: str
    voided: bool
    duplicate_key: str | None
    earlier_root: str | None
    registered_block: int


@dataclass(frozen=True)
class MemberRecord:
    account: str
    roles: int
    identity_hash: str
    status: str
    frozen: bool
    admitted_block: int


@dataclass(frozen=True)
class Move:
    """One line of a piece's history."""

    block_number: int
    log_index: int
    tx_hash: str
    token_id: int
    kind: str
    other_token_id: int | None
    from_addr: str | None
    to_addr: str | None
    value: int | None
    note: str | None


@dataclass(frozen=True)
class FreezeRecord:
    block_number: int
    tx_hash: str
    subject_kind: Literal["piece", "member"]
    subject: str
    action: Literal["freeze", "unfreeze"]
    reason_hash: str
    by: str


@dataclass(frozen=True)
class Provenance:
    """Where a piece comes from and where it went.

    ``ancestors`` runs from the piece's parent up to the issued piece (index 1); ``payable``
    and ``package`` are what the issued piece stands on (the invoice package root);
    ``descendants`` are every piece split off the piece or off its descendants (parents before
    children)."""

    piece: PieceRecord
    ancestors: tuple[PieceRecord, ...]
    payable: PayableRecord
    package: PackageRecord | None
    descendants: tuple[PieceRecord, ...]
    history: tuple[Move, ...]
    freezes: tuple[FreezeRecord, ...]


@dataclass(frozen=True)
class Position:
    """A live piece held by a holder."""

    piece: PieceRecord
    debtor: str
    maturity_at: int


@dataclass(frozen=True)
class Positions:
    holder: str
    pieces: tuple[Position, ...]
    total_value: int
    by_payable: dict[int, int]


@dataclass(frozen=True)
class RawEvent:
    block_number: int
    log_index: int
    tx_hash: str
    contract: str
    event: str
    args: dict[str, Any]


@dataclass(frozen=True)
class OverduePayable:
    payable: PayableRecord
    seconds_overdue: int  # past the overdue instant (maturity + grace)
    paid: int | None  # debtor + guarantor payments into settlement; None: never opened there
    unpaid: int
    marked_overdue: bool  # settlement's MarkedOverdue seen
    overdue_at: int = 0
    paid_by_guarantor: int = 0


@dataclass(frozen=True)
class FinancingRecord:
    """One ``Financed`` event of the desk."""

    block_number: int
    log_index: int
    tx_hash: str
    payable_id: int
    offer_hash: str
    token_id: int  # the piece the financier received
    piece: str
    from_token_id: int  # the piece the offer named (the same for a whole piece)
    from_piece: str
    financier: str
    seller: str
    value: int
    price: int
    currency_amount: int
    recourse: bool


@dataclass(frozen=True)
class PaymentRecord:
    block_number: int
    log_index: int
    tx_hash: str
    payable_id: int
    kind: Literal["debtor", "guarantor", "repaid"]  # repaid: debtor → guarantor
    payer: str  # the debtor, or the guarantor (for ``repaid``: the guarantor repaid)
    cents: int
    left_cents: int  # unpaid after it (guarantor still owed, for ``repaid``)


@dataclass(frozen=True)
class ClaimRecord:
    block_number: int
    log_index: int
    tx_hash: str
    payable_id: int
    token_id: int
    piece: str
    holder: str
    cents: int
    settled: bool  # the piece was paid in full and burned


@dataclass(frozen=True)
class GuaranteeRecord:
    payable_id: int
    guarantor: str
    limit_cents: int
    paid_cents: int
    repaid_cents: int
    owed_cents: int  # the guarantor's open claim on the debtor
    registered_block: int


@dataclass(frozen=True)
class RecourseRecord:
    token_id: int
    piece: str
    payable_id: int
    financier: str
    seller: str
    status: Literal["exercised", "settled"]
    uncovered_cents: int  # when exercised
    paid_cents: int  # seller → financier at settlement
    escrow_cents: int  # escrow → financier at settlement
    exercised_block: int
    settled_block: int | None


@dataclass(frozen=True)
class SettlementRecord:
    payable_id: int
    debtor: str
    face_value: int
    maturity_at: int
    overdue_at: int
    opened: bool  # known to settlement (PayableOpened)
    paid_by_debtor: int
    paid_by_guarantor: int
    paid: int
    unpaid: int
    claimed: int  # paid out of escrow: holders' claims and escrow shares at recourse settlement
    marked_overdue: bool
    overdue: bool
    seconds_past_overdue_at: int
    state: str  # paid, paid-after-overdue, overdue, unpaid, not-due


@dataclass(frozen=True)
class PartyTotal:
    """Per account, in cents. Core enterprise: payables issued, face, paid by it, outstanding
    (unpaid), overdue, owed to guarantors. Holder: pieces and value held, claims received.
    Seller: pieces sold to financiers at value / for proceeds, recourse paid. Financier:
    financings bought at value / price, recourse exercised and received. ``received`` sums
    claims, proceeds and recourse money."""

    account: str
    roles: int
    payables_issued: int = 0
    face_issued: int = 0
    paid_by_debtor: int = 0
    outstanding_owed: int = 0
    overdue_owed: int = 0
    owes_guarantor: int = 0
    pieces_held: int = 0
    value_held: int = 0
    financed_count: int = 0
    bought_value: int = 0
    bought_price: int = 0
    sold_count: int = 0
    sold_value: int = 0
    proceeds: int = 0
    claimed: int = 0
    received: int = 0
    recourse_exercised: int = 0
    recourse_uncovered: int = 0
    recourse_received: int = 0
    recourse_paid: int = 0
    guaranteed_paid: int = 0
    guarantor_owed: int = 0


@dataclass(frozen=True)
class Totals:
    core_enterprises: tuple[PartyTotal, ...]
    suppliers: tuple[PartyTotal, ...]
    financiers: tuple[PartyTotal, ...]
    others: tuple[PartyTotal, ...]
    guarantors: tuple[PartyTotal, ...] = ()


# ---------------------------------------------------------------------------- queries

_PIECE_SELECT: Final = f"SELECT {_PIECE_COLUMNS} FROM pieces"


def _piece_record(r: Sequence[Any]) -> PieceRecord:
    # Columns as in _PIECE_COLUMNS; built directly (no intermediate row object): hot path.
    return PieceRecord(
        int(r[0]), f"P{r[1]}#{r[2]}", r[1], r[2], None if r[3] is None else int(r[3]), r[4],
        r[5], r[6], bool(r[7]), bool(r[8]), bool(r[9]), r[10], r[11],
    )  # fmt: skip


def resolve_piece(index: Index, ref: str | int) -> int:
    """A token id from ``P3#2``, a decimal id or ``0x`` hex."""
    if isinstance(ref, int):
        return ref
    text = ref.strip()
    if text.upper().startswith("P") and "#" in text:
        try:
            pid_s, idx_s = text[1:].split("#", 1)
            pid, idx = int(pid_s), int(idx_s)
        except ValueError:
            raise UsageError(f"{ref!r} is not a piece id like P3#2") from None
        row = index.conn.execute("SELECT token_id FROM pieces WHERE payable_id = ? AND idx = ?", (pid, idx)).fetchone()
        if row is None:
            raise NotIndexedError(f"no piece {text} in the index (payable {pid}, index {idx})")
        return int(row[0])
    try:
        return int(text, 16) if text.lower().startswith("0x") else int(text)
    except ValueError:
        raise UsageError(f"{ref!r} is not a piece id (P3#2, a decimal or 0x token id)") from None


def piece(index: Index, token_id: int | str) -> PieceRecord:
    tid = resolve_piece(index, token_id)
    row = index.conn.execute(f"{_PIECE_SELECT} WHERE token_id = ?", (str(tid),)).fetchone()
    if row is None:
        raise NotIndexedError(f"piece {short_id(tid)} ({tid}) is not in the index: sync it, or check the id")
    return _piece_record(row)


def payable(index: Index, payable_id: int) -> PayableRecord:
    cur = index.conn.execute("SELECT * FROM payables WHERE payable_id = ?", (payable_id,))
    row = cur.fetchone()
    if row is None:
        raise NotIndexedError(f"payable {payable_id} is not in the index")
    d = dict(zip((c[0] for c in cur.description), row, strict=True))
    outstanding = index.conn.execute(
        "SELECT coalesce(sum(value), 0) FROM pieces WHERE payable_id = ? AND burned = 0",
        (payable_id,),
    ).fetchone()[0]
    return PayableRecord(
        payable_id=int(d["payable_id"]), token_id=int(d["token_id"]), debtor=d["debtor"],
        creditor=d["creditor"], face_value=int(d["face_value"]), currency=d["currency"],
        maturity_at=int(d["maturity_at"]), invoice_root=d["invoice_root"],
        document_hash=d["document_hash"], status=d["status"],
        piece_count=int(d["piece_count"]), issued_block=int(d["issued_block"]),
        issued_tx=d["issued_tx"], outstanding=int(outstanding),
    )  # fmt: skip


def payables(index: Index) -> list[PayableRecord]:
    ids = [int(r[0]) for r in index.conn.execute("SELECT payable_id FROM payables ORDER BY 1")]
    return [payable(index, i) for i in ids]


def package(index: Index, root: str) -> PackageRecord | None:
    cur = index.conn.execute("SELECT * FROM packages WHERE root = ?", (root.lower(),))
    row = cur.fetchone()
    if row is None:
        return None
    d = dict(zip((c[0] for c in cur.description), row, strict=True))
    return PackageRecord(
        d["root"], d["debtor"], d["seller"], int(d["invoice_count"]), int(d["total_cents"]),
        int(d["issued_cents"]), d["document_hash"], bool(d["voided"]), d["duplicate_key"],
        d["earlier_root"], int(d["registered_block"]),
    )  # fmt: skip


def members(index: Index) -> list[MemberRecord]:
    return [
        MemberRecord(str(a), int(r), str(i), str(s), bool(f), int(b))
        for a, r, i, s, f, b in index.conn.execute(
            "SELECT account, roles, identity_hash, status, frozen, admitted_block FROM members "
            "ORDER BY admitted_block, account"
        )
    ]


def pieces_of_payable(index: Index, payable_id: int, *, live_only: bool = False) -> list[PieceRecord]:
    """Every piece of a payable in index order (burned ones too unless ``live_only``)."""
    payable(index, payable_id)  # NotIndexedError for an unknown payable
    sql = f"{_PIECE_SELECT} WHERE payable_id = ?" + (" AND burned = 0" if live_only else "")
    return [_piece_record(r) for r in index.conn.execute(sql + " ORDER BY idx", (payable_id,))]


def ancestors(index: Index, token_id: int) -> list[PieceRecord]:
    """Parent, grandparent, ... up to the issued piece."""
    rows = index.conn.execute(
        f"""WITH RECURSIVE up(tid, n) AS (
                SELECT parent_token_id, 1 FROM pieces WHERE token_id = ?
                UNION ALL
                SELECT p.parent_token_id, up.n + 1 FROM pieces p JOIN up ON p.token_id = up.tid
                WHERE up.tid IS NOT NULL)
            SELECT {", ".join("p." + c.strip() for c in _PIECE_COLUMNS.split(","))}
            FROM up JOIN pieces p ON p.token_id = up.tid ORDER BY up.n""",
        (str(token_id),),
    ).fetchall()
    return [_piece_record(r) for r in rows]


def descendants(index: Index, token_id: int) -> list[PieceRecord]:
    """Every piece split off ``token_id`` or off its descendants, parents before children
    (by depth, then index)."""
    if split_token_id(token_id).index == 1:
        # The issued piece: every other piece of the payable descends from it (one range scan).
        rows = index.conn.execute(
            f"{_PIECE_SELECT} WHERE payable_id = ? AND idx > 1 ORDER BY depth, idx",
            (split_token_id(token_id).payable_id,),
        ).fetchall()
        return [_piece_record(r) for r in rows]
    rows = index.conn.execute(
        f"""WITH RECURSIVE down(tid) AS (
                SELECT token_id FROM pieces WHERE parent_token_id = ?
                UNION ALL
                SELECT p.token_id FROM pieces p JOIN down ON p.parent_token_id = down.tid)
            SELECT {", ".join("p." + c.strip() for c in _PIECE_COLUMNS.split(","))}
            FROM down JOIN pieces p ON p.token_id = down.tid ORDER BY p.depth, p.idx""",
        (str(token_id),),
    ).fetchall()
    return [_piece_record(r) for r in rows]


def history(index: Index, token_id: int | str) -> list[Move]:
    """Everything that happened to a piece, in chain order."""
    tid = resolve_piece(index, token_id)
    return [
        Move(
            int(b),
            int(li),
            str(tx),
            int(t),
            str(k),
            None if o is None else int(o),
            f,
            to,
            None if v is None else int(v),
            n,
        )
        for b, li, tx, t, k, o, f, to, v, n in index.conn.execute(
            "SELECT block_number, log_index, tx_hash, token_id, kind, other_token_id, "
            "from_addr, to_addr, value, note FROM moves WHERE token_id = ? "
            "ORDER BY block_number, log_index, seq",
            (str(tid),),
        )
    ]


def freezes(index: Index, *, subject_kind: str | None = None, subject: str | None = None) -> list[FreezeRecord]:
    """Recorded freezes and unfreezes with their reason hashes, in chain order."""
    sql = "SELECT block_number, tx_hash, subject_kind, subject, action, reason_hash, by_addr FROM freezes WHERE 1=1"
    params: list[Any] = []
    if subject_kind:
        sql += " AND subject_kind = ?"
        params.append(subject_kind)
    if subject:
        sql += " AND subject = ?"
        params.append(subject)
    return [
        FreezeRecord(int(b), str(tx), cast(Any, k), str(s), cast(Any, a), str(r), str(by))
        for b, tx, k, s, a, r, by in index.conn.execute(sql + " ORDER BY block_number, log_index",
                                                        params)
    ]  # fmt: skip


def provenance(index: Index, token_id: int | str, *, with_history: bool = True) -> Provenance:
    """The full provenance of a piece: ancestors up to the issued piece, the payable and its
    invoice package, every descendant, and (optionally) the piece's own history and freezes."""
    rec = piece(index, token_id)
    pay = payable(index, rec.payable_id)
    return Provenance(
        piece=rec,
        ancestors=tuple(ancestors(index, rec.token_id)),
        payable=pay,
        package=package(index, pay.invoice_root),
        descendants=tuple(descendants(index, rec.token_id)),
        history=tuple(history(index, rec.token_id)) if with_history else (),
        freezes=tuple(freezes(index, subject_kind="piece", subject=str(rec.token_id))),
    )


def positions(index: Index, holder: str) -> Positions:
    """The live pieces a holder owns, with totals per payable."""
    account = _checksum(holder)
    rows = index.conn.execute(
        f"SELECT {', '.join('p.' + c.strip() for c in _PIECE_COLUMNS.split(','))}, "
        "y.debtor, y.maturity_at FROM pieces p JOIN payables y USING (payable_id) "
        "WHERE p.owner = ? AND p.burned = 0 ORDER BY p.payable_id, p.idx",
        (account,),
    ).fetchall()
    held = tuple(Position(_piece_record(r[:13]), str(r[13]), int(r[14])) for r in rows)
    by_payable: dict[int, int] = {}
    for pos in held:
        by_payable[pos.piece.payable_id] = by_payable.get(pos.piece.payable_id, 0) + pos.piece.value
    return Positions(account, held, sum(p.piece.value for p in held), by_payable)


def all_positions(index: Index) -> list[Position]:
    """Every live piece with its payable's debtor and maturity (for exports)."""
    rows = index.conn.execute(
        f"SELECT {', '.join('p.' + c.strip() for c in _PIECE_COLUMNS.split(','))}, "
        "y.debtor, y.maturity_at FROM pieces p JOIN payables y USING (payable_id) "
        "WHERE p.burned = 0 ORDER BY p.owner, p.payable_id, p.idx"
    ).fetchall()
    return [Position(_piece_record(r[:13]), str(r[13]), int(r[14])) for r in rows]


def all_moves(index: Index, payable_id: int | None = None) -> list[Move]:
    sql = (
        "SELECT block_number, log_index, tx_hash, token_id, kind, other_token_id, from_addr, "
        "to_addr, value, note FROM moves"
    )
    params: tuple[Any, ...] = ()
    if payable_id is not None:
        sql += " WHERE payable_id = ?"
        params = (payable_id,)
    return [
        Move(int(b), int(li), str(tx), int(t), str(k), None if o is None else int(o), f, to,
             None if v is None else int(v), n)
        for b, li, tx, t, k, o, f, to, v, n in index.conn.execute(
            sql + " ORDER BY block_number, log_index, seq", params)
    ]  # fmt: skip


def raw_events(
    index: Index,
    names: Sequence[str] | None = None,
    *,
    entity: str | None = None,
    contract: str | None = None,
) -> list[RawEvent]:
    """Stored events by name / entity / contract, in chain order."""
    sql = "SELECT block_number, log_index, tx_hash, contract, event, args FROM events WHERE 1=1"
    params: list[Any] = []
    if names:
        sql += f" AND event IN ({','.join('?' * len(names))})"
        params.extend(names)
    if entity:
        sql += " AND entity = ?"
        params.append(entity)
    if contract:
        sql += " AND contract = ?"
        params.append(contract)
    return [
        RawEvent(int(b), int(li), str(tx), str(c), str(e or ""), json.loads(a))
        for b, li, tx, c, e, a in index.conn.execute(sql + " ORDER BY block_number, log_index", params)
    ]


# ---------------------------------------------------------------------------- money queries


def _last_timestamp(index: Index) -> int:
    cur = index.cursor()
    return cur.timestamp if cur else int(time.time())


def financing_history(
    index: Index,
    *,
    payable_id: int | None = None,
    piece: int | str | None = None,
    financier: str | None = None,
    seller: str | None = None,
) -> list[FinancingRecord]:
    """Financings taken on the desk (``Financed``), in chain order: all, or those of one
    payable, one piece (bought as that piece or cut from it), one financier or one seller."""
    sql = f"SELECT {_FINANCING_COLUMNS} FROM financings WHERE 1=1"
    params: list[Any] = []
    if payable_id is not None:
        sql += " AND payable_id = ?"
        params.append(payable_id)
    if piece is not None:
        token = resolve_piece(index, piece)
        sql += " AND (token_id = ? OR from_token_id = ?)"
        params += [str(token), str(token)]
    if financier is not None:
        sql += " AND financier = ?"
        params.append(_checksum(financier))
    if seller is not None:
        sql += " AND seller = ?"
        params.append(_checksum(seller))
    rows = index.conn.execute(sql + " ORDER BY block_number, log_index", params).fetchall()
    return [_financing_record(r) for r in rows]


_FINANCING_COLUMNS: Final = (
    "block_number, log_index, tx_hash, payable_id, offer_hash, token_id, from_token_id, "
    "financier, seller, value, price, currency_amount, recourse"
)


def _financing_record(r: Sequence[Any]) -> FinancingRecord:
    token, from_token = int(r[5]), int(r[6])
    return FinancingRecord(
        int(r[0]), int(r[1]), str(r[2]), int(r[3]), str(r[4]), token, short_id(token), from_token,
        short_id(from_token), str(r[7]), str(r[8]), int(r[9]), int(r[10]), int(r[11]),
        bool(r[12]),
    )  # fmt: skip


def payments(index: Index, payable_id: int | None = None) -> list[PaymentRecord]:
    """Money paid into settlement (debtor and guarantor) and the debtor's repayments of the
    guarantor, in chain order."""
    sql = "SELECT block_number, log_index, tx_hash, payable_id, kind, payer, cents, left_cents FROM payments"
    params: tuple[Any, ...] = ()
    if payable_id is not None:
        sql += " WHERE payable_id = ?"
        params = (payable_id,)
    return [
        PaymentRecord(int(b), int(li), str(tx), int(p), cast(Any, str(k)), str(w), int(c), int(left))
        for b, li, tx, p, k, w, c, left in index.conn.execute(
            sql + " ORDER BY block_number, log_index", params)
    ]  # fmt: skip


def claims(index: Index, *, holder: str | None = None, payable_id: int | None = None) -> list[ClaimRecord]:
    """Claims paid out of escrow to holders of pieces, in chain order."""
    sql = "SELECT block_number, log_index, tx_hash, payable_id, token_id, holder, cents, settled FROM claims WHERE 1=1"
    params: list[Any] = []
    if holder is not None:
        sql += " AND holder = ?"
        params.append(_checksum(holder))
    if payable_id is not None:
        sql += " AND payable_id = ?"
        params.append(payable_id)
    return [
        ClaimRecord(int(b), int(li), str(tx), int(p), int(t), short_id(int(t)), str(h), int(c), bool(st))
        for b, li, tx, p, t, h, c, st in index.conn.execute(
            sql + " ORDER BY block_number, log_index", params)
    ]  # fmt: skip


def guarantees(index: Index) -> list[GuaranteeRecord]:
    """Every guarantee, with what the guarantor paid in, was repaid, and is still owed."""
    return [
        GuaranteeRecord(int(p), str(g), int(lim), int(paid), int(rep), int(paid) - int(rep), int(b))
        for p, g, lim, paid, rep, b in index.conn.execute(
            "SELECT payable_id, guarantor, limit_cents, paid_cents, repaid_cents, registered_block "
            "FROM guarantees ORDER BY payable_id")
    ]  # fmt: skip


def recourses(index: Index) -> list[RecourseRecord]:
    """Every recourse claim (exercised, settled) by piece."""
    return [
        RecourseRecord(int(t), short_id(int(t)), int(p), str(f), str(s), cast(Any, str(st)),
                       int(u), int(pc), int(e), int(xb), None if sb is None else int(sb))
        for t, p, f, s, st, u, pc, e, xb, sb in index.conn.execute(
            "SELECT token_id, payable_id, financier, seller, status, uncovered_cents, paid_cents, "
            "escrow_cents, exercised_block, settled_block FROM recourses "
            "ORDER BY exercised_block, token_id")
    ]  # fmt: skip


def settlement_states(
    index: Index, *, at: int | None = None, grace_seconds: int = 0, payable_id: int | None = None
) -> list[SettlementRecord]:
    """Every payable with its settlement state at ``at`` (default: the last indexed block's
    time).

    ``paid`` counts the debtor's and the guarantor's payments into escrow. A payable is
    ``overdue`` when settlement marked it (``MarkedOverdue``) or, unmarked, when it is unpaid
    past its overdue instant: settlement's ``overdueAt`` (maturity + the grace fixed when it
    was opened) once opened, else maturity + ``grace_seconds``. States: ``paid``,
    ``paid-after-overdue``, ``overdue``, ``unpaid`` (due, not yet overdue), ``not-due``."""
    now = at if at is not None else _last_timestamp(index)
    conn = index.conn
    one = "" if payable_id is None else f" WHERE payable_id = {int(payable_id)}"
    opened = {int(r[0]): int(r[1]) for r in conn.execute("SELECT payable_id, overdue_at FROM accounts" + one)}
    paid: dict[int, tuple[int, int]] = {}
    for pid, kind, cents in conn.execute(
        "SELECT payable_id, kind, sum(cents) FROM payments" + one + " GROUP BY payable_id, kind"
    ):
        d, g = paid.get(int(pid), (0, 0))
        if kind == "debtor":
            d += int(cents)
        elif kind == "guarantor":
            g += int(cents)
        paid[int(pid)] = (d, g)
    claimed: dict[int, int] = {}
    for p, c in conn.execute(
        f"SELECT payable_id, sum(cents) FROM claims{one} GROUP BY payable_id UNION ALL "
        f"SELECT payable_id, sum(escrow_cents) FROM recourses{one} GROUP BY payable_id"
    ):
        claimed[int(p)] = claimed.get(int(p), 0) + int(c)
    marked = {int(r[0]) for r in conn.execute("SELECT DISTINCT payable_id FROM overdue_marks" + one)}
    out: list[SettlementRecord] = []
    for pid, debtor, face, maturity in conn.execute(
        "SELECT payable_id, debtor, face_value, maturity_at FROM payables" + one + " ORDER BY payable_id"
    ).fetchall():
        pid = int(pid)
        d, g = paid.get(pid, (0, 0))
        unpaid = max(0, int(face) - d - g)
        overdue_at = opened.get(pid, int(maturity) + grace_seconds)
        is_marked = pid in marked
        late = unpaid > 0 and (is_marked or now >= overdue_at)
        if unpaid == 0:
            state = "paid-after-overdue" if is_marked else "paid"
        elif late:
            state = "overdue"
        elif now >= int(maturity):
            state = "unpaid"
        else:
            state = "not-due"
        out.append(
            SettlementRecord(
                pid, str(debtor), int(face), int(maturity), overdue_at, pid in opened, d, g,
                d + g, unpaid, claimed.get(pid, 0), is_marked, late, max(0, now - overdue_at),
                state,
            )
        )  # fmt: skip
    return out


def overdue(index: Index, *, at: int | None = None, grace_seconds: int = 0) -> list[OverduePayable]:
    """Payables not paid in full that settlement marked overdue, or that are past their
    overdue instant (settlement's maturity + grace once opened, else maturity +
    ``grace_seconds``). ``at`` defaults to the timestamp of the last indexed block."""
    out: list[OverduePayable] = []
    for st in settlement_states(index, at=at, grace_seconds=grace_seconds):
        if st.state == "overdue":
            rec = payable(index, st.payable_id)
            paid = st.paid if st.opened or st.paid else None
            out.append(
                OverduePayable(rec, st.seconds_past_overdue_at, paid, st.unpaid, st.marked_overdue,
                               st.overdue_at, st.paid_by_guarantor)
            )  # fmt: skip
    out.sort(key=lambda o: (o.payable.maturity_at, o.payable.payable_id))
    return out


def totals(index: Index, *, at: int | None = None, grace_seconds: int = 0) -> Totals:
    """Totals per core enterprise (issued, paid, outstanding, overdue), supplier (held,
    financed, received) and financier (bought at value / price, received back, recourse), from
    the index. Money received counts escrow claims, financing proceeds (the price, to the
    seller) and recourse payments (seller → financier)."""
    conn = index.conn
    roles = {str(a): int(r) for a, r in conn.execute("SELECT account, roles FROM members")}
    acc: dict[str, dict[str, int]] = {}

    def add(account: str, **kv: int) -> None:
        row = acc.setdefault(account, {})
        for k, v in kv.items():
            row[k] = row.get(k, 0) + v

    for st in settlement_states(index, at=at, grace_seconds=grace_seconds):
        add(st.debtor, payables_issued=1, face_issued=st.face_value, paid_by_debtor=st.paid_by_debtor,
            outstanding_owed=st.unpaid, overdue_owed=st.unpaid if st.state == "overdue" else 0)  # fmt: skip
    for o, n, v in conn.execute("SELECT owner, count(*), sum(value) FROM pieces WHERE burned = 0 GROUP BY owner"):
        add(str(o), pieces_held=int(n), value_held=int(v))
    for f in financing_history(index):
        add(f.financier, financed_count=1, bought_value=f.value, bought_price=f.price)
        add(f.seller, sold_count=1, sold_value=f.value, proceeds=f.price, received=f.price)
    for c in claims(index):
        add(c.holder, claimed=c.cents, received=c.cents)
    for r in recourses(index):
        add(r.financier, recourse_exercised=1, recourse_uncovered=r.uncovered_cents,
            recourse_received=r.paid_cents + r.escrow_cents, received=r.paid_cents + r.escrow_cents)  # fmt: skip
        add(r.seller, recourse_paid=r.paid_cents)
    for g in guarantees(index):
        add(g.guarantor, guaranteed_paid=g.paid_cents, guarantor_owed=g.owed_cents)
        debtor = payable(index, g.payable_id).debtor
        add(debtor, owes_guarantor=g.owed_cents)
    rows: list[PartyTotal] = []
    for a in sorted(set(roles) | set(acc)):
        rows.append(PartyTotal(a, roles.get(a, 0), **acc.get(a, {})))
    core = tuple(r for r in rows if r.roles & 2 or r.payables_issued)
    fin = tuple(r for r in rows if r.roles & 8 and r not in core)
    sup = tuple(r for r in rows if r.roles & 4 and r not in core and r not in fin)
    grt = tuple(r for r in rows if (r.roles & 16 or r.guaranteed_paid) and r not in core + fin + sup)
    others = tuple(r for r in rows if r not in core + fin + sup + grt)
    return Totals(core, sup, fin, others, grt)


def _checksum(address: str) -> str:
    try:
        return to_checksum_address(address)
    except ValueError:
        raise UsageError(f"{address!r} is not an address") from None


# ---------------------------------------------------------------------------- how pieces ended

END_TEXT: Final = {
    "live": "live",
    "paid": "paid in full",
    "merged": "merged",
    "recourse": "taken back by recourse",
    "financed": "financed",
    "burned": "burned",
}


@dataclass(frozen=True)
class PieceFate:
    """A piece's story from the index: who held it, what it was worth when it was split off
    (or issued), and how it ended.

    ``end``: ``live`` (still held), ``financed`` (live, bought by a financier), ``paid`` (paid
    in full by settlement and burned), ``merged`` (merged into ``merged_into``), ``recourse``
    (the financier took its uncovered value back from the seller), ``burned`` (otherwise)."""

    token_id: int
    short_id: str
    holders: tuple[str, ...]  # everyone who held it, in order
    holder: str  # the holder now, or the last one before it was burned
    value_at_split: int  # its value when it was split off (the face for the issued piece)
    value: int  # now (0 once burned)
    end: str
    claimed_cents: int  # paid out of escrow to its holders
    paid_to: str | None  # who received the final payment
    merged_into: int | None
    financed_to: str | None  # the financier who bought it
    financed_from: str | None  # the seller
    recourse_cents: int  # uncovered value the financier claimed back from the seller
    recourse_settled: bool

    def short(self, who: Callable[[str], str] = lambda a: a) -> str:
        """A few words for a picture's box: ``paid in full → Bank``, ``recourse ← Bank``."""
        if self.end == "paid":
            return "paid in full" + (f" → {who(self.paid_to)}" if self.paid_to else "")
        if self.end == "merged" and self.merged_into is not None:
            return f"merged into {short_id(self.merged_into)}"
        if self.end == "financed" and self.financed_to:
            return f"financed → {who(self.financed_to)}"
        text = END_TEXT[self.end]
        if self.end == "recourse" and self.financed_to:
            text = f"recourse ← {who(self.financed_to)}"
        if self.claimed_cents:
            text += f", {format_cents(self.claimed_cents)} paid"
        return text

    def describe(self, who: Callable[[str], str] = lambda a: a) -> str:
        """One line: ``paid in full to Bank (financed to Bank by Acme)``."""
        text = END_TEXT[self.end]
        if self.end == "paid" and self.paid_to:
            text += f" to {who(self.paid_to)}"
        elif self.end == "merged" and self.merged_into is not None:
            text = f"merged into {short_id(self.merged_into)}"
        elif self.end == "financed" and self.financed_to:
            text = f"financed to {who(self.financed_to)}"
        elif self.end == "recourse" and self.financed_to and self.financed_from:
            text = f"taken back by recourse: {who(self.financed_to)} from {who(self.financed_from)}"
        if self.end in ("paid", "merged", "burned") and self.financed_to:
            text += f" (financed to {who(self.financed_to)})"
        if self.end != "paid" and self.claimed_cents:
            text += f"; {format_cents(self.claimed_cents)} paid out to its holder"
        return text


def piece_fates(index: Index, payable_id: int) -> dict[int, PieceFate]:
    """Every piece of a payable (burned ones too) with its :class:`PieceFate`, by token id."""
    pieces = pieces_of_payable(index, payable_id)
    moves: dict[int, list[Move]] = {}
    for m in all_moves(index, payable_id):
        moves.setdefault(m.token_id, []).append(m)
    out: dict[int, PieceFate] = {}
    for p in pieces:
        holders: list[str] = []
        split_value: int | None = None
        claimed = 0
        paid_to: str | None = None
        settled = False
        merged_into: int | None = None
        financed_to: str | None = None
        financed_from: str | None = None
        recourse_cents = 0
        recourse_settled = False
        for m in moves.get(p.token_id, ()):
            k = m.kind
            if k in ("minted", "transferred") and m.to_addr and (not holders or holders[-1] != m.to_addr):
                holders.append(m.to_addr)
            elif k in ("issued", "split_in") and split_value is None:
                split_value = m.value
            elif k == "merged_into":
                merged_into = m.other_token_id
            elif k == "claimed":
                claimed += m.value or 0
                paid_to = m.to_addr
                settled = settled or m.note == "settled in full"
            elif k == "settled":
                settled = True
                paid_to = paid_to or m.from_addr
            elif k == "financed":
                financed_to, financed_from = m.to_addr, m.from_addr
            elif k == "recourse-exercised":
                recourse_cents = m.value or 0
                financed_to, financed_from = financed_to or m.from_addr, financed_from or m.to_addr
            elif k == "recourse-settled":
                recourse_settled = True
        if merged_into is not None:
            end = "merged"
        elif settled:
            end = "paid"
        elif recourse_cents:
            end = "recourse"
        elif p.burned:
            end = "burned"
        elif financed_to is not None and p.owner == financed_to:
            end = "financed"
        else:
            end = "live"
        out[p.token_id] = PieceFate(
            p.token_id, p.short_id, tuple(holders), holders[-1] if holders else p.owner,
            p.value if split_value is None else split_value, p.value, end, claimed, paid_to,
            merged_into, financed_to, financed_from, recourse_cents, recourse_settled,
        )  # fmt: skip
    return out


STATE_TEXT: Final = {
    "paid": "paid in full",
    "paid-after-overdue": "paid in full after overdue",
    "overdue": "overdue",
    "unpaid": "due, unpaid",
}


def settlement_state(
    index: Index, payable_id: int, *, at: int | None = None, grace_seconds: int = 0
) -> SettlementRecord:
    """One payable's :class:`SettlementRecord` (what was paid, what is still unpaid, overdue)."""
    for st in settlement_states(index, at=at, grace_seconds=grace_seconds, payable_id=payable_id):
        return st
    raise NotIndexedError(f"payable {payable_id} is not in the index")


def payable_state(index: Index, payable_id: int, *, at: int | None = None) -> str:
    """The payable's real state in words: ``paid in full``, ``overdue``, ``due, unpaid``, or
    the token's status (``issued``, ``accepted``) while it is not due."""
    st = settlement_state(index, payable_id, at=at)
    return STATE_TEXT.get(st.state) or payable(index, payable_id).status


class IndexView(Index):
    """An :class:`Index` with the query functions as methods (``view.positions(holder)`` is
    ``positions(view, holder)``): what :func:`tierchain.audit.follower.open_index` returns for a
    service's read side. The module functions keep working on it."""

    def resolve_piece(self, ref: str | int) -> int:
        return resolve_piece(self, ref)

    def piece(self, token_id: int | str) -> PieceRecord:
        return piece(self, token_id)

    def payable(self, payable_id: int) -> PayableRecord:
        return payable(self, payable_id)

    def payables(self) -> list[PayableRecord]:
        return payables(self)

    def package(self, root: str) -> PackageRecord | None:
        return package(self, root)

    def members(self) -> list[MemberRecord]:
        return members(self)

    def pieces_of_payable(self, payable_id: int, *, live_only: bool = False) -> list[PieceRecord]:
        return pieces_of_payable(self, payable_id, live_only=live_only)

    def ancestors(self, token_id: int | str) -> list[PieceRecord]:
        return ancestors(self, resolve_piece(self, token_id))

    def descendants(self, token_id: int | str) -> list[PieceRecord]:
        return descendants(self, resolve_piece(self, token_id))

    def history(self, token_id: int | str) -> list[Move]:
        return history(self, token_id)

    def freezes(self, *, subject_kind: str | None = None, subject: str | None = None) -> list[FreezeRecord]:
        return freezes(self, subject_kind=subject_kind, subject=subject)

    def provenance(self, token_id: int | str, *, with_history: bool = True) -> Provenance:
        return provenance(self, token_id, with_history=with_history)

    def positions(self, holder: str) -> Positions:
        return positions(self, holder)

    def all_positions(self) -> list[Position]:
        return all_positions(self)

    def all_moves(self, payable_id: int | None = None) -> list[Move]:
        return all_moves(self, payable_id)

    def raw_events(
        self, names: Sequence[str] | None = None, *, entity: str | None = None, contract: str | None = None
    ) -> list[RawEvent]:
        return raw_events(self, names, entity=entity, contract=contract)

    def financing_history(
        self,
        *,
        payable_id: int | None = None,
        piece: int | str | None = None,
        financier: str | None = None,
        seller: str | None = None,
    ) -> list[FinancingRecord]:
        return financing_history(self, payable_id=payable_id, piece=piece, financier=financier, seller=seller)

    def payments(self, payable_id: int | None = None) -> list[PaymentRecord]:
        return payments(self, payable_id)

    def claims(self, *, holder: str | None = None, payable_id: int | None = None) -> list[ClaimRecord]:
        return claims(self, holder=holder, payable_id=payable_id)

    def guarantees(self) -> list[GuaranteeRecord]:
        return guarantees(self)

    def recourses(self) -> list[RecourseRecord]:
        return recourses(self)

    def settlement_states(self, *, at: int | None = None, grace_seconds: int = 0) -> list[SettlementRecord]:
        return settlement_states(self, at=at, grace_seconds=grace_seconds)

    def overdue(self, *, at: int | None = None, grace_seconds: int = 0) -> list[OverduePayable]:
        return overdue(self, at=at, grace_seconds=grace_seconds)

    def totals(self, *, at: int | None = None, grace_seconds: int = 0) -> Totals:
        return totals(self, at=at, grace_seconds=grace_seconds)

    def piece_fates(self, payable_id: int) -> dict[int, PieceFate]:
        return piece_fates(self, payable_id)

    def settlement_state(self, payable_id: int, *, at: int | None = None) -> SettlementRecord:
        return settlement_state(self, payable_id, at=at)
