"""``tierchain chain start|stop|status|fund|time``: the local development chain.

``fund`` and ``time`` work on local chains only (ids 1337/31337): a real chain's balances and
clock are not ours to set.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args

import click

from tierchain.chain.deployment import state_home
from tierchain.chain.local import (
    ChainKind,
    LocalChain,
    advance_time,
    chain_status,
    connect,
    dev_accounts,
    fund_ether,
    require_local,
    set_time,
    start_chain,
    stop_chain,
)
from tierchain.cli.common import (
    CliState,
    chain_options,
    format_instant,
    json_option,
    parse_address,
    parse_instant,
    pass_state,
)
from tierchain.core.errors import UsageError
from tierchain.core.money import format_units, parse_units

CHAINS = list(get_args(ChainKind))
_DURATION_RE = re.compile(r"([0-9]{1,9})([smhdw]?)", re.ASCII)
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 7 * 86_400}


def chain_dir(kind: str, state_dir: Path | None) -> Path:
    return state_dir or state_home() / f"chain-{kind}"


@click.group()
def chain() -> None:
    """Start, stop or inspect a local development chain; fund accounts and move its clock."""


_state_opt = click.option(
    "--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="where the chain keeps its state (default: <home>/chain-<kind>)",
)  # fmt: skip
_kind_opt = click.option("--chain", "kind", type=click.Choice(CHAINS), default="ganache", show_default=True)


def _chain_json(kind: str, running: LocalChain | None, **extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"kind": kind, "running": running is not None}
    if running is not None:
        doc.update(url=running.url, pid=running.pid, port=running.port, state_dir=running.state_dir)
    doc.update(extra)
    return doc


@chain.command("start")
@_kind_opt
@click.option("--port", type=click.IntRange(1, 65535), default=None,
              help="RPC port [default: the port it last ran on, else ganache 8545, anvil 8546]")  # fmt: skip
@_state_opt
@json_option
@pass_state
def chain_start(state: CliState, kind: ChainKind, port: int | None, state_dir: Path | None) -> None:
    """Start a local chain in the background; its state survives restarts.

    Example: tierchain chain start --chain anvil
    """
    started = start_chain(kind, port, chain_dir(kind, state_dir))
    state.emit(
        _chain_json(kind, started),
        f"{kind} running at {started.url} (pid {started.pid}, state {started.state_dir})",
    )


@chain.command("stop")
@_kind_opt
@_state_opt
@json_option
@pass_state
def chain_stop(state: CliState, kind: ChainKind, state_dir: Path | None) -> None:
    """Stop the chain started from this state folder.

    Example: tierchain chain stop
    """
    stopped = stop_chain(chain_dir(kind, state_dir))
    state.emit(
        {"kind": kind, "stopped": stopped is not None, "pid": stopped.pid if stopped else None},
        f"{kind} stopped (pid {stopped.pid})" if stopped else f"no {kind} chain running",
    )


@chain.command("status")
@_kind_opt
@_state_opt
@json_option
@pass_state
def chain_status_cmd(state: CliState, kind: ChainKind, state_dir: Path | None) -> None:
    """Say whether the chain of this state folder runs, and where.

    Example: tierchain chain status --json
    """
    running = chain_status(chain_dir(kind, state_dir))
    if running is None:
        state.emit(_chain_json(kind, None), f"{kind}: not running")
        return
    w3 = connect(running.url)
    chain_id, block = w3.eth.chain_id, w3.eth.block_number
    state.emit(
        _chain_json(kind, running, chain_id=chain_id, block=block),
        f"{kind}: running at {running.url} (pid {running.pid}), chain id {chain_id}, block {block}",
    )


@chain.command("fund")
@click.argument("address")
@click.option("--ether", "ether", default=None, metavar="N", help="add N ether (gas money), e.g. 5 or 0.25")
@click.option("--currency", "currency", default=None, metavar="AMOUNT",
              help="mint AMOUNT of the deployment's demo currency, e.g. 1000.00")  # fmt: skip
@chain_options
@pass_state
def chain_fund(state: CliState, address: str, ether: str | None, currency: str | None) -> None:
    """Give an account ether and/or demo currency on a local chain (ids 1337/31337 only).

    The demo currency is minted by its operator, which must be a development key.

    Example: tierchain chain fund 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --ether 5 --currency 1000.00
    """
    who = parse_address(address, "ADDRESS")
    if ether is None and currency is None:
        raise UsageError("say what to give: --ether N and/or --currency AMOUNT")
    wei = parse_units(ether, 18, name="--ether") if ether is not None else None
    w3 = state.web3()
    require_local(w3, "`chain fund`")
    doc: dict[str, Any] = {"address": who}
    lines: list[str] = []
    if currency is not None:
        c = state.contracts()  # checked before any ether moves
        decimals = c.currency.decimals()
        units = parse_units(currency, decimals, name="--currency")
        operator = state.deployment().operator
        key = next((a for a in dev_accounts() if a.address.lower() == operator.lower()), None)
        if key is None:
            raise UsageError(f"the demo currency's operator {operator} is not a development key: "
                             "it must mint itself (`tierchain` cannot sign for it here)")  # fmt: skip
    if wei is not None:
        balance = fund_ether(w3, who, wei)
        doc["ether_wei"] = str(balance)
        lines.append(f"{who}: {format_units(balance, 18)} ETH")
    if currency is not None:
        assert key is not None
        receipt = c.currency.mint(state.make_sender(key), who, units)
        symbol = c.currency.symbol()
        held = c.currency.balance_of(who)
        doc.update(currency_minted=format_units(units, decimals, grouping=False),
                   currency_balance=format_units(held, decimals, grouping=False), tx=receipt.tx_hash)  # fmt: skip
        lines.append(f"{who}: minted {format_units(units, decimals)} {symbol}, holds {format_units(held, decimals)}")
    state.emit(doc, "\n".join(lines))


def parse_duration(text: str) -> int:
    """``30d``, ``12h``, ``90m``, ``45s``, ``2w`` or plain seconds."""
    match = _DURATION_RE.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise UsageError(f"--advance: {str(text)[:30]!r} is not a duration like 30d, 12h, 90m, 45s or 3600")
    seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    if seconds <= 0:
        raise UsageError("--advance: the duration must be positive")
    return seconds


@chain.command("time")
@click.option("--advance", default=None, metavar="DURATION", help="move the clock forward: 30d, 12h, 90m, 45s")
@click.option("--set", "set_to", default=None, metavar="ISO-INSTANT", help="set the clock, e.g. 2027-03-01T00:00:00Z")
@chain_options
@pass_state
def chain_time(state: CliState, advance: str | None, set_to: str | None) -> None:
    """Show, advance or set a local chain's clock (forward only; mines one block at the new time).

    Example: tierchain chain time --advance 30d
    """
    if advance is not None and set_to is not None:
        raise UsageError("give either --advance or --set, not both")
    w3 = state.web3()
    if advance is not None:
        seconds = parse_duration(advance)
        require_local(w3, "`chain time`")
        now = advance_time(w3, seconds)
    elif set_to is not None:
        now = set_time(w3, parse_instant(set_to, "--set"))
    else:
        now = int(w3.eth.get_block("latest")["timestamp"])
    block = int(w3.eth.block_number)
    state.emit({"timestamp": now, "time": format_instant(now), "block": block},
               f"chain time {format_instant(now)} (block {block})")  # fmt: skip
