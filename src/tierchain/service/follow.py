"""The audit index behind the service: the audit package's follower (one elected writer among
replicas, SQLite or PostgreSQL) and one read connection per request thread."""

from __future__ import annotations

import contextlib
import threading
from pathlib import Path
from typing import Any

from web3 import Web3

from tierchain.audit.follower import Follower, FollowerStatus, open_index
from tierchain.audit.query import IndexView
from tierchain.chain.deployment import Deployment


def make_follower(w3: Web3, deployment: Deployment, db: str | Path, *, poll_seconds: float = 1.0) -> Follower:
    return Follower(w3, deployment, db, poll_seconds=poll_seconds)


class Readers:
    """One read-only index connection per thread (a SQLite connection stays in its thread;
    each thread reading in parallel is what keeps the p99 low under many clients)."""

    def __init__(self, db: str | Path) -> None:
        self.db = db
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()

    def get(self) -> IndexView:
        index: IndexView | None = getattr(self._local, "index", None)
        if index is None:
            index = open_index(self.db, threads=False)
            self._local.index = index
            with self._lock:
                self._all.append(index)
        return index

    def close(self) -> None:
        with self._lock:
            for index in self._all:
                with contextlib.suppress(Exception):  # another thread's: closed with the process
                    index.close()
            self._all.clear()


__all__ = ["FollowerStatus", "Readers", "make_follower"]
