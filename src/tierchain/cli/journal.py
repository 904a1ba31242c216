"""``tierchain journal list|show|run`` and ``tierchain resume <id>``: journaled workflows.

Registered in cli.py with one line: ``for c in JOURNAL_COMMANDS: cli.add_command(c)``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from tierchain.chain.local import LOCAL_CHAIN_IDS, dev_accounts
from tierchain.chain.sender import Sender
from tierchain.chain.wallet import find_keystore
from tierchain.cli.common import CliState, chain_options, format_instant, pass_state, unlock_keystore
from tierchain.cli.types import ADDRESS
from tierchain.core.errors import UsageError, WalletError
from tierchain.workflows.journal import Journal, WorkflowEnv, build_workflow, kinds, resume_recorded

LIFECYCLE_TENOR_SECONDS = 90 * 86_400


def _when(ts: float) -> str:
    return format_instant(int(ts))  # the one time format of every output


def _env(state: CliState, password_file: str | None = None) -> WorkflowEnv:
    """The workflow's environment: the connection of the chain options and, for each address a
    step signs for, its keystore (password file or a hidden prompt, once per address) or, on a
    local chain only, its development key."""
    w3 = state.web3()
    chain_id = state.chain_id
    journal = Journal()
    senders: dict[str, Sender] = {}
    keys = {a.address.lower(): a for a in dev_accounts()}

    def sender_for(address: str) -> Sender:
        lowered = address.lower()
        if lowered in senders:
            return senders[lowered]
        try:
            entry = find_keystore(address)
        except WalletError:
            entry = None
        if entry is not None:
            account = unlock_keystore(entry.address, password_file)
        else:
            dev = keys.get(lowered)
            if dev is None:
                raise UsageError(
                    f"{address} has no keystore here (`tierchain wallet list`) and is no development account"
                )
            if chain_id not in LOCAL_CHAIN_IDS:
                raise UsageError(
                    f"chain {chain_id} is not a local development chain: {address} signs with the public "
                    "development keys only on 1337 (Ganache) or 31337 (Anvil); import its key "
                    "(`tierchain wallet import`)"
                )
            account = dev
        senders[lowered] = state.make_sender(account)
        return senders[lowered]

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
@click.option("--core", type=ADDRESS, default=None, help="the core enterprise (a keystore) [default: dev key 2]")
@click.option("--supplier", type=ADDRESS, default=None, help="the supplier (a keystore) [default: dev key 3]")
@click.option("--holder", type=ADDRESS, default=None, help="the second holder (a keystore) [default: dev key 4]")
@click.option("--core-account", type=click.IntRange(0, 19), default=2, show_default=True,
              help="development key of the core enterprise (local chains)")  # fmt: skip
@click.option("--supplier-account", type=click.IntRange(0, 19), default=3, show_default=True)
@click.option("--holder-account", type=click.IntRange(0, 19), default=4, show_default=True)
@click.option("--password-file", default=None, metavar="PATH", envvar="TIERCHAIN_PASSWORD_FILE",
              help="password of the keystores [default: a hidden prompt per account]")  # fmt: skip
@chain_options
@pass_state
def journal_run(
    state: CliState, kind: str, workflow_id: str, core: str | None, supplier: str | None, holder: str | None,
    core_account: int, supplier_account: int, holder_account: int, password_file: str | None,
) -> None:  # fmt: skip
    """Start a journaled workflow (lifecycle: register, issue, accept, split twice, move value,
    merge) on the deployment recorded for the chain. Each party signs with its keystore
    (--core/--supplier/--holder ADDRESS) or, on a local chain, its development key."""
    env = _env(state, password_file)
    keys = dev_accounts()
    now = int(env.w3.eth.get_block("latest")["timestamp"])
    params = {
        "core": core or keys[core_account].address,
        "supplier": supplier or keys[supplier_account].address,
        "holder": holder or keys[holder_account].address,
        "maturity_at": now + LIFECYCLE_TENOR_SECONDS,
    }
    workflow = build_workflow(env, workflow_id, kind, params)
    started = time.monotonic()
    outputs = workflow.run()
    if not state.json:
        click.echo(f"workflow {workflow_id} done ({time.monotonic() - started:.1f} s)")
    _print_outputs(outputs, state.json)


@click.command("resume")
@click.argument("workflow_id")
@click.option("--retry-failed", is_flag=True,
              help="sign anew a step whose transaction was mined with status 0")  # fmt: skip
@click.option("--password-file", default=None, metavar="PATH", envvar="TIERCHAIN_PASSWORD_FILE",
              help="password of the keystores [default: a hidden prompt per account]")  # fmt: skip
@chain_options
@pass_state
def resume(state: CliState, workflow_id: str, retry_failed: bool, password_file: str | None) -> None:
    """Continue a journaled workflow after a crash, a kill, an outage or a timeout: recorded
    transactions are waited for or re-sent as the same bytes, never signed anew. The chain is
    --rpc, else the one it was started on."""
    record = Journal().workflow(workflow_id)
    url = state.rpc or record.rpc_url
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
    state.rpc = url
    outputs = resume_recorded(_env(state, password_file), workflow_id, retry_failed=retry_failed)
    if not state.json:
        click.echo(f"workflow {workflow_id} done")
    _print_outputs(outputs, state.json)


JOURNAL_COMMANDS = (journal_group, resume)
