"""The journal keeps its promise: kill the process at every step boundary, cut the node off
mid-workflow, and every step's effect still happens exactly once after `resume`.

The kill runs are real subprocesses (`python -m tierchain.cli journal run lifecycle ...`) that
SIGKILL themselves at TIERCHAIN_CRASH_AT=<step>:<phase>; resumes run in this process, as
`tierchain resume <id>` does (through click's CliRunner for the first one)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from web3 import HTTPProvider, Web3
from web3.logs import DISCARD

from tierchain.chain.sender import Sender, TxRequest
from tierchain.cli.main import cli
from tierchain.clients.bundle import Contracts
from tierchain.clients.contracts import ZERO_ADDRESS, _minted
from tierchain.core.errors import CurrencyError
from tierchain.workflows.journal import (
    LIFECYCLE_FACE,
    PHASES,
    Journal,
    JournalError,
    NonceConsumedError,
    NonceHeldError,
    Step,
    Workflow,
    WorkflowEnv,
    WorkflowInterruptedError,
    build_workflow,
    resume_recorded,
)

SRC = Path(__file__).resolve().parents[2] / "src"
LIFECYCLE_STEPS = ["register", "issue", "accept", "split-a", "split-b", "move", "merge"]
CORE, SUPPLIER, HOLDER = 2, 3, 4


# ---------------------------------------------------------------------------- fixtures


@pytest.fixture
def home(tmp_path: Path, lib_home: Path, lib_deployment: Any) -> Path:
    """A fresh TIERCHAIN_HOME per test holding the library's deployment record."""
    shutil.copytree(lib_home / "deployments", tmp_path / "deployments")
    return tmp_path


@pytest.fixture
def env(w3: Web3, home: Path, keys: list[Any]) -> Iterator[WorkflowEnv]:
    yield make_env(w3, home, keys)


def make_env(w3: Web3, home: Path, keys: list[Any]) -> WorkflowEnv:
    """Fresh Senders (nonces resynced from the node) and the test's journal."""
    by_address = {k.address: k for k in keys}
    senders: dict[str, Sender] = {}

    def sender_for(address: str) -> Sender:
        if address not in senders:
            senders[address] = Sender(w3, by_address[address], timeout=30)
        return senders[address]

    return WorkflowEnv(w3, Journal(home / "journal" / "journal.sqlite"), home, sender_for)


def lifecycle_params(w3: Web3, keys: list[Any]) -> dict[str, Any]:
    now = int(w3.eth.get_block("latest")["timestamp"])
    return {"core": keys[CORE].address, "supplier": keys[SUPPLIER].address,
            "holder": keys[HOLDER].address, "maturity_at": now + 90 * 86_400}  # fmt: skip


def counts(w3: Web3, keys: list[Any]) -> dict[int, int]:
    return {i: w3.eth.get_transaction_count(keys[i].address) for i in (CORE, SUPPLIER, HOLDER)}


def run_killed(rpc_url: str, home: Path, workflow_id: str, crash_at: str) -> None:
    """`tierchain journal run lifecycle` in a subprocess that SIGKILLs itself at ``crash_at``."""
    env = {**os.environ, "TIERCHAIN_HOME": str(home), "TIERCHAIN_CRASH_AT": crash_at,
           "PYTHONPATH": str(SRC)}  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "tierchain.cli.main", "journal", "run", "lifecycle", "--id",
         workflow_id, "--rpc", rpc_url],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)


