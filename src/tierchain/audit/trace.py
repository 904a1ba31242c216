"""Trace a piece down to one invoice (DOMAIN "Trace and audit", issue 3 item 5).

From any piece: the chain of pieces it was split from (the token's ``parentOf``) up to the
issued piece, the payable, the invoice package it was issued against (registry), and one
invoice of the holder's package file, whose Merkle proof the registry checks on chain
(``verifyInvoice``, a view call) besides the local checks.

:func:`trace_piece` returns a :class:`Trace` (dataclasses, no printing); :func:`render_trace`
draws it with rich; :func:`trace_to_json` gives a JSON-ready dict. Errors are
:class:`TraceError` subclasses, each with its own exit code (20-24).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal

from rich.console import Console
from rich.table import Table
from rich.tree import Tree

from tierchain.audit.query import STATE_TEXT, PieceFate, SettlementRecord, piece_fates, settlement_state
from tierchain.audit.schema import Index, NotIndexedError, default_index_path
from tierchain.audit.sync import Indexer
from tierchain.clients.bundle import Contracts
from tierchain.clients.contracts import ZERO_ADDRESS, PackageInfo, PackageRegistration, PayableInfo, PieceInfo
from tierchain.core import merkle
from tierchain.core.errors import PayableError, TierchainError
from tierchain.core.ids import make_token_id, short_id, split_token_id
from tierchain.invoices import packages as invoices

MAX_CHAIN: Final = 1 << 24  # a payable has at most 2^24 - 1 pieces: the walk always ends


class TraceError(TierchainError):
    """A trace cannot be completed."""

    exit_code = 20


class UnknownPieceError(TraceError):
    """The token id names no piece of any payable."""

    exit_code = 20


class PackageFileError(TraceError):
    """The package file cannot be read or does not check out (see its message)."""

    exit_code = 21


class PackageMismatchError(TraceError):
    """The package file is not the package the payable was issued against."""

    exit_code = 22


class InvoiceNotInPackageError(TraceError):
    """The requested invoice is not in the package file."""

    exit_code = 23


class ProofRejectedError(TraceError):
    """The registry does not accept the invoice's proof (or does not know the package)."""

    exit_code = 24


# ---------------------------------------------------------------------------- result types


@dataclass(frozen=True)
class PieceStep:
    """One piece on the way from the traced piece up to the payable's issued piece."""

    piece: PieceInfo
    label: str  # ``P3#2``

    @property
    def burned(self) -> bool:
        """True if the piece was merged away (it no longer has an owner)."""
        return self.piece.owner == ZERO_ADDRESS


@dataclass(frozen=True)
class InvoiceCheck:
    """One invoice of the package and the checks of its proof."""

    invoice: invoices.Invoice
    position: int  # in the package file, from 0
    salt: bytes
    proof: invoices.InvoiceProof
    proof_valid_locally: bool  # leaf recomputed from invoice and salt, Merkle path to the root
    verified_on_chain: bool  # registry.verifyInvoice (eth_call)


@dataclass(frozen=True)
class Trace:
    """Piece → parent pieces → payable → package → one invoice, checked on chain."""

    token_id: int
    pieces: tuple[PieceStep, ...]  # the traced piece first, the issued piece (index 1) last
    payable: PayableInfo
    package: PackageInfo
    registration: PackageRegistration | None  # from the PackageRegistered event
    package_file_count: int
    package_file_total_cents: int
    currency: str
    invoice: InvoiceCheck
    discrepancies: tuple[str, ...]  # chain and file agree on the root but differ elsewhere
    fates: tuple[PieceFate | None, ...] = ()  # from the index, one per piece (None: not indexed)
    settlement: SettlementRecord | None = None  # the payable's money, from the index

    @property
    def state(self) -> str:
        """The payable's real state: ``paid in full``, ``overdue``, ``due, unpaid``, else the
        token's status (``accepted``) while it is not due."""
        if self.settlement is not None:
            return STATE_TEXT.get(self.settlement.state) or self.payable.status
        return self.payable.status

    def fate(self, i: int) -> PieceFate | None:
        return self.fates[i] if i < len(self.fates) else None

    @property
    def verified(self) -> bool:
        """True when the invoice's proof holds locally and on chain."""
        return self.invoice.proof_valid_locally and self.invoice.verified_on_chain


# ---------------------------------------------------------------------------- tracing

_SHORT_ID = re.compile(r"^P([0-9]+)#([0-9]+)$")
_KEY = re.compile(r"^0x[0-9a-fA-F]{64}$")


