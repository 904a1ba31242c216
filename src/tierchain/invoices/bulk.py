"""Invoice file → package in one streaming pass (what ``tierchain invoices package`` runs).

:func:`package_invoice_file` gives exactly the package that
``build_package(load_invoices(path))`` gives (same keys, details hashes, leaves and tree for the
same salts), without a million :class:`~tierchain.invoices.packages.Invoice` objects:

* A CSV without quotes (and without bare carriage returns) is cut at line ends into one chunk per
  CPU; forked workers match each line against one regular expression built from the header (the
  strict field rules, restricted to plain ASCII), and hash it on the spot: key, canonical bytes,
  details hash, leaf and the package file record (``salt ‖ u32 n ‖ canonical_bytes[37:]``).
  A line the expression does not take (non-ASCII text, lower case, spaces) goes through the
  ordinary row parser, one line at a time.
* Anything irregular (a row error, a second seller, buyer or currency, a repeated invoice, an
  empty line, a quote) sends the whole file to the ordinary path, which reports it with the same
  words and row numbers as before. JSON files always take the ordinary path.
* The tree is built over the merged sorted runs of the workers' leaves, its lower levels in the
  workers (aligned blocks, as in :func:`~tierchain.invoices.packages.build_package`).

The package keeps the invoices as its file records (:class:`InvoiceRecords`, decoded on access),
so :func:`~tierchain.invoices.packages.save_package` writes one buffer.
"""

from __future__ import annotations

import csv
import multiprocessing
import operator
import os
import re
import secrets
import struct
from collections.abc import Callable
from datetime import date
from itertools import pairwise
from pathlib import Path
from typing import Any, Final

from tierchain.core import merkle
from tierchain.invoices.packages import (
    CSV_COLUMNS,
    KEY_TAG,
    PARALLEL_THRESHOLD,
    PLAIN_REF,
    PREFIX_LEN,
    Invoice,
    Package,
    W,
    _assemble,
    _parse_record,
    build_package,
    canonical_bytes,
    canonical_prefix,
    invoice_key,
    load_invoices,
    parse_invoices_csv,
)

_BOM: Final = b"\xef\xbb\xbf"
_U32: Final = struct.Struct(">I")

# Plain-ASCII forms of the field rules (a subset of what the row parser accepts, giving the same
# values): no surrounding spaces, upper-case ids, order_ref printable ASCII without a comma,
# quote or spreadsheet-formula first character.
_FIELD: Final = {
    "seller_id": r"([0-9A-HJ-NP-RT-UW-Y]{18})",
    "buyer_id": r"([0-9A-HJ-NP-RT-UW-Y]{18})",
    "invoice_code": r"([0-9A-Z]{1,32})",
    "invoice_number": r"([0-9A-Z]{1,32})",
    "issue_date": r"([0-9]{4}-[0-9]{2}-[0-9]{2})",
    "amount": r"([0-9]{1,15}(?:\.[0-9]{1,2})?)",
    "currency": r"([A-Z]{3})",
    "order_ref": f"({PLAIN_REF})",
}

# The current job, inherited by forked workers: (file bytes, line pattern, column names,
# field order for the pattern's groups).
_JOB: tuple[bytes, re.Pattern[bytes], list[str], Callable[[Any], Any]] | None = None


def package_invoice_file(path: str | os.PathLike[str], *, workers: int | None = None) -> Package:
    """The package of the invoices in ``path`` (``.csv`` or ``.json``), salts from
    :mod:`secrets`; raises what :func:`load_invoices` and :func:`build_package` raise."""
    p = Path(path)
    if p.suffix.lower() != ".csv":
        return build_package(load_invoices(p))
    data = p.read_bytes()
    package = _fast_csv(data, workers)
    if package is None:  # irregular: the ordinary path reports it (or builds it)
        return build_package(parse_invoices_csv(data, str(p)))
    return package


