"""``tierchain financing offer|show|take|cancel|invalidate-nonces|list`` (see docs/DESK.md).

A financier signs an EIP-712 offer off chain and hands the offer file to the holder (or posts it
on chain with ``--post``); the holder takes it, directly or with ``--relay`` (the holder only
signs a ``Call`` request; the operator relays it and pays the gas). Every command reads the
piece, the offer's state, the financier's currency balance and allowance and the pause first and
refuses a bad input before anything is signed (exit code 2, :class:`~tierchain.core.errors.UsageError`).

Offer file (JSON)::

    {"kind": "tierchain-offer/1", "chain_id": 1337, "desk": "0x...", "offer": {...},
     "signature": "0x..." | null, "offer_hash": "0x..."}

Big integers (token id, nonce) are decimal strings: they exceed 2**53.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

import click
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from rich.console import Console
from rich.table import Table

from tierchain.chain.abi import call_data
from tierchain.cli.common import (
    CliState,
    RelayChoice,
    command_options,
    format_instant,
    parse_address,
    parse_bytes32,
    parse_instant,
    parse_payable_id,
    parse_value,
    pass_state,
    relay_options,
    relayed_call,
    resolve_piece,
)
from tierchain.clients.bundle import Contracts
from tierchain.clients.contracts import ZERO_ADDRESS, PieceInfo
from tierchain.clients.desk import OFFER_TUPLE, Offer, SignedOffer, offer_hash, random_nonce, typed_data
from tierchain.core.errors import AmountError, UsageError
from tierchain.core.ids import Role, short_id
from tierchain.core.money import MAX_RATE_BPS, cents_to_units, format_cents, parse_units

OFFER_KIND: Final = "tierchain-offer/1"
_DURATION_RE: Final = re.compile(r"([0-9]{1,9})(s|m|h|d|w)", re.ASCII)
_SECONDS: Final = {"s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800}
_RATE_RE: Final = re.compile(r"([0-9.]{1,20})\s?(%|bps)", re.ASCII)


# ---------------------------------------------------------------------------- parsing


def chain_time(state: CliState) -> int:
    return int(state.web3().eth.get_block("latest")["timestamp"])


def parse_deadline(text: str, now: int, name: str = "--deadline") -> int:
    """An ISO 8601 date-time with a zone, or a duration from the chain's time (``90m``, ``2d``)."""
    duration = _DURATION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if duration is not None:
        seconds = int(duration.group(1)) * _SECONDS[duration.group(2)]
        if seconds == 0:
            raise UsageError(f"{name}: a duration of zero has already passed")
        return now + seconds
    when = parse_instant(text, name)
    if when <= now:
        raise UsageError(f"{name} {format_instant(when)} is not in the future (chain time {format_instant(now)})")
    return when


def parse_rate(text: str, name: str = "--rate") -> int:
    """An annual rate: ``6.5%`` (percent, at most 2 decimals) or ``650bps``; returns bps."""
    match = _RATE_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise UsageError(f"{name} {str(text)[:30]!r}: write a percent like 6.5% or basis points like 650bps")
    number, unit = match.groups()
    places = len(number.partition(".")[2])
    if unit == "%" and places > 2:
        raise AmountError(f"{name} {text!r} has {places} decimals; a rate in percent allows at most 2 (0.01 % = 1 bps)")
    if unit != "%" and places:
        raise AmountError(f"{name} {text!r}: basis points are whole numbers (650bps = 6.5%)")
    bps = int(parse_units(number, 2 if unit == "%" else 0, name=name, allow_zero=True))
    if bps > MAX_RATE_BPS:
        raise AmountError(f"{name} {text!r} is above {MAX_RATE_BPS} bps (100 %)")
    return bps


# ---------------------------------------------------------------------------- offer files