def assert_lifecycle_once(
    w3: Web3, lib: Contracts, env: WorkflowEnv, workflow_id: str, before: dict[int, int],
    first_block: int, keys: list[Any],
) -> None:  # fmt: skip
    """Every step done by exactly one transaction, the recorded one; the final state is the
    state of one run."""
    steps = env.journal.steps(workflow_id)
    assert [s.name for s in steps] == LIFECYCLE_STEPS
    assert all(s.status == "done" for s in steps), [(s.name, s.status) for s in steps]
    # transactions per sender: exactly the workflow's (core 2, supplier 4, holder 1) ...
    after = counts(w3, keys)
    assert {i: after[i] - before[i] for i in after} == {CORE: 2, SUPPLIER: 4, HOLDER: 1}
    # ... and they are the journal's: every transaction these keys sent since is a recorded one
    senders = {keys[i].address for i in (CORE, SUPPLIER, HOLDER)}
    mined = []
    for number in range(first_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] in senders:
                mined.append(("0x" + bytes(tx["hash"]).hex(), tx["from"], tx["nonce"]))
    assert sorted(mined) == sorted((s.tx_hash, s.sender, s.nonce) for s in steps)
    # events, once each: one issue, two pieces minted, one merge (burn)
    receipts = {s.name: w3.eth.get_transaction_receipt(s.tx_hash) for s in steps}
    assert all(r["status"] == 1 for r in receipts.values())
    token = lib.token.contract
    assert len(token.events.PayableIssued().process_receipt(receipts["issue"], errors=DISCARD)) == 1
    issued = steps[1].output
    payable = lib.token.payable_of(issued["payable_id"])
    assert payable.status == "accepted" and payable.piece_count == 3
    pieces = {p.token_id: p for p in lib.token.pieces_of_payable(issued["payable_id"])}
    first, split_a, split_b = issued["token_id"], steps[3].output, steps[4].output
    assert pieces[first].owner == keys[SUPPLIER].address
    assert pieces[first].value == LIFECYCLE_FACE - 3 * LIFECYCLE_FACE // 10 - \
        2 * LIFECYCLE_FACE // 10 - LIFECYCLE_FACE // 20  # fmt: skip
    assert pieces[split_a].owner == keys[HOLDER].address
    assert pieces[split_a].value == 3 * LIFECYCLE_FACE // 10 + 2 * LIFECYCLE_FACE // 10 + \
        LIFECYCLE_FACE // 20  # fmt: skip
    assert pieces[split_b].owner == ZERO_ADDRESS  # merged away


# ---------------------------------------------------------------------------- the kill matrix


@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("step", LIFECYCLE_STEPS)
def test_sigkill_at_every_step_boundary_then_resume_does_each_step_once(
    step: str, phase: str, w3: Web3, lib: Contracts, rpc_url: str, home: Path, keys: list[Any],
) -> None:  # fmt: skip
    workflow_id = f"kill-{step}-{phase}"
    before, first_block = counts(w3, keys), w3.eth.block_number + 1
    run_killed(rpc_url, home, workflow_id, f"{step}:{phase}")

    env = make_env(w3, home, keys)
    recorded = {s.name: s for s in env.journal.steps(workflow_id)}
    assert env.journal.workflow(workflow_id).status == "running"  # killed, never closed
    if phase == "before_sign":
        assert step not in recorded
    else:
        assert recorded[step].tx_hash is not None  # recorded before it left
    if phase == "after_sign":  # recorded, never sent: the node does not know it yet
        with pytest.raises(Exception, match="not found"):
            w3.eth.get_transaction(recorded[step].tx_hash)
    signed_before = {n: s.tx_hash for n, s in recorded.items()}

    outputs = resume_recorded(env, workflow_id)

    assert_lifecycle_once(w3, lib, env, workflow_id, before, first_block, keys)
    after = {s.name: s.tx_hash for s in env.journal.steps(workflow_id)}
    assert all(after[n] == h for n, h in signed_before.items())  # never signed anew
    assert outputs["split-a"] == env.journal.steps(workflow_id)[3].output
    if phase == "after_sign":
        assert any(e["what"] == "rebroadcast" and e["step"] == step
                   for e in env.journal.events(workflow_id))  # fmt: skip


# ---------------------------------------------------------------------------- nonce subtleties


def test_resume_stops_when_the_recorded_nonce_was_consumed_elsewhere(
    w3: Web3, rpc_url: str, home: Path, keys: list[Any], env: WorkflowEnv
) -> None:
    run_killed(rpc_url, home, "consumed", "split-a:after_sign")
    # the supplier's key sends something else first: it takes the recorded nonce
    Sender(w3, keys[SUPPLIER]).send(TxRequest(keys[SUPPLIER].address, label="other"))
    count = w3.eth.get_transaction_count(keys[SUPPLIER].address)
    with pytest.raises(NonceConsumedError, match="consumed by another transaction") as info:
        resume_recorded(env, "consumed")
    assert "was NOT done by this workflow" in str(info.value)
    assert w3.eth.get_transaction_count(keys[SUPPLIER].address) == count  # nothing sent
    assert env.journal.workflow("consumed").status == "interrupted"


