"""The index's schema and its database: tables, errors, the cursor and :class:`Index` (one
connection to SQLite or PostgreSQL, see :mod:`tierchain.audit.db`)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, cast

from eth_utils.address import to_checksum_address

from tierchain.audit.db import (
    SCHEMA_LOCK_KEY,
    Conn,
    DbKind,
    Dialect,
    PgConnection,
    is_postgresql,
    redact,
    sqlite_transaction,
)
from tierchain.core.errors import TierchainError, UsageError

SCHEMA_VERSION: Final = 2
"""2: the money tables (desk and settlement); a version-1 file is upgraded in place when opened
for writing (its stored events are projected again), and refused read-only until then."""
ZERO: Final = "0x" + "00" * 20
ZERO_ADDRESS: Final = to_checksum_address(ZERO)
DEFAULT_BATCH_BLOCKS: Final = 2_000
KEEP_BLOCK_HASHES: Final = 1_024
"""Recent block hashes kept for finding a common ancestor; a deeper reorg re-indexes from the
start block."""

# ---------------------------------------------------------------------------- errors


class IndexStateError(TierchainError):
    """The index database cannot be used as asked (another chain, schema, no index yet)."""

    exit_code = 10


class IndexMismatchError(TierchainError):
    """``verify`` found differences between the index and the chain."""

    exit_code = 11


class NotIndexedError(UsageError):
    """A piece, payable or holder the index does not know."""


# ---------------------------------------------------------------------------- schema

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    block_hash   TEXT NOT NULL,
    tx_hash      TEXT NOT NULL,
    tx_index     INTEGER NOT NULL,
    address      TEXT NOT NULL,
    contract     TEXT NOT NULL,
    event        TEXT,
    args         TEXT NOT NULL,
    entity       TEXT,
    PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS events_entity ON events (entity, block_number, log_index);
CREATE INDEX IF NOT EXISTS events_name ON events (event);
CREATE INDEX IF NOT EXISTS events_tx ON events (tx_hash);
CREATE TABLE IF NOT EXISTS members (
    account       TEXT PRIMARY KEY,
    roles         INTEGER NOT NULL,
    identity_hash TEXT NOT NULL,
    status        TEXT NOT NULL,
    frozen        INTEGER NOT NULL,
    admitted_block INTEGER NOT NULL,
    admitted_by   TEXT NOT NULL,
    updated_block INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS packages (
    root           TEXT PRIMARY KEY,
    debtor         TEXT NOT NULL,
    seller         TEXT NOT NULL,
    invoice_count  INTEGER NOT NULL,
    total_cents    INTEGER NOT NULL,
    issued_cents   INTEGER NOT NULL,
    document_hash  TEXT NOT NULL,
    voided         INTEGER NOT NULL,
    duplicate_key  TEXT,
    earlier_root   TEXT,
    registered_block INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS payables (
    payable_id    INTEGER PRIMARY KEY,
    token_id      TEXT NOT NULL,
    debtor        TEXT NOT NULL,
    creditor      TEXT NOT NULL,
    face_value    INTEGER NOT NULL,
    currency      TEXT NOT NULL,
    maturity_at   INTEGER NOT NULL,
    invoice_root  TEXT NOT NULL,
    document_hash TEXT NOT NULL,
    status        TEXT NOT NULL,
    piece_count   INTEGER NOT NULL,
    issued_block  INTEGER NOT NULL,
    issued_tx     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS payables_debtor ON payables (debtor);
CREATE TABLE IF NOT EXISTS pieces (
    token_id      TEXT PRIMARY KEY,
    payable_id    INTEGER NOT NULL,
    idx           INTEGER NOT NULL,
    parent_token_id TEXT,
    depth         INTEGER NOT NULL,
    owner         TEXT NOT NULL,
    value         INTEGER NOT NULL,
    frozen        INTEGER NOT NULL,
    locked        INTEGER NOT NULL,
    burned        INTEGER NOT NULL,
    minted_block  INTEGER NOT NULL,
    minted_tx     TEXT NOT NULL,
    updated_block INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS pieces_payable ON pieces (payable_id, idx);
CREATE INDEX IF NOT EXISTS pieces_parent ON pieces (parent_token_id);
CREATE INDEX IF NOT EXISTS pieces_tier ON pieces (payable_id, depth, idx);
CREATE INDEX IF NOT EXISTS pieces_owner ON pieces (owner, burned);
CREATE TABLE IF NOT EXISTS moves (
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    tx_hash      TEXT NOT NULL,
    payable_id   INTEGER NOT NULL,
    token_id     TEXT NOT NULL,
    kind         TEXT NOT NULL,
    other_token_id TEXT,
    from_addr    TEXT,
    to_addr      TEXT,
    value        INTEGER,
    note         TEXT,
    PRIMARY KEY (block_number, log_index, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS moves_token ON moves (token_id, block_number, log_index);
CREATE INDEX IF NOT EXISTS moves_payable ON moves (payable_id);
CREATE TABLE IF NOT EXISTS freezes (
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    tx_hash      TEXT NOT NULL,
    subject_kind TEXT NOT NULL,
    subject      TEXT NOT NULL,
    payable_id   INTEGER,
    action       TEXT NOT NULL,
    reason_hash  TEXT NOT NULL,
    by_addr      TEXT NOT NULL,
    PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS freezes_subject ON freezes (subject_kind, subject);
CREATE TABLE IF NOT EXISTS financings (
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    tx_hash      TEXT NOT NULL,
    payable_id   INTEGER NOT NULL,
    offer_hash   TEXT NOT NULL,
    token_id     TEXT NOT NULL,
    from_token_id TEXT NOT NULL,
    financier    TEXT NOT NULL,
    seller       TEXT NOT NULL,
    value        INTEGER NOT NULL,
    price        INTEGER NOT NULL,
    currency_amount TEXT NOT NULL,
    recourse     INTEGER NOT NULL,
    PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS financings_payable ON financings (payable_id);
CREATE INDEX IF NOT EXISTS financings_token ON financings (token_id);
CREATE TABLE IF NOT EXISTS accounts (
    payable_id   INTEGER PRIMARY KEY,
    debtor       TEXT NOT NULL,
    currency     TEXT NOT NULL,
    face_value   INTEGER NOT NULL,
    overdue_at   INTEGER NOT NULL,
    opened_block INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS payments (
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    tx_hash      TEXT NOT NULL,
    payable_id   INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    payer        TEXT NOT NULL,
    cents        INTEGER NOT NULL,
    left_cents   INTEGER NOT NULL,
    PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS payments_payable ON payments (payable_id);
CREATE TABLE IF NOT EXISTS claims (
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    tx_hash      TEXT NOT NULL,
    payable_id   INTEGER NOT NULL,
    token_id     TEXT NOT NULL,
    holder       TEXT NOT NULL,
    cents        INTEGER NOT NULL,
    settled      INTEGER NOT NULL,
    PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS claims_payable ON claims (payable_id);
CREATE INDEX IF NOT EXISTS claims_holder ON claims (holder);
CREATE TABLE IF NOT EXISTS overdue_marks (
    block_number INTEGER NOT NULL,
    log_index    INTEGER NOT NULL,
    tx_hash      TEXT NOT NULL,
    payable_id   INTEGER NOT NULL,
    by_addr      TEXT NOT NULL,
    unpaid_cents INTEGER NOT NULL,
    PRIMARY KEY (block_number, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS overdue_marks_payable ON overdue_marks (payable_id);
CREATE TABLE IF NOT EXISTS guarantees (
    payable_id   INTEGER PRIMARY KEY,
    guarantor    TEXT NOT NULL,
    limit_cents  INTEGER NOT NULL,
    paid_cents   INTEGER NOT NULL,
    repaid_cents INTEGER NOT NULL,
    registered_block INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS recourses (
    token_id     TEXT PRIMARY KEY,
    payable_id   INTEGER NOT NULL,
    financier    TEXT NOT NULL,
    seller       TEXT NOT NULL,
    status       TEXT NOT NULL,
    uncovered_cents INTEGER NOT NULL,
    paid_cents   INTEGER NOT NULL,
    escrow_cents INTEGER NOT NULL,
    exercised_block INTEGER NOT NULL,
    settled_block INTEGER
);
CREATE INDEX IF NOT EXISTS recourses_payable ON recourses (payable_id);
"""