def offer_json(offer: Offer) -> dict[str, Any]:
    return {
        "financier": offer.financier,
        "seller": None if offer.seller == ZERO_ADDRESS else offer.seller,
        "token_id": str(offer.token_id),
        "piece": short_id(offer.token_id),
        "value_cents": offer.value,
        "value": format_cents(offer.value, grouping=False),
        "pricing": offer.pricing,
        "price_cents": offer.price,
        "rate_bps": offer.rate_bps,
        "recourse": offer.recourse,
        "nonce": str(offer.nonce),
        "deadline": offer.deadline,
        "deadline_utc": format_instant(offer.deadline),
    }


def offer_from_json(doc: Any) -> Offer:
    try:
        return Offer(
            to_checksum_address(doc["financier"]),
            to_checksum_address(doc["seller"] or ZERO_ADDRESS),
            int(doc["token_id"]), int(doc["value_cents"]), doc["pricing"], int(doc["price_cents"]),
            int(doc["rate_bps"]), bool(doc["recourse"]), int(doc["nonce"]), int(doc["deadline"]),
        )  # fmt: skip
    except (KeyError, TypeError, ValueError) as exc:
        raise UsageError(f"not a tierchain offer: {exc}") from None


def write_offer_file(path: Path, offer: Offer, chain_id: int, desk: str, signature: bytes | None) -> dict[str, Any]:
    doc = {
        "kind": OFFER_KIND,
        "chain_id": chain_id,
        "desk": desk,
        "offer": offer_json(offer),
        "signature": "0x" + signature.hex() if signature is not None else None,
        "offer_hash": "0x" + offer_hash(offer, chain_id, desk).hex(),
        "typed_data": typed_data(offer, chain_id, desk),
    }
    path.write_text(json.dumps(doc, indent=1) + "\n")
    return doc


def read_offer_file(path: Path, c: Contracts, chain_id: int) -> tuple[Offer, bytes | None, bytes]:
    """(offer, signature or None if posted, hash); refuses a file for another desk or chain and
    a signature that is not the financier's."""
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not a readable JSON offer file ({exc})") from None
    if not isinstance(doc, dict) or doc.get("kind") != OFFER_KIND:
        raise UsageError(f"{path}: not a tierchain offer file (kind {OFFER_KIND})")
    offer = offer_from_json(doc.get("offer"))
    if doc.get("chain_id") != chain_id or to_checksum_address(str(doc.get("desk"))) != c.desk.address:
        raise UsageError(
            f"{path}: the offer is for desk {doc.get('desk')} on chain {doc.get('chain_id')}, not this "
            f"deployment's desk {c.desk.address} on chain {chain_id}"
        )
    digest = offer_hash(offer, chain_id, c.desk.address)
    signature: bytes | None = None
    if doc.get("signature"):
        text = str(doc["signature"])
        try:
            signature = bytes.fromhex(text.removeprefix("0x"))
        except ValueError:
            raise UsageError(f"{path}: the signature is not hex") from None
        try:
            signable = encode_typed_data(full_message=typed_data(offer, chain_id, c.desk.address))
            signer = Account.recover_message(signable, signature=signature)
        except Exception:
            raise UsageError(f"{path}: the signature is malformed") from None
        if to_checksum_address(signer) != offer.financier:
            raise UsageError(
                f"{path}: the signature is by {signer}, not by the financier {offer.financier} "
                "(altered terms or a forged offer)"
            )
    return offer, signature, digest


def offer_state(c: Contracts, offer: Offer, digest: bytes, now: int) -> str:
    """open, posted, taken, cancelled, nonce-invalidated or expired (per the chain's time)."""
    status = c.desk.offer_status(digest)
    if status == "taken":
        return "taken"
    if c.desk.is_cancelled(offer.financier, digest):
        return "cancelled"
    if offer.nonce < c.desk.nonce_floor_of(offer.financier):
        return "nonce-invalidated"
    if now > offer.deadline:
        return "expired"
    return "posted" if status == "posted" else "open"


def _allowance(c: Contracts, owner: str, spender: str) -> int:
    return int(c.currency._view("allowance(address,address)", to_checksum_address(owner), spender))


