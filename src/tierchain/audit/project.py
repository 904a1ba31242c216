"""Projection: decoded events, in chain order, into the derived tables (pieces, payables,
members, packages, moves, freezes and the money tables); an entity can be rebuilt from its
events at any time."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from tierchain.audit.db import Conn
from tierchain.audit.decode import _TOKEN_ID_KEYS, DecodedLog
from tierchain.audit.schema import (
    MONEY_TABLES,
    UPGRADE_FROM_1,
    ZERO_ADDRESS,
    Index,
)
from tierchain.core.ids import split_token_id

# ---------------------------------------------------------------------------- projection


@dataclass
class _Piece:
    token_id: int
    payable_id: int
    idx: int
    parent: int | None
    depth: int
    owner: str
    value: int
    frozen: bool
    locked: bool
    burned: bool
    minted_block: int
    minted_tx: str
    updated_block: int

    def row(self) -> tuple[Any, ...]:
        return (
            str(self.token_id), self.payable_id, self.idx,
            None if self.parent is None else str(self.parent), self.depth, self.owner,
            self.value, int(self.frozen), int(self.locked), int(self.burned),
            self.minted_block, self.minted_tx, self.updated_block,
        )  # fmt: skip


_PIECE_COLUMNS: Final = (
    "token_id, payable_id, idx, parent_token_id, depth, owner, value, frozen, locked, burned, "
    "minted_block, minted_tx, updated_block"
)


def _piece_from_row(r: Sequence[Any]) -> _Piece:
    return _Piece(
        int(r[0]), int(r[1]), int(r[2]), None if r[3] is None else int(r[3]), int(r[4]),
        str(r[5]), int(r[6]), bool(r[7]), bool(r[8]), bool(r[9]), int(r[10]), str(r[11]),
        int(r[12]),
    )  # fmt: skip


Handler = Callable[["Projector", DecodedLog], None]


class Projector:
    """Applies decoded events, in chain order, to the derived tables.

    Touched rows are cached in memory for the batch and written back with ``executemany`` by
    :meth:`flush`; history rows (``moves``, ``freezes``) are appended. Extend it by adding a
    handler to :data:`HANDLERS` (keyed by (contract, event)); events without a handler are kept
    raw, and those of a payable with a token id also appear in that piece's history.
    """

    def __init__(self, conn: Conn) -> None:
        self.conn = conn
        self._reset()

    def _reset(self) -> None:
        self.pieces: dict[int, _Piece | None] = {}
        self.payables: dict[int, dict[str, Any] | None] = {}
        self.members: dict[str, dict[str, Any] | None] = {}
        self.packages: dict[str, dict[str, Any] | None] = {}
        self.dirty_pieces: set[int] = set()
        self.dirty_payables: set[int] = set()
        self.dirty_members: set[str] = set()
        self.dirty_packages: set[str] = set()
        self.moves: list[tuple[Any, ...]] = []
        self.burned_from: dict[int, str] = {}  # owner of a piece just burned (merge, split all)
        self.freezes: list[tuple[Any, ...]] = []
        self._seq: dict[tuple[int, int], int] = {}

    # -- cached rows --------------------------------------------------------------------------

    def piece(self, token_id: int) -> _Piece | None:
        if token_id in self.pieces:
            return self.pieces[token_id]
        row = self.conn.execute(f"SELECT {_PIECE_COLUMNS} FROM pieces WHERE token_id = ?", (str(token_id),)).fetchone()
        found = None if row is None else _piece_from_row(row)
        self.pieces[token_id] = found
        return found

    def put_piece(self, piece: _Piece) -> None:
        self.pieces[piece.token_id] = piece
        self.dirty_pieces.add(piece.token_id)

    def _row(
        self, cache: dict[Any, dict[str, Any] | None], table: str, key_col: str, key: Any
    ) -> dict[str, Any] | None:
        if key in cache:
            return cache[key]
        cur = self.conn.execute(f"SELECT * FROM {table} WHERE {key_col} = ?", (key,))
        row = cur.fetchone()
        found = None if row is None else dict(zip((c[0] for c in cur.description), row, strict=True))
        cache[key] = found
        return found

    def payable(self, payable_id: int) -> dict[str, Any] | None:
        return self._row(self.payables, "payables", "payable_id", payable_id)

    def member(self, account: str) -> dict[str, Any] | None:
        return self._row(self.members, "members", "account", account)

    def package(self, root: str) -> dict[str, Any] | None:
        return self._row(self.packages, "packages", "root", root)

    def move(
        self,
        ev: DecodedLog,
        token_id: int,
        kind: str,
        *,
        other: int | None = None,
        from_addr: str | None = None,
        to_addr: str | None = None,
        value: int | None = None,
        note: str | None = None,
    ) -> None:
        key = (ev.block_number, ev.log_index)
        seq = self._seq.get(key, 0)
        self._seq[key] = seq + 1
        self.moves.append(
            (
                ev.block_number, ev.log_index, seq, ev.tx_hash, split_token_id(token_id).payable_id,
                str(token_id), kind, None if other is None else str(other), from_addr, to_addr,
                value, note,
            )
        )  # fmt: skip

    # -- apply and flush -----------------------------------------------------------------------

    def apply(self, ev: DecodedLog) -> None:
        if ev.event is None:
            return
        handler = HANDLERS.get((ev.contract, ev.event))
        if handler is not None:
            handler(self, ev)
        elif ev.entity is not None and ev.entity.startswith("payable:"):
            _generic_piece_event(self, ev)

    def flush(self) -> None:
        c = self.conn
        if self.dirty_pieces:
            rows = []
            for t in self.dirty_pieces:
                p = self.pieces[t]
                if p is not None:
                    rows.append(p.row())
            c.executemany(
                f"INSERT OR REPLACE INTO pieces ({_PIECE_COLUMNS}) VALUES ({','.join('?' * 13)})",
                rows,
            )
        tables: tuple[tuple[str, list[dict[str, Any] | None]], ...] = (
            ("payables", [self.payables[k] for k in self.dirty_payables]),
            ("members", [self.members[k] for k in self.dirty_members]),
            ("packages", [self.packages[k] for k in self.dirty_packages]),
        )
        for table, rows_d in tables:
            present = [r for r in rows_d if r is not None]
            if present:
                cols = list(present[0])
                c.executemany(
                    f"INSERT OR REPLACE INTO {table} ({', '.join(cols)}) VALUES ({','.join('?' * len(cols))})",
                    [tuple(r[k] for k in cols) for r in present],
                )
        if self.moves:
            c.executemany(f"INSERT INTO moves VALUES ({','.join('?' * 12)})", self.moves)
        if self.freezes:
            c.executemany(f"INSERT INTO freezes VALUES ({','.join('?' * 9)})", self.freezes)
        self._reset()


def _token_args(args: Mapping[str, Any], *names: str) -> list[int]:
    return [int(args[n]) for n in names]


def _on_transfer(p: Projector, ev: DecodedLog) -> None:
    from_, to = str(ev.args["from"]), str(ev.args["to"])
    token_id = int(ev.args["tokenId"])
    if from_ == ZERO_ADDRESS:  # mint: a new piece (value arrives with TransferValue)
        idx = split_token_id(token_id).index
        piece = _Piece(
            token_id, split_token_id(token_id).payable_id, idx, None, 0, to, 0, False, False, False,
            ev.block_number, ev.tx_hash, ev.block_number,
        )  # fmt: skip
        p.put_piece(piece)
        pay = p.payable(piece.payable_id)
        if pay is not None and idx > int(pay["piece_count"]):
            pay["piece_count"] = idx
            p.dirty_payables.add(piece.payable_id)
        p.move(ev, token_id, "minted", to_addr=to)
        return
    found = p.piece(token_id)
    if found is None:
        return
    found.updated_block = ev.block_number
    if to == ZERO_ADDRESS:
        found.burned = True
        p.burned_from[token_id] = found.owner
        found.owner = ZERO_ADDRESS
        found.locked = False
        p.move(ev, token_id, "burned", from_addr=from_)
    else:
        found.owner = to
        p.move(ev, token_id, "transferred", from_addr=from_, to_addr=to, value=found.value)
    p.put_piece(found)


def _on_transfer_value(p: Projector, ev: DecodedLog) -> None:
    src, dst, value = _token_args(ev.args, "_fromTokenId", "_toTokenId", "_value")
    source = p.piece(src) if src else None
    target = p.piece(dst) if dst else None
    if source is not None:
        source.value -= value
        source.updated_block = ev.block_number
        p.put_piece(source)
    src_owner = "" if source is None else source.owner
    if source is not None and source.burned:
        src_owner = p.burned_from.get(src, source.owner)
    if target is not None:
        split = source is not None and target.parent is None and target.idx != 1
        if split and source is not None:
            target.parent = src
            target.depth = source.depth + 1
        target.value += value
        target.updated_block = ev.block_number
        p.put_piece(target)
        if source is None:
            p.move(ev, dst, "issued", to_addr=target.owner, value=value)
        elif split:
            p.move(ev, src, "split_out", other=dst, from_addr=src_owner,
                   to_addr=target.owner, value=value)  # fmt: skip
            p.move(ev, dst, "split_in", other=src, from_addr=src_owner,
                   to_addr=target.owner, value=value)  # fmt: skip
        else:
            p.move(ev, src, "value_out", other=dst, from_addr=src_owner,
                   to_addr=target.owner, value=value)  # fmt: skip
            p.move(ev, dst, "value_in", other=src, from_addr=src_owner,
                   to_addr=target.owner, value=value)  # fmt: skip
    elif source is not None:
        p.move(ev, src, "paid_out", from_addr=src_owner, value=value)


def _on_merged(p: Projector, ev: DecodedLog) -> None:
    src, dst, value = _token_args(ev.args, "fromTokenId", "toTokenId", "value")
    # The value rows of this merge were just written: name them after what happened.
    for i in range(len(p.moves) - 1, max(-1, len(p.moves) - 8), -1):
        row = p.moves[i]
        if row[3] != ev.tx_hash:
            break
        if row[6] == "value_out" and row[5] == str(src) and row[7] == str(dst):
            p.moves[i] = (*row[:6], "merged_into", *row[7:])
        elif row[6] == "value_in" and row[5] == str(dst) and row[7] == str(src):
            p.moves[i] = (*row[:6], "merged_from", *row[7:])
    del value


def _on_issued(p: Projector, ev: DecodedLog) -> None:
    a = ev.args
    payable_id = int(a["payableId"])
    p.payables[payable_id] = {
        "payable_id": payable_id,
        "token_id": str(int(a["tokenId"])),
        "debtor": a["debtor"],
        "creditor": a["creditor"],
        "face_value": int(a["faceValue"]),
        "currency": a["currency"],
        "maturity_at": int(a["maturityAt"]),
        "invoice_root": a["invoiceRoot"],
        "document_hash": a["documentHash"],
        "status": "issued",
        "piece_count": 0,
        "issued_block": ev.block_number,
        "issued_tx": ev.tx_hash,
    }
    p.dirty_payables.add(payable_id)


def _on_accepted(p: Projector, ev: DecodedLog) -> None:
    payable_id = int(ev.args["payableId"])
    pay = p.payable(payable_id)
    if pay is not None:
        pay["status"] = "accepted"
        p.dirty_payables.add(payable_id)
        p.move(ev, int(pay["token_id"]), "accepted", from_addr=str(ev.args["creditor"]))


def _piece_flag(flag: str, value: bool, kind: str) -> Handler:
    def handle(p: Projector, ev: DecodedLog) -> None:
        token_id = int(ev.args["tokenId"])
        piece = p.piece(token_id)
        if piece is not None:
            setattr(piece, flag, value)
            piece.updated_block = ev.block_number
            p.put_piece(piece)
        reason = ev.args.get("reasonHash")
        actor = str(ev.args.get("by") or ev.args.get("agent") or "")
        p.move(ev, token_id, kind, from_addr=actor or None, note=reason)
        if flag == "frozen":
            p.freezes.append(
                (
                    ev.block_number, ev.log_index, ev.tx_hash, "piece", str(token_id),
                    split_token_id(token_id).payable_id, "freeze" if value else "unfreeze",
                    str(reason), actor,
                )
            )  # fmt: skip

    return handle


def _on_settled(p: Projector, ev: DecodedLog) -> None:
    token_id = int(ev.args["tokenId"])
    p.move(ev, token_id, "settled", from_addr=str(ev.args["owner"]), value=int(ev.args["value"]))


def _generic_piece_event(p: Projector, ev: DecodedLog) -> None:
    """An event of a payable that no handler knows (desk, settlement, approvals): if it names a
    piece, it joins that piece's history with its arguments as the note."""
    if ev.event in ("SlotChanged", "Approval", "ApprovalValue"):
        return
    for key in _TOKEN_ID_KEYS:
        token = ev.args.get(key)
        if isinstance(token, int) and token:
            p.move(ev, token, ev.event or "event", note=json.dumps(ev.args, sort_keys=True))
            return