MONEY_TABLES: Final = (
    "financings", "accounts", "payments", "claims", "overdue_marks", "guarantees", "recourses",
)  # fmt: skip
"""Derived tables of the desk's and settlement's events; every row carries its payable, so a
rewind of ``payable:<id>`` deletes and rebuilds them with the pieces."""


def default_index_path(chain_id: int, home: Path | None = None) -> Path:
    """``<home>/index/<chainId>.sqlite`` (home: ``$TIERCHAIN_HOME`` or ``./.tierchain``)."""
    from tierchain.chain.deployment import state_home

    return (home or state_home()) / "index" / f"{chain_id}.sqlite"


@dataclass(frozen=True)
class Cursor:
    """The last indexed block."""

    block_number: int
    block_hash: str
    timestamp: int


_SCHEMA += """
CREATE TABLE IF NOT EXISTS block_times (number INTEGER PRIMARY KEY, timestamp INTEGER NOT NULL);
"""
# Timestamps of the blocks that hold indexed events (ledger and history rows show them).

DIALECT: Final = Dialect(_SCHEMA)

UPGRADE_FROM_1: list[Callable[[Index], object]] = []
"""Projects a version-1 index's stored events again (``project.rebuild_all``, registered by
:mod:`tierchain.audit.project`, which the schema must not import)."""


