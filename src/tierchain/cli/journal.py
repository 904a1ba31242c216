"""``tierchain journal list|show|run`` and ``tierchain resume <id>``: journaled workflows.

Registered in cli.py with one line: ``for c in JOURNAL_COMMANDS: cli.add_command(c)``.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from tierchain.chain.local import LOCAL_CHAIN_IDS, connect, dev_accounts
from tierchain.chain.sender import Sender
from tierchain.core.errors import UsageError
from tierchain.workflows.journal import Journal, WorkflowEnv, build_workflow, kinds, resume_recorded

LIFECYCLE_TENOR_SECONDS = 90 * 86_400


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _env(rpc: str) -> WorkflowEnv:
    w3 = connect(rpc)
    chain_id = w3.eth.chain_id
    journal = Journal()
    senders: dict[str, Sender] = {}
    keys = {a.address.lower(): a for a in dev_accounts()}

    def sender_for(address: str) -> Sender:
        if chain_id not in LOCAL_CHAIN_IDS:
            raise UsageError(
                f"chain {chain_id} is not a local development chain: the journal signs with the "
                "public development keys only on 1337 (Ganache) or 31337 (Anvil)"
            )
        account = keys.get(address.lower())
        if account is None:
            raise UsageError(f"{address} is not one of the development accounts")
        if address.lower() not in senders:
            senders[address.lower()] = Sender(w3, account)
        return senders[address.lower()]

    return WorkflowEnv(w3=w3, journal=journal, home=None, sender_for=sender_for)


def _print_outputs(outputs: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(outputs, default=str))
        return
    for name, value in outputs.items():
        if value is not None:
            click.echo(f"  {name}: {value}")


@click.group("journal")
def journal_group() -> None:
    """Journaled workflows: list them, show one, start one."""


@journal_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
def journal_list(as_json: bool) -> None:
    """List the workflows in the journal (<TIERCHAIN_HOME>/journal/journal.sqlite)."""
    journal = Journal()
    rows: list[dict[str, Any]] = []
    for w in journal.workflows():
        steps = journal.steps(w.workflow_id)
        done = sum(1 for s in steps if s.status == "done")
        rows.append({"id": w.workflow_id, "kind": w.kind, "status": w.status,
                     "steps_done": done, "steps": len(w.step_names), "chain_id": w.chain_id,
                     "updated": _when(w.updated_at)})  # fmt: skip
    if as_json:
        click.echo(json.dumps(rows))
        return
    if not rows:
        click.echo(f"no workflows in {journal.path}")
        return
    table = Table(title=f"workflows in {journal.path}")
    for col in ("id", "kind", "status", "steps", "chain", "updated (UTC)"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["id"], r["kind"], r["status"], f"{r['steps_done']}/{r['steps']}",
                      str(r["chain_id"]), r["updated"])  # fmt: skip
    Console().print(table)


@journal_group.command("show")
@click.argument("workflow_id")
@click.option("--json", "as_json", is_flag=True, help="machine-readable output")
@click.option("--events", is_flag=True, help="also print the journal's event history")
def journal_show(workflow_id: str, as_json: bool, events: bool) -> None:
    """Show one workflow: every step, its transaction, nonce and state."""
    journal = Journal()
    w = journal.workflow(workflow_id)
    steps = {s.name: s for s in journal.steps(workflow_id)}
    if as_json:
        doc = {
            "id": w.workflow_id, "kind": w.kind, "params": w.params, "status": w.status,
            "error": w.error, "chain_id": w.chain_id, "rpc_url": w.rpc_url,
            "steps": [
                {"name": n, "status": steps[n].status if n in steps else "pending",
                 "sender": steps[n].sender if n in steps else None,
                 "nonce": steps[n].nonce if n in steps else None,
                 "tx_hash": steps[n].tx_hash if n in steps else None,
                 "block": steps[n].block_number if n in steps else None,
                 "output": steps[n].output if n in steps else None}
                for n in w.step_names
            ],
        }  # fmt: skip
        if events:
            doc["events"] = journal.events(workflow_id)
        click.echo(json.dumps(doc, default=str))
        return
    console = Console()
    console.print(f"workflow [bold]{w.workflow_id}[/] ({w.kind}) on chain {w.chain_id}: "
                  f"[bold]{w.status}[/]")  # fmt: skip
    if w.error:
        console.print(f"last error: {w.error}", markup=False)
    table = Table()
    for col in ("#", "step", "status", "sender", "nonce", "tx hash", "block", "output"):
        table.add_column(col)
    for i, n in enumerate(w.step_names):
        s = steps.get(n)
        table.add_row(
            str(i),
            n,
            s.status if s else "pending",
            (s.sender or "")[:10] if s else "",
            str(s.nonce) if s and s.nonce is not None else "",
            (s.tx_hash or "")[:18] if s else "",
            str(s.block_number) if s and s.block_number is not None else "",
            json.dumps(s.output) if s and s.output is not None else "",
        )
    console.print(table)
    if events:
        for e in journal.events(workflow_id):
            console.print(f"{_when(e['at'])}  {e['step'] or '-':<12} {e['what']:<12} "
                          f"{e['detail'] or ''}", markup=False)  # fmt: skip


@journal_group.command("run")
@click.argument("kind", type=click.Choice(["lifecycle"]))
@click.option("--id", "workflow_id", required=True, help="a stable name to resume it by")
@click.option("--rpc", required=True, help="JSON-RPC URL of a local development chain")
@click.option("--core-account", type=click.IntRange(0, 19), default=2, show_default=True)
@click.option("--supplier-account", type=click.IntRange(0, 19), default=3, show_default=True)
@click.option("--holder-account", type=click.IntRange(0, 19), default=4, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="print the outputs as JSON")
def journal_run(
    kind: str, workflow_id: str, rpc: str, core_account: int, supplier_account: int,
    holder_account: int, as_json: bool,
) -> None:  # fmt: skip
    """Start a journaled workflow (lifecycle: register, issue, accept, split twice, move value,
    merge) on the deployment recorded for the chain."""
    env = _env(rpc)
    keys = dev_accounts()
    now = int(env.w3.eth.get_block("latest")["timestamp"])
    params = {
        "core": keys[core_account].address,
        "supplier": keys[supplier_account].address,
        "holder": keys[holder_account].address,
        "maturity_at": now + LIFECYCLE_TENOR_SECONDS,
    }
    workflow = build_workflow(env, workflow_id, kind, params)
    started = time.monotonic()
    outputs = workflow.run()
    if not as_json:
        click.echo(f"workflow {workflow_id} done ({time.monotonic() - started:.1f} s)")
    _print_outputs(outputs, as_json)


@click.command("resume")
@click.argument("workflow_id")
@click.option("--rpc", default=None, help="JSON-RPC URL (default: the one it was started on)")
@click.option("--retry-failed", is_flag=True,
              help="sign anew a step whose transaction was mined with status 0")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="print the outputs as JSON")
def resume(workflow_id: str, rpc: str | None, retry_failed: bool, as_json: bool) -> None:
    """Continue a journaled workflow after a crash, a kill, an outage or a timeout: recorded
    transactions are waited for or re-sent as the same bytes, never signed anew."""
    record = Journal().workflow(workflow_id)
    url = rpc or record.rpc_url
    if not url:
        raise UsageError(f"workflow {workflow_id!r} has no recorded RPC URL: pass --rpc")
    if record.kind not in kinds():
        again = {
            "payout": "run the same `tierchain payables payout` command again",
            "claim-all": "run the same `tierchain settlement claim-all` command again",
            "demo": "run `tierchain demo` again",
        }.get(record.kind, "run the script that started it again with the same id")
        raise UsageError(f"workflow {workflow_id!r} is a {record.kind!r} script: its steps live in its "
                         f"code, so `resume` cannot rebuild it; {again} (done steps are skipped, "
                         "nothing is signed twice)")  # fmt: skip
    outputs = resume_recorded(_env(url), workflow_id, retry_failed=retry_failed)
    if not as_json:
        click.echo(f"workflow {workflow_id} done")
    _print_outputs(outputs, as_json)


JOURNAL_COMMANDS = (journal_group, resume)