def _member_handler(kind: str) -> Handler:
    def handle(p: Projector, ev: DecodedLog) -> None:
        a = ev.args
        account = str(a["account"])
        if kind == "admitted":
            p.members[account] = {
                "account": account,
                "roles": int(a["roles"]),
                "identity_hash": str(a["identityHash"]),
                "status": "active",
                "frozen": 0,
                "admitted_block": ev.block_number,
                "admitted_by": str(a["by"]),
                "updated_block": ev.block_number,
            }
            p.dirty_members.add(account)
            return
        m = p.member(account)
        if m is None:
            return
        if kind == "roles":
            m["roles"] = int(a["roles"])
        elif kind == "suspended":
            m["status"] = "suspended"
        elif kind == "reinstated":
            m["status"] = "active"
        elif kind in ("frozen", "unfrozen"):
            m["frozen"] = int(kind == "frozen")
            p.freezes.append(
                (
                    ev.block_number, ev.log_index, ev.tx_hash, "member", account, None,
                    "freeze" if kind == "frozen" else "unfreeze", str(a["reasonHash"]),
                    str(a["by"]),
                )
            )  # fmt: skip
        m["updated_block"] = ev.block_number
        p.dirty_members.add(account)

    return handle


def _package_handler(kind: str) -> Handler:
    def handle(p: Projector, ev: DecodedLog) -> None:
        a = ev.args
        root = str(a["root"])
        if kind == "registered":
            p.packages[root] = {
                "root": root,
                "debtor": a["debtor"],
                "seller": a["seller"],
                "invoice_count": int(a["invoiceCount"]),
                "total_cents": int(a["totalCents"]),
                "issued_cents": 0,
                "document_hash": a["documentHash"],
                "voided": 0,
                "duplicate_key": None,
                "earlier_root": None,
                "registered_block": ev.block_number,
            }
            p.dirty_packages.add(root)
            return
        pkg = p.package(root)
        if pkg is None:
            return
        if kind == "consumed":
            pkg["issued_cents"] = int(a["issuedCents"])
        else:
            pkg["voided"] = 1
            pkg["duplicate_key"] = a["invoiceKey"]
            pkg["earlier_root"] = a["earlierRoot"]
        p.dirty_packages.add(root)

    return handle