def parse_token_id(text: str, contracts: Contracts) -> int:
    """A token id from ``123…`` (decimal), ``0x…`` (hex) or ``P<payable>#<index>``."""
    text = text.strip()
    m = _SHORT_ID.match(text)
    if m:
        payable_id, index = int(m[1]), int(m[2])
        info = _payable(contracts, payable_id, text)
        if not 1 <= index <= info.piece_count:
            raise UnknownPieceError(f"unknown piece {text}: payable {payable_id} has pieces 1..{info.piece_count}")
        return make_token_id(info.maturity_at, payable_id, index)
    try:
        value = int(text, 16) if text.lower().startswith("0x") else int(text, 10)
    except ValueError:
        raise UnknownPieceError(f"not a token id: {text!r} (give a decimal or 0x id, or P<payable>#<index>)") from None
    if value <= 0 or value >= 2**256:
        raise UnknownPieceError(f"not a token id: {text!r}")
    return value


def _payable(contracts: Contracts, payable_id: int, shown: str) -> PayableInfo:
    try:
        info = contracts.token.payable_of(payable_id)
    except PayableError:
        info = None
    if info is None or info.status == "none":
        raise UnknownPieceError(f"unknown piece {shown}: there is no payable {payable_id}")
    return info


def _piece_chain(contracts: Contracts, token_id: int) -> tuple[PieceStep, ...]:
    steps: list[PieceStep] = []
    current = token_id
    for _ in range(MAX_CHAIN):
        piece = contracts.token.piece_of(current)
        steps.append(PieceStep(piece, short_id(current)))
        if piece.parent_token_id == 0:
            return tuple(steps)
        current = piece.parent_token_id
    raise TraceError(f"piece {short_id(token_id)}: the parent chain does not end")


def _check_token_id(token_id: int, payable: PayableInfo) -> None:
    parts = split_token_id(token_id)
    if parts.maturity_at != payable.maturity_at or not 1 <= parts.index <= payable.piece_count:
        raise UnknownPieceError(
            f"unknown piece {token_id} ({short_id(token_id)}): payable {parts.payable_id} has "
            f"pieces 1..{payable.piece_count} maturing at {payable.maturity_at}"
        )


def load_package_file(path: str | os.PathLike[str]) -> invoices.Package:
    """The package file, fully re-checked (:func:`tierchain.invoices.load_package`)."""
    try:
        return invoices.load_package(path)
    except OSError as exc:
        raise PackageFileError(f"cannot read package file {path}: {exc.strerror or exc}") from None
    except (invoices.PackageError, invoices.InvoiceFileError, ValueError) as exc:
        raise PackageFileError(f"package file {path} is not valid: {exc}") from None


def select_invoice(package: invoices.Package, selector: str | None) -> int:
    """Position of the invoice named by ``selector`` (``CODE/NUMBER`` or a ``0x`` invoice key;
    None: the first invoice of the file)."""
    if selector is None:
        return 0
    text = selector.strip()
    if _KEY.match(text):
        key = bytes.fromhex(text[2:])
    elif text.count("/") == 1:
        code, number = (s.strip().upper() for s in text.split("/"))
        key = merkle.keccak(invoices.KEY_TAG + code.encode() + b"\x00" + number.encode())
    else:
        raise InvoiceNotInPackageError(
            f"invoice {selector!r}: give CODE/NUMBER (e.g. 3100231130/00000007) or a 0x invoice key"
        )
    try:
        return package.position(key)
    except invoices.PackageError:
        raise InvoiceNotInPackageError(
            f"invoice {selector} is not in the package 0x{package.root.hex()} ({package.count:,} invoices)"
        ) from None


def _synced_index(contracts: Contracts) -> Index | None:
    """The deployment's default index, synced now (None when it cannot be: another chain or
    contract set recorded there, an unwritable home)."""
    try:
        index = Index(default_index_path(int(contracts.deployment.chain_id)))
    except (TierchainError, OSError):
        return None
    try:
        Indexer.for_deployment(contracts.token.w3, contracts.deployment, index).sync()
    except (TierchainError, OSError):
        index.close()
        return None
    return index