def _funding_problem(c: Contracts, offer: Offer, price: int) -> str | None:
    """Why the desk could not pull ``price`` cents from the financier now, or None."""
    unit = int(cents_to_units(1, c.currency.decimals()))
    units = price * unit
    balance = c.currency.balance_of(offer.financier)
    if balance < units:
        held = format_cents(balance // unit)
        return f"the financier {offer.financier} holds {held}, less than the price {format_cents(price)}"
    allowance = _allowance(c, offer.financier, c.desk.address)
    if allowance < units:
        return (
            f"the financier {offer.financier} approved the desk for {format_cents(allowance // unit)}, less than the "
            f"price {format_cents(price)} (`tierchain financing approve`)"
        )
    return None


def _check_piece_for_offer(c: Contracts, piece: PieceInfo, value: int, now: int) -> None:
    payable = c.token.payable_of(piece.payable_id)
    if payable.status != "accepted":
        raise UsageError(f"payable {piece.payable_id} is not accepted yet: its pieces cannot be financed")
    if now >= payable.maturity_at:
        raise UsageError(
            f"payable {piece.payable_id} matured at {format_instant(payable.maturity_at)}: too late to finance"
        )
    if value > piece.value:
        raise UsageError(f"--value {format_cents(value)} exceeds the piece's value {format_cents(piece.value)}")


def _resolve_hash(state: CliState, c: Contracts, what: str) -> tuple[bytes, Offer | None]:
    path = Path(what)
    if what.startswith("0x") and len(what) == 66:
        return parse_bytes32(what, "offer hash"), None
    if not path.is_file():
        raise UsageError(f"{what!r} is neither an offer hash (0x and 64 hex digits) nor an offer file")
    offer, _, digest = read_offer_file(path, c, state.chain_id)
    return digest, offer


# ---------------------------------------------------------------------------- commands


@click.group("financing")
def financing() -> None:
    """Financing offers: sign or post, show, take (directly or relayed), cancel, list."""


@financing.command("approve")
@command_options
@click.argument("amount", required=False)
@pass_state
def approve(state: CliState, amount: str | None) -> None:
    """The financier lets the desk pull up to AMOUNT of currency (default: unlimited)."""
    c = state.contracts()
    decimals = c.currency.decimals()
    units = 2**256 - 1 if amount is None else parse_units(amount, decimals, name="amount", allow_zero=True)
    by = state.signer()
    receipt = c.desk.approve_currency(by, c.deployment.currency, units)
    shown = "unlimited" if amount is None else amount
    state.emit(
        {"tx": receipt.tx_hash, "spender": c.desk.address, "units": str(units)},
        f"{by.address} approved the desk {c.desk.address} for {shown}: {receipt.tx_hash}",
    )


@financing.command("offer")
@command_options
@click.argument("piece")
@click.option("--value", default=None, help="value bought, e.g. 2500.00 [default: the whole piece]")
@click.option("--price", default=None, help="fixed price, e.g. 2450.00")
@click.option("--rate", default=None, help="annual discount rate: 6.5% or 650bps")
@click.option("--recourse/--no-recourse", default=False, show_default=True,
              help="the seller answers for an unpaid payable")  # fmt: skip
@click.option("--deadline", default="1d", show_default=True,
              help="last moment to take it: ISO 8601 with a zone, or a duration (90m, 12h, 2d)")  # fmt: skip
@click.option("--seller", default=None, help="only this holder may take it [default: whoever holds the piece]")
@click.option("--nonce", type=click.IntRange(0, 2**256 - 1), default=None, help="[default: random 128-bit]")
@click.option("--post", is_flag=True, help="post the offer on chain instead of signing a file")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="offer file [default: offer-<hash prefix>.json]")  # fmt: skip
@pass_state
def offer_cmd(
    state: CliState, piece: str, value: str | None, price: str | None, rate: str | None, recourse: bool,
    deadline: str, seller: str | None, nonce: int | None, post: bool, output: Path | None,
) -> None:  # fmt: skip
    """The financier offers to buy PIECE (all or --value of it) at --price or --rate."""
    c = state.contracts()
    if (price is None) == (rate is None):
        raise UsageError("give exactly one of --price AMOUNT or --rate 6.5% / 650bps")
    p = resolve_piece(c, piece)
    now = chain_time(state)
    cents = p.value if value is None else parse_value(value, "--value")
    _check_piece_for_offer(c, p, cents, now)
    financier = state.signer_address()
    member = c.membership.member_of(financier)
    if member.status != "active" or not member.roles & Role.FINANCIER:
        raise UsageError(f"the signer {financier} is not an active financier member")
    if p.owner == financier:
        raise UsageError(f"the signer {financier} already holds piece {short_id(p.token_id)}")
    until = parse_deadline(deadline, now)
    who = None if seller is None else parse_address(seller, "--seller")
    n = random_nonce() if nonce is None else nonce
    if n < c.desk.nonce_floor_of(financier):
        raise UsageError(f"--nonce {n} is below the financier's nonce floor {c.desk.nonce_floor_of(financier)}")
    if price is not None:
        fixed = parse_value(price, "--price")
        if fixed > cents:
            raise UsageError(f"--price {format_cents(fixed)} is above the value bought {format_cents(cents)}")
        offer = Offer.fixed(financier, p.token_id, cents, fixed, deadline=until, seller=who, recourse=recourse, nonce=n)
    else:
        assert rate is not None
        offer = Offer.at_rate(
            financier, p.token_id, cents, parse_rate(rate), deadline=until, seller=who, recourse=recourse, nonce=n
        )
    quote = offer.price_at(now)
    if quote == 0:
        raise UsageError("the offer's price would be zero: raise the value or lower the rate")
    warning = _funding_problem(c, offer, quote)
    by = state.signer()
    chain_id = state.chain_id
    digest = offer_hash(offer, chain_id, c.desk.address)
    doc: dict[str, Any] = {"offer_hash": "0x" + digest.hex(), "offer": offer_json(offer), "quote_cents": quote}
    path = output or Path(f"offer-{digest.hex()[:12]}.json")
    if post:
        c.desk.post(by, offer)
        write_offer_file(path, offer, chain_id, c.desk.address, None)  # the terms, for the holder
    else:
        signed = c.desk.sign(by.account, offer)
        write_offer_file(path, offer, chain_id, c.desk.address, signed.signature)
    doc |= {"posted": post, "file": str(path)}
    doc["warning"] = warning

    def human(out: Console) -> None:
        how = f"fixed price {format_cents(offer.price)}" if offer.pricing == "fixed" else f"{offer.rate_bps} bps a year"
        where = f"posted on chain, terms in {path}" if post else f"signed, written to {path}"
        out.print(
            f"offer 0x{digest.hex()} for {format_cents(cents)} of {short_id(p.token_id)} at {how} "
            f"({format_cents(quote)} if taken now), {'with' if recourse else 'without'} recourse, until "
            f"{format_instant(until)}: {where}"
        )
        if warning:
            out.print(f"[yellow]warning[/]: {warning}; the offer cannot be taken until that changes")

    state.emit(doc, human)


