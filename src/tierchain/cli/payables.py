"""``tierchain payables issue|accept|split|transfer|move|merge|show|list``.

Values are in currency units with at most 2 decimals (payable values are cents: ``1234.50``).
Pieces are named ``P<payable>#<index>`` (``P3#2``) or by token id. Every command reads what it
acts on first (payable, piece, package, members, chain time) and refuses a bad input before
anything is signed; the rest is caught by simulating the transaction, still before signing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from eth_typing import ChecksumAddress
from rich.console import Console
from rich.table import Table
from web3 import Web3

from tierchain.cli.common import (
    CliState,
    command_options,
    format_instant,
    parse_address,
    parse_bytes32,
    parse_instant,
    parse_payable_id,
    parse_value,
    pass_state,
    piece_json,
    resolve_piece,
)
from tierchain.cli.types import ADDRESS, CENTS, PAYABLE, PIECE
from tierchain.clients import rules
from tierchain.clients.bundle import Contracts
from tierchain.clients.contracts import PayableInfo, PieceInfo, StableClient
from tierchain.core.errors import ContractRevert, UsageError
from tierchain.core.ids import short_id
from tierchain.core.money import format_cents
from tierchain.invoices import packages as inv

CONFIRMATION_TAG = "tierchain:payable-confirmation:v1"


def chain_time(state: CliState) -> int:
    return int(state.web3().eth.get_block("latest")["timestamp"])


def confirmation_hash(
    debtor: str, creditor: str, face_cents: int, currency: str, maturity_at: int, root: bytes
) -> bytes:
    """The default document hash of an issue: keccak256 of the confirmed terms, so the
    confirmation binds debtor, creditor, face value, currency, maturity and invoice root."""
    terms = "|".join(
        (CONFIRMATION_TAG, debtor, creditor, str(face_cents), currency, str(maturity_at),
         "0x" + root.hex())
    )  # fmt: skip
    return bytes(Web3.keccak(text=terms))


def payable_json(p: PayableInfo) -> dict[str, Any]:
    return {
        "payable_id": p.payable_id,
        "status": p.status,
        "debtor": p.debtor,
        "first_creditor": p.first_creditor,
        "face_value": format_cents(p.face_value, grouping=False),
        "face_value_cents": p.face_value,
        "currency": p.currency,
        "currency_decimals": p.currency_decimals,
        "maturity_at": format_instant(p.maturity_at),
        "maturity_unix": p.maturity_at,
        "invoice_root": p.invoice_root,
        "document_hash": p.document_hash,
        "piece_count": p.piece_count,
    }


def _check_tradable(state: CliState, c: Contracts, payable_id: int, maturity_at: int) -> None:
    if c.token.trading_paused():
        raise UsageError("trading is paused by the platform admin: nothing can move now")
    now = chain_time(state)
    if now >= maturity_at:
        raise UsageError(
            f"payable {payable_id} matured at {format_instant(maturity_at)}: pieces no longer "
            "trade (settlement pays the holders)"
        )


def _check_movable(state: CliState, c: Contracts, piece: PieceInfo, signer: ChecksumAddress) -> None:
    """The signer owns the piece and it may move now."""
    name = short_id(piece.token_id)
    if piece.owner != signer:
        raise UsageError(f"piece {name} belongs to {piece.owner}, not to the signer {signer}")
    if piece.frozen:
        raise UsageError(f"piece {name} is frozen by a regulator")
    if piece.locked:
        raise UsageError(f"piece {name} is locked (under a financing offer)")
    payable = c.token.payable_of(piece.payable_id)
    if payable.status != "accepted":
        raise UsageError(f"payable {piece.payable_id} is not accepted yet: its pieces cannot move")
    _check_tradable(state, c, piece.payable_id, payable.maturity_at)


def _check_amount(c: Contracts, piece: PieceInfo, amount: str) -> int:
    value = parse_value(amount, "--amount")
    minimum = c.token.min_piece_value()
    name = short_id(piece.token_id)
    if value > piece.value:
        raise UsageError(
            f"--amount {format_cents(value)} is more than piece {name} holds ({format_cents(piece.value)})"
        )
    if value < minimum:
        raise UsageError(f"--amount {format_cents(value)} is below the minimum piece value "
                         f"{format_cents(minimum)}")  # fmt: skip
    rest = piece.value - value
    if 0 < rest < minimum:
        raise UsageError(
            f"piece {name} would keep {format_cents(rest)}, below the minimum piece value "
            f"{format_cents(minimum)}: move all of it or leave at least the minimum"
        )
    return value


def _done(state: CliState, doc: dict[str, Any], text: str) -> None:
    state.emit(doc, text)


@click.group()
def payables() -> None:
    """Issue, accept, split, transfer, move, merge and inspect payables and their pieces."""


# ---------------------------------------------------------------------------- issue, accept


@payables.command("issue")
@click.option("--to", "creditor", required=True, metavar="ADDRESS", help="the first creditor: the package's seller")
@click.option("--amount", required=True, help="face value in currency units, e.g. 100000.00")
@click.option(
    "--maturity", required=True, metavar="DATETIME", help="due date-time with a zone, e.g. 2027-03-01T00:00:00Z"
)
@click.option(
    "--package",
    "package_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="the registered invoice package file behind it",
)
@click.option("--root", "root_hex", default=None, metavar="0x..32 BYTES", help="or the package's root")
@click.option(
    "--currency", default=None, metavar="ADDRESS", help="settlement ERC-20 [default: the deployment's currency]"
)
@click.option(
    "--document",
    "document_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="confirmation document to hash [default: hash of the terms]",
)
@click.option("--document-hash", "document_hex", default=None, metavar="0x..32 BYTES")
@command_options
@pass_state
def issue(
    state: CliState, creditor: str, amount: str, maturity: str, package_file: Path | None,
    root_hex: str | None, currency: str | None, document_file: Path | None,
    document_hex: str | None,
) -> None:  # fmt: skip
    """Issue a payable to the package's seller (the core enterprise signs: 开立/确权)."""
    to = parse_address(creditor, "--to")
    face = parse_value(amount, "--amount")
    maturity_at = parse_instant(maturity, "--maturity")
    if (package_file is None) == (root_hex is None):
        raise UsageError("give exactly one of --package FILE or --root 0x...")
    if document_file is not None and document_hex is not None:
        raise UsageError("give either --document or --document-hash, not both")
    if package_file is not None:
        if not package_file.is_file():
            raise UsageError(f"{package_file}: no such package file")
        root = inv.load_package(package_file).root
    else:
        root = parse_bytes32(str(root_hex), "--root")
    c = state.contracts()
    currency_address = parse_address(currency, "--currency") if currency else c.deployment.currency
    debtor = state.signer_address()
    view = rules.check_issue(c, debtor, to=to, value=face, maturity_at=maturity_at, root=root)
    if not state.web3().eth.get_code(currency_address):
        raise UsageError(f"--currency {currency_address} has no contract code")
    try:
        decimals = StableClient(state.web3(), currency_address).decimals()
    except ContractRevert:
        decimals = -1
    if not 2 <= decimals <= 36:
        raise UsageError(f"--currency {currency_address} must be an ERC-20 with 2..36 decimals")
    if document_hex is not None:
        document_hash = parse_bytes32(document_hex, "--document-hash")
    elif document_file is not None:
        if not document_file.is_file():
            raise UsageError(f"{document_file}: no such document")
        document_hash = bytes(Web3.keccak(document_file.read_bytes()))
    else:
        document_hash = confirmation_hash(debtor, to, face, currency_address, maturity_at, root)
    payable_id, token_id = c.token.issue(
        view.prime(state.signer()), to, face, currency_address, maturity_at, root, document_hash
    )
    _done(
        state,
        {"payable_id": payable_id, "piece": short_id(token_id), "token_id": str(token_id),
         "creditor": to, "face_value": format_cents(face, grouping=False),
         "maturity_at": format_instant(maturity_at), "document_hash": document_hash},
        f"issued payable {payable_id} ({format_cents(face)}, due {format_instant(maturity_at)}) "
        f"to {to}: piece {short_id(token_id)}; the creditor accepts it with "
        f"`tierchain payables accept {payable_id}`",
    )  # fmt: skip