def trace_piece(
    contracts: Contracts,
    token_id: int,
    package: invoices.Package,
    invoice: str | None = None,
    *,
    index: Index | Literal["auto"] | None = "auto",
) -> Trace:
    """Trace ``token_id`` to the invoice ``invoice`` (see :func:`select_invoice`) of
    ``package``, the holder's package file, with its proof checked by the registry.

    ``index`` adds each piece's story (who held it, its value when split, how it ended) and
    the payable's money (paid, unpaid, overdue): ``"auto"`` syncs and reads the deployment's
    default index, None skips it (the chain alone then shows an ended piece as burned)."""
    payable_id = split_token_id(token_id).payable_id
    payable = _payable(contracts, payable_id, f"{token_id} ({short_id(token_id)})")
    _check_token_id(token_id, payable)
    pieces = _piece_chain(contracts, token_id)

    if package.root != payable.invoice_root:
        raise PackageMismatchError(
            f"the package file has root 0x{package.root.hex()}, but payable {payable_id} was "
            f"issued against 0x{payable.invoice_root.hex()}: this is not its package"
        )
    on_chain = contracts.registry.package_of(payable.invoice_root)
    registration = contracts.registry.registration_of(payable.invoice_root)
    discrepancies = []
    if on_chain.invoice_count != package.count:
        discrepancies.append(f"the registry says {on_chain.invoice_count:,} invoices, the file has {package.count:,}")
    if on_chain.total_cents != package.total_cents:
        discrepancies.append(
            f"the registry says a total of {invoices.format_cents(on_chain.total_cents)}, the "
            f"file adds up to {invoices.format_cents(package.total_cents)}"
        )
    if on_chain.seller != payable.first_creditor:
        discrepancies.append("the package's seller is not the payable's first creditor")

    position = select_invoice(package, invoice)
    entry = package.entry(position)
    proof = invoices.prove(package, entry.invoice.invoice_code, entry.invoice.invoice_number)
    local = invoices.verify_invoice_proof(proof, root=payable.invoice_root, invoice=entry.invoice, salt=entry.salt)
    chain_ok = contracts.registry.verify_invoice(payable.invoice_root, proof.key, proof.details_hash, proof.proof)
    if not chain_ok:
        why = (
            "the registry does not know the package" if on_chain.status == "none" else "the registry rejects the proof"
        )
        raise ProofRejectedError(
            f"invoice {entry.invoice.invoice_code}/{entry.invoice.invoice_number}: {why} "
            f"(root 0x{payable.invoice_root.hex()})"
        )
    fates: tuple[PieceFate | None, ...] = ()
    state: SettlementRecord | None = None
    view = _synced_index(contracts) if index == "auto" else index
    if view is not None:
        try:
            by_id = piece_fates(view, payable_id)
            fates = tuple(by_id.get(step.piece.token_id) for step in pieces)
            state = settlement_state(view, payable_id)
        except NotIndexedError:
            pass
        finally:
            if index == "auto":
                view.close()
    return Trace(
        fates=fates,
        settlement=state,
        token_id=token_id,
        pieces=pieces,
        payable=payable,
        package=on_chain,
        registration=registration,
        package_file_count=package.count,
        package_file_total_cents=package.total_cents,
        currency=package.currency,
        invoice=InvoiceCheck(entry.invoice, position, entry.salt, proof, local, chain_ok),
        discrepancies=tuple(discrepancies),
    )


# ---------------------------------------------------------------------------- output


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def trace_to_json(trace: Trace) -> dict[str, Any]:
    """The trace as plain JSON values (bytes as 0x hex, amounts as integer cents)."""
    p, pkg, inv = trace.payable, trace.package, trace.invoice
    reg = trace.registration
    return {
        "token_id": str(trace.token_id),
        "verified": trace.verified,
        "pieces": [
            {
                "token_id": str(s.piece.token_id),
                "label": s.label,
                "parent_token_id": str(s.piece.parent_token_id),
                "owner": s.piece.owner,
                "value_cents": s.piece.value,
                "burned": s.burned,
                "locked": s.piece.locked,
                "frozen": s.piece.frozen,
                **_fate_json(trace.fate(i)),
            }
            for i, s in enumerate(trace.pieces)
        ],
        "payable": {
            "payable_id": p.payable_id,
            "debtor": p.debtor,
            "first_creditor": p.first_creditor,
            "face_value_cents": p.face_value,
            "currency": p.currency,
            "maturity_at": p.maturity_at,
            "status": p.status,
            "state": trace.state,
            "paid_cents": trace.settlement.paid if trace.settlement else None,
            "unpaid_cents": trace.settlement.unpaid if trace.settlement else None,
            "overdue": trace.settlement.overdue if trace.settlement else None,
            "piece_count": p.piece_count,
            "invoice_root": _hex(p.invoice_root),
            "document_hash": _hex(p.document_hash),
        },
        "package": {
            "root": _hex(pkg.root),
            "status": pkg.status,
            "debtor": pkg.debtor,
            "seller": pkg.seller,
            "invoice_count": pkg.invoice_count,
            "total_cents": pkg.total_cents,
            "issued_cents": pkg.issued_cents,
            "sequence": pkg.sequence,
            "document_hash": _hex(reg.document_hash) if reg else None,
            "registered_at": reg.registered_at if reg else None,
            "registered_in_block": reg.block_number if reg else None,
            "registration_tx": reg.tx_hash if reg else None,
            "file_invoice_count": trace.package_file_count,
            "file_total_cents": trace.package_file_total_cents,
            "currency": trace.currency,
        },
        "invoice": {
            "position": inv.position,
            "invoice": invoices.invoice_to_json(inv.invoice),
            "key": _hex(inv.proof.key),
            "details_hash": _hex(inv.proof.details_hash),
            "leaf": _hex(inv.proof.leaf),
            "proof": [_hex(s) for s in inv.proof.proof],
            "proof_valid_locally": inv.proof_valid_locally,
            "verified_on_chain": inv.verified_on_chain,
        },
        "discrepancies": list(trace.discrepancies),
    }