# -- desk and settlement (issue 6): real event names of IFinancingDesk / ISettlement ----------


def _payable_move(p: Projector, ev: DecodedLog, pid: int, kind: str, **kw: Any) -> None:
    """A payable-level money event joins the history of the payable's issued piece (index 1)."""
    pay = p.payable(pid)
    if pay is not None:
        p.move(ev, int(pay["token_id"]), kind, **kw)


def _on_financed(p: Projector, ev: DecodedLog) -> None:
    a = ev.args
    token, from_token = int(a["tokenId"]), int(a["fromTokenId"])
    p.conn.execute(
        "INSERT OR REPLACE INTO financings VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (
            ev.block_number, ev.log_index, ev.tx_hash, split_token_id(token).payable_id,
            str(a["offerHash"]), str(token), str(from_token), str(a["financier"]),
            str(a["seller"]), int(a["value"]), int(a["price"]), str(a["currencyAmount"]),
            int(bool(a["recourse"])),
        ),
    )  # fmt: skip
    p.move(
        ev, token, "financed", other=None if from_token == token else from_token,
        from_addr=str(a["seller"]), to_addr=str(a["financier"]), value=int(a["value"]),
        note=f"price {a['price']} cents" + (", with recourse" if a["recourse"] else ""),
    )  # fmt: skip


