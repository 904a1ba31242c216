"""The indexer: follows the watched contracts' logs into an :class:`~tierchain.audit.schema.Index`
in batches, one transaction each, and rewinds on a reorg."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from eth_utils.address import to_checksum_address
from web3 import Web3

from tierchain.audit.decode import ARTIFACT_OF, LogDecoder, entity_of
from tierchain.audit.project import _EVENT_COLUMNS, Projector, rebuild_entities
from tierchain.audit.schema import (
    DEFAULT_BATCH_BLOCKS,
    KEEP_BLOCK_HASHES,
    Cursor,
    Index,
    IndexStateError,
    default_index_path,
)
from tierchain.core.errors import ArtifactError, TierchainError, UsageError

# ---------------------------------------------------------------------------- the indexer


def watched_contracts(deployment: Any) -> dict[str, tuple[str, str]]:
    """name → (address, artifact name) of the deployment's contracts the index follows:
    membership, registry, token, and desk / settlement when the record has them."""
    out: dict[str, tuple[str, str]] = {}
    for name, artifact in ARTIFACT_OF.items():
        address = getattr(deployment, name, None)
        if isinstance(address, str) and address:
            out[name] = (to_checksum_address(address), artifact)
    return out


def _abi_or_empty(artifact: str) -> tuple[dict[str, Any], ...]:
    from tierchain.chain.artifacts import load_artifact

    try:
        return load_artifact(artifact).abi
    except ArtifactError:
        return ()


@dataclass
class SyncStats:
    """What a :meth:`Indexer.sync` call did."""

    batches: int = 0
    blocks: int = 0
    events: int = 0
    seconds: float = 0.0
    reorgs: int = 0
    rewound_blocks: int = 0
    head: int = 0
    cursor: int = 0

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


class _ReorgDetectedError(Exception):
    pass


class Indexer:
    """Follows the watched contracts' logs into an :class:`Index`.

    ``contracts`` maps a name (``token``, ``membership``, ``registry``, ``desk``,
    ``settlement``) to (address, artifact); the name decides which handlers apply. The index is
    bound to one chain (chain id and genesis hash) and one contract set on first use.
    """

    def __init__(
        self,
        w3: Web3,
        index: Index,
        contracts: Mapping[str, tuple[str, str]],
        *,
        start_block: int = 0,
        batch_blocks: int = DEFAULT_BATCH_BLOCKS,
        confirmations: int = 0,
        keep_block_hashes: int = KEEP_BLOCK_HASHES,
    ) -> None:
        if batch_blocks < 1:
            raise UsageError("batch_blocks must be at least 1")
        self.w3 = w3
        self.index = index
        self.contracts = {n: (to_checksum_address(a), art) for n, (a, art) in contracts.items()}
        self.start_block = max(0, start_block)
        self.batch_blocks = batch_blocks
        self.confirmations = max(0, confirmations)
        self.keep_block_hashes = keep_block_hashes
        self.decoder = LogDecoder({n: (a, _abi_or_empty(art)) for n, (a, art) in self.contracts.items()})
        self.addresses = [a for a, _ in self.contracts.values()]
        self._bind()

    @classmethod
    def for_deployment(cls, w3: Web3, deployment: Any, index: Index | None = None, **kwargs: Any) -> Indexer:
        """An indexer over a :class:`~tierchain.chain.deployment.Deployment`'s contracts, starting at the
        block of its first deployment transaction; the index defaults to
        ``<home>/index/<chainId>.sqlite``."""
        if index is None:
            index = Index(default_index_path(int(deployment.chain_id)))
        if "start_block" not in kwargs:
            kwargs["start_block"] = deployment_start_block(w3, deployment)
        return cls(w3, index, watched_contracts(deployment), **kwargs)

    # -- raw JSON-RPC (web3's result formatters cost more than the whole decode) --------------

    def _rpc(self, method: str, params: list[Any]) -> Any:
        response = self.w3.provider.make_request(cast(Any, method), params)
        if "error" in response:
            raise _RpcError(method, response["error"])
        return response["result"]

    def _header(self, number: int) -> dict[str, Any] | None:
        block = self._rpc("eth_getBlockByNumber", [hex(number), False])
        return None if block is None else cast(dict[str, Any], block)

    def _head(self) -> int:
        return int(self._rpc("eth_blockNumber", []), 16)

    def _logs(self, first: int, last: int) -> list[dict[str, Any]]:
        params = {"fromBlock": hex(first), "toBlock": hex(last), "address": self.addresses}
        return cast(list[dict[str, Any]], self._rpc("eth_getLogs", [params]))

    # -- binding -------------------------------------------------------------------------------

    def _bind(self) -> None:
        ix = self.index
        chain_id = int(self._rpc("eth_chainId", []), 16)
        genesis = self._header(0)
        genesis_hash = str(genesis["hash"]).lower() if genesis else ""
        contracts = {n: a for n, (a, _) in sorted(self.contracts.items())}
        bound_chain = ix.meta("chain_id")
        if bound_chain is None:
            with ix.transaction():
                ix.set_meta("chain_id", str(chain_id))
                ix.set_meta("genesis_hash", genesis_hash)
                ix.set_meta("contracts", json.dumps(contracts))
                ix.set_meta("start_block", str(self.start_block))
            return
        if int(bound_chain) != chain_id or ix.meta("genesis_hash") != genesis_hash:
            raise IndexStateError(
                f"{ix.path} indexes chain {bound_chain} (genesis {ix.meta('genesis_hash')}), "
                f"not the connected chain {chain_id} (genesis {genesis_hash}): use another "
                "--db or delete it"
            )
        known = ix.contracts()
        changed = {n: a for n, a in contracts.items() if known.get(n) not in (None, a)}
        if changed:
            raise IndexStateError(
                f"{ix.path} follows other contract addresses ({', '.join(sorted(changed))}): "
                "the deployment changed; delete the index and sync again"
            )
        added = {n: a for n, a in contracts.items() if n not in known}
        if added:
            # A contract added later (e.g. the desk) is followed from now on; its earlier logs
            # come in with a re-sync from scratch.
            with ix.transaction():
                ix.set_meta("contracts", json.dumps({**known, **added}))
        self.start_block = int(ix.meta("start_block") or self.start_block)

    # -- sync ----------------------------------------------------------------------------------

    def sync(
        self,
        *,
        to_block: int | None = None,
        max_batches: int | None = None,
        on_batch: Callable[[SyncStats], None] | None = None,
    ) -> SyncStats:
        """Index forward to the head (minus confirmations) or ``to_block``, in batches; each
        batch is one transaction. Rewinds first if the chain reorganised."""
        stats = SyncStats()
        began = time.perf_counter()
        while max_batches is None or stats.batches < max_batches:
            done = self._step(stats, to_block)
            if on_batch is not None and not done:
                on_batch(stats)
            if done:
                break
        stats.seconds = time.perf_counter() - began
        cur = self.index.cursor()
        stats.cursor = cur.block_number if cur else self.start_block - 1
        return stats

    def follow(
        self,
        *,
        poll_seconds: float = 1.0,
        stop: Callable[[], bool] | None = None,
        on_batch: Callable[[SyncStats], None] | None = None,
    ) -> SyncStats:
        """Keep up with the chain: sync, then poll every ``poll_seconds`` until ``stop()`` is
        true (or KeyboardInterrupt)."""
        total = SyncStats()
        try:
            while stop is None or not stop():
                stats = self.sync(on_batch=on_batch)
                total.batches += stats.batches
                total.blocks += stats.blocks
                total.events += stats.events
                total.seconds += stats.seconds
                total.reorgs += stats.reorgs
                total.rewound_blocks += stats.rewound_blocks
                total.head, total.cursor = stats.head, stats.cursor
                if stats.batches == 0:
                    time.sleep(poll_seconds)
        except KeyboardInterrupt:
            pass
        return total

    def _step(self, stats: SyncStats, to_block: int | None) -> bool:
        """One batch (or one rewind). True when caught up."""
        ix = self.index
        cursor = ix.cursor()
        last = cursor.block_number if cursor else self.start_block - 1
        head = self._head()
        stats.head = head
        target = head - self.confirmations
        if to_block is not None:
            target = min(target, to_block)
        if cursor is not None and (head < last or not self._still_canonical(cursor)):
            self._rewind(stats, head)
            return False
        if target <= last:
            return True
        first = last + 1
        end = min(target, first + self.batch_blocks - 1)
        try:
            self._index_range(stats, cursor, first, end)
        except _ReorgDetectedError:
            self._rewind(stats, self._head())
        return False

    def _still_canonical(self, cursor: Cursor) -> bool:
        block = self._header(cursor.block_number)
        return block is not None and str(block["hash"]).lower() == cursor.block_hash

    def _index_range(self, stats: SyncStats, cursor: Cursor | None, first: int, end: int) -> None:
        end_block = self._header(end)
        if end_block is None:
            raise _ReorgDetectedError()
        try:
            raw_logs = self._logs(first, end)
        except _RpcError as exc:
            if end > first and exc.too_many_results():
                self.batch_blocks = max(1, (end - first + 1) // 2)
                return
            raise
        after = self._header(end)
        end_hash = str(end_block["hash"]).lower()
        if after is None or str(after["hash"]).lower() != end_hash:
            raise _ReorgDetectedError()
        if cursor is not None and not self._still_canonical(cursor):
            raise _ReorgDetectedError()
        logs = [self.decoder.decode(log) for log in raw_logs if not log.get("removed")]
        hashes: dict[int, str] = {end: end_hash}
        for ev in logs:
            ev.entity = entity_of(ev.contract, ev.event, ev.args)
            known = hashes.setdefault(ev.block_number, ev.block_hash)
            if known != ev.block_hash:
                raise _ReorgDetectedError()
        times = self._block_times(raw_logs, hashes, end, end_block)
        with self.index.transaction() as conn:
            conn.executemany(
                f"INSERT INTO events ({_EVENT_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        e.block_number, e.log_index, e.block_hash, e.tx_hash, e.tx_index,
                        e.address, e.contract, e.event,
                        json.dumps(e.args, separators=(",", ":")), e.entity,
                    )
                    for e in logs
                ],
            )  # fmt: skip
            projector = Projector(conn)
            for e in logs:
                projector.apply(e)
            projector.flush()
            conn.executemany("INSERT OR REPLACE INTO blocks (number, hash) VALUES (?, ?)", hashes.items())
            conn.execute("DELETE FROM blocks WHERE number < ?", (end - self.keep_block_hashes,))
            conn.executemany("INSERT OR REPLACE INTO block_times (number, timestamp) VALUES (?, ?)", times.items())
            self.index._set_cursor(Cursor(end, end_hash, int(str(end_block["timestamp"]), 16)))
        stats.batches += 1
        stats.blocks += end - first + 1
        stats.events += len(logs)

    def _block_times(
        self, raw_logs: list[dict[str, Any]], hashes: Mapping[int, str], end: int, end_block: Mapping[str, Any]
    ) -> dict[int, int]:
        """Timestamps of the blocks holding events: from the logs when the node gives
        ``blockTimestamp`` (Anvil), else from their headers (one JSON-RPC batch); a header whose
        hash is not the logs' means a reorg."""
        wanted = {n for n in hashes if n != end or any(int(str(g["blockNumber"]), 16) == end for g in raw_logs)}
        times: dict[int, int] = {}
        for log in raw_logs:
            stamp = log.get("blockTimestamp")
            if stamp is not None:
                times[int(str(log["blockNumber"]), 16)] = int(str(stamp), 16)
        if end in wanted:
            times.setdefault(end, int(str(end_block["timestamp"]), 16))
        missing = sorted(n for n in wanted if n not in times)
        for number, header in zip(missing, self._headers(missing), strict=True):
            if header is None or str(header["hash"]).lower() != hashes[number]:
                raise _ReorgDetectedError()
            times[number] = int(str(header["timestamp"]), 16)
        return {n: times[n] for n in wanted}

    def _headers(self, numbers: list[int]) -> list[dict[str, Any] | None]:
        if not numbers:
            return []
        requests = [("eth_getBlockByNumber", [hex(n), False]) for n in numbers]
        try:
            responses = self.w3.provider.make_batch_request(cast(Any, requests))  # type: ignore[attr-defined]
            if isinstance(responses, list) and len(responses) == len(numbers) and all("result" in r for r in responses):
                return [cast(dict[str, Any] | None, r["result"]) for r in responses]
        except Exception:
            pass
        return [self._header(n) for n in numbers]

    def _rewind(self, stats: SyncStats, head: int) -> None:
        """Walk back to the newest kept block whose hash still matches the chain, delete every
        event above it and rebuild what those events touched."""
        conn = self.index.conn
        ancestor: tuple[int, str] | None = None
        for number, hash_ in conn.execute("SELECT number, hash FROM blocks ORDER BY number DESC"):
            if number > head:
                continue
            block = self._header(int(number))
            if block is not None and str(block["hash"]).lower() == hash_:
                ancestor = (int(number), str(hash_))
                break
        cursor = self.index.cursor()
        old = cursor.block_number if cursor else self.start_block - 1
        with self.index.transaction() as tx:
            floor = self.start_block - 1 if ancestor is None else ancestor[0]
            entities = [
                str(r[0])
                for r in tx.execute(
                    "SELECT DISTINCT entity FROM events WHERE block_number > ? AND entity IS NOT NULL",
                    (floor,),
                )
            ]
            tx.execute("DELETE FROM events WHERE block_number > ?", (floor,))
            tx.execute("DELETE FROM blocks WHERE number > ?", (floor,))
            tx.execute("DELETE FROM block_times WHERE number > ?", (floor,))
            rebuild_entities(tx, entities)
            if ancestor is None:
                tx.execute("DELETE FROM meta WHERE key = 'cursor'")
            else:
                block = self._header(ancestor[0])
                stamp = int(str(block["timestamp"]), 16) if block else 0
                self.index._set_cursor(Cursor(ancestor[0], ancestor[1], stamp))
            reorgs = int(self.index.meta("reorgs") or 0) + 1
            self.index.set_meta("reorgs", str(reorgs))
            self.index.set_meta("last_reorg", json.dumps({"from_block": old, "to_block": floor, "at": time.time()}))
        stats.reorgs += 1
        stats.rewound_blocks += max(0, old - floor)


class _RpcError(TierchainError):
    exit_code = 4

    def __init__(self, method: str, error: Any) -> None:
        self.error = error
        message = error.get("message") if isinstance(error, Mapping) else str(error)
        super().__init__(f"{method} failed: {message}")

    def too_many_results(self) -> bool:
        text = str(self.error).lower()
        return any(w in text for w in ("too many", "limit", "range", "exceed", "timeout"))


def deployment_start_block(w3: Web3, deployment: Any) -> int:
    """The block of the deployment's first recorded transaction (the Membership deployment),
    else 0."""
    hashes = getattr(deployment, "tx_hashes", None) or {}
    tx = hashes.get("membership")
    if not tx:
        return 0
    try:
        receipt = w3.eth.get_transaction_receipt(tx)
    except Exception:
        return 0
    return int(receipt["blockNumber"])