def _fate_json(fate: PieceFate | None) -> dict[str, Any]:
    if fate is None:
        return {}
    return {
        "holders": list(fate.holders),
        "last_holder": fate.holder,
        "value_at_split_cents": fate.value_at_split,
        "end": fate.end,
        "ended": fate.describe(),
        "claimed_cents": fate.claimed_cents,
        "financed_to": fate.financed_to,
        "merged_into": str(fate.merged_into) if fate.merged_into is not None else None,
    }


def _utc(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _cents(cents: int, currency: str = "") -> str:
    text = invoices.format_cents(cents)
    return f"{text} {currency}".rstrip()


def render_trace(trace: Trace, console: Console) -> None:
    """Draw the trace: the piece chain as a tree down to the invoice, then the proof."""
    p, pkg, inv = trace.payable, trace.package, trace.invoice
    cur = trace.currency
    ok = "[green]verified on chain[/]" if trace.verified else "[red]NOT verified[/]"
    root = Tree(f"[bold]trace of piece {short_id(trace.token_id)}[/] ({trace.token_id}): {ok}")
    node = root
    for i, step in enumerate(trace.pieces):
        piece = step.piece
        fate = trace.fate(i)
        flags = "".join(
            f" [yellow]{name}[/]" for name, on in (("locked", piece.locked), ("frozen", piece.frozen))
            if on
        )  # fmt: skip
        role = "piece" if i == 0 else "split from"
        if fate is None:
            state = " [dim](burned)[/]" if step.burned else ""
            line = f"{_cents(piece.value, cur)} held by {piece.owner}{state}"
        else:
            split = f"split at {_cents(fate.value_at_split, cur)}"
            if step.burned:
                line = f"{split}, last held by {fate.holder}: [bold]{fate.describe()}[/]"
            else:
                line = f"{_cents(piece.value, cur)} ({split}) held by {piece.owner}"
                if fate.end != "live" or fate.claimed_cents:
                    line += f": [bold]{fate.describe()}[/]"
            if len(fate.holders) > 1:
                line += f" [dim](held by {' → '.join(fate.holders)})[/]"
        node = node.add(f"{role} [cyan]{step.label}[/] {line}{flags}")
    st = trace.settlement
    money = ""
    if st is not None:
        money = f"; paid {_cents(st.paid, cur)}, unpaid {_cents(st.unpaid, cur)}"
        if st.overdue:
            money += f", [red]overdue since {_utc(st.overdue_at)}[/]"
    pay = node.add(
        f"payable [cyan]{p.payable_id}[/] ({trace.state}): {_cents(p.face_value, cur)} owed by "
        f"{p.debtor} to {p.first_creditor}, maturity {_utc(p.maturity_at)}{money}"
    )
    reg = trace.registration
    registered = (
        f", registered in block {reg.block_number} at {_utc(reg.registered_at)}, document "
        f"{_hex(reg.document_hash)[:18]}…"
        if reg
        else ""
    )
    pack = pay.add(
        f"package [cyan]{_hex(pkg.root)[:18]}…[/] ({pkg.status}, #{pkg.sequence}): "
        f"{pkg.invoice_count:,} invoices, total {_cents(pkg.total_cents, cur)}, issued "
        f"{_cents(pkg.issued_cents, cur)}{registered}"
    )
    v = inv.invoice
    pack.add(
        f"invoice [cyan]{v.invoice_code}/{v.invoice_number}[/] of {v.issue_date.isoformat()}: "
        f"{_cents(v.amount_cents, v.currency)}, order {v.order_ref} "
        f"(no. {inv.position + 1} of the file)"
    )
    console.print(root)
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("invoice key", _hex(inv.proof.key))
    table.add_row("details hash", _hex(inv.proof.details_hash))
    table.add_row("leaf", _hex(inv.proof.leaf))
    table.add_row("proof", f"{len(inv.proof.proof)} siblings")
    table.add_row("local check", "ok" if inv.proof_valid_locally else "FAILED")
    table.add_row("registry.verifyInvoice", "true" if inv.verified_on_chain else "false")
    console.print(table)
    for d in trace.discrepancies:
        console.print(f"[yellow]warning[/]: {d}")