def _on_opened(p: Projector, ev: DecodedLog) -> None:
    a = ev.args
    p.conn.execute(
        "INSERT OR REPLACE INTO accounts VALUES (?,?,?,?,?,?)",
        (int(a["payableId"]), str(a["debtor"]), str(a["currency"]), int(a["faceValue"]),
         int(a["overdueAt"]), ev.block_number),
    )  # fmt: skip


def _payment_handler(kind: str) -> Handler:
    def handle(p: Projector, ev: DecodedLog) -> None:
        a = ev.args
        pid = int(a["payableId"])
        payer = str(a["payer"] if "payer" in a else a["guarantor"])
        left = int(a["unpaidCents"] if "unpaidCents" in a else a["stillOwedCents"])
        cents = int(a["cents"])
        p.conn.execute(
            "INSERT OR REPLACE INTO payments VALUES (?,?,?,?,?,?,?,?)",
            (ev.block_number, ev.log_index, ev.tx_hash, pid, kind, payer, cents, left),
        )
        if kind != "debtor":
            column = "paid_cents" if kind == "guarantor" else "repaid_cents"
            p.conn.execute(f"UPDATE guarantees SET {column} = {column} + ? WHERE payable_id = ?", (cents, pid))
        move = {"debtor": "paid", "guarantor": "guarantor-paid", "repaid": "guarantor-repaid"}[kind]
        _payable_move(p, ev, pid, move, from_addr=payer, value=cents, note=f"left {left} cents")

    return handle


