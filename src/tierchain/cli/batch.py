"""``tierchain payables payout`` and ``tierchain settlement claim-all``: many payments in few
transactions, journaled chunk by chunk (run the same command again to resume).

Added in ``cli/main.py`` with two lines::

    payables.add_command(payout_command)
    settlement.add_command(claim_all_command)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from tierchain.cli.common import CliState, command_options, parse_payable_id, pass_state, resolve_piece
from tierchain.core.errors import UsageError
from tierchain.core.ids import short_id
from tierchain.core.money import format_cents
from tierchain.workflows.claims import claim_all
from tierchain.workflows.journal import Journal
from tierchain.workflows.payout import payout


def _progress_callback(progress: Progress, description: str) -> Any:
    task = progress.add_task(description, total=None)

    def on_chunk(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    return on_chunk


@click.command("payout")
@command_options
@click.argument("piece")
@click.option("--csv", "csv_path", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="rows of receiver,amount,reference (a header line first)")  # fmt: skip
@click.option("--result", "result_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="where the result CSV goes [default: <csv>.result.csv]")  # fmt: skip
@click.option("--id", "workflow_id", default=None,
              help="journal id of the job [default: payout-<piece>-<hash of the file>]")  # fmt: skip
@click.option("--chunk", "chunk_size", type=click.IntRange(1, 2_000), default=None,
              help="rows per transaction [default: as many as fit 3/4 of the block gas limit]")  # fmt: skip
@pass_state
def payout_command(
    state: CliState, piece: str, csv_path: Path, result_path: Path | None, workflow_id: str | None,
    chunk_size: int | None,
) -> None:  # fmt: skip
    """Pay many suppliers out of one PIECE: each CSV row becomes a new piece for its receiver.

    Every row is checked before anything is signed (addresses and EIP-55 checksums, members,
    amounts in cents, the minimum piece, duplicate references, the total against the piece); a
    file with any bad row is refused whole, listing every bad row. Rows are sent in chunks sized
    to the block gas limit, each chunk journaled: after a crash, run the same command again.

    Example: tierchain payables payout P1#1 --csv payouts.csv --dev-account 3
    """
    c = state.contracts()
    token = resolve_piece(c, piece)
    try:
        text = csv_path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UsageError(f"{csv_path}: not UTF-8 text") from None
    result_file = result_path or csv_path.with_name(csv_path.stem + ".result.csv")
    by = state.signer()
    with state.progress() as progress:
        result = payout(
            c, by, token.token_id, text, source=str(csv_path), workflow_id=workflow_id, journal=Journal(),
            chunk_size=chunk_size, result_csv=result_file,
            on_chunk=_progress_callback(progress, f"payout from {short_id(token.token_id)}"),
        )  # fmt: skip

    def human(out: Console) -> None:
        out.print(
            f"paid {len(result.rows)} rows ({format_cents(result.cents)}) out of {short_id(token.token_id)} in "
            f"{result.chunks} transaction(s); workflow {result.workflow_id}"
        )
        out.print(f"result: {result_file}")

    state.emit(
        {
            "workflow_id": result.workflow_id,
            "from_piece": short_id(token.token_id),
            "from_token_id": str(token.token_id),
            "rows": len(result.rows),
            "total_cents": str(result.cents),
            "chunks": result.chunks,
            "transactions": sorted(set(result.tx_hashes)),
            "result_csv": str(result_file),
            "pieces": [
                {
                    "reference": r.reference,
                    "receiver": r.receiver,
                    "cents": str(r.cents),
                    "piece": short_id(t),
                    "token_id": str(t),
                }
                for r, t in zip(result.rows, result.new_token_ids, strict=True)
            ],
        },
        human,
    )


@click.command("claim-all")
@command_options
@click.argument("payable")
@click.option("--id", "workflow_id", default=None, help="journal id of the job [default: claim-all-P<payable>]")
@click.option("--chunk", "chunk_size", type=click.IntRange(1, 2_000), default=None,
              help="pieces per transaction [default: as many as fit 3/4 of the block gas limit]")  # fmt: skip
@pass_state
def claim_all_command(state: CliState, payable: str, workflow_id: str | None, chunk_size: int | None) -> None:
    """Pay every claimable piece of PAYABLE to its holder, in chunks of claimMany (anyone may
    sign; typically the operator at maturity). A piece that cannot be paid now (frozen, holder
    refused by the currency, nothing due) is listed as skipped; its money waits in escrow. Each
    chunk is journaled: after a crash, run the same command again.

    Example: tierchain settlement claim-all P1 --dev-account 1
    """
    c = state.contracts()
    info = parse_payable_id(payable, c)
    by = state.signer()
    with state.progress() as progress:
        result = claim_all(
            c, by, info.payable_id, workflow_id=workflow_id, journal=Journal(), chunk_size=chunk_size,
            on_chunk=_progress_callback(progress, f"claims on payable {info.payable_id}"),
        )  # fmt: skip

    def human(out: Console) -> None:
        table = Table(title=f"payable {info.payable_id}: {len(result.paid)} paid, {len(result.skipped)} skipped")
        for col in ("piece", "holder", "paid", "then"):
            table.add_column(col, justify="right" if col == "paid" else "left")
        for p in result.paid:
            table.add_row(p["piece"], p["holder"], format_cents(int(p["cents"])), "burned (paid in full)"
                          if p["settled"] else "live")  # fmt: skip
        for s in result.skipped:
            table.add_row(s["piece"], "", "", f"skipped: {s['reason']}")
        out.print(table)
        out.print(
            f"total {format_cents(result.cents)} in {result.chunks} transaction(s); workflow {result.workflow_id}"
        )

    state.emit(
        {
            "workflow_id": result.workflow_id,
            "payable_id": info.payable_id,
            "chunks": result.chunks,
            "total_cents": str(result.cents),
            "paid": [{**p, "cents": str(p["cents"])} for p in result.paid],
            "skipped": result.skipped,
        },
        human,
    )


__all__ = ["claim_all_command", "payout_command"]