@payables.command("accept")
@click.argument("payable", type=PAYABLE)
@command_options
@pass_state
def accept(state: CliState, payable: int) -> None:
    """Accept an issued PAYABLE (签收); the first creditor signs."""
    c = state.contracts()
    view = rules.check_accept(c, state.signer_address(), payable)
    receipt = c.token.accept(view.prime(state.signer()), payable)
    _done(state, {"payable_id": payable, "status": "accepted", "tx": receipt.tx_hash},
          f"accepted payable {payable} (tx {receipt.tx_hash})")  # fmt: skip


# ---------------------------------------------------------------------------- moves


@payables.command("split")
@click.argument("piece", type=PIECE)
@click.option("--to", "receiver", required=True, type=ADDRESS)
@click.option("--amount", required=True, type=CENTS, help="value to split off, e.g. 2500.00")
@command_options
@pass_state
def split(state: CliState, piece: rules.PieceRef, receiver: ChecksumAddress, amount: int) -> None:
    """Split --amount off PIECE into a new piece for --to (拆分)."""
    c = state.contracts()
    view = rules.check_split(c, state.signer_address(), piece, receiver, amount)
    p = view.piece(piece)
    new_id = c.token.split(view.prime(state.signer()), p.token_id, receiver, amount)
    _done(
        state,
        {"from": short_id(p.token_id), "piece": short_id(new_id), "token_id": str(new_id),
         "to": receiver, "value": format_cents(amount, grouping=False)},
        f"split {format_cents(amount)} off {short_id(p.token_id)} to {receiver}: new piece "
        f"{short_id(new_id)}",
    )  # fmt: skip


