"""What every ``tierchain`` command module shares: the connection, the deployment, the signer,
input checks and output.

A command module looks like::

    @click.group()
    def desk() -> None:
        "Financing offers."

    @desk.command("offer")
    @command_options                     # --rpc ... --from ... --json on the command too
    @click.argument("piece")
    @pass_state
    def offer(state: CliState, piece: str) -> None:
        c = state.contracts()            # deployment loaded and verified (chain id, code)
        token_id = resolve_piece(c, piece)
        ...checks, all before signing...
        by = state.signer()              # unlocks the keystore / dev key only now
        receipt = ...
        state.emit({"tx": receipt.tx_hash}, lambda out: out.print("done"))

and ``cli.py`` adds it with one ``main.add_command(desk)`` line. Errors are raised as
:class:`~tierchain.core.errors.TierchainError` subclasses; ``cli._Group.invoke`` is the single place
that prints them and exits with their code.

Options exist both on the group (``tierchain --rpc URL payables list``) and on each command
(``tierchain payables list --rpc URL``); a command's value wins.
"""

from __future__ import annotations

import json
import re
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TypeVar

import click
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from web3 import Web3

from tierchain.chain.deployment import Deployment, load_deployment, state_home
from tierchain.chain.local import (
    CHAIN_IDS,
    DEFAULT_PORTS,
    LOCAL_CHAIN_IDS,
    chain_status,
    dev_accounts,
    free_port,
    last_port,
    start_chain,
)
from tierchain.chain.rpc import chain_id_of, open_web3
from tierchain.chain.sender import DEFAULT_PRIORITY_FEE, Receipt, Sender
from tierchain.chain.wallet import find_keystore, read_password_file, unlock
from tierchain.clients import rules
from tierchain.clients.bundle import Contracts
from tierchain.clients.contracts import PayableInfo, PieceInfo
from tierchain.clients.requests import Call, sign_request, wallet_typed_data
from tierchain.core.errors import ContractRevert, UsageError
from tierchain.core.ids import short_id
from tierchain.core.messages import format_instant as format_instant
from tierchain.core.money import format_cents, parse_cents

F = TypeVar("F", bound=Callable[..., Any])

LOCAL_CHAIN_KIND: Final = "ganache"
"""The chain started automatically when no ``--rpc`` is given."""


# ---------------------------------------------------------------------------- state


class LegacyFeeSender(Sender):
    """A :class:`Sender` that always sends type-0 (``gasPrice``) transactions: ``--legacy``, or
    chains without EIP-1559. On a chain with a base fee the price is at least 2 × base fee + tip,
    so the transaction is not dropped."""

    def fees(self) -> dict[str, int]:
        return legacy_fees(self.w3, self.priority_fee)


def legacy_fees(w3: Web3, priority_fee: int | None = None) -> dict[str, int]:
    """``gasPrice`` = the node's price, raised to 2 × base fee + tip when the chain has a
    non-zero base fee. A zero-price chain (a PoA network without fees) keeps price 0."""
    price = int(w3.eth.gas_price)
    base = w3.eth.get_block("latest").get("baseFeePerGas")
    if base:
        tip = priority_fee if priority_fee is not None else DEFAULT_PRIORITY_FEE
        price = max(price, 2 * int(base) + tip)
    return {"gasPrice": price}


