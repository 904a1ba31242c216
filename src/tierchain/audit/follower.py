"""The follower: a daemon thread that keeps an index synced with the chain, for a long-running
service; several replicas may follow one index, and exactly one of them writes.

Election. On PostgreSQL the writer is the follower whose index connection holds the session
advisory lock :data:`~tierchain.audit.db.WRITER_LOCK_KEY`; it writes every batch through that
same connection, so a writer that was killed or lost its connection cannot commit anything
afterwards, and the lock is free for the next replica as soon as the server drops the session.
Each batch (events, derived rows, cursor) is one transaction, so the replica that takes over
resumes at the cursor: no event lost, none counted twice. On SQLite the writer holds an
exclusive ``flock`` on ``<index>.writer`` (replicas on one machine).

A follower that is not the writer retries the election every ``poll_seconds`` and reports the
shared index's progress in :meth:`Follower.status`.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from web3 import Web3

from tierchain.audit.db import WRITER_LOCK_KEY, FileLock, PgConnection, is_postgresql
from tierchain.audit.query import IndexView
from tierchain.audit.schema import DEFAULT_BATCH_BLOCKS, Index
from tierchain.audit.sync import Indexer


@dataclass(frozen=True)
class FollowerStatus:
    """What a follower knows: the chain head it last saw, the last block in the index, the
    difference, whether this follower is the elected writer, the database and the last error
    (None once a step succeeded again)."""

    head_block: int
    indexed_block: int
    lag_blocks: int
    is_writer: bool
    db_kind: Literal["sqlite", "postgresql"]
    last_error: str | None


def open_index(db: str | Path, *, threads: bool = True) -> IndexView:
    """The read side of an index (SQLite file or ``postgresql://`` URL), with the query
    functions as methods (``positions``, ``provenance``, ``ancestors``, ``descendants``,
    ``pieces_of_payable``, ``history``, ``settlement_states``, ...). ``threads``: the SQLite
    connection may be used from several threads (the PostgreSQL one always can)."""
    return IndexView(db, readonly=True, threads=threads)


class Follower:
    """Keeps the index ``db`` synced with ``deployment``'s contracts on ``w3`` (see the module
    docstring for the writer election)."""

    def __init__(
        self,
        w3: Web3,
        deployment: Any,
        db: str | Path,
        *,
        poll_seconds: float = 1.0,
        batch_blocks: int = DEFAULT_BATCH_BLOCKS,
        confirmations: int = 0,
    ) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.db = db
        self.poll_seconds = poll_seconds
        self.batch_blocks = batch_blocks
        self.confirmations = confirmations
        self.db_kind: Literal["sqlite", "postgresql"] = "postgresql" if is_postgresql(db) else "sqlite"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._index: Index | None = None
        self._indexer: Indexer | None = None
        self._file_lock: FileLock | None = None
        self._is_writer = False
        self._head = -1
        self._indexed = -1
        self._last_error: str | None = None
        self.events_written = 0

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> Follower:
        """Start the daemon thread (once)."""
        if self._thread is None or not self._thread.is_alive():
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name=f"index-follower-{id(self):x}", daemon=True)
            self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread, close the connection and give up the writer role."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._release()

    def __enter__(self) -> Follower:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def status(self) -> FollowerStatus:
        with self._lock:
            head, indexed = self._head, self._indexed
            return FollowerStatus(
                head_block=head,
                indexed_block=indexed,
                lag_blocks=max(0, head - indexed) if head >= 0 else 0,
                is_writer=self._is_writer,
                db_kind=self.db_kind,
                last_error=self._last_error,
            )

    @property
    def is_writer(self) -> bool:
        return self._is_writer

    def wait_synced(self, block: int | None = None, timeout: float = 60.0) -> bool:
        """Wait until the index (written by whichever follower) reaches ``block`` (default: the
        chain's head now). True when reached."""
        target = self.w3.eth.block_number if block is None else block
        deadline = threading.Event()
        waited = 0.0
        step = min(0.05, self.poll_seconds)
        while waited < timeout:
            if self.status().indexed_block >= target:
                return True
            deadline.wait(step)
            waited += step
        return False

    # -- the loop -------------------------------------------------------------------------------

    def step(self) -> bool:
        """One round: connect if needed, try to become the writer, sync one batch if it is, and
        refresh the status. True when the index is at the head (nothing left to do now)."""
        if self._index is None:
            self._index = Index(self.db, threads=True)
        index = self._index
        if not self._is_writer:
            self._is_writer = self._elect(index)
            if self._is_writer:
                self._indexer = Indexer.for_deployment(
                    self.w3, self.deployment, index, batch_blocks=self.batch_blocks, confirmations=self.confirmations
                )
        caught_up = True
        if self._is_writer and self._indexer is not None:
            stats = self._indexer.sync(max_batches=1)
            self.events_written += stats.events
            caught_up = stats.batches == 0 and stats.reorgs == 0
            head = stats.head
        else:
            head = self.w3.eth.block_number
        cursor = index.cursor()
        with self._lock:
            self._head = head
            self._indexed = cursor.block_number if cursor is not None else -1
            self._last_error = None
        return caught_up

    def _elect(self, index: Index) -> bool:
        if isinstance(index.conn, PgConnection):
            return index.conn.try_lock(WRITER_LOCK_KEY)
        if self._file_lock is None:
            self._file_lock = FileLock(Path(str(index.path) + ".writer"))
        return self._file_lock.try_acquire()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                caught_up = self.step()
            except Exception as exc:  # a dead connection, an RPC outage: start over
                with self._lock:
                    self._last_error = f"{type(exc).__name__}: {str(exc).strip()}"[:500]
                self._release()
                caught_up = True
            if caught_up:
                self._stop.wait(self.poll_seconds)

    def _release(self) -> None:
        """Close the index connection (which ends a PostgreSQL writer's lock) and the SQLite
        writer's file lock."""
        with self._lock:
            self._is_writer = False
        self._indexer = None
        index, self._index = self._index, None
        if index is not None:
            with contextlib.suppress(Exception):
                index.close()
        if self._file_lock is not None:
            self._file_lock.release()


__all__ = ["Follower", "FollowerStatus", "open_index"]
