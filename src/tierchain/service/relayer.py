"""The relayer's queue: members' signed requests, sent by ONE sender with the operator's key.

Every accepted request is a workflow of kind ``relay`` in the write-ahead journal
(:class:`tierchain.workflows.journal.Journal`), id ``relay:<EIP-712 digest>``: posting the same
signed request twice finds the same workflow (one request, one transaction). One thread signs
with the operator's :class:`~tierchain.chain.sender.Sender` (one nonce sequence, however many
requests arrive at once) in batches of at most one request per signer, records every signed
transaction durably BEFORE broadcasting it, then waits for the receipts.

After a crash, a kill or an RPC outage the thread first settles what is in flight: a recorded
transaction whose receipt exists is finished; one the node knows is waited for; one the node
does not know is re-broadcast as the same bytes (same hash, same nonce: it can be mined at
most once), unless the operator's nonce has moved past it (then it is failed, never re-signed).

``TIERCHAIN_SERVICE_CRASH_AT=after_sign|after_broadcast`` (tests only) SIGKILLs the process at
that point of the first batch.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.exceptions import TransactionNotFound

from tierchain.chain.revert import decode_exception
from tierchain.chain.sender import Receipt, Sender, SignedTx, TxRequest
from tierchain.clients.bundle import Contracts
from tierchain.clients.contracts import ZERO_ADDRESS
from tierchain.clients.requests import SignedRequest, SplitPiece
from tierchain.core.errors import ContractRevert, TierchainError
from tierchain.workflows.journal import Journal, StepRecord

KIND: Final = "relay"
STEP: Final = "relay"
CRASH_ENV: Final = "TIERCHAIN_SERVICE_CRASH_AT"
RequestState = Literal["queued", "sent", "confirmed", "failed"]


@dataclass
class Entry:
    """One request in the queue (in memory; the journal is the durable copy)."""

    id: str
    signed: SignedRequest
    created_at: float
    state: RequestState = "queued"
    tx: SignedTx | None = None
    receipt: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    gas: int | None = None  # the gas limit estimated when the request was accepted

    @property
    def signer(self) -> str:
        return self.signed.request.signer

    @property
    def nonce(self) -> int:
        return self.signed.request.nonce


@dataclass
class RelayStats:
    sent: int = 0
    confirmed: int = 0
    failed: int = 0
    batches: int = 0
    last_error: str | None = None
    operator_nonces: list[int] = field(default_factory=list)


def workflow_id(request_id: str) -> str:
    return f"{KIND}:{request_id}"


def error_json(exc: BaseException) -> dict[str, Any]:
    """A stable code, a readable message and the decoded values of an error."""
    if isinstance(exc, ContractRevert):
        return {
            "code": exc.error_name or "Reverted",
            "message": str(exc),
            "details": {"args": {k: _plain(v) for k, v in exc.args_by_name.items()}},
        }
    return {"code": type(exc).__name__, "message": str(exc)[:500], "details": {}}


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value if isinstance(value, str) else str(value)


class Relayer:
    """The queue and its single sender thread."""

    def __init__(
        self,
        w3: Web3,
        contracts: Contracts,
        sender: Sender,
        journal: Journal,
        *,
        rpc_url: str = "",
        max_batch: int = 200,
        receipt_timeout: float = 60.0,
        on_mined: Callable[[int], None] | None = None,
    ) -> None:
        self.w3 = w3
        self.c = contracts
        self.sender = sender
        self.journal = journal
        self.rpc_url = rpc_url
        self.max_batch = max_batch
        self.receipt_timeout = receipt_timeout
        self.on_mined = on_mined
        self.stats = RelayStats()
        self._entries: dict[str, Entry] = {}
        self._pending: dict[str, int] = {}  # signer -> requests queued or in flight
        self._lock = threading.RLock()  # entries and the journal's connection
        self._wake = threading.Condition(self._lock)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._crash_at = os.environ.get(CRASH_ENV)
        self._genesis = "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()
        self._load()

    # -- durable state -------------------------------------------------------------------------

    def _load(self) -> None:
        """Reload the requests the journal holds for this chain (finished ones too: their
        status is still asked for, and a re-post must find them)."""
        with self._lock:
            for wf in self.journal.workflows():
                if wf.kind != KIND or wf.chain_id != self.sender.chain_id or wf.genesis_hash != self._genesis:
                    continue
                try:
                    signed = SignedRequest.from_json(str(wf.params["signed"]))
                except Exception:
                    continue
                entry = Entry(wf.workflow_id.split(":", 1)[1], signed, wf.created_at)
                steps = self.journal.steps(wf.workflow_id)
                step = steps[0] if steps else None
                if step is not None and step.raw is not None:
                    entry.tx = step.signed_tx()
                if wf.status == "done":
                    entry.state = "confirmed"
                    entry.receipt = _output(step)
                elif wf.status == "failed":
                    entry.state = "failed"
                    entry.error = _error_of(wf.error)
                    entry.receipt = _output(step)
                elif step is not None and step.status in ("signed", "sent"):
                    entry.state = "sent" if step.status == "sent" else "queued"
                self._entries[entry.id] = entry
                if entry.state in ("queued", "sent"):
                    self._pending[entry.signer] = self._pending.get(entry.signer, 0) + 1
                if entry.tx is not None and entry.state in ("queued", "sent"):
                    self.sender.note_nonce_used(entry.tx.nonce)

    # -- the API side --------------------------------------------------------------------------

    def get(self, request_id: str) -> Entry | None:
        with self._lock:
            return self._entries.get(request_id)

    def pending_of(self, signer: str) -> int:
        """Requests of ``signer`` queued or in flight (their nonces are taken)."""
        who = to_checksum_address(signer)
        with self._lock:
            return self._pending.get(who, 0)

    def counts(self) -> dict[str, int]:
        out = {"queued": 0, "sent": 0, "confirmed": 0, "failed": 0}
        with self._lock:
            for e in self._entries.values():
                out[e.state] += 1
        return out

    def submit(
        self, request_id: str, signed: SignedRequest, *, expect_nonce: Callable[[], int], gas: int | None = None
    ) -> tuple[Entry, bool]:
        """Queue ``signed`` (id = its digest). Returns (entry, created); an id already known
        returns the existing entry. ``expect_nonce()`` (under the lock) is the nonce the
        signer's next request must carry; a mismatch raises ValueError."""
        with self._lock:
            known = self._entries.get(request_id)
            if known is not None:
                return known, False
            expected = expect_nonce()
            if signed.request.nonce != expected:
                raise ValueError(expected)
            self.journal.create(
                workflow_id(request_id), KIND,
                {"signed": signed.to_json(), "signer": signed.request.signer, "nonce": str(signed.request.nonce)},
                self.sender.chain_id, self._genesis, self.rpc_url, [STEP],
            )  # fmt: skip
            entry = Entry(request_id, signed, time.time(), gas=gas)
            self._entries[request_id] = entry
            self._pending[entry.signer] = self._pending.get(entry.signer, 0) + 1
            self._wake.notify_all()
            return entry, True

    # -- the thread ----------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tierchain-relayer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            self._wake.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def idle(self) -> bool:
        with self._lock:
            return all(e.state in ("confirmed", "failed") for e in self._entries.values())

    def _run(self) -> None:
        backoff = 0.05
        while not self._stop.is_set():
            try:
                worked = self._settle_in_flight()
                batch = self._pick()
                if batch:
                    self._send(batch)
                    worked = True
                self.stats.last_error = None
                backoff = 0.05
                if not worked:
                    with self._lock:
                        if not self._has_queued():
                            self._wake.wait(0.5)
            except Exception as exc:  # an RPC outage: keep everything, try again
                self.stats.last_error = f"{type(exc).__name__}: {str(exc)[:200]}"
                self._stop.wait(backoff)
                backoff = min(2.0, backoff * 2)

    def _has_queued(self) -> bool:
        return any(e.state == "queued" and e.tx is None for e in self._entries.values())

    def _pick(self) -> list[Entry]:
        """Queued requests without a transaction, oldest first, at most one per signer (a
        signer's next nonce is simulated only once the previous one is mined)."""
        with self._lock:
            seen: set[str] = set()
            busy = {e.signer for e in self._entries.values() if e.tx is not None and e.state in ("queued", "sent")}
            out: list[Entry] = []
            for e in sorted(self._entries.values(), key=lambda e: (e.created_at, e.nonce)):
                if e.state != "queued" or e.tx is not None or e.signer in seen or e.signer in busy:
                    continue
                seen.add(e.signer)
                out.append(e)
                if len(out) >= self.max_batch:
                    break
            return out

    def _crash(self, point: str) -> None:
        if self._crash_at == point:
            os.kill(os.getpid(), signal.SIGKILL)

    def _estimates(self, reqs: Sequence[TxRequest]) -> list[int | None]:
        """eth_estimateGas of every request in ONE JSON-RPC batch (None where it fails: those
        are estimated again one by one, which decodes the revert)."""
        batch = getattr(self.w3.provider, "make_batch_request", None)
        if batch is None or len(reqs) < 2:
            return [None] * len(reqs)
        calls = [("eth_estimateGas", [{"from": self.sender.address, "to": r.to, "data": "0x" + r.data.hex()}])
                 for r in reqs]  # fmt: skip
        try:
            answers = batch(calls)
        except Exception:
            return [None] * len(reqs)
        if not isinstance(answers, list) or len(answers) != len(reqs):
            return [None] * len(reqs)
        out: list[int | None] = []
        for a in answers:
            result = a.get("result") if isinstance(a, dict) else None
            out.append(None if result is None else int(int(str(result), 16) * self.sender.gas_multiplier))
        return out

    def _send(self, batch: Sequence[Entry]) -> None:
        ready: list[tuple[Entry, TxRequest]] = []
        reqs = [self.c.relay.relay_request(e.signed) for e in batch]
        estimates = self._estimates([r for e, r in zip(batch, reqs, strict=True) if e.gas is None])
        it = iter(estimates)
        for e, req in zip(batch, reqs, strict=True):
            try:
                # simulated when accepted; estimated here against the state it will run on
                gas = e.gas if e.gas is not None else next(it)
                if gas is None:
                    gas = self.sender.estimate_gas(req)
            except ContractRevert as exc:
                self._fail(e, error_json(exc), None)
                continue
            ready.append((e, TxRequest(req.to, req.data, 0, gas, req.label)))
        if not ready:
            return
        fees = self.sender.fees()
        with self.sender.lock:
            txs = [self.sender.sign(req, fees=fees) for _, req in ready]
            with self._lock:
                self._record_batch([(e, tx) for (e, _), tx in zip(ready, txs, strict=True)])
        self._crash("after_sign")
        sent: list[tuple[Entry, SignedTx]] = []
        pairs = [(e, tx) for (e, _), tx in zip(ready, txs, strict=True)]
        try:
            delivered = self._broadcast_batch(pairs)  # one JSON-RPC batch for the whole batch
            for (e, tx), ok in zip(pairs, delivered, strict=True):
                if not ok:  # refused in the batch: once more alone (raises if the node refuses it)
                    self._broadcast(e, tx, mark=False)
                else:
                    self.stats.sent += 1
                    self.stats.operator_nonces.append(tx.nonce)
                sent.append((e, tx))
        finally:
            self._mark_sent(sent)
        self._crash("after_broadcast")
        self.stats.batches += 1
        self._finish_many(sent)

    def _broadcast(self, e: Entry, tx: SignedTx, *, mark: bool = True) -> None:
        try:
            self.w3.eth.send_raw_transaction(tx.raw)
        except Exception:
            if not self._known(tx.tx_hash):
                raise  # stays recorded as signed; the next round re-broadcasts the same bytes
        self.stats.sent += 1
        self.stats.operator_nonces.append(tx.nonce)
        if mark:
            self._mark_sent([(e, tx)])

    # -- the journal, a batch per commit (every commit is an fsync) -----------------------------

    def _record_batch(self, pairs: Sequence[tuple[Entry, SignedTx]]) -> None:
        """Record a batch's signed transactions in ONE durable commit, before any is sent
        (the rows :meth:`Journal.record_signed` writes, for many workflows at once)."""
        now = time.time()
        with self.journal._tx() as db:
            for e, s in pairs:
                req = s.request
                db.execute(
                    "INSERT OR REPLACE INTO steps (workflow_id, idx, name, stage, status, sender, "
                    "nonce, chain_id, tx_hash, raw, gas, to_address, data, value, label, inputs, "
                    "updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (workflow_id(e.id), 0, STEP, 0, "signed", s.sender, s.nonce, s.chain_id, s.tx_hash, s.raw,
                     s.gas, req.to, req.data, str(req.value), req.label, json.dumps({"request": e.id}), now),
                )  # fmt: skip
                db.execute(
                    "INSERT INTO events (workflow_id, step, at, what, detail) VALUES (?,?,?,?,?)",
                    (workflow_id(e.id), STEP, now, "signed", f"{s.tx_hash} nonce {s.nonce}"),
                )
        for e, s in pairs:
            e.tx = s

    def _mark_sent(self, pairs: Sequence[tuple[Entry, SignedTx]]) -> None:
        if not pairs:
            return
        with self._lock:
            now = time.time()
            with self.journal._tx() as db:
                for e, s in pairs:
                    db.execute(
                        "UPDATE steps SET status='sent', updated_at=? WHERE workflow_id=? AND idx=0",
                        (now, workflow_id(e.id)),
                    )
                    db.execute(
                        "INSERT INTO events (workflow_id, step, at, what, detail) VALUES (?,?,?,?,?)",
                        (workflow_id(e.id), STEP, now, "sent", s.tx_hash),
                    )
            for e, _ in pairs:
                e.state = "sent"

    def _close_batch(self, done: Sequence[tuple[Entry, str, dict[str, Any] | None, dict[str, Any] | None]]) -> None:
        """Finish entries in one commit: (entry, "done" | "failed", output, error)."""
        if not done:
            return
        now = time.time()
        with self._lock:
            with self.journal._tx() as db:
                for e, status, out, error in done:
                    wid = workflow_id(e.id)
                    if out is not None:
                        db.execute(
                            "UPDATE steps SET status=?, block_number=?, output=?, error=?, updated_at=? "
                            "WHERE workflow_id=? AND idx=0",
                            (status, out.get("block_number"), json.dumps(out), None if error is None else
                             error["code"], now, wid),
                        )  # fmt: skip
                    db.execute(
                        "UPDATE workflows SET status=?, error=?, updated_at=? WHERE id=?",
                        (status, None if error is None else json.dumps(error), now, wid),
                    )
                    db.execute(
                        "INSERT INTO events (workflow_id, step, at, what, detail) VALUES (?,?,?,?,?)",
                        (wid, STEP, now, status, None if error is None else error["code"]),
                    )
            for e, status, out, error in done:
                if e.state in ("queued", "sent"):
                    self._pending[e.signer] = max(0, self._pending.get(e.signer, 0) - 1)
                e.receipt = out
                if status == "done":
                    e.state = "confirmed"
                    self.stats.confirmed += 1
                else:
                    e.state, e.error = "failed", error
                    self.stats.failed += 1

    def _broadcast_batch(self, pairs: Sequence[tuple[Entry, SignedTx]]) -> list[bool]:
        """eth_sendRawTransaction of every transaction in ONE JSON-RPC batch, in nonce order;
        False where the node answered an error (or batches are not supported)."""
        batch = getattr(self.w3.provider, "make_batch_request", None)
        if batch is None or len(pairs) < 2:
            return [False] * len(pairs)
        try:
            answers = batch([("eth_sendRawTransaction", ["0x" + tx.raw.hex()]) for _, tx in pairs])
        except Exception:
            return [False] * len(pairs)
        if not isinstance(answers, list) or len(answers) != len(pairs):
            return [False] * len(pairs)
        return [isinstance(a, dict) and "result" in a for a in answers]

    def _known(self, tx_hash: str) -> bool:
        try:
            self.w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
            return True
        except TransactionNotFound:
            return False

    def _settle_in_flight(self) -> bool:
        with self._lock:
            flying = [e for e in self._entries.values() if e.tx is not None and e.state in ("queued", "sent")]
        if not flying:
            return False
        waiting: list[tuple[Entry, SignedTx]] = []
        chain_nonce: int | None = None
        for e in sorted(flying, key=lambda e: e.tx.nonce if e.tx else 0):
            tx = e.tx
            assert tx is not None
            try:
                raw = self.w3.eth.get_transaction_receipt(tx.tx_hash)
            except TransactionNotFound:
                raw = None
            if raw is not None and raw.get("blockNumber") is not None:
                waiting.append((e, tx))
                continue
            if self._known(tx.tx_hash):
                waiting.append((e, tx))
                continue
            if chain_nonce is None:
                chain_nonce = int(self.w3.eth.get_transaction_count(tx.sender, "latest"))
            if chain_nonce > tx.nonce:
                self._fail(
                    e,
                    {"code": "NonceConsumed", "message": f"the operator's nonce {tx.nonce} was used by another "
                     "transaction; the request was not sent and can be signed again", "details": {}},
                    None,
                )  # fmt: skip
                continue
            self._broadcast(e, tx)  # the same bytes: same hash, at most once on chain
            self.sender.note_nonce_used(tx.nonce)
            waiting.append((e, tx))
        self._finish_many(waiting)
        return True

    def _finish_many(self, sent: Sequence[tuple[Entry, SignedTx]]) -> None:
        if not sent:
            return
        receipts = self.sender.wait_many([tx for _, tx in sent], timeout=self.receipt_timeout, check=False)
        top = 0
        closing: list[tuple[Entry, str, dict[str, Any] | None, dict[str, Any] | None]] = []
        for (e, tx), receipt in zip(sent, receipts, strict=True):
            top = max(top, receipt.block_number)
            if receipt.status == 1:
                closing.append((e, "done", self._output(e, receipt), None))
            else:
                closing.append((e, "failed", self._output(e, receipt), self._why(tx, receipt)))
        self._close_batch(closing)
        if self.on_mined is not None:
            self.on_mined(top)

    def _output(self, e: Entry, receipt: Receipt) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tx_hash": receipt.tx_hash,
            "block_number": receipt.block_number,
            "gas_used": receipt.gas_used,
            "operator_nonce": e.tx.nonce if e.tx else None,
        }
        if isinstance(e.signed.request, SplitPiece) and receipt.status == 1:
            for ev in receipt.events_named("Transfer"):
                if ev.args.get("from") == ZERO_ADDRESS and "tokenId" in ev.args:
                    out["new_token_id"] = str(int(ev.args["tokenId"]))
        return out

    def _fail(self, e: Entry, error: dict[str, Any], receipt: Receipt | None) -> None:
        self._close_batch([(e, "failed", self._output(e, receipt) if receipt is not None else None, error)])

    def _why(self, tx: SignedTx, receipt: Receipt) -> dict[str, Any]:
        """Replay a status-0 transaction at its parent block for the decoded error."""
        params: dict[str, Any] = {"from": tx.sender, "to": tx.request.to, "data": "0x" + tx.request.data.hex(),
                                  "gas": tx.gas}  # fmt: skip
        try:
            self.w3.eth.call(params, block_identifier=receipt.block_number - 1)  # type: ignore[arg-type]
        except Exception as exc:
            revert = decode_exception(exc, receipt.tx_hash)
            if revert is not None:
                return error_json(revert)
            return error_json(TierchainError(str(exc)))
        return {"code": "Failed", "message": f"{receipt.tx_hash} failed with status 0", "details": {}}


def _output(step: StepRecord | None) -> dict[str, Any] | None:
    if step is None or step.output is None:
        return None
    out = step.output
    if isinstance(out, str):
        try:
            out = json.loads(out)
        except ValueError:
            return None
    return out if isinstance(out, dict) else None


def _error_of(text: str | None) -> dict[str, Any]:
    if not text:
        return {"code": "Failed", "message": "failed", "details": {}}
    try:
        doc = json.loads(text)
        if isinstance(doc, dict) and "code" in doc:
            return doc
    except ValueError:
        pass
    return {"code": "Failed", "message": text, "details": {}}


__all__ = ["Entry", "Relayer", "error_json", "workflow_id"]