def _fast_csv(data: bytes, workers: int | None) -> Package | None:
    global _JOB
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    if b'"' in data or data.count(b"\r") != data.count(b"\r\n"):
        return None
    if not data.isascii():
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
    end = data.find(b"\n")
    if end < 0:
        return None
    names = [h.strip() for h in data[:end].rstrip(b"\r").decode().split(",")]
    if sorted(names) != sorted(CSV_COLUMNS):
        return None
    start = end + 1
    if start >= len(data):
        return None
    pattern = re.compile(",".join(_FIELD[name] for name in names).encode())
    order = operator.itemgetter(*(names.index(c) for c in CSV_COLUMNS))
    lines = data.count(b"\n", start) + 1
    if workers is None:
        workers = (os.cpu_count() or 1) if lines >= PARALLEL_THRESHOLD else 1
    workers = max(1, min(workers, lines))
    cuts = [start]
    for w in range(1, workers):
        cut = data.find(b"\n", max(cuts[-1], start + (len(data) - start) * w // workers))
        if cut < 0:
            break
        cuts.append(cut + 1)
    cuts.append(len(data))
    chunks = [(a, b) for a, b in pairwise(cuts) if b > a]
    _JOB = (data, pattern, names, order)
    try:
        if len(chunks) == 1:
            parts = [_chunk(chunks[0])]
            if parts[0] is None:
                return None
            return _assemble(parts, None)  # type: ignore[arg-type]
        with multiprocessing.get_context("fork").Pool(len(chunks)) as pool:
            results = pool.map(_chunk, chunks)
            if any(r is None for r in results):
                return None
            return _assemble(results, pool)  # type: ignore[arg-type]
    finally:
        _JOB = None


def _chunk(bounds: tuple[int, int]) -> tuple[Any, ...] | None:
    """Worker: hash the lines ``bounds`` of the current job. Returns (parties, count, total,
    keys, details hashes, leaves, sorted leaves, sorted keys, salts, records) or None if any
    line is irregular."""
    assert _JOB is not None
    data, pattern, names, order = _JOB
    lo, hi = bounds
    chunk = data[lo:hi]
    if chunk.endswith(b"\n"):
        chunk = chunk[:-1]
    rows = chunk.split(b"\n")
    if b"\r" in chunk:
        rows = [r[:-1] if r.endswith(b"\r") else r for r in rows]
    n = len(rows)
    salts = secrets.token_bytes(W * n)
    new = merkle._keccak_256
    match = pattern.fullmatch
    tag = KEY_TAG
    keys: list[bytes] = []
    dhs: list[bytes] = []
    leaves: list[bytes] = []
    records: list[bytes] = []
    add_key, add_dh, add_leaf, add_rec = keys.append, dhs.append, leaves.append, records.append
    dates: dict[bytes, bytes] = {}
    shapes: dict[tuple[int, int, int], tuple[Callable[..., bytes], bytes]] = {}
    parties: tuple[bytes, bytes, bytes] | None = None
    prefix = b""
    total = 0
    j = 0
    for row in rows:
        m = match(row)
        salt = salts[j : j + W]
        j += W
        if m is None:  # not plain ASCII: the row parser decides, one line
            try:
                record = next(csv.reader([row.decode()], strict=True))
            except (csv.Error, StopIteration, UnicodeDecodeError):
                return None
            if len(record) != len(names):
                return None
            try:
                v: Invoice = _parse_record(dict(zip(names, record, strict=True)), False)
            except ValueError:
                return None
            who = (v.seller_id.encode(), v.buyer_id.encode(), v.currency.encode())
            if parties is None:
                parties, prefix = who, canonical_prefix(v.seller_id, v.buyer_id)
            elif who != parties:
                return None
            key = invoice_key(v)
            canon = canonical_bytes(v)
            dh = new(salt + canon).digest()
            tail = canon[PREFIX_LEN:]
            add_rec(salt + _U32.pack(len(tail)) + tail)
            total += v.amount_cents
        else:
            seller, buyer, code, number, issued, amount, currency, ref = order(m.groups())
            if parties is None:
                parties = (seller, buyer, currency)
                prefix = canonical_prefix(seller.decode(), buyer.decode())
            elif seller != parties[0] or buyer != parties[1] or currency != parties[2]:
                return None
            d = dates.get(issued)
            if d is None:
                try:
                    date.fromisoformat(issued.decode())
                except ValueError:
                    return None
                d = dates[issued] = issued + currency
            whole, _, frac = amount.partition(b".")
            cents = int(whole) * 100 + (int(frac.ljust(2, b"0")) if frac else 0)
            if cents == 0:
                return None
            total += cents
            lc, ln, lr = len(code), len(number), len(ref)
            shape = shapes.get((lc, ln, lr))
            if shape is None:
                fmt = f">{W}s{PREFIX_LEN}s13sQH{lc}sH{ln}sH{lr}sH"
                size = struct.calcsize(fmt) - W - PREFIX_LEN
                shape = shapes[lc, ln, lr] = (struct.Struct(fmt).pack, _U32.pack(size))
            pack, size_bytes = shape
            key = new(tag + code + b"\x00" + number).digest()
            buf = pack(salt, prefix, d, cents, lc, code, ln, number, lr, ref, 0)
            dh = new(buf).digest()
            add_rec(salt + size_bytes + buf[W + PREFIX_LEN :])
        add_key(key)
        add_dh(dh)
        add_leaf(new(new(key + dh).digest()).digest())
    in_order = b"".join(leaves)
    leaves.sort()
    key_blob = b"".join(keys)
    keys.sort()
    return (
        parties, n, total, key_blob, b"".join(dhs), in_order, b"".join(leaves), b"".join(keys),
        salts, b"".join(records),
    )  # fmt: skip