def test_a_new_workflow_never_takes_a_nonce_a_recorded_transaction_holds(
    w3: Web3, lib: Contracts, rpc_url: str, home: Path, keys: list[Any], env: WorkflowEnv
) -> None:
    before, first_block = counts(w3, keys), w3.eth.block_number + 1
    run_killed(rpc_url, home, "holder-a", "issue:after_sign")  # core's nonce n is recorded
    other = build_workflow(env, "holder-b", "lifecycle", lifecycle_params(w3, keys))
    with pytest.raises(NonceHeldError, match="held by step 'issue' of workflow 'holder-a'"):
        other.run()  # its first step is the core's: it would sign nonce n again
    assert counts(w3, keys)[CORE] == before[CORE] + 1  # only holder-a's register
    resume_recorded(make_env(w3, home, keys), "holder-a")
    assert_lifecycle_once(w3, lib, env, "holder-a", before, first_block, keys)
    resume_recorded(make_env(w3, home, keys), "holder-b")
    assert all(s.status == "done" for s in env.journal.steps("holder-b"))


class SimulatedCrash(BaseException):
    """Stops a workflow the way a kill does (not an Exception: nothing catches it)."""


def test_a_batch_cut_between_broadcasts_resends_the_rest_with_their_own_nonces(
    w3: Web3, lib: Contracts, home: Path, keys: list[Any], env: WorkflowEnv
) -> None:
    supplier_key = keys[SUPPLIER]
    run = build_workflow(env, "batch-src", "lifecycle", lifecycle_params(w3, keys))
    out = run.run()
    piece = out["split-a"]  # the holder's piece: 550,000 cents
    start = w3.eth.get_transaction_count(keys[HOLDER].address)

    def batch(e: WorkflowEnv, hook: Any = None) -> Workflow:
        holder = e.sender_for(keys[HOLDER].address)
        wf = Workflow(e.journal, "batch", w3, estimate="shape", on_phase=hook)
        wf.parallel([
            Step(f"split-{i}", holder, lambda o, i=i: lib.token.request(
                "transferFrom(uint256,address,uint256)", piece, supplier_key.address,
                10_000 + i), output=_minted)
            for i in range(3)
        ])  # fmt: skip
        return wf.step(
            "merge-back",
            holder,
            lambda o: lib.token.request("transferFrom(uint256,address,uint256)", piece, supplier_key.address, 1_000),
        )

    def crash(step: str, phase: str) -> None:
        if (step, phase) == ("split-1", "after_broadcast"):
            raise SimulatedCrash

    with pytest.raises(SimulatedCrash):
        batch(env, crash).run()
    recorded = env.journal.steps("batch")
    assert [s.nonce for s in recorded] == [start, start + 1, start + 2]
    assert w3.eth.get_transaction_count(keys[HOLDER].address, "pending") == start + 2
    outputs = batch(make_env(w3, home, keys)).resume()  # new Senders: the node says start + 2
    steps = env.journal.steps("batch")
    assert [s.nonce for s in steps] == [start, start + 1, start + 2, start + 3]
    assert w3.eth.get_transaction_count(keys[HOLDER].address) == start + 4
    assert len({outputs[f"split-{i}"] for i in range(3)}) == 3
    assert lib.token.balance_of(piece) == 550_000 - 30_003 - 1_000


# ---------------------------------------------------------------------------- RPC outage


class Proxy:
    """A TCP forwarder to the node that can be stopped (connections refused) and restarted."""

    def __init__(self, target: str) -> None:
        host_port = target.split("//", 1)[1].rstrip("/")
        host, port = host_port.rsplit(":", 1)
        self.target = (host, int(port))
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._server: socket.socket | None = None
        self._conns: list[socket.socket] = []

    def start(self) -> None:
        server = socket.socket()
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", self.port))
        server.listen(16)
        self._server = server
        threading.Thread(target=self._accept, args=(server,), daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            with contextlib.suppress(OSError):  # wakes the accept() blocked in its thread
                self._server.shutdown(socket.SHUT_RDWR)
            self._server.close()
            self._server = None
        for c in self._conns:
            with contextlib.suppress(OSError):
                c.shutdown(socket.SHUT_RDWR)
            c.close()
        self._conns.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)


@pytest.mark.parametrize("cut_at", ["split-a:after_sign", "move:after_broadcast",
                                    "accept:before_sign"])  # fmt: skip
