"""``tierchain members admit|suspend|reinstate|show``: the consortium register."""

from __future__ import annotations

import secrets
from typing import Any, Final

import click
from rich.console import Console
from web3 import Web3

from tierchain.cli.common import CliState, command_options, format_instant, parse_address, parse_bytes32, pass_state
from tierchain.core.errors import UsageError
from tierchain.core.ids import Role

ROLE_NAMES: Final[dict[str, Role]] = {
    "operator": Role.OPERATOR,
    "core": Role.CORE_ENTERPRISE,
    "supplier": Role.SUPPLIER,
    "financier": Role.FINANCIER,
    "guarantor": Role.GUARANTOR,
    "auditor": Role.AUDITOR,
    "regulator": Role.REGULATOR,
}
IDENTITY_TAG: Final = b"tierchain:identity:v1\x00"


def role_names(roles: int) -> list[str]:
    return [name for name, flag in ROLE_NAMES.items() if roles & flag]


def identity_hash(identity: str, salt: bytes) -> bytes:
    """keccak256(tag ‖ salt ‖ identity): a salted hash of a legal identity (e.g. a unified social
    credit code), so the code cannot be guessed from the chain."""
    return bytes(Web3.keccak(IDENTITY_TAG + salt + identity.encode("utf-8")))


def reason_hash(reason: str) -> bytes:
    if not reason.strip():
        raise UsageError("--reason must not be empty")
    return bytes(Web3.keccak(text=reason))


@click.group()
def members() -> None:
    """Admit, suspend, reinstate and show consortium members."""


@members.command("admit")
@click.argument("account")
@click.option(
    "--role",
    "roles",
    multiple=True,
    required=True,
    type=click.Choice(list(ROLE_NAMES)),
    help="a role (repeat for several)",
)
@click.option(
    "--identity",
    default=None,
    metavar="TEXT",
    help="legal identity (e.g. credit code): hashed with a fresh salt, shown once",
)
@click.option("--identity-hash", "identity_hex", default=None, metavar="0x..32 BYTES",
              help="a salted identity hash computed elsewhere")  # fmt: skip
@command_options
@pass_state
def admit(
    state: CliState, account: str, roles: tuple[str, ...], identity: str | None,
    identity_hex: str | None,
) -> None:  # fmt: skip
    """Admit ACCOUNT with roles (admin or operator signs)."""
    address = parse_address(account, "account")
    if (identity is None) == (identity_hex is None):
        raise UsageError("give exactly one of --identity TEXT or --identity-hash 0x...")
    salt = b""
    if identity is not None:
        if not identity.strip():
            raise UsageError("--identity must not be empty")
        salt = secrets.token_bytes(32)
        ident = identity_hash(identity.strip(), salt)
    else:
        ident = parse_bytes32(str(identity_hex), "--identity-hash")
    bits = Role(0)
    for r in roles:
        bits |= ROLE_NAMES[r]
    c = state.contracts()
    existing = c.membership.member_of(address)
    if existing.status != "none":
        raise UsageError(f"{address} is already a member ({existing.status})")
    receipt = c.membership.admit(state.signer(), address, bits, ident)
    doc: dict[str, Any] = {
        "account": address, "roles": role_names(bits), "identity_hash": ident,
        "tx": receipt.tx_hash, "block": receipt.block_number,
    }  # fmt: skip
    text = f"admitted {address} as {', '.join(role_names(bits))} (tx {receipt.tx_hash})"
    if salt:
        doc["identity_salt"] = salt
        text += f"\nidentity hash 0x{ident.hex()}, salt 0x{salt.hex()}: keep the salt on file"
    state.emit(doc, text)


def _member(state: CliState, account: str) -> Any:
    address = parse_address(account, "account")
    c = state.contracts()
    member = c.membership.member_of(address)
    if member.status == "none":
        raise UsageError(f"{address} is not a member")
    return c, member


@members.command("suspend")
@click.argument("account")
@click.option("--reason", default=None, help="the documented reason (its hash goes on chain)")
@click.option("--reason-hash", "reason_hex", default=None, metavar="0x..32 BYTES")
@command_options
@pass_state
def suspend(state: CliState, account: str, reason: str | None, reason_hex: str | None) -> None:
    """Suspend ACCOUNT: it can no longer receive pieces (admin or operator signs)."""
    if (reason is None) == (reason_hex is None):
        raise UsageError("give exactly one of --reason TEXT or --reason-hash 0x...")
    why = reason_hash(reason) if reason is not None else parse_bytes32(str(reason_hex), "--reason-hash")
    c, member = _member(state, account)
    if member.status != "active":
        raise UsageError(f"{member.account} is {member.status}, not active")
    receipt = c.membership.suspend(state.signer(), member.account, why)
    state.emit(
        {"account": member.account, "status": "suspended", "reason_hash": why,
         "tx": receipt.tx_hash},
        f"suspended {member.account} (tx {receipt.tx_hash})",
    )  # fmt: skip


@members.command("reinstate")
@click.argument("account")
@command_options
@pass_state
def reinstate(state: CliState, account: str) -> None:
    """Reinstate a suspended ACCOUNT (admin or operator signs)."""
    c, member = _member(state, account)
    if member.status != "suspended":
        raise UsageError(f"{member.account} is {member.status}, not suspended")
    receipt = c.membership.reinstate(state.signer(), member.account)
    state.emit(
        {"account": member.account, "status": "active", "tx": receipt.tx_hash},
        f"reinstated {member.account} (tx {receipt.tx_hash})",
    )


@members.command("show")
@click.argument("account")
@command_options
@pass_state
def show(state: CliState, account: str) -> None:
    """Show ACCOUNT's member record."""
    c, member = _member(state, account)
    pieces, can_receive, can_send = c.token.holder_of(member.account)
    doc = {
        "account": member.account,
        "roles": role_names(member.roles),
        "status": member.status,
        "frozen": member.frozen,
        "admitted_at": format_instant(member.admitted_at),
        "identity_hash": member.identity_hash,
        "can_receive": can_receive,
        "can_send": can_send,
        "pieces": pieces,
    }

    def human(out: Console) -> None:
        for key, value in doc.items():
            shown = ", ".join(value) if isinstance(value, list) else value
            if isinstance(value, bytes):
                shown = "0x" + value.hex()
            out.print(f"{key.replace('_', ' '):<14} {shown}")

    state.emit(doc, human)