@payables.command("transfer")
@click.argument("piece", type=PIECE)
@click.option("--to", "receiver", required=True, type=ADDRESS)
@command_options
@pass_state
def transfer(state: CliState, piece: rules.PieceRef, receiver: ChecksumAddress) -> None:
    """Transfer the whole PIECE to --to (流转)."""
    c = state.contracts()
    view = rules.check_transfer(c, state.signer_address(), piece, receiver)
    p = view.piece(piece)
    receipt = c.token.transfer_whole(view.prime(state.signer()), p.token_id, receiver)
    _done(state, {"piece": short_id(p.token_id), "to": receiver, "tx": receipt.tx_hash},
          f"transferred {short_id(p.token_id)} ({format_cents(p.value)}) to {receiver}")  # fmt: skip


@payables.command("move")
@click.argument("from_piece", type=PIECE)
@click.argument("to_piece", type=PIECE)
@click.option("--amount", required=True, type=CENTS, help="value to move, e.g. 100.00")
@command_options
@pass_state
def move(state: CliState, from_piece: rules.PieceRef, to_piece: rules.PieceRef, amount: int) -> None:
    """Move --amount from FROM_PIECE into the existing TO_PIECE of the same payable."""
    c = state.contracts()
    view = rules.check_move(c, state.signer_address(), from_piece, to_piece, amount)
    src, dst = view.piece(from_piece), view.piece(to_piece)
    receipt = c.token.move_value(view.prime(state.signer()), src.token_id, dst.token_id, amount)
    _done(
        state,
        {"from": short_id(src.token_id), "to": short_id(dst.token_id),
         "value": format_cents(amount, grouping=False), "tx": receipt.tx_hash},
        f"moved {format_cents(amount)} from {short_id(src.token_id)} into {short_id(dst.token_id)}",
    )  # fmt: skip


@payables.command("merge")
@click.argument("from_piece", type=PIECE)
@click.argument("to_piece", type=PIECE)
@command_options
@pass_state
def merge(state: CliState, from_piece: rules.PieceRef, to_piece: rules.PieceRef) -> None:
    """Merge all of FROM_PIECE into TO_PIECE (same owner, same payable); FROM_PIECE is burned."""
    c = state.contracts()
    view = rules.check_merge(c, state.signer_address(), from_piece, to_piece)
    src, dst = view.piece(from_piece), view.piece(to_piece)
    receipt = c.token.merge(view.prime(state.signer()), src.token_id, dst.token_id)
    _done(
        state,
        {"from": short_id(src.token_id), "into": short_id(dst.token_id),
         "value": format_cents(src.value + dst.value, grouping=False), "tx": receipt.tx_hash},
        f"merged {short_id(src.token_id)} into {short_id(dst.token_id)}: now "
        f"{format_cents(src.value + dst.value)}",
    )  # fmt: skip


