"""The audit index behind the service: a background follower and per-thread readers.

The service keeps the index close to the chain head with a follower thread and reads it from
the request threads. When :mod:`tierchain.audit.follower` exists (PostgreSQL, one elected
writer among replicas) it is used; until then :class:`LocalFollower` runs the SQLite
:class:`~tierchain.audit.index.Indexer` in a thread with the same interface.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from web3 import Web3

from tierchain.audit import index as ix
from tierchain.chain.deployment import Deployment


@dataclass(frozen=True)
class FollowerStatus:
    """How far the index is behind the chain."""

    head_block: int | None
    indexed_block: int | None
    lag_blocks: int | None
    is_writer: bool
    db_kind: str
    last_error: str | None


class FollowerLike(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def status(self) -> Any: ...


class LocalFollower:
    """Follows the deployment's events into a SQLite index in a daemon thread."""

    def __init__(self, w3: Web3, deployment: Deployment, db: str | Path, *, poll_seconds: float = 1.0) -> None:
        self.w3 = w3
        self.deployment = deployment
        self.path = Path(db)
        self.poll_seconds = poll_seconds
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._head: int | None = None
        self._indexed: int | None = None
        self._error: str | None = None
        self._synced = threading.Event()
        self._wake = threading.Event()
        self._fatal: Exception | None = None

    def start(self) -> None:
        """Open the index in the follower's own thread (SQLite connections stay in theirs) and
        return once the first sync is done: the API starts on a caught-up index."""
        self._thread = threading.Thread(target=self._run, name="tierchain-follower", daemon=True)
        self._thread.start()
        self._synced.wait(timeout=600)
        if self._fatal is not None:
            raise self._fatal

    def _sync_once(self, indexer: ix.Indexer) -> None:
        try:
            stats = indexer.sync()
            self._head, self._indexed = stats.head, stats.cursor
            self._error = None
        except Exception as exc:  # an RPC outage: keep serving what is indexed
            self._error = f"{type(exc).__name__}: {str(exc)[:200]}"
        self._synced.set()

    def _run(self) -> None:
        try:
            indexer = ix.Indexer.for_deployment(self.w3, self.deployment, ix.Index(self.path))
        except Exception as exc:  # a mismatched index file, a chain without the deployment
            self._fatal = exc
            self._synced.set()
            return
        try:
            while not self._stop.is_set():
                self._sync_once(indexer)
                self._wake.wait(self.poll_seconds)
                self._wake.clear()
        finally:
            indexer.index.close()

    def poke(self) -> None:
        """Sync now (after the relayer saw a transaction mined)."""
        self._wake.set()

    def wait_for(self, block: int, timeout: float = 10.0) -> bool:
        """Wait until the index has ``block`` (tests, and the relayer's confirmations)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self._indexed is not None and self._indexed >= block:
                return True
            self.poke()
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def status(self) -> FollowerStatus:
        head, done = self._head, self._indexed
        lag = None if head is None or done is None else max(0, head - done)
        return FollowerStatus(head, done, lag, True, "sqlite", self._error)


def make_follower(w3: Web3, deployment: Deployment, db: str | Path, *, poll_seconds: float = 1.0) -> Any:
    """The audit package's Follower when it exists (PostgreSQL, elected writer), else the
    local SQLite follower."""
    try:
        module = importlib.import_module("tierchain.audit.follower")
    except ImportError:
        return LocalFollower(w3, deployment, db, poll_seconds=poll_seconds)
    return module.Follower(w3, deployment, str(db), poll_seconds=poll_seconds)


class Readers:
    """One read-only index connection per thread (SQLite connections stay in their thread)."""

    def __init__(self, db: str | Path) -> None:
        self.db = db
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def get(self) -> ix.Index:
        index: ix.Index | None = getattr(self._local, "index", None)
        if index is None:
            index = self._open()
            self._local.index = index
            with self._lock:
                self._all.append(index)
        return index

    def _open(self) -> ix.Index:
        try:
            module = importlib.import_module("tierchain.audit.follower")
            opener = getattr(module, "open_index", None)
        except ImportError:
            opener = None
        if opener is not None:
            return opener(str(self.db))  # type: ignore[no-any-return]
        index = ix.Index(Path(self.db), readonly=True)
        index.conn.execute("PRAGMA query_only=1")
        return index

    def close(self) -> None:
        with self._lock:
            for index in self._all:
                with contextlib.suppress(Exception):  # another thread's: closed with the process
                    index.close()
            self._all.clear()


__all__ = ["FollowerStatus", "LocalFollower", "Readers", "make_follower"]