@dataclass
class CliState:
    """Global options and the objects built from them (lazily, once per invocation)."""

    rpc: str | None = None
    confirmations: int = 1
    legacy: bool = False
    timeout: float = 120.0
    deployment_file: Path | None = None
    from_address: str | None = None
    password_file: str | None = None
    dev_account: int | None = None
    json: bool = False
    url: str | None = None  # the node actually used (set on connect)
    _w3: Web3 | None = field(default=None, repr=False)
    _deployment: Deployment | None = field(default=None, repr=False)
    _contracts: Contracts | None = field(default=None, repr=False)
    _sender: Sender | None = field(default=None, repr=False)

    # -- chain ---------------------------------------------------------------------------------

    def web3(self) -> Web3:
        """The connection: ``--rpc`` (or ``$TIERCHAIN_RPC``), else the local chain under the
        tierchain home, started in the background if it is not running."""
        if self._w3 is None:
            self.url = self.rpc or ensure_local_chain(self.stderr())
            self._w3 = open_web3(self.url)  # counts round trips; asks the chain id once
        return self._w3

    @property
    def chain_id(self) -> int:
        return chain_id_of(self.web3())

    def deployment(self) -> Deployment:
        """The recorded deployment, verified against the node: chain id, genesis, code."""
        if self._deployment is None:
            self._deployment = load_deployment(self.web3(), path=self.deployment_file)
        return self._deployment

    def contracts(self) -> Contracts:
        if self._contracts is None:
            self._contracts = Contracts.at(self.web3(), self.deployment())
        return self._contracts

    # -- signer --------------------------------------------------------------------------------

    def signer_address(self) -> ChecksumAddress:
        """The signer's address, without unlocking anything (for checks before signing)."""
        if self.from_address is not None and self.dev_account is not None:
            raise UsageError("give either --from (a keystore) or --dev-account, not both")
        if self.from_address is not None:
            return parse_address(self.from_address, "--from")
        if self.dev_account is not None:
            self._check_dev_chain()
            return to_checksum_address(dev_accounts()[self.dev_account].address)
        raise UsageError(
            "this command signs a transaction: pass --from ADDRESS (a keystore, see "
            "`tierchain wallet list`) or, on a local chain, --dev-account N"
        )

    def has_signer(self) -> bool:
        return self.from_address is not None or self.dev_account is not None

    def _check_dev_chain(self) -> None:
        chain_id = self.chain_id
        if chain_id not in LOCAL_CHAIN_IDS:
            raise UsageError(
                f"--dev-account uses the public development keys: allowed only on local chains "
                f"(ids {sorted(LOCAL_CHAIN_IDS)}), this is chain {chain_id}; use --from"
            )

    def account(self) -> LocalAccount:
        """The signer's key: the keystore unlocked (password file or hidden prompt) or the
        development key."""
        address = self.signer_address()
        if self.dev_account is not None:
            return dev_accounts()[self.dev_account]
        return unlock_keystore(address, self.password_file)

    def other_account(
        self, address: str | None, password_file: str | None, dev_account: int | None, role: str
    ) -> LocalAccount:
        """A second key of the command (a relayer): a keystore (``address``) or, on a local
        chain only, development key ``dev_account``."""
        if (address is None) == (dev_account is None):
            raise UsageError(f"the {role}: give either its keystore address or its development key number")
        if address is not None:
            return unlock_keystore(parse_address(address, role), password_file)
        chain_id = self.chain_id
        if chain_id not in LOCAL_CHAIN_IDS:
            raise UsageError(
                f"the {role}: development keys are public, allowed only on local chains (ids "
                f"{sorted(LOCAL_CHAIN_IDS)}), this is chain {chain_id}; give a keystore address"
            )
        assert dev_account is not None
        return dev_accounts()[dev_account]

    def make_sender(self, account: LocalAccount, **kwargs: Any) -> Sender:
        """A Sender for ``account`` with the fee mode, confirmations and timeout chosen."""
        cls = LegacyFeeSender if self.legacy else Sender
        return cls(
            self.web3(), account, confirmations=self.confirmations, timeout=self.timeout,
            **kwargs,
        )  # fmt: skip

    def signer(self) -> Sender:
        """The signer as a Sender (unlocked on first use)."""
        if self._sender is None:
            self._sender = self.make_sender(self.account())
        return self._sender

    # -- output --------------------------------------------------------------------------------

    def console(self) -> Console:
        """Human output on stdout (wide when not a terminal, so ids are never folded)."""
        width = None if sys.stdout.isatty() else 160
        return Console(width=width, soft_wrap=False, highlight=False)

    def stderr(self) -> Console:
        """Notices and progress on stderr."""
        width = None if sys.stderr.isatty() else 160
        return Console(stderr=True, width=width, soft_wrap=False, highlight=False)

    def emit(self, data: Mapping[str, Any], human: Callable[[Console], None] | str) -> None:
        """One JSON document on stdout with ``--json``, else the human rendering."""
        if self.json:
            click.echo(json.dumps(data, indent=1, default=json_default))
        elif isinstance(human, str):
            self.console().print(human)
        else:
            human(self.console())

    def progress(self) -> Progress:
        """A progress bar on stderr (only on a terminal, never with ``--json``)."""
        return Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=self.stderr(), transient=True,
            disable=self.json or not sys.stderr.isatty(),
        )  # fmt: skip


