"""The ``tierchain`` command line: a skin over the library.

One place (:class:`_Group`) turns a :class:`TierchainError` into a one-line message on stderr
and the error class's exit code; user mistakes never print a traceback. Shared plumbing
(connection, deployment, signer, input checks, output) is in :mod:`tierchain.cli.common`;
each command group lives in its own module and is added here with one ``main.add_command``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import requests
from rich.console import Console
from rich.table import Table

from tierchain import __version__
from tierchain.chain.deployment import state_home
from tierchain.chain.local import (
    ChainKind,
)
from tierchain.cli.batch import claim_all_command, payout_command
from tierchain.cli.chain import CHAINS, chain
from tierchain.cli.common import (
    CliState,
    command_options,
    format_instant,
    json_option,
    pass_state,
    piece_json,
)
from tierchain.cli.deploy import admin, deploy
from tierchain.cli.examples import apply_examples
from tierchain.cli.financing import financing
from tierchain.cli.index import index_commands
from tierchain.cli.invoices import invoices
from tierchain.cli.journal import JOURNAL_COMMANDS
from tierchain.cli.members import members, role_names
from tierchain.cli.payables import payables
from tierchain.cli.request import request_group
from tierchain.cli.serve import serve
from tierchain.cli.settlement import settlement
from tierchain.cli.trace import trace as trace_command
from tierchain.cli.wallet import wallet
from tierchain.core.errors import ChainError, DeploymentError, TierchainError
from tierchain.core.messages import message_of
from tierchain.core.money import format_units


class _Group(click.Group):
    """The single error exit: a :class:`TierchainError` becomes ``error: <message>`` on stderr
    (plus ``{"error": ...}`` on stdout with ``--json``) and the error family's exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TierchainError as exc:
            _fail(ctx, message_of(exc), exc.exit_code, type(exc).__name__)
        except requests.exceptions.RequestException as exc:
            _fail(ctx, f"lost the JSON-RPC node ({type(exc).__name__})", ChainError.exit_code,
                  "ChainError")  # fmt: skip
        return None


def _fail(ctx: click.Context, message: str, code: int, kind: str) -> None:
    state = ctx.find_object(CliState)
    if state is not None and state.json:
        click.echo(json.dumps({"error": {"type": kind, "message": message, "exit_code": code}}))
    click.echo(f"error: {message}", err=True)
    ctx.exit(code)


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="tierchain")
@command_options
def main() -> None:
    """tierchain: divisible, transferable, financeable supply-chain payables.

    Without --rpc, commands use a local Ganache kept under $TIERCHAIN_HOME (default
    ./.tierchain), started in the background when needed. Signing: --from ADDRESS with a
    keystore (password from a hidden prompt or --password-file), or --dev-account N on a local
    chain. Every command takes --json for machine output.
    """


cli = main
"""The same group under its former name."""


@main.command()
@click.option("--chain", "kind", type=click.Choice(CHAINS), default="ganache", show_default=True)
@click.option("--port", type=int, default=None, help="RPC port (default: a free one)")
@click.option("--invoices", "invoice_count", type=click.IntRange(1, 1_000_000), default=4000,
              show_default=True, help="synthetic invoices in the package")  # fmt: skip
