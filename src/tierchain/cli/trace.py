"""``tierchain trace``: a piece down to one invoice, its proof checked by the registry."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from tierchain.audit.trace import load_package_file, parse_token_id, render_trace, trace_piece, trace_to_json
from tierchain.chain.deployment import load_deployment
from tierchain.chain.local import connect
from tierchain.clients.bundle import Contracts


@click.command("trace")
@click.argument("token_id")
@click.option("--package", "package_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="the package file (tierchain.invoice-package JSON) the payable was issued against")  # fmt: skip
@click.option("--invoice", default=None,
              help="CODE/NUMBER or 0x invoice key (default: the file's first invoice)")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="print the trace as JSON")
@click.option("--rpc", default="http://127.0.0.1:8545", show_default=True, envvar="TIERCHAIN_RPC",
              help="JSON-RPC URL (env TIERCHAIN_RPC)")  # fmt: skip
def trace(token_id: str, package_file: Path, invoice: str | None, as_json: bool, rpc: str) -> None:
    """Trace TOKEN_ID (decimal, 0x, or P<payable>#<index>) through its parent pieces, payable
    and package down to one invoice, whose proof the registry verifies on chain.

    Exit codes: 20 unknown piece, 21 unreadable package file, 22 file is not the payable's
    package, 23 invoice not in the package, 24 proof rejected by the registry.
    """
    w3 = connect(rpc)
    contracts = Contracts.at(w3, load_deployment(w3))
    token = parse_token_id(token_id, contracts)
    package = load_package_file(package_file)
    result = trace_piece(contracts, token, package, invoice)
    if as_json:
        click.echo(json.dumps(trace_to_json(result), indent=1))
    else:
        render_trace(result, Console(width=120))
