"""A write-ahead journal of workflow steps: nothing signed is ever lost or sent twice.

A :class:`Workflow` is an ordered list of named steps under a stable id chosen by the caller.
Each step is a function that builds a :class:`~tierchain.chain.sender.TxRequest` from the outputs of
earlier steps (read from their receipts), and the party (a :class:`~tierchain.chain.sender.Sender`)
that signs it. Steps run in stages: a stage of one step is the usual sequential case; a stage of
several independent steps is signed, recorded and broadcast as one batch (throughput).

For every step the journal durably records, BEFORE anything leaves the process, the signed raw
transaction, its hash, nonce, sender, chain id, the step's name and inputs (SQLite in WAL mode,
``synchronous=FULL``, at ``<TIERCHAIN_HOME>/journal/journal.sqlite``). The rules of
:meth:`Workflow.resume` (after a crash, a kill, an RPC outage or a timeout):

* a step whose signed transaction is recorded is NEVER signed again: its receipt is looked up by
  hash; a transaction the node knows but has not mined is waited for; one the node does not know
  is re-broadcast as the SAME raw bytes (same hash: its nonce lets it be included at most once);
* if the node does not know the hash and the sender's nonce has moved past the recorded one,
  something else consumed that nonce: :class:`NonceConsumedError`, nothing is sent;
* a re-broadcast nonce is reported to the sender's counter, and no step is signed for a key while
  any workflow holds an unconfirmed recorded transaction at or above the key's next nonce
  (:class:`NonceHeldError`): a resumed run never reuses a recorded-but-unbroadcast nonce;
* steps not yet signed are signed then; outputs of completed steps are recomputed from their
  receipts; a step mined with status 0 stops the workflow (``retry_failed`` signs it anew: the
  failed transaction consumed its nonce and changed nothing).

``TIERCHAIN_CRASH_AT=<step>:<phase>`` (tests only) makes the process SIGKILL itself at that step
boundary; phases are :data:`PHASES`.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, cast

from eth_typing import ChecksumAddress, HexStr
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.exceptions import TransactionNotFound

from tierchain.chain.deployment import genesis_hash, state_home
from tierchain.chain.sender import Estimate, Receipt, Sender, SignedTx, TxRequest
from tierchain.core.errors import (
    ChainIdMismatchError,
    ContractRevert,
    NonceError,
    TierchainError,
    TransactionError,
    TransactionFailedError,
    UsageError,
)

Phase = Literal["before_sign", "after_sign", "after_broadcast", "after_receipt"]
PHASES: Final[tuple[Phase, ...]] = ("before_sign", "after_sign", "after_broadcast", "after_receipt")
CRASH_ENV: Final = "TIERCHAIN_CRASH_AT"
StepStatus = Literal["pending", "signed", "sent", "done", "failed"]
WorkflowStatus = Literal["running", "interrupted", "failed", "done"]
Outputs = dict[str, Any]
"""Step name → that step's output (what its ``output`` function read from its receipt)."""


# ---------------------------------------------------------------------------- errors


class JournalError(TransactionError):
    """The journal cannot continue a workflow safely (mismatched definition, chain, state)."""


class UnknownWorkflowError(UsageError):
    """No workflow with that id in the journal."""


class NonceConsumedError(NonceError):
    """A recorded transaction's nonce was used by another transaction: the step was not done by
    this workflow and re-sending it is impossible. Look at the chain, then decide."""


class NonceHeldError(NonceError):
    """A recorded, unconfirmed transaction of some workflow holds the nonce a new signature
    would take: resume that workflow first."""


class WorkflowInterruptedError(TransactionError):
    """The workflow stopped (node unreachable, refused broadcast, timeout): its signed steps are
    recorded; ``tierchain resume <id>`` continues it without duplicates."""

    def __init__(self, message: str, workflow_id: str, step: str, tx_hash: str | None = None):
        super().__init__(message, tx_hash)
        self.workflow_id = workflow_id
        self.step = step


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class StepRecord:
    """One step as the journal holds it."""

    workflow_id: str
    index: int
    name: str
    stage: int
    status: StepStatus
    sender: ChecksumAddress | None = None
    nonce: int | None = None
    chain_id: int | None = None
    tx_hash: HexStr | None = None
    raw: bytes | None = None
    gas: int | None = None
    to: ChecksumAddress | None = None
    data: bytes = b""
    value: int = 0
    label: str = ""
    inputs: dict[str, Any] = field(default_factory=dict)
    block_number: int | None = None
    output: Any = None
    error: str | None = None
    updated_at: float = 0.0

    def signed_tx(self) -> SignedTx:
        """The recorded transaction as the sender knows it (for waiting and re-broadcasting)."""
        if self.tx_hash is None or self.raw is None or self.nonce is None or self.sender is None:
            raise JournalError(f"step {self.name!r} has no signed transaction recorded")
        request = TxRequest(self.to, self.data, self.value, self.gas, self.label)
        return SignedTx(self.tx_hash, self.raw, self.sender, self.nonce, int(self.gas or 0),
                        int(self.chain_id or 0), request)  # fmt: skip


@dataclass(frozen=True)
class WorkflowRecord:
    """A workflow's header in the journal."""

    workflow_id: str
    kind: str
    params: dict[str, Any]
    chain_id: int
    genesis_hash: str
    rpc_url: str
    status: WorkflowStatus
    error: str | None
    step_names: tuple[str, ...]
    created_at: float
    updated_at: float


_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS workflows (
    id TEXT PRIMARY KEY, kind TEXT NOT NULL, params TEXT NOT NULL, chain_id INTEGER NOT NULL,
    genesis_hash TEXT NOT NULL, rpc_url TEXT NOT NULL, status TEXT NOT NULL, error TEXT,
    step_names TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS steps (
    workflow_id TEXT NOT NULL REFERENCES workflows(id), idx INTEGER NOT NULL,
    name TEXT NOT NULL, stage INTEGER NOT NULL, status TEXT NOT NULL,
    sender TEXT, nonce INTEGER, chain_id INTEGER, tx_hash TEXT, raw BLOB, gas INTEGER,
    to_address TEXT, data BLOB, value TEXT, label TEXT, inputs TEXT,
    block_number INTEGER, output TEXT, error TEXT, updated_at REAL NOT NULL,
    PRIMARY KEY (workflow_id, idx));
CREATE INDEX IF NOT EXISTS steps_by_key ON steps (chain_id, sender, nonce);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, workflow_id TEXT NOT NULL, step TEXT,
    at REAL NOT NULL, what TEXT NOT NULL, detail TEXT);