def _on_claimed(p: Projector, ev: DecodedLog) -> None:
    a = ev.args
    token = int(a["tokenId"])
    p.conn.execute(
        "INSERT OR REPLACE INTO claims VALUES (?,?,?,?,?,?,?,?)",
        (ev.block_number, ev.log_index, ev.tx_hash, split_token_id(token).payable_id, str(token),
         str(a["holder"]), int(a["cents"]), int(bool(a["settled"]))),
    )  # fmt: skip
    p.move(ev, token, "claimed", to_addr=str(a["holder"]), value=int(a["cents"]),
           note="settled in full" if a["settled"] else None)  # fmt: skip


def _on_marked_overdue(p: Projector, ev: DecodedLog) -> None:
    a = ev.args
    pid = int(a["payableId"])
    p.conn.execute(
        "INSERT OR REPLACE INTO overdue_marks VALUES (?,?,?,?,?,?)",
        (ev.block_number, ev.log_index, ev.tx_hash, pid, str(a["by"]), int(a["unpaidCents"])),
    )
    _payable_move(p, ev, pid, "marked-overdue", from_addr=str(a["by"]), value=int(a["unpaidCents"]))


def _on_guarantee(p: Projector, ev: DecodedLog) -> None:
    a = ev.args
    pid = int(a["payableId"])
    row = p.conn.execute(
        "SELECT paid_cents, repaid_cents, registered_block FROM guarantees WHERE payable_id = ?",
        (pid,),
    ).fetchone()
    paid, repaid, first = (0, 0, ev.block_number) if row is None else row
    p.conn.execute(
        "INSERT OR REPLACE INTO guarantees VALUES (?,?,?,?,?,?)",
        (pid, str(a["guarantor"]), int(a["limitCents"]), paid, repaid, first),
    )
    _payable_move(p, ev, pid, "guarantee", from_addr=str(a["guarantor"]), value=int(a["limitCents"]))


def _on_recourse_exercised(p: Projector, ev: DecodedLog) -> None:
    a = ev.args
    token = int(a["tokenId"])
    p.conn.execute(
        "INSERT OR REPLACE INTO recourses VALUES (?,?,?,?,?,?,?,?,?,?)",
        (str(token), split_token_id(token).payable_id, str(a["financier"]), str(a["seller"]), "exercised",
         int(a["uncoveredCents"]), 0, 0, ev.block_number, None),
    )  # fmt: skip
    p.move(ev, token, "recourse-exercised", from_addr=str(a["financier"]),
           to_addr=str(a["seller"]), value=int(a["uncoveredCents"]))  # fmt: skip


def _on_recourse_settled(p: Projector, ev: DecodedLog) -> None:
    a = ev.args
    token = int(a["tokenId"])
    p.conn.execute(
        "UPDATE recourses SET status = 'settled', paid_cents = ?, escrow_cents = ?, "
        "settled_block = ? WHERE token_id = ?",
        (int(a["paidCents"]), int(a["escrowCents"]), ev.block_number, str(token)),
    )
    p.move(ev, token, "recourse-settled", from_addr=str(a["seller"]),
           to_addr=str(a["financier"]), value=int(a["paidCents"]),
           note=f"escrow paid {a['escrowCents']} cents")  # fmt: skip


