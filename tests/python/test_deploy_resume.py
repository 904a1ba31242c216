"""A deploy killed at any step boundary finishes, by running the same command again or with
`tierchain resume <id>`, with every contract created once and the record written only then.

The killed runs are real subprocesses (`python -m tierchain.cli.main deploy ...`) that SIGKILL
themselves at TIERCHAIN_CRASH_AT=<step>:<phase> (the journal's crash points); the completions
run in this process through click's CliRunner.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from web3 import Web3

from tierchain.chain.deployment import CONTRACTS, deployment_path, load_deployment
from tierchain.cli.main import main
from tierchain.workflows.deploy import PLAN, verify_wiring
from tierchain.workflows.journal import Journal, default_journal_path

SRC = Path(__file__).resolve().parents[2] / "src"
STAGE_HEADS = {s.name for i, s in enumerate(PLAN) if i == 0 or PLAN[i - 1].stage != s.stage} | {PLAN[-1].name}
CASES = [(s.name, phase) for s in PLAN for phase in ("after_sign", "after_broadcast")] + [
    (name, phase) for name in sorted(STAGE_HEADS) for phase in ("before_sign", "after_receipt")
]


def deploy_argv(rpc_url: str) -> list[str]:
    return ["deploy", "--rpc", rpc_url, "--dev-account", "0", "--json"]


def run_killed(rpc_url: str, home: Path, crash_at: str) -> None:
    env = {**os.environ, "TIERCHAIN_HOME": str(home), "TIERCHAIN_CRASH_AT": crash_at, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-m", "tierchain.cli.main", *deploy_argv(rpc_url)],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)


def invoke(*args: str) -> Any:
    result = CliRunner().invoke(main, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


@pytest.mark.slow
@pytest.mark.parametrize(("step", "phase"), CASES)
def test_deploy_killed_at_every_step_finishes_once(
    step: str, phase: str, w3: Web3, keys: list[Any], rpc_url: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    home = tmp_path / "home"
    monkeypatch.setenv("TIERCHAIN_HOME", str(home))
    deployer = keys[0].address
    nonce_before, first_block = w3.eth.get_transaction_count(deployer), w3.eth.block_number + 1

    run_killed(rpc_url, home, f"{step}:{phase}")

    record = deployment_path(int(w3.eth.chain_id), home)
    assert not record.exists()  # never a record of an incomplete set
    journal = Journal(default_journal_path(home))
    (wf,) = journal.workflows()
    signed_before = {s.name: s.tx_hash for s in journal.steps(wf.workflow_id) if s.tx_hash}
    if phase != "before_sign":
        assert step in signed_before  # recorded before it left the process
    journal.close()

    # half the cases finish by running the same command again, half with `tierchain resume`
    if CASES.index((step, phase)) % 2 == 0:
        doc = json.loads(invoke(*deploy_argv(rpc_url)).stdout)
        assert doc["workflow_id"] == wf.workflow_id
    else:
        invoke("resume", wf.workflow_id)

    journal = Journal(default_journal_path(home))
    steps = journal.steps(wf.workflow_id)
    assert [s.name for s in steps] == [s.name for s in PLAN] and all(s.status == "done" for s in steps)
    assert all({s.name: s.tx_hash for s in steps}[n] == h for n, h in signed_before.items())  # never re-signed
    d = load_deployment(w3, home=home)
    verify_wiring(w3, d)
    # exactly the plan's transactions, each once: one contract of each kind, no second copy
    assert w3.eth.get_transaction_count(deployer) - nonce_before == len(PLAN)
    created = []
    for number in range(first_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == deployer and tx["to"] is None:
                created.append(w3.eth.get_transaction_receipt(tx["hash"])["contractAddress"])
    assert sorted(created) == sorted(d.address_of(n) for n in CONTRACTS)
    assert {n: d.tx_hashes[n] for n in d.tx_hashes} == {s.name: s.tx_hash for s in steps}
    assert not list(record.parent.glob("*.*.json"))  # nothing was replaced


def test_a_second_deploy_with_other_settings_while_one_is_unfinished_is_refused(
    w3: Web3, keys: list[Any], rpc_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("TIERCHAIN_HOME", str(home))
    run_killed(rpc_url, home, "token:after_sign")
    result = CliRunner().invoke(main, [*deploy_argv(rpc_url), "--operator-account", "7"])
    assert result.exit_code == 2 and "unfinished deploy" in result.output and "tierchain resume" in result.output
    assert "Traceback" not in result.output
