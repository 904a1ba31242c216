"""``tierchain trace``: a piece down to one invoice, its proof checked by the registry."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from tierchain.audit.trace import load_package_file, render_trace, trace_piece, trace_to_json
from tierchain.cli.common import CliState, chain_options, pass_state, resolve_piece


@click.command("trace")
@click.argument("piece")
@click.option("--package", "package_file", required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="the package file (tierchain.invoice-package JSON) the payable was issued against")  # fmt: skip
@click.option("--invoice", default=None,
              help="CODE/NUMBER or 0x invoice key (default: the file's first invoice)")  # fmt: skip
@chain_options
@pass_state
def trace(state: CliState, piece: str, package_file: Path, invoice: str | None) -> None:
    """Trace PIECE (P<payable>#<index>, or a token id in decimal or 0x) through its parent
    pieces, payable and package down to one invoice, whose proof the registry verifies on chain.

    Exit codes: 20 unknown piece (as in every command), 21 unreadable package file, 22 file is
    not the payable's package, 23 invoice not in the package, 24 proof rejected by the registry.
    """
    contracts = state.contracts()
    token = resolve_piece(contracts, piece).token_id
    package = load_package_file(package_file)
    result = trace_piece(contracts, token, package, invoice)
    if state.json:
        click.echo(json.dumps(trace_to_json(result), indent=1))
    else:
        render_trace(result, Console(width=120))