HANDLERS: dict[tuple[str, str], Handler] = {
    ("token", "Transfer"): _on_transfer,
    ("token", "TransferValue"): _on_transfer_value,
    ("token", "PiecesMerged"): _on_merged,
    ("token", "PayableIssued"): _on_issued,
    ("token", "PayableAccepted"): _on_accepted,
    ("token", "PieceFrozen"): _piece_flag("frozen", True, "frozen"),
    ("token", "PieceUnfrozen"): _piece_flag("frozen", False, "unfrozen"),
    ("token", "PieceLocked"): _piece_flag("locked", True, "locked"),
    ("token", "PieceUnlocked"): _piece_flag("locked", False, "unlocked"),
    ("token", "PieceSettled"): _on_settled,
    ("membership", "MemberAdmitted"): _member_handler("admitted"),
    ("membership", "MemberRolesChanged"): _member_handler("roles"),
    ("membership", "MemberSuspended"): _member_handler("suspended"),
    ("membership", "MemberReinstated"): _member_handler("reinstated"),
    ("membership", "MemberFrozen"): _member_handler("frozen"),
    ("membership", "MemberUnfrozen"): _member_handler("unfrozen"),
    ("registry", "PackageRegistered"): _package_handler("registered"),
    ("registry", "PackageConsumed"): _package_handler("consumed"),
    ("registry", "PackageVoided"): _package_handler("voided"),
    ("desk", "Financed"): _on_financed,
    ("settlement", "PayableOpened"): _on_opened,
    ("settlement", "Paid"): _payment_handler("debtor"),
    ("settlement", "GuarantorPaid"): _payment_handler("guarantor"),
    ("settlement", "GuarantorRepaid"): _payment_handler("repaid"),
    ("settlement", "Claimed"): _on_claimed,
    ("settlement", "MarkedOverdue"): _on_marked_overdue,
    ("settlement", "GuaranteeRegistered"): _on_guarantee,
    ("settlement", "RecourseExercised"): _on_recourse_exercised,
    ("settlement", "RecourseSettled"): _on_recourse_settled,
}
"""(contract, event) → handler. Events without one (offers posted or cancelled, pauses) are
kept raw, and those naming a piece join its history."""


def _delete_entity(conn: Conn, entity: str) -> None:
    kind, _, key = entity.partition(":")
    if kind == "payable":
        pid = int(key)
        for table in ("pieces", "payables", "moves", *MONEY_TABLES):
            conn.execute(f"DELETE FROM {table} WHERE payable_id = ?", (pid,))
        conn.execute("DELETE FROM freezes WHERE subject_kind = 'piece' AND payable_id = ?", (pid,))
    elif kind == "member":
        conn.execute("DELETE FROM members WHERE account = ?", (key,))
        conn.execute("DELETE FROM freezes WHERE subject_kind = 'member' AND subject = ?", (key,))
    elif kind == "package":
        conn.execute("DELETE FROM packages WHERE root = ?", (key,))


_EVENT_COLUMNS: Final = "block_number, log_index, block_hash, tx_hash, tx_index, address, contract, event, args, entity"


def _event_from_row(r: Sequence[Any]) -> DecodedLog:
    return DecodedLog(
        int(r[0]), int(r[1]), str(r[2]), str(r[3]), int(r[4]), str(r[5]), str(r[6]),
        None if r[7] is None else str(r[7]), json.loads(r[8]), None if r[9] is None else str(r[9]),
    )  # fmt: skip


def rebuild_entities(conn: Conn, entities: Iterable[str]) -> int:
    """Delete the derived rows of ``entities`` and project their stored events again (inside
    the caller's transaction). Returns the number of events replayed."""
    replayed = 0
    for entity in sorted(set(entities)):
        _delete_entity(conn, entity)
        projector = Projector(conn)
        rows = conn.execute(
            f"SELECT {_EVENT_COLUMNS} FROM events WHERE entity = ? ORDER BY block_number, log_index",
            (entity,),
        ).fetchall()
        for row in rows:
            projector.apply(_event_from_row(row))
        projector.flush()
        replayed += len(rows)
    return replayed


def rebuild_all(index: Index) -> int:
    """Rebuild every derived table from ``events`` (e.g. after a handler was added)."""
    with index.transaction() as conn:
        entities = [str(r[0]) for r in conn.execute("SELECT DISTINCT entity FROM events WHERE entity IS NOT NULL")]
        for table in ("pieces", "payables", "members", "packages", "moves", "freezes", *MONEY_TABLES):
            conn.execute(f"DELETE FROM {table}")
        return rebuild_entities(conn, entities)


UPGRADE_FROM_1.append(rebuild_all)
