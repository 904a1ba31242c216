"""The index's two databases behind one connection interface: SQLite (embedded, the default) and
PostgreSQL (``postgresql://…``, psycopg 3) for several service replicas sharing one index.

The index's SQL is written once, in SQLite's dialect; :class:`PgConnection` translates it for
PostgreSQL (``?`` → ``%s``, ``INSERT OR REPLACE`` → ``INSERT … ON CONFLICT (primary key) DO
UPDATE``, ``INTEGER`` → ``BIGINT`` and no ``WITHOUT ROWID`` in the schema). Both connections
answer ``execute`` / ``executemany`` with a DB-API cursor (rows as tuples) and run
:meth:`transaction` as one atomic unit.

Writer election: exactly one follower writes an index. On PostgreSQL the writer holds a
session-level advisory lock (:data:`WRITER_LOCK_KEY`) **on the connection it writes with**, so a
writer whose connection died can commit nothing more, and its lock is free for another replica
the moment the server notices. On SQLite (one machine) the writer holds an exclusive ``flock``
on ``<file>.writer``.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, Final, Literal, Protocol

DbKind = Literal["sqlite", "postgresql"]

WRITER_LOCK_KEY: Final = 0x7469_6572_696E_6478  # "tierindx": the writer's advisory lock
SCHEMA_LOCK_KEY: Final = 0x7469_6572_7363_686D  # "tierschm": serialises schema creation


class Conn(Protocol):
    """What the index's modules use of a connection (sqlite3.Connection or PgConnection)."""

    def execute(self, sql: str, parameters: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]], /) -> Any: ...


def is_postgresql(db: str | Path) -> bool:
    return isinstance(db, str) and db.startswith(("postgresql://", "postgres://"))


def db_location(text: str | Path | None) -> str | Path | None:
    """A ``--db`` value: a ``postgresql://`` URL as is, anything else a SQLite file path."""
    if text is None or isinstance(text, Path):
        return text
    return text if is_postgresql(text) else Path(text)


def redact(dsn: str) -> str:
    """A DSN without its password (for messages and logs)."""
    return re.sub(r"(://[^:/@]+):[^@]*@", r"\1:***@", dsn)


# ---------------------------------------------------------------------------- SQL dialect

_TABLE_RE: Final = re.compile(r"CREATE TABLE IF NOT EXISTS (\w+) \((.*?)\)(?: WITHOUT ROWID)?;", re.S)
_UPSERT_RE: Final = re.compile(r"^\s*INSERT OR REPLACE INTO (\w+)\s*(\(([^)]*)\))?\s*VALUES\s*(\(.*\))\s*$", re.S)


class Dialect:
    """Columns and primary keys of the schema's tables (for the upsert translation)."""

    def __init__(self, schema: str) -> None:
        self.columns: dict[str, list[str]] = {}
        self.keys: dict[str, list[str]] = {}
        for table, body in _TABLE_RE.findall(schema):
            cols: list[str] = []
            keys: list[str] = []
            for raw in re.split(r",(?![^(]*\))", body):
                line = raw.strip()
                if line.startswith("PRIMARY KEY"):
                    keys = [k.strip() for k in line[line.index("(") + 1 : line.rindex(")")].split(",")]
                    continue
                name = line.split()[0]
                cols.append(name)
                if "PRIMARY KEY" in line:
                    keys = [name]
            self.columns[table] = cols
            self.keys[table] = keys

    def schema(self, schema: str) -> list[str]:
        """The schema as PostgreSQL statements."""
        text = schema.replace(") WITHOUT ROWID;", ");")
        text = re.sub(r"\bINTEGER\b", "BIGINT", text)
        return [s.strip() for s in text.split(";") if s.strip()]

    def translate(self, sql: str) -> str:
        m = _UPSERT_RE.match(sql)
        if m:
            table, cols_text, values = m.group(1), m.group(3), m.group(4)
            cols = [c.strip() for c in cols_text.split(",")] if cols_text else self.columns[table]
            keys = self.keys[table]
            rest = [c for c in cols if c not in keys]
            action = "DO UPDATE SET " + ", ".join(f"{c} = EXCLUDED.{c}" for c in rest) if rest else "DO NOTHING"
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES {values} ON CONFLICT ({', '.join(keys)}) {action}"
        return sql.replace("%", "%%").replace("?", "%s")


# ---------------------------------------------------------------------------- PostgreSQL


class PgConnection:
    """A psycopg 3 connection (autocommit; :meth:`transaction` for atomic units) that speaks the
    index's SQLite dialect."""

    kind: Final = "postgresql"

    def __init__(self, dsn: str, dialect: Dialect, *, readonly: bool = False) -> None:
        import psycopg

        self.dsn = dsn
        self.dialect = dialect
        self.raw = psycopg.connect(dsn, autocommit=True)
        if readonly:
            self.raw.execute("SET default_transaction_read_only = on")
        self._translate = lru_cache(maxsize=512)(dialect.translate)
        self._depth = 0

    def execute(self, sql: str, parameters: Any = (), /) -> Any:
        return self.raw.execute(self._translate(sql), parameters or None)

    def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]], /) -> Any:
        rows = list(seq_of_parameters)
        cur = self.raw.cursor()
        if rows:
            cur.executemany(self._translate(sql), rows)
        return cur

    def execute_native(self, sql: str, parameters: Any = None) -> Any:
        """PostgreSQL SQL as is (no translation)."""
        return self.raw.execute(sql, parameters)

    @contextmanager
    def transaction(self) -> Iterator[PgConnection]:
        with self.raw.transaction():
            yield self

    def close(self) -> None:
        self.raw.close()

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed or self.raw.broken)

    def backend_pid(self) -> int:
        return int(self.raw.info.backend_pid)

    def try_lock(self, key: int) -> bool:
        """The session-level advisory lock ``key`` (True: now held by this connection)."""
        return bool(self.raw.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0])  # type: ignore[index]

    def unlock(self, key: int) -> None:
        self.raw.execute("SELECT pg_advisory_unlock(%s)", (key,))


# ---------------------------------------------------------------------------- SQLite


@contextmanager
def sqlite_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


class FileLock:
    """An exclusive, non-blocking ``flock`` on a sidecar file (the SQLite writer election)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def try_acquire(self) -> bool:
        import fcntl
        import os

        if self._fd is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        import os

        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


__all__ = ["Conn", "DbKind", "Dialect", "FileLock", "PgConnection", "db_location", "is_postgresql", "redact"]