# ---------------------------------------------------------------------------- views


def _pieces_table(title: str, pieces: list[PieceInfo]) -> Table:
    table = Table(title=title)
    for col, justify in (("piece", "left"), ("split from", "left"), ("owner", "left"),
                         ("value", "right"), ("state", "left")):  # fmt: skip
        table.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
    for p in pieces:
        flags = ", ".join(f for f, on in (("locked", p.locked), ("frozen", p.frozen)) if on)
        table.add_row(
            short_id(p.token_id),
            short_id(p.parent_token_id) if p.parent_token_id else "(issued)",
            p.owner if p.live else "-",
            format_cents(p.value) if p.live else "-",
            (flags or "live") if p.live else "merged / settled",
        )
    return table


@payables.command("show")
@click.argument("what")
@command_options
@pass_state
def show(state: CliState, what: str) -> None:
    """Show a payable (WHAT = 3 or P3) with its pieces, or one piece (P3#2 or a token id)."""
    c = state.contracts()
    if "#" in what or len(what.strip()) > 20:
        piece = resolve_piece(c, what)
        payable = c.token.payable_of(piece.payable_id)
        doc = {"piece": piece_json(piece), "payable": payable_json(payable)}

        def human_piece(out: Console) -> None:
            out.print(_pieces_table(f"piece {short_id(piece.token_id)} of payable "
                                    f"{payable.payable_id}", [piece]))  # fmt: skip
            out.print(f"token id {piece.token_id}; payable due {format_instant(payable.maturity_at)}, "
                      f"debtor {payable.debtor}")  # fmt: skip

        state.emit(doc, human_piece)
        return
    info = parse_payable_id(what, c)
    pieces = c.token.pieces_of_payable(info.payable_id)
    live = [p for p in pieces if p.live]
    doc2 = {"payable": payable_json(info), "pieces": [piece_json(p) for p in live]}

    def human(out: Console) -> None:
        out.print(
            f"payable {info.payable_id} ({info.status}): {format_cents(info.face_value)} owed by "
            f"{info.debtor}, due {format_instant(info.maturity_at)}, first creditor "
            f"{info.first_creditor}\ninvoice root 0x{info.invoice_root.hex()}"
        )
        out.print(_pieces_table(f"pieces of payable {info.payable_id}", pieces))

    state.emit(doc2, human)


@payables.command("list")
@click.option("--owner", default=None, metavar="ADDRESS", help="only pieces of this owner")
@click.option("--mine", is_flag=True, help="only pieces of the signer (--from / --dev-account)")
@click.option("--payable", "payable_ref", default=None, help="only pieces of this payable")
@command_options
@pass_state
def list_pieces(state: CliState, owner: str | None, mine: bool, payable_ref: str | None) -> None:
    """List live pieces (of every payable, or filtered), read from the chain."""
    if owner is not None and mine:
        raise UsageError("give either --owner or --mine, not both")
    who = parse_address(owner, "--owner") if owner else (state.signer_address() if mine else None)
    c = state.contracts()
    ids = (
        [parse_payable_id(payable_ref, c).payable_id] if payable_ref
        else list(range(1, c.token.payable_count() + 1))
    )  # fmt: skip
    found: list[PieceInfo] = []
    with state.progress() as bar:
        task = bar.add_task("reading payables", total=len(ids))
        for pid in ids:
            found += [p for p in c.token.pieces_of_payable(pid)
                      if p.live and (who is None or p.owner == who)]  # fmt: skip
            bar.advance(task)
    total = sum(p.value for p in found)

    def human(out: Console) -> None:
        out.print(_pieces_table(f"pieces{f' of {who}' if who else ''}", found))
        out.print(f"{len(found)} piece(s), total {format_cents(total)}")

    state.emit(
        {"owner": who, "pieces": [piece_json(p) for p in found],
         "total": format_cents(total, grouping=False), "total_cents": total},
        human,
    )  # fmt: skip