class Index:
    """One chain's index database: a SQLite file (WAL mode; ``db`` a path) or a PostgreSQL
    database (``db`` a ``postgresql://`` URL). Read by the queries, written by the indexer.

    ``conn`` answers the index's SQL on both (see :mod:`tierchain.audit.db`); ``kind`` says
    which database it is; ``path`` is the file, or the URL without its password."""

    def __init__(self, path: Path | str, *, readonly: bool = False, threads: bool = False) -> None:
        self.readonly = readonly
        self.kind: DbKind
        self.conn: Conn
        if is_postgresql(path):
            self.kind = "postgresql"
            self.path: Path | str = redact(str(path))
            self.dsn = str(path)
            self._open_postgresql(readonly)
        else:
            self.kind = "sqlite"
            self.path = Path(path)
            self.dsn = str(self.path)
            self._open_sqlite(readonly, threads)

    # -- opening --------------------------------------------------------------------------------

    def _open_sqlite(self, readonly: bool, threads: bool) -> None:
        assert isinstance(self.path, Path)
        if readonly:
            if not self.path.is_file():
                raise IndexStateError(f"no index at {self.path}: run `tierchain index sync` first")
            uri = f"file:{self.path}?mode=ro"
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=not threads)
            self.conn = conn
            self._check_readable()
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=not threads)
            self.conn = conn
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.executescript(_SCHEMA)
            self._check_version()
        conn.execute("PRAGMA foreign_keys=OFF")
        conn.execute("PRAGMA cache_size=-65536")

    def _open_postgresql(self, readonly: bool) -> None:
        try:
            pg = PgConnection(self.dsn, DIALECT, readonly=readonly)
        except ImportError:
            raise UsageError('PostgreSQL needs psycopg 3: pip install "psycopg[binary]"') from None
        except Exception as exc:
            raise IndexStateError(f"cannot connect to {self.path}: {str(exc).strip()}") from None
        self.conn = pg
        if readonly:
            exists = pg.execute_native("SELECT to_regclass('public.meta') IS NOT NULL").fetchone()[0]
            if not exists:
                raise IndexStateError(f"no index at {self.path}: run `tierchain index sync` first")
            self._check_readable()
            return
        with pg.transaction():
            # Replicas starting together must not race on CREATE TABLE (pg_type duplicates).
            pg.execute_native("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
            for statement in DIALECT.schema(_SCHEMA):
                pg.execute_native(statement)
        self._check_version()

    def _check_readable(self) -> None:
        version = self.meta("schema_version")
        if version is not None and int(version) == 1:
            raise IndexStateError(
                f"{self.path} was written before the money tables: run `tierchain index sync` once to upgrade it"
            )

    def _check_version(self) -> None:
        version = self.meta("schema_version")
        if version is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(version) == 1:  # before the money tables: fill them from stored events
            UPGRADE_FROM_1[0](self)
            self.set_meta("schema_version", str(SCHEMA_VERSION))
        elif int(version) != SCHEMA_VERSION:
            raise IndexStateError(
                f"{self.path} has schema version {version}, this tierchain writes "
                f"{SCHEMA_VERSION}: delete the file and index again"
            )

    def close(self) -> None:
        self.conn.close()  # type: ignore[attr-defined]

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Conn]:
        """One atomic unit: committed whole or not at all."""
        if isinstance(self.conn, PgConnection):
            with self.conn.transaction() as pg:
                yield pg
        else:
            with sqlite_transaction(cast(sqlite3.Connection, self.conn)) as lite:
                yield lite

    # -- metadata -------------------------------------------------------------------------------

    def meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def cursor(self) -> Cursor | None:
        raw = self.meta("cursor")
        if raw is None:
            return None
        doc = json.loads(raw)
        return Cursor(int(doc["block_number"]), str(doc["block_hash"]), int(doc["timestamp"]))

    def _set_cursor(self, cursor: Cursor) -> None:
        self.set_meta(
            "cursor",
            json.dumps(
                {
                    "block_number": cursor.block_number,
                    "block_hash": cursor.block_hash,
                    "timestamp": cursor.timestamp,
                }
            ),
        )

    def contracts(self) -> dict[str, str]:
        """The watched contracts: name → address."""
        raw = self.meta("contracts")
        return {} if raw is None else cast(dict[str, str], json.loads(raw))

    def event_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM events").fetchone()[0])

    def block_time(self, number: int) -> int | None:
        """The timestamp of an indexed block that holds events (None: not recorded)."""
        row = self.conn.execute("SELECT timestamp FROM block_times WHERE number = ?", (number,)).fetchone()
        return None if row is None else int(row[0])

    def block_times(self) -> dict[int, int]:
        return {int(n): int(t) for n, t in self.conn.execute("SELECT number, timestamp FROM block_times")}


__all__ = [
    "DEFAULT_BATCH_BLOCKS",
    "KEEP_BLOCK_HASHES",
    "MONEY_TABLES",
    "SCHEMA_VERSION",
    "ZERO_ADDRESS",
    "Cursor",
    "Index",
    "IndexMismatchError",
    "IndexStateError",
    "NotIndexedError",
    "default_index_path",
]