@financing.command("show")
@command_options
@click.argument("offer_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_state
def show(state: CliState, offer_file: Path) -> None:
    """Terms, price if taken now, status and funding of an offer file."""
    c = state.contracts()
    offer, signature, digest = read_offer_file(offer_file, c, state.chain_id)
    now = chain_time(state)
    status = offer_state(c, offer, digest, now)
    price = offer.price_at(now)
    funding = _funding_problem(c, offer, price) if status in ("open", "posted") else None
    doc = {
        "offer_hash": "0x" + digest.hex(), "offer": offer_json(offer), "status": status,
        "signed": signature is not None, "quote_cents": price, "quote": format_cents(price, grouping=False),
        "funding_problem": funding, "chain_time": now,
    }  # fmt: skip

    def human(out: Console) -> None:
        t = Table(title=f"offer 0x{digest.hex()[:16]}…", show_header=False)
        for k, v in offer_json(offer).items():
            t.add_row(k, "(whoever holds the piece)" if k == "seller" and v is None else str(v))
        t.add_row("status", status)
        t.add_row("price if taken now", format_cents(price))
        t.add_row("funding", funding or "ok")
        out.print(t)

    state.emit(doc, human)


def _check_take(state: CliState, c: Contracts, offer: Offer, digest: bytes, taker: ChecksumAddress) -> int:
    """Every reason the desk would refuse ``taker`` taking the offer now; returns the price."""
    if c.token.trading_paused():
        raise UsageError("trading is paused by the platform admin: offers cannot be taken now")
    now = chain_time(state)
    status = offer_state(c, offer, digest, now)
    if status not in ("open", "posted"):
        extra = f" at {format_instant(offer.deadline)}" if status == "expired" else ""
        raise UsageError(f"offer 0x{digest.hex()[:16]}… is {status}{extra}")
    try:
        piece = c.token.piece_of(offer.token_id)
    except Exception:
        piece = None
    if piece is None or not piece.live:
        raise UsageError(f"piece {short_id(offer.token_id)} does not exist any more")
    if piece.owner != taker:
        raise UsageError(f"piece {short_id(offer.token_id)} belongs to {piece.owner}, not to the taker {taker}")
    if offer.seller not in (ZERO_ADDRESS, taker):
        raise UsageError(f"the offer is reserved for the seller {offer.seller}, not {taker}")
    if piece.frozen:
        raise UsageError(f"piece {short_id(offer.token_id)} is frozen by a regulator")
    _check_piece_for_offer(c, piece, offer.value, now)
    member = c.membership.member_of(offer.financier)
    if member.status != "active" or not member.roles & Role.FINANCIER:
        raise UsageError(f"the financier {offer.financier} is no longer an active financier member")
    price = offer.price_at(now + 1)
    if price == 0:
        raise UsageError("the offer's price is zero now: it cannot be taken")
    problem = _funding_problem(c, offer, price)
    if problem:
        raise UsageError(problem)
    return price


@financing.command("take")
@command_options
@click.argument("offer_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@relay_options
@pass_state
def take(
    state: CliState, offer_file: Path, relayed: bool, relayer_from: str | None, relayer_password_file: str | None,
    relayer_dev_account: int | None, signed_output: Path | None, typed_data_out: Path | None,
) -> None:  # fmt: skip
    """The holder takes an offer: the piece and the payment move in one transaction."""
    c = state.contracts()
    offer, signature, digest = read_offer_file(offer_file, c, state.chain_id)
    taker = state.signer_address()
    price = _check_take(state, c, offer, digest, taker)
    if signature is None and c.desk.offer_status(digest) != "posted":
        raise UsageError("the offer file carries no signature and the offer is not posted on chain")
    how = RelayChoice(relayer_from, relayer_password_file, relayer_dev_account, signed_output, typed_data_out)
    if not relayed and how != RelayChoice():
        raise UsageError("--relayer-*, --signed-output and --typed-data-out go with --relay")
    if relayed:
        if signature is None:
            data = call_data("FinancingDesk", f"takePosted({OFFER_TUPLE})", offer.as_tuple())
        else:
            data = call_data("FinancingDesk", f"take({OFFER_TUPLE},bytes)", offer.as_tuple(), signature)
        summary = (
            f"sell {format_cents(offer.value)} of piece {short_id(offer.token_id)} to {offer.financier} for "
            f"{format_cents(price)} (the price now) through the financing desk"
        )
        receipt = relayed_call(state, c, c.desk.address, data, summary, how)
        if receipt is None:
            return
        e = receipt.event("Financed").args
        token_id, paid, tx = int(e["tokenId"]), int(e["price"]), receipt.tx_hash
    else:
        by = state.signer()
        if signature is None:
            result = c.desk.take_posted(by, offer)
        else:
            result = c.desk.take(by, SignedOffer(offer, signature, digest))
        token_id, paid, tx = result.token_id, result.price, result.receipt.tx_hash
    state.emit(
        {"tx": tx, "offer_hash": "0x" + digest.hex(), "piece": short_id(token_id), "token_id": str(token_id),
         "price_cents": paid, "price": format_cents(paid, grouping=False), "relayed": relayed},
        f"{taker} sold {format_cents(offer.value)} of {short_id(offer.token_id)} to {offer.financier} for "
        f"{format_cents(paid)}{' (relayed)' if relayed else ''}: the financier holds {short_id(token_id)}; {tx}",
    )  # fmt: skip


@financing.command("cancel")
@command_options
@click.argument("offer")
@pass_state
def cancel(state: CliState, offer: str) -> None:
    """The financier cancels an offer (by hash or offer file)."""
    c = state.contracts()
    digest, parsed = _resolve_hash(state, c, offer)
    who = state.signer_address()
    if parsed is not None and parsed.financier != who:
        raise UsageError(f"the offer is {parsed.financier}'s, not the signer {who}'s")
    if c.desk.offer_status(digest) == "taken":
        raise UsageError(f"offer 0x{digest.hex()[:16]}… is already taken")
    if c.desk.is_cancelled(who, digest):
        raise UsageError(f"offer 0x{digest.hex()[:16]}… is already cancelled")
    receipt = c.desk.cancel(state.signer(), digest)
    state.emit(
        {"tx": receipt.tx_hash, "offer_hash": "0x" + digest.hex()},
        f"cancelled offer 0x{digest.hex()}: {receipt.tx_hash}",
    )


@financing.command("invalidate-nonces")
@command_options
@click.argument("floor", type=click.IntRange(1, 2**256 - 1))
@pass_state
def invalidate_nonces(state: CliState, floor: int) -> None:
    """The financier voids every offer of its own with a nonce below FLOOR."""
    c = state.contracts()
    who = state.signer_address()
    current = c.desk.nonce_floor_of(who)
    if floor <= current:
        raise UsageError(f"the nonce floor of {who} is already {current}: raise it above that")
    receipt = c.desk.invalidate_nonces(state.signer(), floor)
    state.emit(
        {"tx": receipt.tx_hash, "nonce_floor": str(floor)},
        f"offers of {who} with a nonce below {floor} are void: {receipt.tx_hash}",
    )


@financing.command("list")
@command_options
@click.argument("what", nargs=-1, required=True)
@pass_state
def list_cmd(state: CliState, what: tuple[str, ...]) -> None:
    """Financing records (financingOf) of pieces: P3#2, token ids, or P3 for every piece."""
    c = state.contracts()
    token_ids: list[int] = []
    for item in what:
        if "#" in item or item.startswith("0x") or len(item) > 12:
            token_ids.append(resolve_piece(c, item).token_id)
        else:
            info = parse_payable_id(item, c)
            token_ids += [p.token_id for p in c.token.pieces_of_payable(info.payable_id)]
    rows: list[dict[str, Any]] = []
    for token_id in token_ids:
        f = c.desk.financing_of(token_id)
        if f is not None:
            rows.append({
                "piece": short_id(token_id), "token_id": str(token_id), "financier": f.financier,
                "seller": f.seller, "value_cents": f.value, "price_cents": f.price,
                "recourse": f.recourse, "financed_at": format_instant(f.financed_at),
            })  # fmt: skip

    def human(out: Console) -> None:
        if not rows:
            out.print("no financed pieces among these")
            return
        t = Table("piece", "financier", "seller", "value", "price", "recourse", "financed at")
        for r in rows:
            t.add_row(r["piece"], r["financier"], r["seller"], format_cents(r["value_cents"]),
                      format_cents(r["price_cents"]), "yes" if r["recourse"] else "no", r["financed_at"])  # fmt: skip
        out.print(t)

    state.emit({"financings": rows}, human)