"""


def default_journal_path(home: Path | None = None) -> Path:
    return (home or state_home()) / "journal" / "journal.sqlite"


class Journal:
    """The durable store (one SQLite file in WAL mode; every commit is fsync'd)."""

    def __init__(self, path: Path | str | None = None) -> None:
        self.path = Path(path) if path is not None else default_journal_path()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- workflows ----------------------------------------------------------------------------

    def create(
        self, workflow_id: str, kind: str, params: Mapping[str, Any], chain_id: int,
        genesis: str, rpc_url: str, step_names: Sequence[str],
    ) -> WorkflowRecord:  # fmt: skip
        now = time.time()
        with self._tx() as db:
            if db.execute("SELECT 1 FROM workflows WHERE id=?", (workflow_id,)).fetchone():
                raise UsageError(
                    f"workflow {workflow_id!r} already exists in {self.path}: resume it "
                    f"(tierchain resume {workflow_id}) or pick another id"
                )
            db.execute(
                "INSERT INTO workflows VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (workflow_id, kind, json.dumps(dict(params), sort_keys=True), chain_id, genesis,
                 rpc_url, "running", None, json.dumps(list(step_names)), now, now),
            )  # fmt: skip
            db.execute(
                "INSERT INTO events (workflow_id, step, at, what, detail) VALUES (?,?,?,?,?)",
                (workflow_id, None, now, "created", kind),
            )
        return self.workflow(workflow_id)

    def workflow(self, workflow_id: str) -> WorkflowRecord:
        row = self._db.execute("SELECT * FROM workflows WHERE id=?", (workflow_id,)).fetchone()
        if row is None:
            known = [r["id"] for r in self._db.execute("SELECT id FROM workflows ORDER BY id")]
            hint = f"; known: {', '.join(known[:10])}" if known else " (the journal is empty)"
            raise UnknownWorkflowError(f"no workflow {workflow_id!r} in {self.path}{hint}")
        return _workflow_record(row)

    def find(self, workflow_id: str) -> WorkflowRecord | None:
        """The workflow's header, or None if the journal has no such id."""
        row = self._db.execute("SELECT * FROM workflows WHERE id=?", (workflow_id,)).fetchone()
        return None if row is None else _workflow_record(row)

    def set_step_names(self, workflow_id: str, step_names: Sequence[str]) -> None:
        """Record the step order of a script as it grows (a script defines steps as it runs)."""
        with self._tx() as db:
            db.execute(
                "UPDATE workflows SET step_names=?, updated_at=? WHERE id=?",
                (json.dumps(list(step_names)), time.time(), workflow_id),
            )

    def record_value(self, workflow_id: str, index: int, name: str, stage: int, value: Any) -> None:
        """Record a script's remembered value (a step without a transaction) as done."""
        now = time.time()
        with self._tx() as db:
            db.execute(
                "INSERT INTO steps (workflow_id, idx, name, stage, status, output, updated_at) VALUES (?,?,?,?,?,?,?)",
                (workflow_id, index, name, stage, "done", json.dumps(value, sort_keys=True), now),
            )
            db.execute(
                "INSERT INTO events (workflow_id, step, at, what, detail) VALUES (?,?,?,?,?)",
                (workflow_id, name, now, "remembered", None),
            )

    def workflows(self) -> list[WorkflowRecord]:
        rows = self._db.execute("SELECT * FROM workflows ORDER BY created_at, id").fetchall()
        return [_workflow_record(r) for r in rows]

    def set_status(self, workflow_id: str, status: WorkflowStatus, error: str | None = None) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE workflows SET status=?, error=?, updated_at=? WHERE id=?",
                (status, error, time.time(), workflow_id),
            )
            db.execute(
                "INSERT INTO events (workflow_id, step, at, what, detail) VALUES (?,?,?,?,?)",
                (workflow_id, None, time.time(), status, error),
            )

    # -- steps -------------------------------------------------------------------------------

    def steps(self, workflow_id: str) -> list[StepRecord]:
        rows = self._db.execute("SELECT * FROM steps WHERE workflow_id=? ORDER BY idx", (workflow_id,)).fetchall()
        return [_step_record(r) for r in rows]

    def record_signed(
        self, workflow_id: str, entries: Sequence[tuple[int, str, int, SignedTx, Mapping[str, Any]]]
    ) -> None:
        """Record signed transactions (index, name, stage, signed, inputs) in ONE durable
        commit, before any of them is broadcast."""
        now = time.time()
        with self._tx() as db:
            for index, name, stage, s, inputs in entries:
                req = s.request
                db.execute(
                    "INSERT OR REPLACE INTO steps (workflow_id, idx, name, stage, status, sender, "
                    "nonce, chain_id, tx_hash, raw, gas, to_address, data, value, label, inputs, "
                    "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (workflow_id, index, name, stage, "signed", s.sender, s.nonce, s.chain_id,
                     s.tx_hash, s.raw, s.gas, req.to, req.data, str(req.value), req.label,
                     json.dumps(dict(inputs), sort_keys=True, default=str), now),
                )  # fmt: skip
                db.execute(
                    "INSERT INTO events (workflow_id, step, at, what, detail) VALUES (?,?,?,?,?)",
                    (workflow_id, name, now, "signed", f"{s.tx_hash} nonce {s.nonce}"),
                )

    def mark(
        self, workflow_id: str, updates: Sequence[tuple[int, str, StepStatus, dict[str, Any]]],
        what: str,
    ) -> None:  # fmt: skip
        """Set status (and block_number / output / error) of steps in one commit."""
        now = time.time()
        with self._tx() as db:
            for index, name, status, extra in updates:
                db.execute(
                    "UPDATE steps SET status=?, block_number=COALESCE(?, block_number), "
                    "output=COALESCE(?, output), error=?, updated_at=? WHERE workflow_id=? "
                    "AND idx=?",
                    (status, extra.get("block_number"),
                     json.dumps(extra["output"], default=str) if "output" in extra else None,
                     extra.get("error"), now, workflow_id, index),
                )  # fmt: skip
                db.execute(
                    "INSERT INTO events (workflow_id, step, at, what, detail) VALUES (?,?,?,?,?)",
                    (workflow_id, name, now, what, extra.get("detail")),
                )

    def reset_step(self, workflow_id: str, index: int, name: str, why: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM steps WHERE workflow_id=? AND idx=?", (workflow_id, index))
            db.execute(
                "INSERT INTO events (workflow_id, step, at, what, detail) VALUES (?,?,?,?,?)",
                (workflow_id, name, time.time(), "reset", why),
            )

    def event(self, workflow_id: str, step: str | None, what: str, detail: str = "") -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO events (workflow_id, step, at, what, detail) VALUES (?,?,?,?,?)",
                (workflow_id, step, time.time(), what, detail),
            )

    def events(self, workflow_id: str) -> list[dict[str, Any]]:
        rows = self._db.execute(
            "SELECT step, at, what, detail FROM events WHERE workflow_id=? ORDER BY seq",
            (workflow_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def held_nonces(self, chain_id: int, sender: str) -> list[tuple[int, str, str]]:
        """(nonce, workflow id, step) of recorded transactions not known to be mined."""
        rows = self._db.execute(
            "SELECT nonce, workflow_id, name FROM steps WHERE chain_id=? AND sender=? AND "
            "status IN ('signed', 'sent') ORDER BY nonce",
            (chain_id, to_checksum_address(sender)),
        ).fetchall()
        return [(int(r["nonce"]), str(r["workflow_id"]), str(r["name"])) for r in rows]


def _workflow_record(row: sqlite3.Row) -> WorkflowRecord:
    return WorkflowRecord(
        workflow_id=row["id"], kind=row["kind"], params=json.loads(row["params"]),
        chain_id=int(row["chain_id"]), genesis_hash=row["genesis_hash"], rpc_url=row["rpc_url"],
        status=row["status"], error=row["error"], step_names=tuple(json.loads(row["step_names"])),
        created_at=float(row["created_at"]), updated_at=float(row["updated_at"]),
    )  # fmt: skip


def _step_record(row: sqlite3.Row) -> StepRecord:
    return StepRecord(
        workflow_id=row["workflow_id"], index=int(row["idx"]), name=row["name"],
        stage=int(row["stage"]), status=row["status"],
        sender=to_checksum_address(row["sender"]) if row["sender"] else None,
        nonce=row["nonce"], chain_id=row["chain_id"], tx_hash=row["tx_hash"],
        raw=bytes(row["raw"]) if row["raw"] is not None else None, gas=row["gas"],
        to=to_checksum_address(row["to_address"]) if row["to_address"] else None,
        data=bytes(row["data"] or b""), value=int(row["value"] or 0), label=row["label"] or "",
        inputs=json.loads(row["inputs"] or "{}"), block_number=row["block_number"],
        output=json.loads(row["output"]) if row["output"] is not None else None,
        error=row["error"], updated_at=float(row["updated_at"]),
    )  # fmt: skip


# ---------------------------------------------------------------------------- workflows


@dataclass(frozen=True)
class Step:
    """A named step: ``build(outputs)`` makes the request that ``by`` signs; ``output(receipt)``
    reads what later steps need (a JSON-able value) from the receipt; ``inputs`` are recorded
    beside the transaction for people reading the journal."""

    name: str
    by: Sender
    build: Callable[[Outputs], TxRequest]
    output: Callable[[Receipt], Any] | None = None
    inputs: Mapping[str, Any] = field(default_factory=dict)


PhaseHook = Callable[[str, Phase], None]


def _crash_point(step: str, phase: Phase) -> None:
    """Tests only: SIGKILL this process at ``$TIERCHAIN_CRASH_AT`` == ``step:phase``."""
    if os.environ.get(CRASH_ENV) == f"{step}:{phase}":
        os.kill(os.getpid(), signal.SIGKILL)


class Workflow:
    """An ordered list of named steps under a stable id, journaled; see the module docstring."""

    def __init__(
        self,
        journal: Journal,
        workflow_id: str,
        w3: Web3,
        *,
        kind: str = "adhoc",
        params: Mapping[str, Any] | None = None,
        estimate: Estimate = "each",
        on_phase: PhaseHook | None = None,
    ) -> None:
        if not workflow_id or len(workflow_id) > 200 or not workflow_id.isprintable():
            raise UsageError(f"bad workflow id {workflow_id!r}: 1-200 printable characters")
        self.journal = journal
        self.id = workflow_id
        self.w3 = w3
        self.kind = kind
        self.params = dict(params or {})
        self.estimate: Estimate = estimate
        self.on_phase = on_phase
        self.stages: list[list[Step]] = []
        self.outputs: Outputs = {}

    # -- definition -------------------------------------------------------------------------

    def step(
        self, name: str, by: Sender, build: Callable[[Outputs], TxRequest],
        output: Callable[[Receipt], Any] | None = None, inputs: Mapping[str, Any] | None = None,
    ) -> Workflow:  # fmt: skip
        """Append a step that runs after every earlier one."""
        return self.parallel([Step(name, by, build, output, dict(inputs or {}))])

    def parallel(self, steps: Sequence[Step]) -> Workflow:
        """Append a stage of independent steps, signed and broadcast as one batch."""
        names = {s.name for stage in self.stages for s in stage}
        for s in steps:
            if not s.name or ":" in s.name or s.name in names:
                raise UsageError(f"step name {s.name!r} is empty, has ':' or is used twice")
            names.add(s.name)
        if steps:
            self.stages.append(list(steps))
        return self

    @property
    def step_names(self) -> list[str]:
        return [s.name for stage in self.stages for s in stage]

    # -- running ----------------------------------------------------------------------------

    def run(self) -> Outputs:
        """Record the workflow under its id (which must be new) and run it."""
        rpc = str(getattr(self.w3.provider, "endpoint_uri", "") or "")
        self.journal.create(self.id, self.kind, self.params, int(self.w3.eth.chain_id),
                            genesis_hash(self.w3), rpc, self.step_names)  # fmt: skip
        return self._execute(retry_failed=False)

    def resume(self, *, retry_failed: bool = False) -> Outputs:
        """Continue a recorded workflow (see the module docstring for the rules)."""
        record = self.journal.workflow(self.id)
        try:
            self._check_chain(record)
        except TierchainError:
            raise
        except Exception as exc:
            raise self._interrupted(self.step_names[0] if self.step_names else "", exc) from None
        if record.status == "done":
            self._recompute_done()
            return self.outputs
        return self._execute(retry_failed=retry_failed)

    def _check_chain(self, record: WorkflowRecord) -> None:
        if list(record.step_names) != self.step_names:
            raise JournalError(
                f"workflow {self.id!r} was recorded with steps {list(record.step_names)}, but "
                f"is now defined with {self.step_names}: the definition changed; not resuming"
            )
        chain_id = int(self.w3.eth.chain_id)
        if chain_id != record.chain_id:
            raise ChainIdMismatchError(
                f"workflow {self.id!r} runs on chain {record.chain_id}; the node is chain {chain_id}"
            )
        if genesis_hash(self.w3) != record.genesis_hash:
            raise JournalError(
                f"workflow {self.id!r} was recorded on another chain with id {chain_id} "
                "(different genesis block): its transactions cannot be resumed here"
            )

    def _interrupted(self, step: str, exc: BaseException) -> WorkflowInterruptedError:
        cause = str(exc) if isinstance(exc, TierchainError) else _brief(exc)
        return WorkflowInterruptedError(
            f"workflow {self.id!r} stopped at step {step!r}: {cause}. Its signed steps are "
            f"recorded in {self.journal.path}; run `tierchain resume {self.id}` once the node "
            "answers (recorded transactions are re-sent as the same bytes, never signed anew)",
            self.id, step, getattr(exc, "tx_hash", None),
        )  # fmt: skip

    def _phase(self, step: str, phase: Phase) -> None:
        _crash_point(step, phase)
        if self.on_phase is not None:
            self.on_phase(step, phase)

    def _execute(self, *, retry_failed: bool) -> Outputs:
        records = {r.index: r for r in self.journal.steps(self.id)}
        self.journal.set_status(self.id, "running")
        index = 0
        current = ""
        try:
            for stage_no, stage in enumerate(self.stages):
                indexed = [(index + i, s) for i, s in enumerate(stage)]
                index += len(stage)
                current = stage[0].name
                self._run_stage(stage_no, indexed, records, retry_failed)
        except (ContractRevert, TransactionFailedError) as exc:
            self.journal.set_status(self.id, "failed", str(exc))
            raise
        except (WorkflowInterruptedError, NonceError, JournalError, UsageError) as exc:
            self.journal.set_status(self.id, "interrupted", str(exc))
            raise
        except Exception as exc:  # the node went away, a timeout, a socket broke, ...
            interrupted = self._interrupted(current, exc)
            self.journal.set_status(self.id, "interrupted", str(interrupted))
            raise interrupted from None
        self.journal.set_status(self.id, "done")
        return self.outputs

    def _recompute_done(self) -> None:
        records = {r.index: r for r in self.journal.steps(self.id)}
        index = 0
        for stage in self.stages:
            pairs = [(index + i, s) for i, s in enumerate(stage)]
            index += len(stage)
            self._collect([(i, s, records[i].signed_tx()) for i, s in pairs], fire=False)

    def _run_stage(
        self,
        stage_no: int,
        indexed: list[tuple[int, Step]],
        records: dict[int, StepRecord],
        retry_failed: bool,
    ) -> None:
        recovered: list[tuple[int, Step, SignedTx]] = []
        todo: list[tuple[int, Step]] = []
        done: set[int] = set()
        for i, step in indexed:
            rec = records.get(i)
            if rec is not None and rec.status == "failed" and retry_failed:
                self.journal.reset_step(self.id, i, step.name, "retry after status 0")
                rec = None
            if rec is None or rec.status == "pending" or rec.tx_hash is None:
                todo.append((i, step))
                continue
            if rec.name != step.name or rec.sender != step.by.address:
                raise JournalError(
                    f"step {i} of {self.id!r} is recorded as {rec.name!r} by {rec.sender}, but "
                    f"defined as {step.name!r} by {step.by.address}: not resuming"
                )
            if rec.status == "failed":
                raise JournalError(
                    f"step {step.name!r} of {self.id!r} was mined and failed ({rec.error}); "
                    "resume with --retry-failed to sign it anew",
                    rec.tx_hash,
                )
            signed = rec.signed_tx()
            if rec.status == "done":
                done.add(i)
            else:
                self._recover(step, signed)
            recovered.append((i, step, signed))
        fresh = self._sign_and_send(stage_no, todo) if todo else []
        self._collect(sorted(recovered + fresh, key=lambda t: t[0]), fire=True, done=done)

    def _recover(self, step: Step, signed: SignedTx) -> None:
        """A recorded, unconfirmed transaction: find it by hash, or re-broadcast its bytes."""
        w3 = self.w3
        if _receipt_or_none(w3, signed.tx_hash) is not None or _known(w3, signed.tx_hash):
            step.by.note_nonce_used(signed.nonce)
            return
        mined_count = w3.eth.get_transaction_count(signed.sender, "latest")
        if mined_count > signed.nonce:
            self._consumed(step, signed, mined_count)
        try:
            w3.eth.send_raw_transaction(signed.raw)
        except Exception as exc:
            if _receipt_or_none(w3, signed.tx_hash) is None and not _known(w3, signed.tx_hash):
                mined_count = w3.eth.get_transaction_count(signed.sender, "latest")
                if mined_count > signed.nonce:
                    self._consumed(step, signed, mined_count)
                raise WorkflowInterruptedError(
                    f"workflow {self.id!r}: re-broadcasting the recorded transaction of step "
                    f"{step.name!r} ({signed.tx_hash}, nonce {signed.nonce}) failed: "
                    f"{_brief(exc)}; nothing new was signed. Run `tierchain resume {self.id}` "
                    "again once the node takes it",
                    self.id, step.name, signed.tx_hash,
                ) from None  # fmt: skip
        step.by.note_nonce_used(signed.nonce)
        self.journal.mark(self.id, [(self._index_of(step), step.name, "sent", {
            "detail": f"re-broadcast {signed.tx_hash}"})], "rebroadcast")  # fmt: skip
        self._phase(step.name, "after_broadcast")

    def _consumed(self, step: Step, signed: SignedTx, mined_count: int) -> None:
        message = (
            f"workflow {self.id!r}, step {step.name!r}: its recorded transaction "
            f"{signed.tx_hash} (nonce {signed.nonce} of {signed.sender}) is unknown to the node, "
            f"and that nonce was consumed by another transaction (the account has sent "
            f"{mined_count}). The step was NOT done by this workflow and cannot be re-sent; "
            "check the chain, then start a new workflow for what remains"
        )
        self.journal.event(self.id, step.name, "nonce consumed", message)
        raise NonceConsumedError(message, signed.tx_hash)

    def _index_of(self, step: Step) -> int:
        return self.step_names.index(step.name)

    def _sign_and_send(self, stage_no: int, todo: list[tuple[int, Step]]) -> list[tuple[int, Step, SignedTx]]:
        requests: list[tuple[int, Step, TxRequest]] = []
        for i, step in todo:
            self._phase(step.name, "before_sign")
            requests.append((i, step, step.build(self.outputs)))
        by_sender: dict[str, list[tuple[int, Step, TxRequest]]] = {}
        for entry in requests:
            by_sender.setdefault(entry[1].by.address, []).append(entry)
        signed_all: list[tuple[int, Step, SignedTx]] = []
        with ExitStack() as locks:
            for address in sorted(by_sender):
                group = by_sender[address]
                sender = group[0][1].by
                locks.enter_context(sender.lock)
                self._check_held(sender)
                signed = sender.sign_many([r for _, _, r in group], estimate=self.estimate)
                signed_all += [(i, st, s) for (i, st, _), s in zip(group, signed, strict=True)]
            signed_all.sort(key=lambda t: t[0])
            try:
                self.journal.record_signed(
                    self.id,
                    [(i, st.name, stage_no, s, dict(st.inputs)) for i, st, s in signed_all],
                )
            except BaseException:
                for group in by_sender.values():  # nothing recorded, nothing sent
                    group[0][1].by.resync_nonce()
                raise
            for _, step, _ in signed_all:
                self._phase(step.name, "after_sign")
            for n, (_i, step, s) in enumerate(signed_all):
                try:
                    step.by.broadcast(s)
                except Exception as exc:
                    for _, later_step, later in signed_all[n:]:
                        later_step.by.note_nonce_used(later.nonce)  # recorded: keep them held
                    raise WorkflowInterruptedError(
                        f"workflow {self.id!r}: the node did not take step {step.name!r} "
                        f"({s.tx_hash}, nonce {s.nonce}): {_brief(exc)}. It is recorded; run "
                        f"`tierchain resume {self.id}` once the node answers (the same bytes "
                        "will be sent, never a new transaction)",
                        self.id, step.name, s.tx_hash,
                    ) from None  # fmt: skip
                self._phase(step.name, "after_broadcast")
        self.journal.mark(self.id, [(i, st.name, "sent", {}) for i, st, _ in signed_all], "sent")
        return signed_all

    def _check_held(self, sender: Sender) -> None:
        first = sender.next_nonce
        for nonce, workflow_id, step in self.journal.held_nonces(sender.chain_id, sender.address):
            if nonce >= first:
                raise NonceHeldError(
                    f"nonce {nonce} of {sender.address} is held by step {step!r} of workflow "
                    f"{workflow_id!r} (signed and recorded, not confirmed): run `tierchain resume "
                    f"{workflow_id}` first; signing now would reuse that nonce"
                )

    def _collect(self, items: list[tuple[int, Step, SignedTx]], *, fire: bool, done: set[int] | None = None) -> None:
        """Wait for the receipts of a stage, record them and compute the outputs."""
        by_sender: dict[str, list[tuple[int, Step, SignedTx]]] = {}
        for item in items:
            by_sender.setdefault(item[1].by.address, []).append(item)
        receipts: dict[int, Receipt] = {}
        for group in by_sender.values():
            sender = group[0][1].by
            got = sender.wait_many([s for _, _, s in group], check=False)
            receipts.update({i: r for (i, _, _), r in zip(group, got, strict=True)})
        already = done or set()
        for i, step, _ in items:
            if fire and i not in already:
                self._phase(step.name, "after_receipt")
        updates: list[tuple[int, str, StepStatus, dict[str, Any]]] = []
        failure: TierchainError | None = None
        for i, step, signed in items:
            receipt = receipts[i]
            if receipt.status != 1:
                try:
                    step.by.wait(signed)
                except TierchainError as exc:
                    failure = failure or exc
                    updates.append((i, step.name, "failed", {
                        "block_number": receipt.block_number, "error": str(exc),
                        "detail": str(exc)}))  # fmt: skip
                continue
            value = step.output(receipt) if step.output is not None else None
            self.outputs[step.name] = value
            if i in already:
                continue
            updates.append((i, step.name, "done", {
                "block_number": receipt.block_number, "output": value,
                "detail": f"block {receipt.block_number}"}))  # fmt: skip
        if fire and updates:
            self.journal.mark(self.id, updates, "receipt")
        if failure is not None:
            raise failure


def _receipt_or_none(w3: Web3, tx_hash: str) -> Mapping[str, Any] | None:
    try:
        receipt = cast(Mapping[str, Any], w3.eth.get_transaction_receipt(cast(HexStr, tx_hash)))
    except TransactionNotFound:
        return None
    return receipt if receipt and receipt.get("blockNumber") is not None else None


def _known(w3: Web3, tx_hash: str) -> bool:
    try:
        w3.eth.get_transaction(cast(HexStr, tx_hash))
    except TransactionNotFound:
        return False
    return True


def _brief(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


# ---------------------------------------------------------------------------- scripts


TxBuild = TxRequest | Callable[[], TxRequest]
"""What a script step sends: a request, or a function that builds it (called only when the step
has to be signed, i.e. never on a re-run that finds it recorded)."""


class Script(Workflow):
    """A journaled workflow written as an ordinary Python script: steps are declared as the
    script runs them, and each returns its output.

    ::

        with Script.open("month-end-2026-11", w3) as wf:
            rows = wf.remember("rows", lambda: read_rows("payouts.csv"))   # fixed on the 1st run
            pid = wf.send("issue", core, lambda: token.request(...), output=payable_id_of)
            wf.send("accept", supplier, lambda: token.request("accept(uint256)", pid))

    Re-running the script with the same id (after a crash, a kill, an outage) replays it: a step
    whose transaction is recorded is never signed again (done: its output is read again from its
    receipt; in flight: waited for; unknown to the node: the same bytes re-sent), a remembered
    value is returned as recorded, and the first step not yet recorded is signed then. The
    script must call its steps in the same order with the same names on every run (make what
    they depend on deterministic with :meth:`remember`); a step recorded under another name at
    that position stops the run (:class:`JournalError`). ``params`` are recorded on the first
    run and must be equal on every re-run (put there what identifies the job: a CSV's hash)."""

    def __init__(
        self,
        journal: Journal,
        workflow_id: str,
        w3: Web3,
        *,
        kind: str = "script",
        params: Mapping[str, Any] | None = None,
        estimate: Estimate = "each",
        on_phase: PhaseHook | None = None,
        retry_failed: bool = False,
    ) -> None:
        super().__init__(journal, workflow_id, w3, kind=kind, params=params, estimate=estimate, on_phase=on_phase)
        self.retry_failed = retry_failed
        self.resumed = False  # True when the id was already in the journal
        self._names: list[str] = []  # declared by this run, in call order
        self._index: dict[str, int] = {}  # declared name -> journal index
        self._records: dict[int, StepRecord] = {}
        self._by_name: dict[str, StepRecord] = {}
        self._saved_names: list[str] = []
        self._next_index = 0
        self._tx_seq = 0

    @classmethod
    def open(
        cls,
        workflow_id: str,
        w3: Web3,
        *,
        journal: Journal | None = None,
        kind: str = "script",
        params: Mapping[str, Any] | None = None,
        estimate: Estimate = "each",
        retry_failed: bool = False,
    ) -> Script:
        """Start the workflow ``workflow_id``, or continue it if the journal has it (the
        default journal: ``<TIERCHAIN_HOME>/journal/journal.sqlite``)."""
        script = cls(journal or Journal(), workflow_id, w3, kind=kind, params=params, estimate=estimate,
                     retry_failed=retry_failed)  # fmt: skip
        script.start()
        return script

    def start(self) -> Script:
        """Create the journal record, or check the recorded one (kind, params, chain) and load
        its steps."""
        try:
            chain_id = int(self.w3.eth.chain_id)
            genesis = genesis_hash(self.w3)
        except Exception as exc:
            raise self._interrupted("", exc) from None
        record = self.journal.find(self.id)
        if record is None:
            rpc = str(getattr(self.w3.provider, "endpoint_uri", "") or "")
            self.journal.create(self.id, self.kind, self.params, chain_id, genesis, rpc, [])
        else:
            self.resumed = True
            if record.kind != self.kind:
                raise JournalError(f"workflow {self.id!r} is a {record.kind!r} workflow, not {self.kind!r}")
            if json.loads(json.dumps(self.params, sort_keys=True, default=str)) != record.params:
                raise JournalError(
                    f"workflow {self.id!r} was started with other parameters ({record.params}); "
                    f"now {self.params}: pick a new id for a new job"
                )
            if chain_id != record.chain_id:
                raise ChainIdMismatchError(
                    f"workflow {self.id!r} runs on chain {record.chain_id}; the node is chain {chain_id}"
                )
            if genesis != record.genesis_hash:
                raise JournalError(
                    f"workflow {self.id!r} was recorded on another chain with id {chain_id} "
                    "(different genesis block): its transactions cannot be resumed here"
                )
        self._records = {r.index: r for r in self.journal.steps(self.id)}
        self._by_name = {r.name: r for r in self._records.values()}
        self._next_index = max(self._records, default=-1) + 1
        self._saved_names = list(self.journal.workflow(self.id).step_names)
        self.journal.set_status(self.id, "running")
        return self

    def __enter__(self) -> Script:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc is None:
            self.finish()
        elif self.journal.workflow(self.id).status == "running":  # not recorded by a failed step
            self.journal.set_status(
                self.id, "interrupted", str(exc) if isinstance(exc, TierchainError) else _brief(exc)
            )

    def finish(self) -> None:
        """Mark the workflow done (the context manager does it when the block ends normally)."""
        self.journal.set_status(self.id, "done")

    # -- steps ------------------------------------------------------------------------------

    @property
    def step_names(self) -> list[str]:
        return list(self._names)

    def _declare(self, names: Sequence[str]) -> list[int]:
        """Give each new step its journal index: the recorded one for a step recorded on an
        earlier run (identity is the name), else the next free one."""
        indexes = []
        for name in names:
            if not name or ":" in name or name in self._index:
                raise UsageError(f"step name {name!r} is empty, has ':' or is used twice")
            rec = self._by_name.get(name)
            if rec is not None:
                index = rec.index
            else:
                index = self._next_index
                self._next_index += 1
            self._index[name] = index
            self._names.append(name)
            indexes.append(index)
        ordered = sorted(self._index, key=self._index.__getitem__)
        if ordered != self._saved_names:
            self.journal.set_step_names(self.id, ordered)
            self._saved_names = ordered
        return indexes

    def _unreplayed(self) -> list[str]:
        """Recorded steps this run has not reached yet."""
        return [n for n in self._by_name if n not in self._index]

    def remember(self, name: str, compute: Callable[[], Any]) -> Any:
        """A value computed once, on the first run, and recorded (JSON): re-runs get the
        recorded value without calling ``compute``. Use it for whatever later steps depend on
        and might change meanwhile (the pieces to claim, the time, a file's rows)."""
        rec = self._by_name.get(name)
        if rec is None and self._unreplayed():
            raise JournalError(
                f"workflow {self.id!r}: the script now remembers {name!r}, which was never recorded, "
                f"before the recorded steps {self._unreplayed()[:3]}: the script changed; not continuing"
            )
        index = self._declare([name])[0]
        if rec is not None and rec.tx_hash is None and rec.status == "done":
            value = rec.output
        else:
            self._phase(name, "before_sign")
            value = json.loads(json.dumps(compute(), sort_keys=True, default=str))
            self.journal.record_value(self.id, index, name, len(self.stages), value)
            self._phase(name, "after_receipt")
        self.outputs[name] = value
        return value

    def send(
        self, name: str, by: Sender, request: TxBuild, *, output: Callable[[Receipt], Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> Any:  # fmt: skip
        """One step: sign ``request`` as ``by``, record it, send it, wait; returns
        ``output(receipt)`` (None without ``output``). On a re-run the recorded transaction is
        used instead (never signed again)."""
        return self.send_all([self.step_of(name, by, request, output=output, inputs=inputs)])[0]

    @staticmethod
    def step_of(
        name: str, by: Sender, request: TxBuild, *, output: Callable[[Receipt], Any] | None = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> Step:  # fmt: skip
        """A :class:`Step` for :meth:`send_all` from a request or a no-argument builder."""
        build: Callable[[Outputs], TxRequest]
        if isinstance(request, TxRequest):
            fixed = request
            build = lambda _o: fixed  # noqa: E731
        else:
            builder = request
            build = lambda _o: builder()  # noqa: E731
        return Step(name, by, build, output, dict(inputs or {}))

    def send_all(self, steps: Sequence[Step]) -> list[Any]:
        """Independent steps as one stage: signed, recorded in one commit, broadcast together,
        receipts awaited together; returns their outputs in order."""
        if not steps:
            return []
        indexes = self._declare([s.name for s in steps])
        self.stages.append(list(steps))
        indexed = list(zip(indexes, steps, strict=True))
        try:
            fresh = [s for s in steps if s.name not in self._by_name]
            if fresh and self._unreplayed():
                # A new step before recorded ones were reached: the script took another path.
                # Simulate first: a step the chain refuses (an expected revert the script
                # catches) was refused on the first run too and is not a change.
                for step in fresh:
                    step.by.estimate_gas(step.build(self.outputs))
                raise JournalError(
                    f"workflow {self.id!r}: the script now runs {fresh[0].name!r}, which was never "
                    f"recorded, before the recorded steps {self._unreplayed()[:3]}: the script "
                    "changed; not continuing"
                )
            self._run_stage(len(self.stages) - 1, indexed, self._records, self.retry_failed)
        except (ContractRevert, TransactionFailedError) as exc:
            if exc.tx_hash is None:  # refused by the simulation: nothing was signed or recorded
                self._forget(steps)
            else:
                self.journal.set_status(self.id, "failed", str(exc))
            raise
        except (WorkflowInterruptedError, NonceError, JournalError, UsageError) as exc:
            self.journal.set_status(self.id, "interrupted", str(exc))
            raise
        except TierchainError as exc:
            self.journal.set_status(self.id, "interrupted", str(exc))
            raise
        except Exception as exc:  # the node went away, a timeout, a socket broke, ...
            interrupted = self._interrupted(steps[0].name, exc)
            self.journal.set_status(self.id, "interrupted", str(interrupted))
            raise interrupted from None
        return [self.outputs.get(s.name) for s in steps]

    def journaled(self, sender: Sender) -> Sender:
        """A Sender for the same key whose every ``send``/``send_many``/``deploy`` is a step of
        this script, named by its place in the script and its label's first word (``007 split``): hand it
        to library code (clients, ``deploy_all``) to make that code resumable unchanged, as long
        as it sends the same transactions in the same order on every run."""
        return JournaledSender(self, sender)

    def _next_tx_name(self, label: str) -> str:
        # The label's first word only ("split", "relay", "deploy"): the rest may hold what a
        # re-run reads anew (a relay nonce, an offer's hash) and must not make names differ.
        self._tx_seq += 1
        words = label.replace(":", " ").split()
        return f"{self._tx_seq:03d} {words[0][:40] if words else 'transaction'}"

    def send_receipts(self, by: Sender, requests: Sequence[TxRequest]) -> list[Receipt]:
        """Journaled sends of ``requests`` (one stage) returning their receipts."""
        got: dict[str, Receipt] = {}
        steps = []
        for req in requests:
            name = self._next_tx_name(req.label)

            def keep(r: Receipt, name: str = name) -> None:
                got[name] = r

            def build(_o: Outputs, req: TxRequest = req) -> TxRequest:
                return req

            steps.append(Step(name, by, build, keep, {}))
        self.send_all(steps)
        return [got[s.name] for s in steps]

    def _index_of(self, step: Step) -> int:
        return self._index[step.name]

    def _forget(self, steps: Sequence[Step]) -> None:
        """Undo the declaration of steps that were refused before signing (a script may catch
        an expected revert and go on: the refused step takes no place in the journal)."""
        if any(s.name in self._by_name for s in steps):
            return
        for step in steps:
            del self._index[step.name]
            self._names.remove(step.name)
        self._next_index = max([*self._index.values(), *(r.index for r in self._by_name.values()), -1]) + 1
        self.stages.pop()

    def _interrupted(self, step: str, exc: BaseException) -> WorkflowInterruptedError:
        cause = str(exc) if isinstance(exc, TierchainError) else _brief(exc)
        return WorkflowInterruptedError(
            f"workflow {self.id!r} stopped at step {step!r}: {cause}. Its signed steps are "
            f"recorded in {self.journal.path}; run the script again with the same id once the "
            "node answers (recorded transactions are re-sent as the same bytes, never signed anew)",
            self.id, step, getattr(exc, "tx_hash", None),
        )  # fmt: skip

    def run(self) -> Outputs:
        raise UsageError("a Script runs as the script calls send(); there is nothing to run()")

    def resume(self, *, retry_failed: bool = False) -> Outputs:
        raise UsageError(f"a script workflow resumes by running the script again with the id {self.id!r}")


class JournaledSender(Sender):
    """A Sender whose sends are steps of a :class:`Script` (see :meth:`Script.journaled`)."""

    def __init__(self, script: Script, base: Sender) -> None:
        super().__init__(
            base.w3, base.account, timeout=base.timeout, poll_interval=base.poll_interval,
            confirmations=base.confirmations, gas_multiplier=base.gas_multiplier,
            priority_fee=base.priority_fee,
        )  # fmt: skip
        self.script = script

    def send(self, req: TxRequest) -> Receipt:
        return self.script.send_receipts(self, [req])[0]

    def send_many(self, reqs: Sequence[TxRequest], *, estimate: Estimate = "each") -> list[Receipt]:
        return self.script.send_receipts(self, list(reqs))


# ---------------------------------------------------------------------------- registered kinds


@dataclass(frozen=True)
class WorkflowEnv:
    """What a registered workflow kind needs to rebuild its steps on resume."""

    w3: Web3
    journal: Journal
    home: Path | None
    sender_for: Callable[[str], Sender]


WorkflowFactory = Callable[[WorkflowEnv, str, Mapping[str, Any]], Workflow]
_KINDS: dict[str, WorkflowFactory] = {}


def register_kind(kind: str) -> Callable[[WorkflowFactory], WorkflowFactory]:
    """Register a factory ``(env, workflow_id, params) -> Workflow`` under ``kind`` so that
    ``tierchain resume <id>`` can rebuild a recorded workflow from its kind and params."""

    def wrap(factory: WorkflowFactory) -> WorkflowFactory:
        _KINDS[kind] = factory
        return factory

    return wrap


def kinds() -> list[str]:
    return sorted(_KINDS)


def build_workflow(env: WorkflowEnv, workflow_id: str, kind: str, params: Mapping[str, Any]
                   ) -> Workflow:  # fmt: skip
    factory = _KINDS.get(kind)
    if factory is None:
        raise UsageError(f"unknown workflow kind {kind!r}; known: {', '.join(kinds()) or 'none'}")
    return factory(env, workflow_id, params)


def resume_recorded(env: WorkflowEnv, workflow_id: str, *, retry_failed: bool = False) -> Outputs:
    """Rebuild a recorded workflow from its kind and params, and resume it."""
    record = env.journal.workflow(workflow_id)
    workflow = build_workflow(env, workflow_id, record.kind, record.params)
    return workflow.resume(retry_failed=retry_failed)


# ---------------------------------------------------------------------------- the lifecycle kind


LIFECYCLE_FACE: Final = 1_000_000


@register_kind("lifecycle")
def lifecycle(env: WorkflowEnv, workflow_id: str, params: Mapping[str, Any]) -> Workflow:
    """register a package → issue → accept → split → split → move value → merge.

    params: ``core``, ``supplier``, ``holder`` (addresses, members), ``face`` (cents),
    ``maturity_at`` (unix time). The package root is derived from the workflow id."""
    from tierchain.chain.deployment import load_deployment
    from tierchain.clients.bundle import Contracts
    from tierchain.clients.contracts import _minted

    deployment = load_deployment(env.w3, home=env.home)
    c = Contracts.at(env.w3, deployment)
    core = env.sender_for(str(params["core"]))
    supplier = env.sender_for(str(params["supplier"]))
    holder = env.sender_for(str(params["holder"]))
    face = int(params.get("face", LIFECYCLE_FACE))
    maturity = int(params["maturity_at"])
    root = bytes(Web3.keccak(text=f"tierchain lifecycle workflow {workflow_id}"))
    doc = bytes(Web3.keccak(text=f"documents of {workflow_id}"))
    t = c.token

    def issued(r: Receipt) -> dict[str, int]:
        e = r.event("PayableIssued")
        return {"payable_id": int(e.args["payableId"]), "token_id": int(e.args["tokenId"])}

    def piece(o: Outputs) -> int:
        return int(o["issue"]["token_id"])

    wf = Workflow(env.journal, workflow_id, env.w3, kind="lifecycle", params=params)
    wf.step(
        "register",
        core,
        lambda o: c.registry.request(
            "registerPackage(bytes32,uint32,uint64,address,bytes32)",
            root,
            10,
            face,
            supplier.address,
            doc,
            label="register package",
        ),
        inputs={"root": "0x" + root.hex()},
    )
    wf.step(
        "issue",
        core,
        lambda o: t.request(
            "issue(address,uint64,address,uint40,bytes32,bytes32)",
            supplier.address,
            face,
            deployment.currency,
            maturity,
            root,
            doc,
            label="issue payable",
        ),
        output=issued,
        inputs={"face": face, "maturity_at": maturity},
    )
    wf.step(
        "accept", supplier, lambda o: t.request("accept(uint256)", o["issue"]["payable_id"], label="accept payable")
    )
    wf.step(
        "split-a",
        supplier,
        lambda o: t.request(
            "transferFrom(uint256,address,uint256)", piece(o), holder.address, 3 * face // 10, label="split to holder"
        ),
        output=_minted,
    )
    wf.step(
        "split-b",
        supplier,
        lambda o: t.request(
            "transferFrom(uint256,address,uint256)",
            piece(o),
            holder.address,
            2 * face // 10,
            label="split to holder again",
        ),
        output=_minted,
    )
    wf.step(
        "move",
        supplier,
        lambda o: t.request(
            "transferFrom(uint256,uint256,uint256)", piece(o), o["split-a"], face // 20, label="move value"
        ),
    )
    wf.step("merge", holder, lambda o: t.request("merge(uint256,uint256)", o["split-b"], o["split-a"], label="merge"))
    return wf