def unlock_keystore(address: str, password_file: str | None) -> LocalAccount:
    """The keystore of ``address`` unlocked with the password file's first line or a hidden
    prompt."""
    entry = find_keystore(address)
    if password_file is not None:
        password = read_password_file(password_file)
    else:
        password = click.prompt(f"password for {entry.address}", hide_input=True, err=True, show_default=False)
    account = unlock(entry.address, password)
    del password
    return account


def relay_options(f: F) -> F:
    """Options of a command that can go through the relay (``--relay``): who relays and pays
    the gas, or where the signed or the unsigned request goes instead."""
    options = (
        click.option("--relay", "relayed", is_flag=True,
                     help="only sign a Call request; a relayer sends it and pays the gas"),
        click.option("--relayer-from", default=None, metavar="ADDRESS",
                     help="with --relay: relay at once with this keystore account (the operator)"),
        click.option("--relayer-password-file", default=None, metavar="PATH",
                     help="with --relayer-from: its password file [default: hidden prompt]"),
        click.option("--relayer-dev-account", type=click.IntRange(0, 19), default=None, metavar="N",
                     help="with --relay on a local chain: relay at once with development key N (the operator: 1)"),
        click.option("--signed-output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="with --relay: write the signed request here for `tierchain request relay`"),
        click.option("--typed-data-out", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="with --relay: write the UNSIGNED typed data here for a browser wallet "
                          "(eth_signTypedData_v4); nothing is signed"),
    )  # fmt: skip
    return _apply(f, options)


@dataclass(frozen=True)
class RelayChoice:
    """What ``relay_options`` gathered."""

    relayer_from: str | None = None
    relayer_password_file: str | None = None
    relayer_dev_account: int | None = None
    signed_output: Path | None = None
    typed_data_out: Path | None = None


def relayed_call(
    state: CliState, c: Contracts, target: ChecksumAddress, data: bytes, summary: str, how: RelayChoice
) -> Receipt | None:
    """Send ``data`` to ``target`` as the signer's relayed ``Call``: write its unsigned typed
    data (``typed_data_out``, for a browser wallet), or sign it and write it (``signed_output``),
    or sign it and relay it at once (a relayer's keystore or, locally, a development key).
    Returns the receipt when relayed here, else None."""
    outputs = [how.signed_output, how.typed_data_out]
    relayers = [how.relayer_from, how.relayer_dev_account]
    if sum(x is not None for x in outputs + relayers) != 1:
        raise UsageError(
            "--relay needs exactly one of --relayer-from ADDRESS, --relayer-dev-account N (local chains), "
            "--signed-output FILE or --typed-data-out FILE"
        )
    relay = c.relay
    if not relay.is_target_allowed(target):
        raise UsageError(f"the relay {relay.address} does not forward calls to {target}")
    signer = state.signer_address()
    now = int(state.web3().eth.get_block("latest")["timestamp"])
    request = Call(signer, target, data, relay.nonce_of(signer), now + 3_600)
    domain = relay.domain(state.chain_id)
    if how.typed_data_out is not None:
        doc = {"summary": summary, **wallet_typed_data(request, domain)}
        how.typed_data_out.write_text(json.dumps(doc, indent=1) + "\n")
        state.emit(
            {"typed_data": str(how.typed_data_out), "signer": signer, "summary": summary},
            f"unsigned Call of {signer} written to {how.typed_data_out} ({summary}); sign it with a wallet "
            "(eth_signTypedData_v4), then `tierchain request relay FILE --signature 0x...`",
        )
        return None
    signed = sign_request(request, domain, state.account())
    if how.signed_output is not None:
        how.signed_output.write_text(signed.to_json() + "\n")
        state.emit(
            {"signed_request": str(how.signed_output), "signer": signer, "summary": summary},
            f"signed a Call of {signer} ({summary}), written to {how.signed_output}; the operator relays it "
            "with `tierchain request relay`",
        )
        return None
    relayer = state.make_sender(
        state.other_account(how.relayer_from, how.relayer_password_file, how.relayer_dev_account, "relayer")
    )
    return relay.relay(relayer, signed)


def json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


pass_state = click.make_pass_decorator(CliState, ensure=True)


def get_state(ctx: click.Context | None = None) -> CliState:
    return (ctx or click.get_current_context()).ensure_object(CliState)


# ---------------------------------------------------------------------------- options


def _setter(name: str, flag: bool = False) -> Callable[[click.Context, click.Parameter, Any], None]:
    def store(ctx: click.Context, _param: click.Parameter, value: Any) -> None:
        state = ctx.ensure_object(CliState)  # made on the group's context, shared below it
        if value is None or (flag and not value):
            return  # not given here: keep what the group (or the default) says
        setattr(state, name, value)

    return store


def _opt(*decls: str, name: str, flag: bool = False, **kwargs: Any) -> Callable[[F], F]:
    if flag:
        kwargs.setdefault("is_flag", True)
        kwargs.setdefault("default", False)
    else:
        kwargs.setdefault("default", None)
    return click.option(*decls, expose_value=False, callback=_setter(name, flag), **kwargs)


json_option = _opt("--json", name="json", flag=True, help="machine output: one JSON document")

_CHAIN_OPTIONS = (
    _opt("--rpc", name="rpc", metavar="URL", envvar="TIERCHAIN_RPC",
         help="JSON-RPC URL of any EVM chain [default: the local chain, started if needed]"),
    _opt("--confirmations", name="confirmations", type=click.IntRange(1, 1000), metavar="N",
         help="blocks a transaction needs before it counts as done [default: 1]"),
    _opt("--legacy", name="legacy", flag=True,
         help="legacy gasPrice transactions (automatic when the chain has no base fee)"),
    _opt("--timeout", name="timeout", type=click.FloatRange(1, 3600), metavar="SECONDS",
         help="receipt wait per transaction [default: 120]"),
    _opt("--deployment", name="deployment_file", metavar="FILE",
         type=click.Path(dir_okay=False, path_type=Path),
         help="deployment record [default: <home>/deployments/<chain id>.json]"),
)  # fmt: skip
_SIGNER_OPTIONS = (
    _opt("--from", "from_address", name="from_address", metavar="ADDRESS", envvar="TIERCHAIN_FROM",
         help="sign with this keystore account (see `tierchain wallet list`)"),
    _opt("--password-file", name="password_file", metavar="PATH",
         envvar="TIERCHAIN_PASSWORD_FILE",
         help="file whose first line is the keystore password [default: hidden prompt]"),
    _opt("--dev-account", name="dev_account", type=click.IntRange(0, 19), metavar="N",
         help="sign with development key N (local chains 1337/31337 only)"),
)  # fmt: skip


def _apply(f: F, options: tuple[Callable[[Any], Any], ...]) -> F:
    for option in reversed(options):
        f = option(f)
    return f


def chain_options(f: F) -> F:
    """--rpc, --confirmations, --legacy, --timeout, --deployment, --json."""
    return _apply(f, (*_CHAIN_OPTIONS, json_option))


def command_options(f: F) -> F:
    """Every global option (chain, signer, --json), for commands that sign."""
    return _apply(f, (*_CHAIN_OPTIONS, *_SIGNER_OPTIONS, json_option))


# ---------------------------------------------------------------------------- the local chain


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a dead chain's TIME_WAIT is free
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def local_chain_dir(kind: str = LOCAL_CHAIN_KIND) -> Path:
    return state_home() / f"chain-{kind}"


def ensure_local_chain(log: Console | None = None) -> str:
    """URL of the local Ganache kept under the tierchain home; started if not running."""
    state = local_chain_dir()
    running = chain_status(state)
    if running is not None:
        return running.url
    port = last_port(state) or DEFAULT_PORTS[LOCAL_CHAIN_KIND]  # the recorded port first
    if not _port_free(port):
        port = free_port()
    started = start_chain(LOCAL_CHAIN_KIND, port, state)
    if log is not None:
        log.print(
            f"started the local {LOCAL_CHAIN_KIND} chain (id {CHAIN_IDS[LOCAL_CHAIN_KIND]}) at "
            f"{started.url}, state in {state}; `tierchain chain stop` stops it"
        )
    return started.url


# ---------------------------------------------------------------------------- input checks

_ADDRESS_RE: Final = re.compile(r"0x[0-9a-fA-F]{40}", re.ASCII)
_INSTANT_RE: Final = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(?::[0-9]{2})?(?:Z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII,
)
_BYTES32_RE: Final = re.compile(r"0x[0-9a-fA-F]{64}", re.ASCII)
_PIECE_RE: Final = re.compile(r"P?([0-9]{1,20})#([0-9]{1,10})", re.ASCII | re.IGNORECASE)
_UINT_RE: Final = re.compile(r"[0-9]{1,78}", re.ASCII)


def parse_address(text: str, name: str = "address") -> ChecksumAddress:
    """A 0x address; a mixed-case address with a wrong EIP-55 checksum is refused
    (:func:`tierchain.clients.rules.parse_address`)."""
    return rules.parse_address(text, name)


def parse_instant(text: str, name: str = "date") -> int:
    """UTC seconds of an ISO 8601 date-time with an explicit zone, e.g. 2027-03-01T00:00:00Z
    or 2027-03-01T08:00+08:00. A date without a zone (whose zone?) is refused."""
    if not isinstance(text, str) or not _INSTANT_RE.fullmatch(text):
        raise UsageError(
            f"{name}: {str(text)[:40]!r} is not a date-time with a time zone; write e.g. "
            "2027-03-01T00:00:00Z or 2027-03-01T08:00:00+08:00"
        )
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{name}: {text!r} is not a real date-time") from None
    return int(when.timestamp())


def parse_bytes32(text: str, name: str = "hash") -> bytes:
    if not isinstance(text, str) or not _BYTES32_RE.fullmatch(text):
        raise UsageError(f"{name}: expected 0x and 64 hex digits")
    value = bytes.fromhex(text[2:])
    if not any(value):
        raise UsageError(f"{name}: must not be zero")
    return value


def parse_value(text: str, name: str = "amount") -> int:
    """A payable value in currency units with at most 2 decimals (payable values are cents)."""
    return int(parse_cents(text, name=name))


def parse_payable_id(text: str, c: Contracts) -> PayableInfo:
    """An existing payable, by its number (``3`` or ``P3``), read from the chain; a bad or
    unknown one is a :class:`~tierchain.clients.rules.PieceError` (exit code 20)."""
    payable_id = rules.parse_payable_number(text, "payable")
    try:
        info = c.token.payable_of(payable_id)
    except ContractRevert:
        info = None
    if info is None or info.status == "none":
        raise rules.PieceError("UnknownPayable", payableId=payable_id, count=c.token.payable_count())
    return info


def resolve_piece(c: Contracts, text: str, name: str = "piece") -> PieceInfo:
    """An existing live piece, given as ``P3#2`` (payable 3, piece 2) or its token id (decimal
    or 0x hex); read from the chain (:func:`tierchain.clients.rules.parse_piece`)."""
    ref = rules.parse_piece(text, name)
    return rules.read(c, pieces=[(ref, name)]).piece(ref)


def require_receiver(c: Contracts, address: ChecksumAddress, name: str = "receiver") -> None:
    """``address`` must be an active, unfrozen member with a holder role."""
    if not c.membership.can_receive(address):
        member = c.membership.member_of(address)
        why = (
            "not a member" if member.status == "none"
            else "suspended" if member.status == "suspended"
            else "frozen" if member.frozen
            else f"roles {member.roles!r} cannot hold pieces (supplier, financier, guarantor)"
        )  # fmt: skip
        raise UsageError(f"{name} {address} cannot receive pieces: {why}")


def piece_json(p: PieceInfo) -> dict[str, Any]:
    """A piece for ``--json`` output (token ids as strings: they exceed 2**53)."""
    return {
        "piece": short_id(p.token_id),
        "token_id": str(p.token_id),
        "payable_id": p.payable_id,
        "index": p.index,
        "parent": short_id(p.parent_token_id) if p.parent_token_id else None,
        "owner": p.owner,
        "value": format_cents(p.value, grouping=False),
        "value_cents": p.value,
        "locked": p.locked,
        "frozen": p.frozen,
    }