@click.option("--report-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="where the audit report and pictures go [default: <home>/demo-report]")  # fmt: skip
@json_option
@pass_state
def demo(state: CliState, kind: ChainKind, port: int | None, invoice_count: int, report_dir: Path | None) -> None:
    """Start a fresh local chain, run the whole demo story on it, write the audit report
    (JSON, CSV, SVG provenance pictures), stop the chain. The story is journaled: if a run was
    killed, running the command again resumes it (nothing is sent twice); the report left is
    always the last run's.

    Example: tierchain demo --chain anvil"""
    from tierchain.workflows.demo import demo_session

    home = state_home() / f"demo-{kind}"
    out_dir = report_dir or state_home() / "demo-report"
    console = Console(stderr=state.json)  # with --json the story goes to stderr
    if not console.is_terminal:
        console = Console(stderr=state.json, width=120)
    result = demo_session(kind, home, out_dir, console, port=port, invoice_count=invoice_count)
    if state.json:
        state.emit(
            {
                "payable_id": result.payable_id,
                "payables": {label: {"id": pid, "face_value_cents": result.faces.get(pid),
                                     **result.settlement.get(pid, {})}
                             for label, pid in result.payables.items()},
                "face_value_cents": result.face_value,
                "package_root": result.package_root,
                "invoice_count": result.invoice_count,
                "pieces": [{**piece_json(p), "holder": result.names.get(p.owner)}
                           for p in result.pieces if p.live],
                "financings": result.financings,
                "report_files": [str(f) for f in result.report_files],
                "refused": result.rejected,
            },
            "",
        )  # fmt: skip


@main.command()
@command_options
@pass_state
def status(state: CliState) -> None:
    """The chain, the deployment, and the signer's balances and membership."""
    w3 = state.web3()
    block = w3.eth.get_block("latest")
    base_fee = block.get("baseFeePerGas")
    doc: dict[str, Any] = {
        "chain": {
            "url": state.url,
            "chain_id": state.chain_id,
            "block": int(block["number"]),
            "block_time": format_instant(int(block["timestamp"])),
            "base_fee_wei": int(base_fee) if base_fee is not None else None,
            "fee_mode": "legacy" if state.legacy or base_fee is None else "eip1559",
            "confirmations": state.confirmations,
        }
    }
    c = None
    try:
        c = state.contracts()
        doc["deployment"] = state.deployment().to_json()
    except DeploymentError as exc:
        if "no deployment recorded" not in str(exc):
            raise
        doc["deployment"] = None
    if state.has_signer():
        address = state.signer_address()
        signer: dict[str, Any] = {
            "address": address,
            "ether_wei": int(w3.eth.get_balance(address)),
            "nonce": int(w3.eth.get_transaction_count(address, "pending")),
        }
        if c is not None:
            decimals = c.currency.decimals()
            member = c.membership.member_of(address)
            signer.update(
                currency_symbol=c.currency.symbol(),
                currency_balance=format_units(c.currency.balance_of(address), decimals, grouping=False),
                pieces=c.token.piece_count_of(address),
                member={
                    "roles": role_names(member.roles),
                    "status": member.status,
                    "frozen": member.frozen,
                },
            )
        doc["signer"] = signer

    def human(out: Console) -> None:
        ch = doc["chain"]
        out.print(
            f"chain {ch['chain_id']} at {ch['url']}: block {ch['block']} ({ch['block_time']}), "
            f"fees {ch['fee_mode']}"
            + (f" (base fee {ch['base_fee_wei']} wei)" if ch["base_fee_wei"] is not None else "")
        )
        dep = doc["deployment"]
        if dep is None:
            out.print("no deployment recorded for this chain: run `tierchain deploy`")
        else:
            table = Table(title="deployment")
            table.add_column("contract")
            table.add_column("address")
            for name in ("membership", "registry", "relay", "token", "currency", "admin", "operator"):
                table.add_row(name, dep[name])
            out.print(table)
        sig = doc.get("signer")
        if sig:
            out.print(f"signer {sig['address']}: {sig['ether_wei'] / 10**18:.6f} ETH (gas), "
                      f"next nonce {sig['nonce']}")  # fmt: skip
            if "member" in sig:
                m = sig["member"]
                out.print(
                    f"  {sig['currency_balance']} {sig['currency_symbol']}, {sig['pieces']} "
                    f"piece(s); member: {m['status']}"
                    + (f" ({', '.join(m['roles'])})" if m["roles"] else "")
                    + (" FROZEN" if m["frozen"] else "")
                )

    state.emit(doc, human)


# Command groups of their own modules: one line each.
main.add_command(chain)
main.add_command(deploy)
main.add_command(admin)
main.add_command(wallet)
main.add_command(members)
main.add_command(invoices)
main.add_command(payables)
main.add_command(request_group)
main.add_command(trace_command)
main.add_command(financing)
main.add_command(settlement)
main.add_command(serve)
payables.add_command(payout_command)
settlement.add_command(claim_all_command)
for _command in index_commands():  # index, query, export (tierchain.cli.index)
    main.add_command(_command)
for _command in JOURNAL_COMMANDS:
    main.add_command(_command)


if __name__ == "__main__":
    main(prog_name="tierchain")

apply_examples(main)  # every command's --help ends with one real example (cli/examples.py)