def test_rpc_outage_stops_with_a_clear_error_and_resume_completes(
    cut_at: str, w3: Web3, lib: Contracts, rpc_url: str, home: Path, keys: list[Any]
) -> None:
    proxy = Proxy(rpc_url)
    proxy.start()
    try:
        via = Web3(HTTPProvider(proxy.url, request_kwargs={"timeout": 5}))
        env = make_env(via, home, keys)
        before, first_block = counts(w3, keys), w3.eth.block_number + 1
        wf = build_workflow(env, "outage", "lifecycle", lifecycle_params(w3, keys))
        wf.on_phase = lambda step, phase: proxy.stop() if f"{step}:{phase}" == cut_at else None
        with pytest.raises(WorkflowInterruptedError) as info:
            wf.run()
        message = str(info.value)
        assert "tierchain resume outage" in message and "Traceback" not in message
        assert env.journal.workflow("outage").status == "interrupted"
        # while the node is away, resuming fails the same clear way, and sends nothing
        with pytest.raises(WorkflowInterruptedError):
            wf.resume()
        proxy.start()
        resume_recorded(make_env(via, home, keys), "outage")
        assert_lifecycle_once(w3, lib, env, "outage", before, first_block, keys)
    finally:
        proxy.stop()


# ---------------------------------------------------------------------------- the CLI


def test_cli_resume_list_and_show(
    w3: Web3, rpc_url: str, home: Path, keys: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIERCHAIN_HOME", str(home))
    run_killed(rpc_url, home, "cli-1", "split-b:after_broadcast")
    runner = CliRunner()
    listed = runner.invoke(cli, ["journal", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    assert '"id": "cli-1"' in listed.output and '"status": "running"' in listed.output
    resumed = runner.invoke(cli, ["resume", "cli-1"])
    assert resumed.exit_code == 0, resumed.output
    assert "workflow cli-1 done" in resumed.output
    shown = runner.invoke(cli, ["journal", "show", "cli-1", "--events"])
    assert shown.exit_code == 0, shown.output
    assert "done" in shown.output and "split-b" in shown.output
    again = runner.invoke(cli, ["resume", "cli-1", "--json"])  # a finished one: outputs only
    assert again.exit_code == 0 and '"split-a"' in again.output


def test_cli_unknown_workflow_is_a_usage_error(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIERCHAIN_HOME", str(home))
    result = CliRunner().invoke(cli, ["resume", "nope"])
    assert result.exit_code == 2
    assert "no workflow 'nope'" in result.output and "Traceback" not in result.output


def test_a_workflow_id_is_used_once(w3: Web3, keys: list[Any], env: WorkflowEnv) -> None:
    build_workflow(env, "twice", "lifecycle", lifecycle_params(w3, keys)).run()
    with pytest.raises(Exception, match="already exists"):
        build_workflow(env, "twice", "lifecycle", lifecycle_params(w3, keys)).run()


# ---------------------------------------------------------------------------- a failed step


def test_a_step_mined_with_status_zero_stops_and_is_retried_only_on_request(
    w3: Web3, lib: Contracts, home: Path, keys: list[Any], env: WorkflowEnv
) -> None:
    payer, payee = keys[8], keys[9].address
    start = w3.eth.get_transaction_count(payer.address)
    balance = lib.currency.balance_of(payee)

    def workflow(e: WorkflowEnv) -> Workflow:
        wf = Workflow(e.journal, "pay", w3)
        # explicit gas: not simulated, so an empty balance fails on chain (status 0)
        return wf.step(
            "pay",
            e.sender_for(payer.address),
            lambda o: TxRequest(
                lib.currency.address, lib.currency.request("transfer(address,uint256)", payee, 500).data, gas=100_000
            ),
        )

    with pytest.raises(CurrencyError, match="ERC20InsufficientBalance"):
        workflow(env).run()
    assert env.journal.workflow("pay").status == "failed"
    assert env.journal.steps("pay")[0].status == "failed"
    with pytest.raises(JournalError, match="--retry-failed"):
        workflow(make_env(w3, home, keys)).resume()
    lib.currency.mint(Sender(w3, keys[1]), payer.address, 500)
    workflow(make_env(w3, home, keys)).resume(retry_failed=True)
    assert lib.currency.balance_of(payee) == balance + 500  # paid once
    assert w3.eth.get_transaction_count(payer.address) == start + 2  # the failure + the retry
    assert "reset" in [e["what"] for e in env.journal.events("pay")]
    assert env.journal.workflow("pay").status == "done"
