"""``tierchain settlement ...``: payment at maturity, claims, overdue, guarantee, recourse (see
docs/SETTLEMENT.md).

Amounts are currency units with at most 2 decimals (``1234.50``: payable values are cents); the
contract pulls ``cents * 10**(decimals-2)`` currency units, so the payer approves the Settlement
contract first (``settlement approve``). Every command reads the payable's account, the caller's
role, balance and allowance, the chain's time and the pause first and refuses a bad input before
anything is signed (exit code 2); what slips through is a decoded contract revert (exit 7).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from eth_typing import ChecksumAddress
from rich.console import Console
from rich.table import Table

from tierchain.chain.abi import call_data
from tierchain.cli.common import (
    CliState,
    RelayChoice,
    command_options,
    format_instant,
    parse_payable_id,
    pass_state,
    relay_options,
    relayed_call,
    resolve_piece,
)
from tierchain.cli.financing import chain_time
from tierchain.clients import rules
from tierchain.clients.bundle import Contracts
from tierchain.clients.contracts import ZERO_ADDRESS, PayableInfo
from tierchain.clients.settlement import MAX_UINT256, PayableSettlement
from tierchain.core.errors import AmountError, UsageError
from tierchain.core.ids import Role, short_id
from tierchain.core.money import cents_to_units, format_cents, parse_cents, parse_units

# ---------------------------------------------------------------------------- helpers


def _amount(text: str, name: str = "AMOUNT") -> int:
    return int(parse_cents(text, name=name))


def _unit(c: Contracts, decimals: int | None = None) -> int:
    return int(cents_to_units(1, c.currency.decimals() if decimals is None else decimals))


def _check_funds(c: Contracts, payer: ChecksumAddress, cents: int, decimals: int) -> None:
    """``payer`` holds and approved the Settlement contract for ``cents`` (the library's rule)."""
    rules.check_funds(c, payer, cents, decimals)


def _check_not_paused(c: Contracts) -> None:
    if c.settlement.paused():
        raise UsageError("settlement is paused by the operator: payments and claims wait")


def _account(c: Contracts, info: PayableInfo) -> tuple[int, int, bool]:
    """(unpaid cents, currency decimals, opened) for a payable, opened in settlement or not."""
    st = c.settlement.status_of(info.payable_id)
    if st.open:
        return st.unpaid_cents, st.currency_decimals, True
    return info.face_value, info.currency_decimals, False


def _require_accepted(info: PayableInfo) -> None:
    if info.status != "accepted":
        raise UsageError(f"payable {info.payable_id} is {info.status}, not accepted: settlement does not know it")


def _status_json(st: PayableSettlement, info: PayableInfo, now: int) -> dict[str, Any]:
    overdue_from = st.overdue_at if st.open else info.maturity_at
    return {
        "payable_id": st.payable_id,
        "state": st.state,
        "debtor": info.debtor,
        "face_value_cents": info.face_value,
        "paid_cents": st.paid_cents,
        "unpaid_cents": st.unpaid_cents if st.open else info.face_value,
        "maturity_at": format_instant(info.maturity_at),
        "matured": now >= info.maturity_at,
        "grace_seconds": st.grace_seconds,
        "overdue_from": format_instant(overdue_from) if st.open else None,
        "overdue": st.overdue,
        "can_mark_overdue": st.open and not st.overdue and st.unpaid_cents > 0 and now >= st.overdue_at,
        "guarantor": None if st.guarantor == ZERO_ADDRESS else st.guarantor,
        "guarantee_limit_cents": st.guarantee_limit_cents,
        "guarantor_paid_cents": st.guarantor_paid_cents,
        "guarantor_repaid_cents": st.guarantor_repaid_cents,
        "owed_to_guarantor_cents": st.owed_to_guarantor_cents,
    }


def _tx(state: CliState, receipt: Any, text: str, **extra: Any) -> None:
    state.emit({"tx": receipt.tx_hash, "gas_used": receipt.gas_used, **extra}, f"{text}: {receipt.tx_hash}")


# ---------------------------------------------------------------------------- commands


@click.group("settlement")
def settlement() -> None:
    """Payment at maturity, claims, overdue, guarantee, recourse."""


@settlement.command("approve")
@command_options
@click.argument("amount", required=False)
@pass_state
def approve(state: CliState, amount: str | None) -> None:
    """Let settlement pull up to AMOUNT of currency from the signer (default: unlimited)."""
    c = state.contracts()
    units = (
        MAX_UINT256
        if amount is None
        else int(parse_units(amount, c.currency.decimals(), name="AMOUNT", allow_zero=True))
    )
    by = state.signer()
    receipt = c.settlement.approve(by, c.deployment.currency, units)
    _tx(state, receipt, f"{by.address} approved settlement for {amount or 'unlimited'}", units=str(units))


@settlement.command("open")
@command_options
@click.argument("payable")
@pass_state
def open_cmd(state: CliState, payable: str) -> None:
    """Register an accepted payable in settlement (fixes its grace period; anyone may)."""
    c = state.contracts()
    info = parse_payable_id(payable, c)
    _require_accepted(info)
    if c.settlement.status_of(info.payable_id).open:
        raise UsageError(f"payable {info.payable_id} is already open in settlement")
    _tx(state, c.settlement.open(state.signer(), info.payable_id), f"opened payable {info.payable_id}")


@settlement.command("pay")
@command_options
@click.argument("payable")
@click.argument("amount")
@pass_state
def pay(state: CliState, payable: str, amount: str) -> None:
    """The debtor pays AMOUNT into escrow for the holders (partial payments allowed)."""
    c = state.contracts()
    info = parse_payable_id(payable, c)
    _require_accepted(info)
    cents = _amount(amount)
    payer = state.signer_address()
    if payer != info.debtor:
        raise UsageError(f"only the debtor {info.debtor} pays payable {info.payable_id}, not {payer}")
    _check_not_paused(c)
    unpaid, decimals, _ = _account(c, info)
    if unpaid == 0:
        raise UsageError(f"payable {info.payable_id} is fully paid")
    if cents > unpaid:
        raise AmountError(f"AMOUNT {format_cents(cents)} is more than the unpaid {format_cents(unpaid)}")
    _check_funds(c, payer, cents, decimals)
    receipt = c.settlement.pay(state.signer(), info.payable_id, cents)
    _tx(state, receipt, f"paid {format_cents(cents)} on payable {info.payable_id}, "
        f"unpaid {format_cents(unpaid - cents)}",
        paid_cents=cents, unpaid_cents=unpaid - cents)  # fmt: skip


@settlement.command("claim")
@command_options
@click.argument("piece")
@relay_options
@pass_state
def claim(
    state: CliState, piece: str, relayed: bool, relayer_from: str | None, relayer_password_file: str | None,
    relayer_dev_account: int | None, signed_output: Path | None, typed_data_out: Path | None,
) -> None:  # fmt: skip
    """The holder claims what PIECE is owed now (the whole piece is burnt once fully paid)."""
    c = state.contracts()
    holder = state.signer_address()
    view, owed = rules.check_claim(c, holder, rules.parse_piece(piece))
    p = view.piece(rules.parse_piece(piece))
    how = RelayChoice(relayer_from, relayer_password_file, relayer_dev_account, signed_output, typed_data_out)
    if not relayed and how != RelayChoice():
        raise UsageError("--relayer-*, --signed-output and --typed-data-out go with --relay")
    if relayed:
        if how == RelayChoice():
            how = RelayChoice(relayer_dev_account=1)  # as before: the operator's development key (local only)
        data = call_data("Settlement", "claim(uint256)", p.token_id)
        summary = f"claim {format_cents(owed)} owed now on piece {short_id(p.token_id)} from settlement"
        relayed_receipt = relayed_call(state, c, c.settlement.address, data, summary, how)
        if relayed_receipt is None:
            return
        receipt = relayed_receipt
        cents = int(receipt.event("Claimed").args["cents"])
    else:
        receipt = c.settlement.claim_receipt(view.prime(state.signer()), p.token_id)
        cents = int(receipt.event("Claimed").args["cents"])
    _tx(state, receipt, f"{holder} claimed {format_cents(cents)} on {short_id(p.token_id)}",
        piece=short_id(p.token_id), claimed_cents=cents, expected_cents=owed, relayed=relayed)  # fmt: skip


@settlement.command("status")
@command_options
@click.argument("payable")
@pass_state
def status(state: CliState, payable: str) -> None:
    """Paid, unpaid, overdue, grace and guarantee of a payable."""
    c = state.contracts()
    info = parse_payable_id(payable, c)
    doc = _status_json(c.settlement.status_of(info.payable_id), info, chain_time(state))

    def human(out: Console) -> None:
        t = Table(title=f"payable {info.payable_id} in settlement", show_header=False)
        for k, v in doc.items():
            shown = format_cents(v) if k.endswith("_cents") else ("-" if v is None else str(v))
            t.add_row(k.removesuffix("_cents"), shown)
        out.print(t)

    state.emit(doc, human)


@settlement.command("owed")
@command_options
@click.argument("piece")
@pass_state
def owed(state: CliState, piece: str) -> None:
    """What PIECE's holder could claim now, and what it claimed so far."""
    c = state.contracts()
    p = resolve_piece(c, piece)
    now_owed, claimed = c.settlement.owed_of(p.token_id), c.settlement.claimed_of(p.token_id)
    state.emit(
        {"piece": short_id(p.token_id), "holder": p.owner, "owed_cents": now_owed, "claimed_cents": claimed},
        f"{short_id(p.token_id)} (held by {p.owner}): claimable now {format_cents(now_owed)}, "
        f"claimed {format_cents(claimed)}",
    )


@settlement.command("overdue")
@command_options
@click.argument("payable")
@pass_state
def overdue(state: CliState, payable: str) -> None:
    """Mark an unpaid payable overdue once maturity + grace has passed (anyone may)."""
    c = state.contracts()
    info = parse_payable_id(payable, c)
    st = c.settlement.status_of(info.payable_id)
    if not st.open:
        raise UsageError(f"payable {info.payable_id} is not open in settlement: `tierchain settlement open` it first")
    if st.overdue:
        raise UsageError(f"payable {info.payable_id} is already overdue")
    if st.unpaid_cents == 0:
        raise UsageError(f"payable {info.payable_id} is fully paid")
    now = chain_time(state)
    if now < st.overdue_at:
        raise UsageError(f"payable {info.payable_id} is in its grace period until {format_instant(st.overdue_at)}")
    _tx(state, c.settlement.mark_overdue(state.signer(), info.payable_id), f"payable {info.payable_id} marked overdue")


@settlement.command("guarantee")
@command_options
@click.argument("payable")
@click.argument("limit")
@pass_state
def guarantee(state: CliState, payable: str, limit: str) -> None:
    """The guarantor commits to pay up to LIMIT of an overdue payable (or raises its limit)."""
    c = state.contracts()
    info = parse_payable_id(payable, c)
    _require_accepted(info)
    cents = _amount(limit, "LIMIT")
    if cents > info.face_value:
        raise AmountError(f"LIMIT {format_cents(cents)} is above the face value {format_cents(info.face_value)}")
    who = state.signer_address()
    member = c.membership.member_of(who)
    if member.status != "active" or not member.roles & Role.GUARANTOR:
        raise UsageError(f"the signer {who} is not an active guarantor member")
    if who == info.debtor:
        raise UsageError("the debtor cannot guarantee its own payable")
    st = c.settlement.status_of(info.payable_id)
    if st.open and st.unpaid_cents == 0:
        raise UsageError(f"payable {info.payable_id} is fully paid")
    if st.guarantor not in (ZERO_ADDRESS, who):
        raise UsageError(f"payable {info.payable_id} is already guaranteed by {st.guarantor}")
    if st.guarantor == who and cents <= st.guarantee_limit_cents:
        raise UsageError(f"LIMIT must be above the current limit {format_cents(st.guarantee_limit_cents)}")
    _tx(state, c.settlement.guarantee(state.signer(), info.payable_id, cents),
        f"{who} guarantees payable {info.payable_id} up to {format_cents(cents)}", limit_cents=cents)  # fmt: skip


@settlement.command("guarantor-pay")
@command_options
@click.argument("payable")
@click.argument("amount")
@pass_state
def guarantor_pay(state: CliState, payable: str, amount: str) -> None:
    """The guarantor pays AMOUNT of an overdue payable for its holders."""
    c = state.contracts()
    info = parse_payable_id(payable, c)
    cents = _amount(amount)
    who = state.signer_address()
    st = c.settlement.status_of(info.payable_id)
    if st.guarantor != who:
        raise UsageError(f"{who} is not the guarantor of payable {info.payable_id}")
    if not st.overdue:
        raise UsageError(f"payable {info.payable_id} is not overdue: the guarantor pays only then")
    _check_not_paused(c)
    available = min(st.guarantee_limit_cents - st.guarantor_paid_cents, st.unpaid_cents)
    if cents > available:
        raise AmountError(
            f"AMOUNT {format_cents(cents)} is above what the guarantee may pay now {format_cents(available)}"
        )
    _check_funds(c, who, cents, st.currency_decimals)
    _tx(state, c.settlement.guarantor_pay(state.signer(), info.payable_id, cents),
        f"guarantor paid {format_cents(cents)} on payable {info.payable_id}", paid_cents=cents)  # fmt: skip


@settlement.command("repay-guarantor")
@command_options
@click.argument("payable")
@click.argument("amount")
@pass_state
def repay_guarantor(state: CliState, payable: str, amount: str) -> None:
    """The debtor repays AMOUNT of what the guarantor paid for it."""
    c = state.contracts()
    info = parse_payable_id(payable, c)
    cents = _amount(amount)
    who = state.signer_address()
    if who != info.debtor:
        raise UsageError(f"only the debtor {info.debtor} repays the guarantor, not {who}")
    st = c.settlement.status_of(info.payable_id)
    if cents > st.owed_to_guarantor_cents:
        raise AmountError(
            f"AMOUNT {format_cents(cents)} is more than owed to the guarantor "
            f"{format_cents(st.owed_to_guarantor_cents)}"
        )
    _check_not_paused(c)
    _check_funds(c, who, cents, st.currency_decimals)
    _tx(state, c.settlement.repay_guarantor(state.signer(), info.payable_id, cents),
        f"repaid {format_cents(cents)} to the guarantor of payable {info.payable_id}", repaid_cents=cents)  # fmt: skip


@settlement.group("recourse")
def recourse() -> None:
    """The financier turns to the seller of a piece financed with recourse."""


@recourse.command("exercise")
@command_options
@click.argument("piece")
@pass_state
def recourse_exercise(state: CliState, piece: str) -> None:
    """The financier records its claim on the seller for an overdue piece."""
    c = state.contracts()
    p = resolve_piece(c, piece)
    who = state.signer_address()
    st = c.settlement.status_of(p.payable_id)
    if not st.overdue:
        raise UsageError(f"payable {p.payable_id} is not overdue: recourse comes after `settlement overdue`")
    if st.unpaid_cents == 0:
        raise UsageError(f"payable {p.payable_id} is fully paid")
    f = c.desk.financing_of(p.token_id)
    if f is None or not f.recourse:
        raise UsageError(f"piece {short_id(p.token_id)} was not financed with recourse")
    if f.financier != who or p.owner != who:
        raise UsageError(f"only the financier {f.financier} holding the piece exercises recourse, not {who}")
    if c.settlement.recourse_of(p.token_id).status != "none":
        raise UsageError(f"recourse on {short_id(p.token_id)} is already {c.settlement.recourse_of(p.token_id).status}")
    receipt = c.settlement._send(state.signer(), "exerciseRecourse(uint256)", p.token_id, label="exercise recourse")
    uncovered = int(receipt.event("RecourseExercised").args["uncoveredCents"])
    _tx(state, receipt, f"recourse on {short_id(p.token_id)}: the seller {f.seller} owes {format_cents(uncovered)}",
        uncovered_cents=uncovered, seller=f.seller)  # fmt: skip


@recourse.command("settle")
@command_options
@click.argument("piece")
@pass_state
def recourse_settle(state: CliState, piece: str) -> None:
    """The seller pays the financier's recourse claim (the piece comes back to it)."""
    c = state.contracts()
    p = resolve_piece(c, piece)
    who = state.signer_address()
    r = c.settlement.recourse_of(p.token_id)
    if r.status != "exercised":
        raise UsageError(f"no open recourse claim on {short_id(p.token_id)} (status {r.status})")
    if r.seller != who:
        raise UsageError(f"only the seller {r.seller} settles this claim, not {who}")
    _check_not_paused(c)
    due = c.settlement.recourse_due_of(p.token_id)
    _check_funds(c, who, due, c.settlement.status_of(p.payable_id).currency_decimals)
    receipt = c.settlement.settle_recourse_receipt(state.signer(), p.token_id)
    paid = int(receipt.event("RecourseSettled").args["paidCents"])
    _tx(state, receipt, f"{who} settled recourse on {short_id(p.token_id)} for {format_cents(paid)}", paid_cents=paid)


@settlement.command("pause")
@command_options
@pass_state
def pause(state: CliState) -> None:
    """Pause payments and claims (operator or admin)."""
    c = state.contracts()
    if c.settlement.paused():
        raise UsageError("settlement is already paused")
    _tx(state, c.settlement.pause(state.signer(), True), "settlement paused")


@settlement.command("resume")
@command_options
@pass_state
def resume(state: CliState) -> None:
    """Resume payments and claims (operator or admin)."""
    c = state.contracts()
    if not c.settlement.paused():
        raise UsageError("settlement is not paused")
    _tx(state, c.settlement.pause(state.signer(), False), "settlement resumed")
