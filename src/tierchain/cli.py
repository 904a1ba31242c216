"""The ``tierchain`` command line: a skin over the library.

One place (:class:`_Group`) turns a :class:`TierchainError` into a one-line message on stderr
and the error class's exit code; user mistakes never print a traceback.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, get_args

import click
from rich.console import Console

from tierchain import __version__
from tierchain.chain import (
    LOCAL_CHAIN_IDS,
    ChainKind,
    chain_status,
    connect,
    dev_accounts,
    free_port,
    start_chain,
    stop_chain,
)
from tierchain.cli_index import index_commands
from tierchain.deploy import deploy_all, state_home
from tierchain.errors import TierchainError, UsageError
from tierchain.sender import Sender

CHAINS = list(get_args(ChainKind))


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TierchainError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(exc.exit_code)


def _chain_dir(kind: str, state_dir: Path | None) -> Path:
    return state_dir or state_home() / f"chain-{kind}"


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="tierchain")
def cli() -> None:
    """tierchain: divisible, transferable, financeable supply-chain payables."""


@cli.command()
@click.option("--chain", "kind", type=click.Choice(CHAINS), default="ganache", show_default=True)
@click.option("--port", type=int, default=None, help="RPC port (default: a free one)")
@click.option("--invoices", "invoice_count", type=click.IntRange(1, 1_000_000), default=4000,
              show_default=True, help="synthetic invoices in the package")  # fmt: skip
def demo(kind: ChainKind, port: int | None, invoice_count: int) -> None:
    """Start a fresh local chain, run the demo story on it, stop the chain."""
    from tierchain.workflows import run_demo

    state = state_home() / f"demo-{kind}"
    if state.exists():
        shutil.rmtree(state)
    console = Console()
    console.print(f"starting {kind} (state in {state}) ...")
    chain = start_chain(kind, port or free_port(), state)
    try:
        w3 = connect(chain.url)
        run_demo(w3, dev_accounts(), console, home=state, invoice_count=invoice_count)
    finally:
        stop_chain(state)
        console.print(f"{kind} stopped")


@cli.group()
def chain() -> None:
    """Start, stop or inspect a local development chain."""


_state_opt = click.option(
    "--state-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
    help="where the chain keeps its state (default: .tierchain/chain-<kind>)",
)  # fmt: skip
_kind_opt = click.option(
    "--chain", "kind", type=click.Choice(CHAINS), default="ganache", show_default=True
)


@chain.command("start")
@_kind_opt
@click.option("--port", type=int, default=None, help="RPC port (ganache 8545, anvil 8546)")
@_state_opt
def chain_start(kind: ChainKind, port: int | None, state_dir: Path | None) -> None:
    """Start a local chain in the background; its state survives restarts."""
    started = start_chain(kind, port, _chain_dir(kind, state_dir))
    click.echo(f"{kind} running at {started.url} (pid {started.pid}, state {started.state_dir})")


@chain.command("stop")
@_kind_opt
@_state_opt
def chain_stop(kind: ChainKind, state_dir: Path | None) -> None:
    """Stop the chain started from this state folder."""
    stopped = stop_chain(_chain_dir(kind, state_dir))
    click.echo(f"{kind} stopped (pid {stopped.pid})" if stopped else f"no {kind} chain running")


@chain.command("status")
@_kind_opt
@_state_opt
def chain_status_cmd(kind: ChainKind, state_dir: Path | None) -> None:
    """Say whether the chain of this state folder runs, and where."""
    running = chain_status(_chain_dir(kind, state_dir))
    if running is None:
        click.echo(f"{kind}: not running")
        return
    w3 = connect(running.url)
    click.echo(
        f"{kind}: running at {running.url} (pid {running.pid}), chain id {w3.eth.chain_id}, "
        f"block {w3.eth.block_number}"
    )


@cli.command()
@click.option("--rpc", required=True, help="JSON-RPC URL, e.g. http://127.0.0.1:8545")
@click.option("--dev-account", type=click.IntRange(0, 19), default=0, show_default=True,
              help="development account (of the local chains' mnemonic) that deploys")  # fmt: skip
@click.option("--operator-account", type=click.IntRange(0, 19), default=1, show_default=True)
def deploy(rpc: str, dev_account: int, operator_account: int) -> None:
    """Deploy and wire the contract set; record it under .tierchain/deployments/."""
    w3 = connect(rpc)
    chain_id = w3.eth.chain_id
    if chain_id not in LOCAL_CHAIN_IDS:
        raise UsageError(
            f"chain {chain_id} is not a local development chain: deploying with the public "
            "development keys is only allowed on 1337 (Ganache) or 31337 (Anvil)"
        )
    accounts = dev_accounts()
    admin = Sender(w3, accounts[dev_account])
    click.echo(f"chain {chain_id} at {rpc}; deployer {admin.address}")
    d = deploy_all(w3, admin, accounts[operator_account].address)
    for name in ("membership", "registry", "token", "currency"):
        click.echo(f"  {name:<10} {d.address_of(name)}")
    click.echo(f"recorded in {state_home() / 'deployments' / f'{chain_id}.json'}")


for _command in index_commands():  # index, query, export (tierchain.cli_index)
    cli.add_command(_command)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="tierchain")


if __name__ == "__main__":
    main()
