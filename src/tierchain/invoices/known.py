"""The invoices this home knows: which package holds each invoice key, and whether that package
is registered (double financing, T1; docs/INVOICES.md "Known invoices").

One SQLite file (``<home>/packages/known.sqlite``) with two tables: ``packages`` (root, status
``built`` or ``registered``, summary, the package file's path) and ``invoice_keys`` (invoice key →
package, keyed by the invoice key). Checking a package is a keyed look-up of its keys, never a
load of the known packages.

Rules:

* Only a **registered** package blocks its invoices. A package is registered when this home
  registered it (``tierchain invoices register``) or when the caller's ``is_registered`` (the
  chain or the audit index) says so; the answer is remembered.
* A package built here but never registered is **replaced** by a later package that shares an
  invoice with it: the old one's invoices are all released (a corrected file is accepted).
* Adding a package and writing its file happen in one transaction (:meth:`KnownPackages.adding`):
  either both or neither.

Package files of format 1 kept under the directory by older versions (``0x<root>.json``) are
recorded once, as built, when the store is first opened.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from tierchain.invoices.packages import Package, PackageError, format_cents, load_package

STORE_FILE: Final = "known.sqlite"
_MANY: Final = 2000  # from this many keys on, look them up in one join instead of IN lists

_SCHEMA: Final = """
CREATE TABLE IF NOT EXISTS packages (
    id INTEGER PRIMARY KEY,
    root BLOB NOT NULL UNIQUE,
    status TEXT NOT NULL CHECK (status IN ('built', 'registered')),
    count INTEGER NOT NULL,
    total_cents INTEGER NOT NULL,
    currency TEXT NOT NULL,
    seller_id TEXT NOT NULL,
    buyer_id TEXT NOT NULL,
    file TEXT,
    built_at TEXT NOT NULL,
    registered_at TEXT
);
CREATE TABLE IF NOT EXISTS invoice_keys (
    key BLOB PRIMARY KEY,
    package INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""

# The keys of a package as one blob of 32-byte words, expanded inside SQLite (no row objects).
_SERIES: Final = "WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i + 1 < ?2) "
_INSERT_KEYS: Final = _SERIES + (
    "INSERT OR IGNORE INTO invoice_keys (key, package) SELECT substr(?1, 32 * i + 1, 32), ?3 FROM s ORDER BY 1"
)
_JOIN_KEYS: Final = _SERIES + (
    "SELECT s.i, k.package FROM s JOIN invoice_keys AS k ON k.key = substr(?1, 32 * s.i + 1, 32) WHERE k.package != ?3"
)


@dataclass(frozen=True, slots=True)
class KnownPackage:
    """A package this home knows."""

    root: bytes
    status: str  # "built" (never registered, as far as known) or "registered"
    count: int
    total_cents: int
    currency: str
    seller_id: str
    buyer_id: str
    file: str | None
    built_at: str
    registered_at: str | None

    def describe(self) -> str:
        where = f", file {self.file}" if self.file else ""
        return (
            f"package 0x{self.root.hex()} ({self.count:,} invoices, {format_cents(self.total_cents)} "
            f"{self.currency}, {self.status}{where})"
        )


@dataclass(frozen=True, slots=True)
class KnownInvoice:
    """An invoice of a new package that a known package already holds."""

    key: bytes
    invoice_code: str
    invoice_number: str
    package: KnownPackage


class InvoicesRegisteredError(PackageError):
    """Invoices of a new package are in a registered package: financing them again would be
    double financing (T1)."""

    def __init__(self, found: Sequence[KnownInvoice]) -> None:
        self.found = list(found)
        roots: dict[bytes, KnownPackage] = {f.package.root: f.package for f in self.found}
        shown = ", ".join(f"{f.invoice_code}/{f.invoice_number}" for f in self.found[:10])
        more = f" and {len(self.found) - 10} more" if len(self.found) > 10 else ""
        owners = "; ".join(p.describe() for p in roots.values())
        super().__init__(
            f"{len(self.found)} invoice(s) already in a registered package: {shown}{more}, in {owners}. "
            "A registered package's invoices cannot be packaged again: remove them from the file "
            "(a package that was built but never registered would simply be replaced)"
        )


RegisteredCheck = Callable[[bytes], bool | None]
"""``is_registered(root)``: True/False from the chain or the index, None when unknown."""


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


class KnownPackages:
    """The known-invoice store of one directory (see the module docstring)."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.path = self.directory / STORE_FILE
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=60.0)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.executescript(_SCHEMA)
        self._migrate_legacy()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> KnownPackages:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- reading -------------------------------------------------------------------------------

    def _row(self, where: str, arg: object) -> tuple[int, KnownPackage] | None:
        row = self.conn.execute(
            "SELECT id, root, status, count, total_cents, currency, seller_id, buyer_id, file, "
            f"built_at, registered_at FROM packages WHERE {where}",
            (arg,),
        ).fetchone()
        return None if row is None else (int(row[0]), KnownPackage(bytes(row[1]), *row[2:]))

    def package(self, root: bytes) -> KnownPackage | None:
        """The known package with ``root``, or None."""
        found = self._row("root = ?", root)
        return None if found is None else found[1]

    def packages(self) -> list[KnownPackage]:
        """Every known package, oldest first."""
        ids = [r[0] for r in self.conn.execute("SELECT id FROM packages ORDER BY id")]
        return [found[1] for i in ids if (found := self._row("id = ?", i)) is not None]

    def holder(self, key: bytes) -> KnownPackage | None:
        """The known package holding the invoice ``key`` (one keyed look-up), or None."""
        row = self.conn.execute("SELECT package FROM invoice_keys WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        found = self._row("id = ?", row[0])
        return None if found is None else found[1]

    def _holders(self, package: Package, own_id: int) -> dict[int, list[int]]:
        """Positions of ``package``'s invoices held by other known packages, by package id."""
        held: dict[int, list[int]] = {}
        n = package.count
        if n >= _MANY:
            rows = self.conn.execute(_JOIN_KEYS, (package.keys_blob, n, own_id)).fetchall()
        else:
            rows = []
            keys = package.keys()
            for lo in range(0, n, 500):
                chunk = keys[lo : lo + 500]
                marks = ",".join("?" * len(chunk))
                found = self.conn.execute(
                    f"SELECT key, package FROM invoice_keys WHERE key IN ({marks}) AND package != ?",
                    (*chunk, own_id),
                ).fetchall()
                rows += [(package.position(bytes(k)), p) for k, p in found]
        for i, other in rows:
            held.setdefault(int(other), []).append(int(i))
        return held

    def conflicts(self, package: Package) -> list[KnownInvoice]:
        """Invoices of ``package`` that another known package holds (registered or not)."""
        own = self._row("root = ?", package.root)
        found: list[KnownInvoice] = []
        for other_id, positions in self._holders(package, own[0] if own else -1).items():
            other = self._row("id = ?", other_id)
            assert other is not None
            found += [self._known(package, i, other[1]) for i in positions]
        return sorted(found, key=lambda f: (f.invoice_code, f.invoice_number))

    @staticmethod
    def _known(package: Package, i: int, other: KnownPackage) -> KnownInvoice:
        v = package.invoices[i]
        return KnownInvoice(package.key(i), v.invoice_code, v.invoice_number, other)

    # -- writing -------------------------------------------------------------------------------

    @contextmanager
    def adding(
        self,
        package: Package,
        *,
        file: str | Path | None = None,
        is_registered: RegisteredCheck | None = None,
    ) -> Iterator[list[KnownPackage]]:
        """Record ``package`` (built, not registered) in one transaction, committed when the
        ``with`` body (which writes the package file) succeeds, rolled back if it raises.

        Yields the unregistered known packages it replaces (they share invoices with it; all of
        their invoices are released). Raises :class:`InvoicesRegisteredError` before the body
        runs if an invoice is in a registered package (``is_registered`` is asked about a
        package not known as registered; a True answer is remembered).
        """
        conn = self.conn
        newly_registered: list[bytes] = []
        conn.execute("BEGIN IMMEDIATE")
        try:
            if self._row("root = ?", package.root) is not None:
                raise PackageError(f"package 0x{package.root.hex()} is already known")
            own = self._insert_package(package, file, "built")
            inserted = self._insert_keys(package, own)
            replaced: list[KnownPackage] = []
            if inserted != package.count:
                blocked: list[KnownInvoice] = []
                for other_id, positions in self._holders(package, own).items():
                    found = self._row("id = ?", other_id)
                    assert found is not None
                    other = found[1]
                    registered = other.status == "registered"
                    if not registered and is_registered is not None and is_registered(other.root):
                        registered = True
                        newly_registered.append(other.root)
                    if registered:
                        blocked += [self._known(package, i, other) for i in positions]
                    else:
                        replaced.append(other)
                        conn.execute("DELETE FROM invoice_keys WHERE package = ?", (other_id,))
                        conn.execute("DELETE FROM packages WHERE id = ?", (other_id,))
                if blocked:
                    blocked.sort(key=lambda f: (f.invoice_code, f.invoice_number))
                    raise InvoicesRegisteredError(blocked)
                conn.execute(_INSERT_KEYS, (package.keys_blob, package.count, own))
            yield replaced
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            for root in newly_registered:  # learnt from the chain or index: keep it
                self._set_registered(root)
            raise

    def add(self, package: Package, *, file: str | Path | None = None,
            is_registered: RegisteredCheck | None = None) -> list[KnownPackage]:  # fmt: skip
        """:meth:`adding` with nothing else to do in the transaction."""
        with self.adding(package, file=file, is_registered=is_registered) as replaced:
            return replaced

    def mark_root_registered(self, root: bytes) -> bool:
        """Record that the known package ``root`` is registered; False if it is not known."""
        self._set_registered(root)
        return int(self.conn.execute("SELECT changes()").fetchone()[0]) > 0 or (
            (found := self.package(root)) is not None and found.status == "registered"
        )

    def mark_registered(self, package: Package, *, file: str | Path | None = None) -> None:
        """Record that ``package`` is registered (on chain): its invoices now block others.
        A package not known yet is added; unregistered packages sharing its invoices are
        replaced (registered ones keep theirs: the registry voids the later one on challenge)."""
        if self.package(package.root) is not None:
            self._set_registered(package.root)
            return
        conn = self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            own = self._insert_package(package, file, "registered")
            if self._insert_keys(package, own) != package.count:
                for other_id in self._holders(package, own):
                    if conn.execute("SELECT status FROM packages WHERE id = ?", (other_id,)).fetchone()[0] == "built":
                        conn.execute("DELETE FROM invoice_keys WHERE package = ?", (other_id,))
                        conn.execute("DELETE FROM packages WHERE id = ?", (other_id,))
                conn.execute(_INSERT_KEYS, (package.keys_blob, package.count, own))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _insert_keys(self, package: Package, own: int) -> int:
        """Insert the keys ``package`` does not share with another known one; how many."""
        self.conn.execute(_INSERT_KEYS, (package.keys_blob, package.count, own))
        return int(self.conn.execute("SELECT changes()").fetchone()[0])

    def _set_registered(self, root: bytes) -> None:
        self.conn.execute(
            "UPDATE packages SET status = 'registered', registered_at = ? WHERE root = ? AND status = 'built'",
            (_now(), root),
        )

    def _insert_package(self, package: Package, file: str | Path | None, status: str) -> int:
        cur = self.conn.execute(
            "INSERT INTO packages (root, status, count, total_cents, currency, seller_id, buyer_id, file, "
            "built_at, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                package.root, status, package.count, package.total_cents, package.currency,
                package.seller_id, package.buyer_id, None if file is None else str(Path(file).resolve()),
                _now(), _now() if status == "registered" else None,
            ),
        )  # fmt: skip
        assert cur.lastrowid is not None
        return cur.lastrowid

    def _migrate_legacy(self) -> None:
        """Record the format-1 package copies older versions kept here (``0x<root>.json``)."""
        if self.conn.execute("SELECT 1 FROM meta WHERE name = 'legacy_migrated'").fetchone():
            return
        for path in sorted(self.directory.glob("0x*.json")):
            try:
                package = load_package(path)
            except PackageError:
                continue  # a damaged copy protects nothing; it stays where it is
            if self.package(package.root) is None:
                self.add(package, file=path)
        self.conn.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('legacy_migrated', ?)", (_now(),))
