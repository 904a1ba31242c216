"""Invoice files in, invoice packages out (docs/INVOICES.md is the specification).

* :func:`load_invoices` / :func:`parse_invoices_csv` / :func:`parse_invoices_json` read an invoice
  file strictly: every bad row is reported with its row number in one :class:`InvoiceFileError`.
* :func:`canonical_bytes`, :func:`invoice_key`, :func:`details_hash` define what goes into a leaf.
* :func:`build_package` turns invoices into a :class:`Package` (a Merkle tree plus the salts);
  :func:`save_package` / :func:`load_package` write and re-check the package file.
* :func:`prove` / :func:`verify_invoice_proof` prove one invoice; :func:`find_collisions` compares
  packages in memory (the store of known invoices is :mod:`tierchain.invoices.known`, the
  streaming build of a whole file :mod:`tierchain.invoices.bulk`).

Money is never a float: amounts are strict ASCII decimal strings with at most 2 decimals,
stored as integer cents.
"""

from __future__ import annotations

import csv
import io
import json
import mmap
import multiprocessing
import operator
import os
import re
import secrets
import struct
import tempfile
import unicodedata
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import islice
from pathlib import Path
from typing import Any, Final

from tierchain.core import merkle
from tierchain.core.errors import TierchainError

# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem in an invoice file. ``row`` is 1-based (CSV: the header is row 1)."""

    row: int
    message: str

    def __str__(self) -> str:
        return f"row {self.row}: {self.message}" if self.row else self.message


class InvoiceFileError(TierchainError):
    """An invoice file (or package file) is invalid; ``errors`` lists every problem found."""

    def __init__(self, source: str, errors: Sequence[RowError]) -> None:
        self.source = source
        self.errors: list[RowError] = list(errors)
        lines = "\n".join(f"  {e}" for e in self.errors[:50])
        more = f"\n  ... and {len(self.errors) - 50} more" if len(self.errors) > 50 else ""
        super().__init__(f"{source}: {len(self.errors)} problem(s); nothing was written\n{lines}{more}")


class PackageError(TierchainError):
    """Invoices that cannot form one package, a package file that does not check out, an
    invoice that is not in a package, or a package file that already exists."""


class PackageCollisionError(PackageError):
    """A package shares invoices with a package already known (double financing, T1)."""

    def __init__(self, collisions: Sequence[Collision]) -> None:
        self.collisions = list(collisions)
        shown = ", ".join(
            f"{c.invoice_code}/{c.invoice_number} (in 0x{c.other_root.hex()})" for c in self.collisions[:10]
        )
        super().__init__(f"{len(self.collisions)} invoice(s) already in a known package: {shown}")


# --------------------------------------------------------------------------------------------
# Records and field rules
# --------------------------------------------------------------------------------------------

CREDIT_CODE_RE: Final = re.compile(r"[0-9A-HJ-NP-RT-UW-Y]{18}")
INVOICE_ID_RE: Final = re.compile(r"[0-9A-Z]{1,32}")
DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
CURRENCY_RE: Final = re.compile(r"[A-Z]{3}")
AMOUNT_RE: Final = re.compile(r"[0-9]+(\.[0-9]{1,2})?")
AMOUNT_ANY_DECIMALS_RE: Final = re.compile(r"[0-9]+\.[0-9]+")
QUANTITY_RE: Final = re.compile(r"[0-9]+(\.[0-9]{1,6})?")

MAX_AMOUNT_INTEGER_DIGITS: Final = 15  # 999,999,999,999,999.99 at most: cents fit a uint64
MAX_TEXT_CHARS: Final = 200  # order_ref and line descriptions
MAX_LINES: Final = 1000
FORMULA_PREFIXES: Final = ("=", "+", "-", "@", "\t", "\r")

CSV_COLUMNS: Final = (
    "seller_id",
    "buyer_id",
    "invoice_code",
    "invoice_number",
    "issue_date",
    "amount",
    "currency",
    "order_ref",
)
JSON_KEYS: Final = frozenset((*CSV_COLUMNS, "lines"))
LINE_KEYS: Final = frozenset(("description", "quantity", "unit_price", "amount"))


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """One line of an invoice (JSON files only)."""

    description: str  # NFC, 1..200 characters
    quantity: Decimal  # > 0, at most 6 decimals
    unit_price: Decimal  # >= 0, at most 6 decimals
    amount_cents: int  # > 0


@dataclass(frozen=True, slots=True)
class Invoice:
    """One parsed, validated invoice. Construct it through the parsers or directly: the same
    field rules are checked here, so an :class:`Invoice` is always encodable."""

    seller_id: str
    buyer_id: str
    invoice_code: str  # normalised: stripped, upper-case, [0-9A-Z]{1,32}
    invoice_number: str  # same
    issue_date: date
    amount_cents: int
    currency: str
    order_ref: str
    lines: tuple[InvoiceLine, ...] = ()

    def __post_init__(self) -> None:
        problem = _check_invoice(self)
        if problem:
            raise ValueError(problem)


def _check_invoice(v: Invoice) -> str | None:
    if not CREDIT_CODE_RE.fullmatch(v.seller_id):
        return "seller_id is not an 18-character unified social credit code"
    if not CREDIT_CODE_RE.fullmatch(v.buyer_id):
        return "buyer_id is not an 18-character unified social credit code"
    if not INVOICE_ID_RE.fullmatch(v.invoice_code):
        return "invoice_code must be 1-32 characters 0-9 A-Z"
    if not INVOICE_ID_RE.fullmatch(v.invoice_number):
        return "invoice_number must be 1-32 characters 0-9 A-Z"
    if not CURRENCY_RE.fullmatch(v.currency):
        return "currency must be 3 upper-case letters"
    if not 0 < v.amount_cents < 10 ** (MAX_AMOUNT_INTEGER_DIGITS + 2):
        return "amount_cents out of range"
    if not 1 <= v.issue_date.year <= 9999:
        return "issue_date out of range"
    problem = _text_problem(v.order_ref, "order_ref")
    if problem:
        return problem
    if len(v.lines) > MAX_LINES:
        return f"more than {MAX_LINES} lines"
    for line in v.lines:
        problem = _text_problem(line.description, "line description")
        if problem:
            return problem
        if line.amount_cents <= 0 or line.quantity <= 0 or line.unit_price < 0:
            return "line amounts and quantities must be positive"
    if v.lines and sum(line.amount_cents for line in v.lines) != v.amount_cents:
        return "line amounts do not add up to the invoice amount"
    return None


def _text_problem(text: str, name: str) -> str | None:
    if not 1 <= len(text) <= MAX_TEXT_CHARS:
        return f"{name} must be 1-{MAX_TEXT_CHARS} characters"
    if text != text.strip():
        return f"{name} has surrounding whitespace"
    if text.startswith(FORMULA_PREFIXES):
        return f"{name} {text[:20]!r} looks like a spreadsheet formula"
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn") for ch in text):
        return f"{name} contains control or unassigned characters"
    if not unicodedata.is_normalized("NFC", text):
        return f"{name} is not in Unicode NFC form"
    return None


def parse_amount_cents(text: object, name: str = "amount") -> int:
    """Integer cents from a strict ASCII decimal string: ``[0-9]+(\\.[0-9]{1,2})?``, > 0.

    No sign, exponent, NaN, spaces, thousands separators or non-ASCII digits; never a float.
    Raises ``ValueError`` with a message naming the problem.
    """
    if not isinstance(text, str):
        raise ValueError(f'{name} must be a string like "1234.50", not {type(text).__name__}')
    if not AMOUNT_RE.fullmatch(text):
        if AMOUNT_ANY_DECIMALS_RE.fullmatch(text):
            raise ValueError(f"{name} {text!r} has more than 2 decimals")
        raise ValueError(f"{name} {text[:30]!r} is not a plain decimal like 1234.50")
    whole = text.split(".", 1)[0].lstrip("0")
    if len(whole) > MAX_AMOUNT_INTEGER_DIGITS:
        raise ValueError(f"{name} {text[:30]!r} is too large (at most {MAX_AMOUNT_INTEGER_DIGITS} digits)")
    cents = Decimal(text) * 100  # exact: at most 2 decimals, checked above
    if cents <= 0:
        raise ValueError(f"{name} must be greater than zero")
    return int(cents)


def format_cents(cents: int) -> str:
    """``123456`` -> ``"1234.56"`` (the file form of an amount)."""
    return f"{cents // 100}.{cents % 100:02d}"


def _parse_quantity(text: object, name: str, *, allow_zero: bool) -> Decimal:
    if not isinstance(text, str) or not QUANTITY_RE.fullmatch(text):
        raise ValueError(f"{name} must be a plain decimal string with at most 6 decimals")
    if len(text) > 30:
        raise ValueError(f"{name} is too long")
    value = Decimal(text)
    if value < 0 or (value == 0 and not allow_zero):
        raise ValueError(f"{name} must be greater than zero")
    return value


def _decimal_text(value: Decimal) -> str:
    """Canonical decimal text: no exponent, no leading zeros, no trailing fractional zeros."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _parse_record(raw: Mapping[str, object], lines_allowed: bool) -> Invoice:
    """One invoice from a row or JSON object (keys already checked); ValueError on problems."""

    def text(name: str) -> str:
        value = raw[name]
        if not isinstance(value, str):
            raise ValueError(f"{name} must be a string")
        return value.strip()

    seller_id, buyer_id = text("seller_id"), text("buyer_id")
    for name, value in (("seller_id", seller_id), ("buyer_id", buyer_id)):
        if not CREDIT_CODE_RE.fullmatch(value):
            raise ValueError(f"{name} {value[:30]!r} is not an 18-character unified social credit code")
    code, number = text("invoice_code").upper(), text("invoice_number").upper()
    for name, value in (("invoice_code", code), ("invoice_number", number)):
        if not INVOICE_ID_RE.fullmatch(value):
            raise ValueError(f"{name} {value[:40]!r} must be 1-32 characters 0-9 A-Z")
    issued = text("issue_date")
    if not DATE_RE.fullmatch(issued):
        raise ValueError(f"issue_date {issued[:30]!r} is not YYYY-MM-DD")
    try:
        issue_date = date.fromisoformat(issued)
    except ValueError:
        raise ValueError(f"issue_date {issued!r} is not a real date") from None
    amount_cents = parse_amount_cents(raw["amount"])
    currency = text("currency")
    if not CURRENCY_RE.fullmatch(currency):
        raise ValueError(f"currency {currency[:10]!r} is not 3 upper-case letters (ISO 4217)")
    order_ref = text("order_ref")
    problem = _text_problem(order_ref, "order_ref")
    if problem:
        raise ValueError(problem)
    lines: list[InvoiceLine] = []
    raw_lines = raw.get("lines")
    if raw_lines is not None:
        if not lines_allowed or not isinstance(raw_lines, list):
            raise ValueError("lines must be a JSON list")
        if len(raw_lines) > MAX_LINES:
            raise ValueError(f"more than {MAX_LINES} lines")
        for i, raw_line in enumerate(raw_lines, 1):
            if not isinstance(raw_line, dict) or set(raw_line) != LINE_KEYS:
                raise ValueError(f"line {i} must have exactly the keys {sorted(LINE_KEYS)}")
            description = raw_line["description"]
            if not isinstance(description, str):
                raise ValueError(f"line {i} description must be a string")
            description = description.strip()
            problem = _text_problem(description, f"line {i} description")
            if problem:
                raise ValueError(problem)
            lines.append(
                InvoiceLine(
                    description=description,
                    quantity=_parse_quantity(raw_line["quantity"], f"line {i} quantity", allow_zero=False),
                    unit_price=_parse_quantity(raw_line["unit_price"], f"line {i} unit_price", allow_zero=True),
                    amount_cents=parse_amount_cents(raw_line["amount"], f"line {i} amount"),
                )
            )
        if lines and sum(line.amount_cents for line in lines) != amount_cents:
            raise ValueError(
                f"line amounts add up to {format_cents(sum(x.amount_cents for x in lines))}, "
                f"not the invoice amount {format_cents(amount_cents)}"
            )
    return Invoice(
        seller_id=seller_id,
        buyer_id=buyer_id,
        invoice_code=code,
        invoice_number=number,
        issue_date=issue_date,
        amount_cents=amount_cents,
        currency=currency,
        order_ref=order_ref,
        lines=tuple(lines),
    )


def _check_file_level(rows: list[tuple[int, Invoice]], errors: list[RowError]) -> None:
    """Cross-row rules: unique (invoice_code, invoice_number), one currency per file."""
    seen: dict[tuple[str, str], int] = {}
    currency: tuple[str, int] | None = None
    for row, inv in rows:
        ident = (inv.invoice_code, inv.invoice_number)
        if ident in seen:
            errors.append(RowError(row, f"duplicate invoice {ident[0]}/{ident[1]} (first on row {seen[ident]})"))
        else:
            seen[ident] = row
        if currency is None:
            currency = (inv.currency, row)
        elif inv.currency != currency[0]:
            errors.append(RowError(row, f"currency {inv.currency} differs from {currency[0]} on row {currency[1]}"))


def _decode(data: bytes, source: str) -> str:
    """Strict UTF-8; one leading byte-order mark is accepted and dropped."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InvoiceFileError(
            source,
            [RowError(line, f"not UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})")],
        ) from None


def parse_invoices_csv(data: bytes, source: str = "<csv>") -> list[Invoice]:
    """Invoices from CSV bytes: a header with exactly :data:`CSV_COLUMNS` (any order), then one
    invoice per record. Row numbers count records, the header being row 1."""
    text = _decode(data, source)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    errors: list[RowError] = []
    try:
        header = next(reader, None)
        if header is None:
            raise InvoiceFileError(source, [RowError(1, "empty file: no header")])
        names = [h.strip() for h in header]
        missing = [c for c in CSV_COLUMNS if c not in names]
        extra = [h for h in names if h not in CSV_COLUMNS]
        dupes = sorted({h for h in names if names.count(h) > 1})
        if missing or extra or dupes:
            problems = []
            if missing:
                problems.append(f"missing columns {missing}")
            if extra:
                problems.append(f"unknown columns {[e[:30] for e in extra]}")
            if dupes:
                problems.append(f"repeated columns {dupes}")
            raise InvoiceFileError(source, [RowError(1, "header: " + "; ".join(problems))])
        rows: list[tuple[int, Invoice]] = []
        for row_no, record in enumerate(reader, 2):
            if not record or record == [""]:
                errors.append(RowError(row_no, "empty row"))
                continue
            if len(record) != len(names):
                errors.append(RowError(row_no, f"{len(record)} fields, expected {len(names)}"))
                continue
            try:
                rows.append((row_no, _parse_record(dict(zip(names, record, strict=True)), False)))
            except ValueError as exc:
                errors.append(RowError(row_no, str(exc)))
    except csv.Error as exc:
        errors.append(RowError(reader.line_num, f"malformed CSV: {exc}"))
        rows = []
    return _finish(rows, errors, source)


def _finish(rows: list[tuple[int, Invoice]], errors: list[RowError], source: str) -> list[Invoice]:
    """File-level checks, then every error at once (by row) or the invoices in file order."""
    _check_file_level(rows, errors)
    if not rows and not errors:
        errors.append(RowError(0, "no invoices"))
    if errors:
        raise InvoiceFileError(source, sorted(errors, key=lambda e: e.row))
    return [inv for _, inv in rows]


def _json_object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"repeated key {key!r}")
        obj[key] = value
    return obj


def _json_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed")


def _loads_strict(text: str) -> Any:
    """JSON with no NaN/Infinity, no float parsing (numbers become Decimal), no repeated keys."""
    return json.loads(
        text,
        object_pairs_hook=_json_object_pairs,
        parse_constant=_json_constant,
        parse_float=Decimal,
    )


def _parse_json_records(items: object, source: str) -> list[Invoice]:
    if not isinstance(items, list):
        raise InvoiceFileError(source, [RowError(0, "expected a JSON list of invoice objects")])
    errors: list[RowError] = []
    rows: list[tuple[int, Invoice]] = []
    for row_no, item in enumerate(items, 1):
        if not isinstance(item, dict):
            errors.append(RowError(row_no, "not a JSON object"))
            continue
        missing = sorted(k for k in CSV_COLUMNS if k not in item)
        extra = sorted(str(k)[:30] for k in item if k not in JSON_KEYS)
        if missing or extra:
            errors.append(RowError(row_no, f"missing keys {missing}, unknown keys {extra}"))
            continue
        try:
            rows.append((row_no, _parse_record(item, True)))
        except ValueError as exc:
            errors.append(RowError(row_no, str(exc)))
    return _finish(rows, errors, source)


def parse_invoices_json(data: bytes, source: str = "<json>") -> list[Invoice]:
    """Invoices from JSON bytes: a list of invoice objects (row N = the N-th object)."""
    text = _decode(data, source)
    try:
        items = _loads_strict(text)
    except ValueError as exc:  # JSONDecodeError is a ValueError
        raise InvoiceFileError(source, [RowError(0, f"malformed JSON: {exc}")]) from None
    return _parse_json_records(items, source)


def invoice_to_json(inv: Invoice) -> dict[str, Any]:
    """The JSON file form of one invoice (the inverse of the JSON parser)."""
    obj: dict[str, Any] = {
        "seller_id": inv.seller_id,
        "buyer_id": inv.buyer_id,
        "invoice_code": inv.invoice_code,
        "invoice_number": inv.invoice_number,
        "issue_date": inv.issue_date.isoformat(),
        "amount": format_cents(inv.amount_cents),
        "currency": inv.currency,
        "order_ref": inv.order_ref,
    }
    if inv.lines:
        obj["lines"] = [
            {
                "description": line.description,
                "quantity": _decimal_text(line.quantity),
                "unit_price": _decimal_text(line.unit_price),
                "amount": format_cents(line.amount_cents),
            }
            for line in inv.lines
        ]
    return obj


def load_invoices(path: str | os.PathLike[str]) -> list[Invoice]:
    """Invoices from a ``.csv`` or ``.json`` file."""
    p = Path(path)
    data = p.read_bytes()
    if p.suffix.lower() == ".csv":
        return parse_invoices_csv(data, str(p))
    if p.suffix.lower() == ".json":
        return parse_invoices_json(data, str(p))
    raise InvoiceFileError(str(p), [RowError(0, "unknown file type: use .csv or .json")])


# --------------------------------------------------------------------------------------------
# Canonical encoding, key, details hash, leaf
# --------------------------------------------------------------------------------------------

CANONICAL_VERSION: Final = 1
KEY_TAG: Final = b"tierchain:invoice-key:v1\x00"
SALT_LEN: Final = 32
_FIXED: Final = struct.Struct(">B18s18s10s3sQ")  # version, seller, buyer, date, currency, cents
_U16: Final = struct.Struct(">H")
_LINE_TAIL: Final = struct.Struct(">Q")


def _var(data: bytes) -> bytes:
    return _U16.pack(len(data)) + data


def canonical_bytes(inv: Invoice) -> bytes:
    """The canonical encoding of one invoice (layout v1, docs/INVOICES.md "Canonical encoding").

    ``u8 1 ‖ seller_id[18] ‖ buyer_id[18] ‖ issue_date[10] ‖ currency[3] ‖ u64 amount_cents ‖
    str invoice_code ‖ str invoice_number ‖ str order_ref ‖ u16 line_count ‖ lines``, where
    ``str`` is a big-endian u16 byte length then UTF-8 bytes, and each line is
    ``str description ‖ str quantity ‖ str unit_price ‖ u64 amount_cents``.
    """
    code = inv.invoice_code.encode()
    number = inv.invoice_number.encode()
    ref = inv.order_ref.encode()
    head = _FIXED.pack(
        CANONICAL_VERSION,
        inv.seller_id.encode(),
        inv.buyer_id.encode(),
        inv.issue_date.isoformat().encode(),
        inv.currency.encode(),
        inv.amount_cents,
    )
    parts = [
        head,
        _U16.pack(len(code)),
        code,
        _U16.pack(len(number)),
        number,
        _U16.pack(len(ref)),
        ref,
        _U16.pack(len(inv.lines)),
    ]
    for line in inv.lines:
        parts.append(_var(line.description.encode()))
        parts.append(_var(_decimal_text(line.quantity).encode()))
        parts.append(_var(_decimal_text(line.unit_price).encode()))
        parts.append(_LINE_TAIL.pack(line.amount_cents))
    return b"".join(parts)


def invoice_key(inv: Invoice) -> bytes:
    """``keccak256("tierchain:invoice-key:v1" ‖ 0x00 ‖ invoice_code ‖ 0x00 ‖ invoice_number)``.

    The invoice's national identity only (never the seller): the same invoice has the same key
    in every package, which is what the on-chain double-financing challenge compares.
    """
    return merkle.keccak(KEY_TAG + inv.invoice_code.encode() + b"\x00" + inv.invoice_number.encode())


def details_hash(inv: Invoice, salt: bytes) -> bytes:
    """``keccak256(salt ‖ canonical_bytes(invoice))``; the salt hides the details (T14)."""
    if len(salt) != SALT_LEN:
        raise PackageError("a salt is exactly 32 bytes")
    return merkle.keccak(salt + canonical_bytes(inv))


def invoice_leaf(inv: Invoice, salt: bytes) -> bytes:
    """The tree leaf of one invoice: ``merkle.leaf_hash(invoice_key, details_hash)``."""
    return merkle.leaf_hash(invoice_key(inv), details_hash(inv, salt))


def decode_canonical(data: bytes) -> Invoice:
    """The invoice whose :func:`canonical_bytes` are ``data`` (the inverse; every field rule is
    checked again). Raises ``ValueError`` on a malformed or non-canonical encoding."""
    view = memoryview(data)
    try:
        version, seller, buyer, issued, currency, cents = _FIXED.unpack_from(view, 0)
        pos = _FIXED.size

        def text() -> str:
            nonlocal pos
            (size,) = _U16.unpack_from(view, pos)
            start, pos = pos + 2, pos + 2 + size
            if pos > len(view):
                raise ValueError("truncated")
            return bytes(view[start:pos]).decode()

        code, number, ref = text(), text(), text()
        (count,) = _U16.unpack_from(view, pos)
        pos += 2
        lines = []
        for _ in range(count):
            description, quantity, unit_price = text(), text(), text()
            (amount,) = _LINE_TAIL.unpack_from(view, pos)
            pos += _LINE_TAIL.size
            lines.append(InvoiceLine(description, Decimal(quantity), Decimal(unit_price), amount))
        if version != CANONICAL_VERSION or pos != len(view):
            raise ValueError("not a canonical invoice encoding (version or length)")
        inv = Invoice(
            seller.decode("ascii"), buyer.decode("ascii"), code, number,
            date.fromisoformat(issued.decode("ascii")), cents, currency.decode("ascii"), ref, tuple(lines),
        )  # fmt: skip
    except (struct.error, UnicodeDecodeError, ArithmeticError) as exc:
        raise ValueError(f"not a canonical invoice encoding: {exc}") from None
    if canonical_bytes(inv) != bytes(view):
        raise ValueError("not a canonical invoice encoding (a field is not in canonical form)")
    return inv


# --------------------------------------------------------------------------------------------
# Packages
# --------------------------------------------------------------------------------------------

PACKAGE_FORMAT: Final = "tierchain.invoice-package"
PACKAGE_VERSION: Final = 1  # the JSON package document (format 1, still read)
PACKAGE_FILE_VERSION: Final = 2  # the binary package file
PARALLEL_THRESHOLD: Final = 50_000  # below this, forking workers costs more than it saves
W: Final = 32  # bytes per key, salt, details hash and leaf
PREFIX_LEN: Final = 37  # canonical bytes: version, seller_id, buyer_id (shared by a package)
_U32: Final = struct.Struct(">I")


def canonical_prefix(seller_id: str, buyer_id: str) -> bytes:
    """The first :data:`PREFIX_LEN` canonical bytes of every invoice of ``seller_id`` to ``buyer_id``."""
    return _FIXED.pack(CANONICAL_VERSION, seller_id.encode(), buyer_id.encode(), b"", b"", 0)[:PREFIX_LEN]


def _word_at(blob: bytes, i: int) -> bytes:
    return blob[i * W : (i + 1) * W]


def _words(blob: bytes) -> list[bytes]:
    return [blob[i : i + W] for i in range(0, len(blob), W)]


@dataclass(frozen=True, slots=True)
class PackagedInvoice:
    """One invoice of a package with everything needed to prove it."""

    invoice: Invoice
    key: bytes
    salt: bytes
    details_hash: bytes
    leaf: bytes


@dataclass(frozen=True, eq=False)
class Package:
    """A built invoice package.

    Per-invoice hashes are kept as columns, one buffer of 32-byte words each, in the input
    order of ``invoices`` (a million-invoice package holds no per-invoice hash objects): use
    :meth:`entry`, :meth:`key`, :meth:`salt`, :meth:`details_hash`, :meth:`leaf`.
    """

    root: bytes
    count: int
    total_cents: int
    currency: str
    seller_id: str
    buyer_id: str
    tree: merkle.MerkleTree
    invoices: Sequence[Invoice]  # a tuple, or a lazy view over the file records (bulk builds)
    salts_blob: bytes = field(repr=False)
    keys_blob: bytes = field(repr=False)
    details_blob: bytes = field(repr=False)
    leaves_blob: bytes = field(repr=False)
    _index: dict[bytes, int] = field(default_factory=dict, repr=False)
    _body: list[bytes] = field(default_factory=list, repr=False)  # the v2 file records, once made

    def body(self) -> bytes:
        """The records of the package file (format 2): per invoice, in input order,
        ``salt[32] ‖ u32 n ‖ canonical_bytes[37:]`` (n bytes: the canonical encoding without
        the version, seller and buyer, which every invoice of the package shares)."""
        if not self._body:
            if isinstance(self.invoices, InvoiceRecords):
                self._body.append(self.invoices.blob)
            else:
                parts = []
                for i, v in enumerate(self.invoices):
                    tail = canonical_bytes(v)[PREFIX_LEN:]
                    parts.append(self.salt(i) + _U32.pack(len(tail)) + tail)
                self._body.append(b"".join(parts))
        return self._body[0]

    def key(self, i: int) -> bytes:
        """Invoice key of the ``i``-th invoice."""
        return _word_at(self.keys_blob, i)

    def salt(self, i: int) -> bytes:
        """Salt of the ``i``-th invoice."""
        return _word_at(self.salts_blob, i)

    def details_hash(self, i: int) -> bytes:
        """Details hash of the ``i``-th invoice."""
        return _word_at(self.details_blob, i)

    def leaf(self, i: int) -> bytes:
        """Leaf of the ``i``-th invoice."""
        return _word_at(self.leaves_blob, i)

    def keys(self) -> list[bytes]:
        """All invoice keys, in input order."""
        return _words(self.keys_blob)

    def entry(self, i: int) -> PackagedInvoice:
        """The ``i``-th invoice with its key, salt, details hash and leaf."""
        return PackagedInvoice(self.invoices[i], self.key(i), self.salt(i), self.details_hash(i), self.leaf(i))

    def position(self, key: bytes) -> int:
        """Input position of the invoice with ``key``; the index is built on first use, so
        later look-ups are O(1)."""
        if not self._index:
            self._index.update((k, i) for i, k in enumerate(self.keys()))
        try:
            return self._index[key]
        except KeyError:
            raise PackageError(f"invoice key 0x{key.hex()} is not in this package") from None


class InvoiceRecords(Sequence[Invoice]):
    """The invoices of a package as its file records (see :meth:`Package.body`), decoded on
    access: a million-invoice package keeps one buffer, not a million objects."""

    __slots__ = ("_cache", "_n", "_offsets", "_prefix", "blob")

    def __init__(self, blob: bytes, prefix: bytes, count: int) -> None:
        self.blob = blob
        self._prefix = prefix
        self._n = count
        self._offsets: array[int] | None = None
        self._cache: dict[int, Invoice] = {}

    def __len__(self) -> int:
        return self._n

    def _record_offsets(self) -> array[int]:
        if self._offsets is None:
            offsets = array("Q")
            add, unpack, blob, pos = offsets.append, _U32.unpack_from, self.blob, 0
            for _ in range(self._n):
                add(pos)
                pos += W + 4 + unpack(blob, pos + W)[0]
            self._offsets = offsets
        return self._offsets

    def tail(self, i: int) -> bytes:
        """``canonical_bytes[37:]`` of the ``i``-th invoice."""
        pos = self._record_offsets()[i] + W
        (size,) = _U32.unpack_from(self.blob, pos)
        return self.blob[pos + 4 : pos + 4 + size]

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(self._n))]
        if i < 0:
            i += self._n
        if not 0 <= i < self._n:
            raise IndexError("invoice index out of range")
        inv = self._cache.get(i)
        if inv is None:
            inv = self._cache[i] = decode_canonical(self._prefix + self.tail(i))
        return inv


# The current build, inherited by forked workers (copy-on-write): invoices are never pickled.
# A parallel build also shares one anonymous map (MAP_SHARED, created before the fork) where
# workers put their hashes, so that no per-invoice data crosses a pipe. It has _REGIONS regions
# of n words each: keys, details hashes and leaves in input order; each chunk's leaves sorted;
# each chunk's keys grouped by value range (bucket); the sorted leaves of the whole tree.
_JOB: tuple[Sequence[Invoice], bytes, mmap.mmap | None] | None = None
_KEYS, _DETAILS, _LEAVES, _SORTED, _BUCKETED, _LEVEL0 = range(6)
_REGIONS: Final = 6


@dataclass(frozen=True, slots=True)
class _ChunkResult:
    parties: set[tuple[str, str, str]]  # (seller_id, buyer_id, currency) seen
    total_cents: int
    lo: int
    hi: int
    bucket_sizes: tuple[int, ...] = ()  # keys per value range (parallel build)
    # serial build only (a parallel build puts them in the shared map):
    keys: bytes = b""
    details: bytes = b""
    leaves: bytes = b""  # input order
    sorted_leaves: bytes = b""


def _region(shared: mmap.mmap, n: int, region: int, lo: int, hi: int) -> bytes:
    """Words ``lo..hi`` of ``region`` of the shared map (a copy)."""
    return shared[(region * n + lo) * W : (region * n + hi) * W]


def _put(shared: mmap.mmap, n: int, region: int, lo: int, data: bytes) -> None:
    shared[(region * n + lo) * W : (region * n + lo) * W + len(data)] = data


def _key_pivots(count: int) -> list[bytes]:
    """Lower bounds of ``count`` equal ranges of the 256-bit key space (keys are uniform)."""
    return [(b * 2**256 // count).to_bytes(W, "big") for b in range(count)]


def _hash_range(bounds: tuple[int, int, int]) -> _ChunkResult:
    """Keys, details hashes and leaves of invoices ``lo..hi`` of the current job.

    The hot loop of :func:`build_package`: it computes exactly :func:`invoice_key`,
    :func:`details_hash` and :func:`invoice_leaf` (tests check this), inlined, with the
    canonical prefix shared by the chunk's single seller/buyer/currency cached.
    """
    assert _JOB is not None
    invoices, salt_pool, shared = _JOB
    lo, hi, buckets = bounds
    chunk = invoices[lo:hi]
    sellers = set(map(_SELLER, chunk))
    buyers = set(map(_BUYER, chunk))
    currencies = set(map(_CURRENCY, chunk))
    if len(sellers) == len(buyers) == len(currencies) == 1:
        parties = {(sellers.pop(), buyers.pop(), currencies.pop())}  # no tuple per invoice
    else:
        parties = {(v.seller_id, v.buyer_id, v.currency) for v in chunk}
    new = merkle._keccak_256
    tag = KEY_TAG
    keys: list[bytes] = []
    dhs: list[bytes] = []
    leaves: list[bytes] = []
    add_key, add_dh, add_leaf = keys.append, dhs.append, leaves.append
    if len(parties) == 1:
        # One pass, each string encoded once. A package has one seller, buyer and currency, so
        # the canonical bytes are salt ‖ a shared prefix ‖ date and currency (cached per date)
        # ‖ the invoice's own fields: one struct.pack per invoice, with a Struct per shape
        # (lengths of code, number and order ref). Invoices with lines take canonical_bytes.
        seller, buyer, currency = next(iter(parties))
        prefix = _FIXED.pack(CANONICAL_VERSION, seller.encode(), buyer.encode(), b"", b"", 0)[:37]
        cur = currency.encode()
        dates: dict[date, bytes] = {}
        shapes: dict[tuple[int, int, int], Callable[..., bytes]] = {}
        j = lo * W
        for v in chunk:
            code, number = v.invoice_code.encode(), v.invoice_number.encode()
            key = new(tag + code + b"\x00" + number).digest()
            salt = salt_pool[j : j + W]
            j += W
            if v.lines:
                dh = new(salt + canonical_bytes(v)).digest()
            else:
                d = dates.get(v.issue_date)
                if d is None:
                    d = dates[v.issue_date] = v.issue_date.isoformat().encode() + cur
                ref = v.order_ref.encode()
                lc, ln, lr = len(code), len(number), len(ref)
                pack = shapes.get((lc, ln, lr))
                if pack is None:
                    pack = shapes[lc, ln, lr] = struct.Struct(f">{W}s37s13sQH{lc}sH{ln}sH{lr}sH").pack
                dh = new(pack(salt, prefix, d, v.amount_cents, lc, code, ln, number, lr, ref, 0))
                dh = dh.digest()
            add_key(key)
            add_dh(dh)
            add_leaf(new(new(key + dh).digest()).digest())
    else:  # the package will be refused (_check_package); keep it simple
        for j, v in zip(range(lo * W, hi * W, W), chunk, strict=True):
            key = invoice_key(v)
            dh = new(salt_pool[j : j + W] + canonical_bytes(v)).digest()
            add_key(key)
            add_dh(dh)
            add_leaf(new(new(key + dh).digest()).digest())
    total = sum(map(_AMOUNT, chunk))
    in_order = b"".join(leaves)
    leaves.sort()
    if shared is None:
        return _ChunkResult(parties, total, lo, hi, (), b"".join(keys), b"".join(dhs), in_order, b"".join(leaves))
    n = len(invoices)
    _put(shared, n, _KEYS, lo, b"".join(keys))
    _put(shared, n, _DETAILS, lo, b"".join(dhs))
    _put(shared, n, _LEAVES, lo, in_order)
    _put(shared, n, _SORTED, lo, b"".join(leaves))
    lows = _key_pivots(buckets)
    highs: list[bytes | None] = [*lows[1:], None]
    bucketed = [
        b"".join(k for k in keys if low <= k and (high is None or k < high))
        for low, high in zip(lows, highs, strict=True)
    ]
    _put(shared, n, _BUCKETED, lo, b"".join(bucketed))
    return _ChunkResult(parties, total, lo, hi, tuple(len(b) // W for b in bucketed))


_SELLER: Final = operator.attrgetter("seller_id")
_BUYER: Final = operator.attrgetter("buyer_id")
_CURRENCY: Final = operator.attrgetter("currency")
_AMOUNT: Final = operator.attrgetter("amount_cents")


class _Run(Sequence[bytes]):
    """A sorted run of 32-byte words in one buffer, as a sequence (for :func:`bisect_left`)."""

    __slots__ = ("_blob", "_n")

    def __init__(self, blob: bytes) -> None:
        self._blob = blob
        self._n = len(blob) // W

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, i: Any) -> Any:
        return self._blob[i * W : (i + 1) * W]


def _rank_cuts(runs: Sequence[_Run], k: int) -> list[int] | None:
    """Cut positions, one per sorted run, such that the heads together are exactly the ``k``
    smallest words of all runs: found by bisecting the 256-bit value space (256 steps, each a
    binary search per run). None when no exact cut exists, i.e. equal words straddle rank k."""
    lo, hi = 0, 2**256 - 1
    while lo < hi:  # the smallest value v with #{words < v} >= k
        mid = (lo + hi) // 2
        pivot = mid.to_bytes(W, "big")
        if sum(bisect_left(r, pivot) for r in runs) >= k:
            hi = mid
        else:
            lo = mid + 1
    pivot = lo.to_bytes(W, "big")
    cuts = [bisect_left(r, pivot) for r in runs]
    return cuts if sum(cuts) == k else None


def _block_task(task: tuple[int, list[tuple[int, int]], list[tuple[int, int]]]) -> tuple[list[bytes], bool]:
    """Worker side of one aligned block of the sorted leaves: merge its ranges of the chunks'
    sorted runs (timsort merges sorted runs in linear time), put them in the shared map at the
    block's place and build the levels above them; check the keys of its value range for
    repeats. Returns (levels above the block, whether a leaf or a key repeats)."""
    assert _JOB is not None
    invoices, _, shared = _JOB
    assert shared is not None
    n = len(invoices)
    start, leaf_ranges, key_ranges = task
    leaves: list[bytes] = []
    for lo, hi in leaf_ranges:
        leaves += _words(_region(shared, n, _SORTED, lo, hi))
    leaves.sort()
    _put(shared, n, _LEVEL0, start, b"".join(leaves))
    key_count = sum(hi - lo for lo, hi in key_ranges)
    keys: set[bytes] = set()
    for lo, hi in key_ranges:
        keys.update(_words(_region(shared, n, _BUCKETED, lo, hi)))
    repeated = len(keys) != key_count or any(map(operator.eq, leaves, islice(leaves, 1, None)))
    return merkle.build_levels(leaves)[1:], repeated


def _block_size(n: int, workers: int) -> int:
    """Leaves per subtree block: the smallest power of two that gives at most one per worker."""
    block = 1
    while block * workers < n:
        block *= 2
    return block


def _parallel_levels(
    pool: Any, shared: mmap.mmap, parts: Sequence[_ChunkResult], n: int, workers: int
) -> list[bytes] | None:
    """The levels of the tree over the sorted leaves of ``parts``, or None if two leaves or two
    invoice keys are equal. The parent never merges the n leaves itself.

    Leaves are cut into blocks of 2^m in global sorted order (the last block may be shorter):
    the parent finds, by binary search, where each block starts in every chunk's sorted run,
    and each block is merged and hashed in the pool. Every level of every full block has an
    even size, so global level j (j <= m) is the concatenation of the blocks' levels j, the last
    block's root carried up unchanged; above m the few nodes are paired here. Keys are checked
    for repeats in the same tasks: each chunk grouped its keys by value range (equal keys
    share a range), and task b checks range b of every chunk.
    """
    block = _block_size(n, workers)
    count = -(-n // block)
    leaf_runs = [_Run(_region(shared, n, _SORTED, p.lo, p.hi)) for p in parts]
    leaf_cuts = [[0] * len(parts)]
    for b in range(1, count):
        cut = _rank_cuts(leaf_runs, b * block)
        if cut is None:
            return None  # equal leaves straddle a block boundary
        leaf_cuts.append(cut)
    leaf_cuts.append([len(r) for r in leaf_runs])
    key_starts = [[p.lo + sum(p.bucket_sizes[:b]) for b in range(count + 1)] for p in parts]
    tasks = [
        (
            b * block,
            [(p.lo + a, p.lo + z) for p, a, z in zip(parts, leaf_cuts[b], leaf_cuts[b + 1], strict=True)],
            [(ks[b], ks[b + 1]) for ks in key_starts],
        )
        for b in range(count)
    ]  # fmt: skip
    results = pool.map(_block_task, tasks)
    if any(repeated for _, repeated in results):
        return None
    sub = [levels for levels, _ in results]
    blobs = [_region(shared, n, _LEVEL0, b * block, min(n, (b + 1) * block)) for b in range(count)]
    levels = [_region(shared, n, _LEVEL0, 0, n)]
    height = max(len(s) for s in sub)
    for j in range(height):
        levels.append(b"".join(s[min(j, len(s) - 1)] if s else blob for s, blob in zip(sub, blobs, strict=True)))
    top = _words(levels[-1])
    if len(top) > 1:
        levels += merkle.build_levels(top)[1:]
    return levels


def build_package(
    invoices: Sequence[Invoice],
    salts: Sequence[bytes | None] | None = None,
    *,
    workers: int | None = None,
) -> Package:
    """Build the package of ``invoices`` (one seller, one buyer, one currency, distinct keys).

    ``salts[i]`` is the salt of ``invoices[i]``; missing ones (``None`` or no list) are drawn
    from :mod:`secrets`. The root depends only on the set of (invoice, salt) pairs, not on their
    order. ``workers`` > 1 hashes leaves and subtrees in that many forked processes (default:
    every CPU from :data:`PARALLEL_THRESHOLD` invoices on, else 1).
    """
    global _JOB
    n = len(invoices)
    if n == 0:
        raise PackageError("a package needs at least one invoice")
    if salts is None:
        salt_pool = secrets.token_bytes(W * n)
    else:
        if len(salts) != n:
            raise PackageError(f"{len(salts)} salts for {n} invoices")
        filled = [s if s is not None else secrets.token_bytes(W) for s in salts]
        if any(type(s) is not bytes or len(s) != W for s in filled):
            raise PackageError("every salt is exactly 32 bytes")
        salt_pool = b"".join(filled)
    if workers is None:
        workers = (os.cpu_count() or 1) if n >= PARALLEL_THRESHOLD else 1
    workers = max(1, min(workers, n))
    step = -(-n // workers)
    buckets = -(-n // _block_size(n, workers)) if workers > 1 else 1
    chunks = [(lo, min(lo + step, n), buckets) for lo in range(0, n, step)]

    if workers == 1:
        _JOB = (invoices, salt_pool, None)
        try:
            part = _hash_range(chunks[0])
        finally:
            _JOB = None
        ordered = _merge_sorted([part])
        _check_package(invoices, part.parties, part.keys)
        tree = merkle.MerkleTree(ordered)
        keys, details, leaves = part.keys, part.details, part.leaves
        total = part.total_cents
    else:
        shared = mmap.mmap(-1, _REGIONS * n * W)  # MAP_SHARED: the forked workers write here
        _JOB = (invoices, salt_pool, shared)
        try:
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_hash_range, chunks)
                parties = set().union(*(p.parties for p in parts))
                if len(parties) > 1:  # raises, naming the odd invoice
                    _check_package(invoices, parties, b"")
                levels = _parallel_levels(pool, shared, parts, n, workers)
            keys = _region(shared, n, _KEYS, 0, n)
            details = _region(shared, n, _DETAILS, 0, n)
            leaves = _region(shared, n, _LEAVES, 0, n)
        finally:
            _JOB = None
            shared.close()
        if levels is None:  # a repeated key or leaf: name it (serial, only on failure)
            _check_package(invoices, parties, keys)
            raise PackageError("two invoices have the same leaf")
        tree = merkle.MerkleTree.from_levels(levels)
        total = sum(p.total_cents for p in parts)
    first = invoices[0]
    return Package(
        root=tree.root,
        count=n,
        total_cents=total,
        currency=first.currency,
        seller_id=first.seller_id,
        buyer_id=first.buyer_id,
        tree=tree,
        invoices=invoices if isinstance(invoices, InvoiceRecords) else tuple(invoices),
        salts_blob=salt_pool,
        keys_blob=keys,
        details_blob=details,
        leaves_blob=leaves,
    )


def _merge_sorted(parts: Sequence[_ChunkResult]) -> list[bytes]:
    ordered: list[bytes] = []
    for p in parts:
        ordered += _words(p.sorted_leaves)
    ordered.sort()  # sorted runs, one per worker: timsort merges them in linear time
    if any(map(operator.eq, ordered, islice(ordered, 1, None))):
        raise PackageError("two invoices have the same leaf")  # only with a duplicate key
    return ordered


def _check_package(invoices: Sequence[Invoice], parties: set[tuple[str, str, str]], keys: bytes) -> None:
    """One seller, one buyer, one currency; no invoice key twice (``keys``: in input order)."""
    if len(parties) > 1:
        first = invoices[0]
        for attr in ("seller_id", "buyer_id", "currency"):
            want = getattr(first, attr)
            for i, v in enumerate(invoices):
                if getattr(v, attr) != want:
                    raise PackageError(
                        f"all invoices of a package share one {attr}: invoice {i + 1} has "
                        f"{getattr(v, attr)!r}, invoice 1 has {want!r}"
                    )
    if len({keys[i : i + W] for i in range(0, len(keys), W)}) != len(invoices):
        seen: dict[bytes, int] = {}
        for i, k in enumerate(_words(keys)):
            if k in seen:
                v = invoices[i]
                raise PackageError(
                    f"invoice {v.invoice_code}/{v.invoice_number} appears twice (invoices {seen[k] + 1} and {i + 1})"
                )
            seen[k] = i


def _hex(b: bytes) -> str:
    return "0x" + b.hex()


def package_to_json(package: Package) -> dict[str, Any]:
    """The package file document (docs/INVOICES.md "Package file")."""
    return {
        "format": PACKAGE_FORMAT,
        "version": PACKAGE_VERSION,
        "root": _hex(package.root),
        "count": package.count,
        "total_cents": package.total_cents,
        "currency": package.currency,
        "seller_id": package.seller_id,
        "buyer_id": package.buyer_id,
        "invoices": [
            {
                "salt": _hex(package.salt(i)),
                "key": _hex(package.key(i)),
                "details_hash": _hex(package.details_hash(i)),
                "leaf": _hex(package.leaf(i)),
                "invoice": invoice_to_json(package.invoices[i]),
            }
            for i in range(package.count)
        ],
    }


PACKAGE_MAGIC: Final = b"TCIPKG\x00\x02"  # the binary package file, format 2


def package_header(package: Package) -> dict[str, Any]:
    """The header of a package file (format 2): what the package states about itself."""
    return {
        "format": PACKAGE_FORMAT,
        "version": PACKAGE_FILE_VERSION,
        "root": _hex(package.root),
        "count": package.count,
        "total_cents": package.total_cents,
        "currency": package.currency,
        "seller_id": package.seller_id,
        "buyer_id": package.buyer_id,
    }


def save_package(
    package: Package, path: str | os.PathLike[str], *, overwrite: bool = False, fmt: str | None = None
) -> Path:
    """Write the package file once, atomically (a temp file in the same directory, fsync, then
    a link, or a rename with ``overwrite``); an existing file is an error unless ``overwrite``.

    ``fmt`` ``"binary"`` is format 2 (compact: docs/INVOICES.md "Package file"), ``"json"`` the
    readable format 1 (:func:`package_to_json`); by default a ``.json`` name gets JSON and any
    other name (``.tcpkg``) the binary form. :func:`load_package` reads both."""
    target = Path(path)
    fmt = fmt or ("json" if target.suffix.lower() == ".json" else "binary")
    if fmt == "json":
        doc = package_to_json(package)
        indent = 1 if package.count <= 10_000 else None  # large: the C encoder, no indentation
        chunks = [json.dumps(doc, ensure_ascii=False, indent=indent).encode() + b"\n"]
    elif fmt == "binary":
        header = json.dumps(package_header(package), ensure_ascii=False, separators=(",", ":")).encode()
        chunks = [PACKAGE_MAGIC + _U32.pack(len(header)) + header, package.body()]
    else:
        raise ValueError(f"unknown package file format {fmt!r}: binary or json")
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            for chunk in chunks:
                f.write(chunk)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)  # atomic and fails if the target exists
            except FileExistsError:
                raise PackageError(f"{target} exists; pass overwrite=True to replace it") from None
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def save_package_json(package: Package, path: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """:func:`save_package` in the readable JSON form (format 1), whatever the file name."""
    return save_package(package, path, overwrite=overwrite, fmt="json")


_HEX32_RE: Final = re.compile(r"0x[0-9a-f]{64}")


def _word(doc: Mapping[str, Any], name: str, where: str) -> bytes:
    value = doc.get(name)
    if not isinstance(value, str) or not _HEX32_RE.fullmatch(value):
        raise PackageError(f"{where}: {name} must be 0x and 64 lower-case hex digits")
    return bytes.fromhex(value[2:])


def load_package(path: str | os.PathLike[str]) -> Package:
    """Read a package file (format 2, binary, or the JSON format 1), re-validate every invoice
    and recompute keys, leaves and root; any mismatch with what the file states is a
    :class:`PackageError`."""
    source = str(path)
    raw = Path(path).read_bytes()
    if raw.startswith(PACKAGE_MAGIC[:6]):
        return _load_binary(raw, source)
    try:
        doc = _loads_strict(_decode(raw, source))
    except ValueError as exc:
        raise PackageError(f"{source}: malformed JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("format") != PACKAGE_FORMAT:
        raise PackageError(f"{source}: not a tierchain invoice package")
    if doc.get("version") != PACKAGE_VERSION:
        raise PackageError(f"{source}: unsupported package version {doc.get('version')!r}")
    expected_keys = {
        "format",
        "version",
        "root",
        "count",
        "total_cents",
        "currency",
        "seller_id",
        "buyer_id",
        "invoices",
    }
    if set(doc) != expected_keys:
        raise PackageError(f"{source}: keys must be exactly {sorted(expected_keys)}")
    entries = doc["invoices"]
    if not isinstance(entries, list) or not entries:
        raise PackageError(f"{source}: invoices must be a non-empty list")
    for i, e in enumerate(entries, 1):
        if not isinstance(e, dict) or set(e) != {"salt", "key", "details_hash", "leaf", "invoice"}:
            raise PackageError(f"{source}: invoice {i} must have salt, key, details_hash, leaf, invoice")
    invoices = _parse_json_records([e["invoice"] for e in entries], source)
    salts = [_word(e, "salt", f"{source}: invoice {i}") for i, e in enumerate(entries, 1)]
    package = build_package(invoices, salts)
    for i, e in enumerate(entries):
        where = f"{source}: invoice {i + 1}"
        for name, value in (
            ("key", package.key(i)),
            ("details_hash", package.details_hash(i)),
            ("leaf", package.leaf(i)),
        ):
            if _word(e, name, where) != value:
                raise PackageError(f"{where}: stated {name} does not match the invoice")
    _check_stated(package, doc, source)
    return package


def _check_stated(package: Package, stated: Mapping[str, Any], source: str) -> None:
    actual = {
        "root": _hex(package.root),
        "count": package.count,
        "total_cents": package.total_cents,
        "currency": package.currency,
        "seller_id": package.seller_id,
        "buyer_id": package.buyer_id,
    }
    for name, want in actual.items():
        if stated.get(name) != want or type(stated.get(name)) is not type(want):
            raise PackageError(f"{source}: stated {name} {stated.get(name)!r} does not match {want!r}")


def _load_binary(raw: bytes, source: str) -> Package:
    """A format-2 package file: magic, u32 header length, header JSON, the records."""
    if not raw.startswith(PACKAGE_MAGIC):
        raise PackageError(f"{source}: unsupported package file version (magic {raw[:8]!r})")
    try:
        (size,) = _U32.unpack_from(raw, len(PACKAGE_MAGIC))
        start = len(PACKAGE_MAGIC) + 4
        header = _loads_strict(raw[start : start + size].decode())
    except (struct.error, ValueError) as exc:
        raise PackageError(f"{source}: malformed package header: {exc}") from None
    keys = {"format", "version", "root", "count", "total_cents", "currency", "seller_id", "buyer_id"}
    if not isinstance(header, dict) or set(header) != keys or header["format"] != PACKAGE_FORMAT:
        raise PackageError(f"{source}: not a tierchain invoice package header")
    if header["version"] != PACKAGE_FILE_VERSION:
        raise PackageError(f"{source}: unsupported package version {header['version']!r}")
    count, seller, buyer = header["count"], header["seller_id"], header["buyer_id"]
    if type(count) is not int or count < 1 or not isinstance(seller, str) or not isinstance(buyer, str):
        raise PackageError(f"{source}: bad count, seller_id or buyer_id in the header")
    if not CREDIT_CODE_RE.fullmatch(seller) or not CREDIT_CODE_RE.fullmatch(buyer):
        raise PackageError(f"{source}: bad seller_id or buyer_id in the header")
    body = raw[start + size :]
    currency = header["currency"]
    if isinstance(currency, str) and CURRENCY_RE.fullmatch(currency):
        fast = package_from_records(body, count, seller, buyer, currency)
        if fast is not None:  # every record plain and within the rules: check what the header states
            _check_stated(fast, header, source)
            return fast
    prefix = canonical_prefix(seller, buyer)
    invoices: list[Invoice] = []
    salts: list[bytes] = []
    pos = 0
    for i in range(count):
        if pos + W + 4 > len(body):
            raise PackageError(f"{source}: truncated: {i} of {count} invoices")
        (n,) = _U32.unpack_from(body, pos + W)
        tail = body[pos + W + 4 : pos + W + 4 + n]
        if len(tail) != n:
            raise PackageError(f"{source}: truncated: invoice {i + 1} of {count}")
        try:
            invoices.append(decode_canonical(prefix + tail))
        except ValueError as exc:
            raise PackageError(f"{source}: invoice {i + 1}: {exc}") from None
        salts.append(body[pos : pos + W])
        pos += W + 4 + n
    if pos != len(body):
        raise PackageError(f"{source}: {len(body) - pos} bytes after the last invoice")
    package = build_package(invoices, salts)
    _check_stated(package, header, source)
    package._body.append(body)
    return package


# --------------------------------------------------------------------------------------------
# Bulk: buffers of hashes in, a package out (shared by bulk.package_invoice_file and the loader)
# --------------------------------------------------------------------------------------------

# order_ref in plain printable ASCII: no comma, quote or spreadsheet-formula first character, no
# surrounding space (a subset of the field rule, for the fast paths).
_REF_FIRST: Final = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '=+-@,"')
_REF_MID: Final = "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) not in ',"')
_REF_LAST: Final = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in ',"')
PLAIN_REF: Final = f"[{re.escape(_REF_FIRST)}](?:[{re.escape(_REF_MID)}]{{0,198}}[{re.escape(_REF_LAST)}])?"


def _levels_task(blob: bytes) -> list[bytes]:
    """Worker: the levels above one aligned block of sorted leaves."""
    return merkle.build_levels(_words(blob))[1:]


def _assemble(parts: list[tuple[Any, ...]], pool: Any, body: bytes | None = None) -> Package | None:
    if len({p[0] for p in parts}) != 1:
        return None  # a second seller, buyer or currency: the ordinary path names it
    n = sum(p[1] for p in parts)
    sorted_keys = _merge([p[7] for p in parts])
    if any(map(operator.eq, sorted_keys, islice(sorted_keys, 1, None))):
        return None  # a repeated invoice: the ordinary path names both rows
    del sorted_keys
    ordered = _merge([p[6] for p in parts])
    if any(map(operator.eq, ordered, islice(ordered, 1, None))):
        return None
    if pool is None or n < PARALLEL_THRESHOLD:
        tree = merkle.MerkleTree.from_levels(merkle.build_levels(ordered))
    else:
        block = _block_size(n, len(parts))
        level0 = b"".join(ordered)
        del ordered
        blobs = [level0[a * W : (a + block) * W] for a in range(0, n, block)]
        sub = pool.map(_levels_task, blobs)
        levels = [level0]
        for j in range(max(len(s) for s in sub)):
            levels.append(b"".join(s[min(j, len(s) - 1)] if s else b for s, b in zip(sub, blobs, strict=True)))
        top = _words(levels[-1])
        if len(top) > 1:
            levels += merkle.build_levels(top)[1:]
        tree = merkle.MerkleTree.from_levels(levels)
    seller, buyer, currency = (x.decode() for x in parts[0][0])
    if body is None:
        body = b"".join(p[9] for p in parts)
    return Package(
        root=tree.root,
        count=n,
        total_cents=sum(p[2] for p in parts),
        currency=currency,
        seller_id=seller,
        buyer_id=buyer,
        tree=tree,
        invoices=InvoiceRecords(body, canonical_prefix(seller, buyer), n),
        salts_blob=b"".join(p[8] for p in parts),
        keys_blob=b"".join(p[3] for p in parts),
        details_blob=b"".join(p[4] for p in parts),
        leaves_blob=b"".join(p[5] for p in parts),
    )


def _merge(runs: list[bytes]) -> list[bytes]:
    merged: list[bytes] = []
    for run in runs:
        merged += _words(run)
    merged.sort()  # sorted runs: timsort merges them in linear time
    return merged


_HEAD: Final = struct.Struct(">10s3sQH")  # date, currency, cents, code length
_DATE: Final = re.compile(rb"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ID: Final = re.compile(rb"[0-9A-Z]{1,32}")
_REF: Final = re.compile(PLAIN_REF.encode())
_MAX_CENTS: Final = 10**17

# The current load, inherited by forked workers: (records, offsets, prefix, currency).
_LOAD: tuple[bytes, list[int], bytes, bytes] | None = None


def package_from_records(body: bytes, count: int, seller_id: str, buyer_id: str, currency: str) -> Package | None:
    """The package whose format-2 records are ``body`` (``count`` of them), every plain record
    checked against the field rules; None when a record is not plain ASCII without lines, or
    breaks a rule (the caller then takes the ordinary path, which names the problem)."""
    global _LOAD
    offsets: list[int] = []
    add, unpack, pos, size = offsets.append, _U32.unpack_from, 0, len(body)
    try:
        for _ in range(count):
            add(pos)
            pos += W + 4 + unpack(body, pos + W)[0]
    except struct.error:
        return None
    if pos != size:
        return None
    workers = (os.cpu_count() or 1) if count >= PARALLEL_THRESHOLD else 1
    step = -(-count // workers)
    chunks = [(lo, min(lo + step, count)) for lo in range(0, count, step)]
    _LOAD = (body, offsets, canonical_prefix(seller_id, buyer_id), currency.encode())
    try:
        if len(chunks) == 1:
            part = _record_chunk(chunks[0])
            return None if part is None else _assemble_records([part], None, body, seller_id, buyer_id, currency)
        with multiprocessing.get_context("fork").Pool(len(chunks)) as pool:
            parts = pool.map(_record_chunk, chunks)
            if any(p is None for p in parts):
                return None
            return _assemble_records(parts, pool, body, seller_id, buyer_id, currency)  # type: ignore[arg-type]
    finally:
        _LOAD = None


def _record_chunk(bounds: tuple[int, int]) -> tuple[Any, ...] | None:
    """Worker: check and hash records ``bounds`` of the current load (None if irregular)."""
    assert _LOAD is not None
    body, offsets, prefix, currency = _LOAD
    new = merkle._keccak_256
    tag = KEY_TAG
    keys: list[bytes] = []
    dhs: list[bytes] = []
    leaves: list[bytes] = []
    dates: set[bytes] = set()
    total = 0
    head, u16 = _HEAD.unpack_from, _U16.unpack_from
    id_ok, ref_ok = _ID.fullmatch, _REF.fullmatch
    for i in range(*bounds):
        o = offsets[i]
        salt = body[o : o + W]
        n = _U32.unpack_from(body, o + W)[0]
        tail = body[o + W + 4 : o + W + 4 + n]
        try:
            issued, cur, cents, lc = head(tail, 0)
            p = _HEAD.size
            code = tail[p : p + lc]
            (ln,) = u16(tail, p + lc)
            p += lc + 2
            number = tail[p : p + ln]
            (lr,) = u16(tail, p + ln)
            p += ln + 2
            ref = tail[p : p + lr]
            (lines,) = u16(tail, p + lr)
        except struct.error:
            return None
        if p + lr + 2 != n or lines or cur != currency or not 0 < cents < _MAX_CENTS:
            return None
        if not (id_ok(code) and id_ok(number) and ref_ok(ref)):
            return None
        if issued not in dates:
            if not _DATE.fullmatch(issued):
                return None
            try:
                date.fromisoformat(issued.decode())
            except ValueError:
                return None
            dates.add(issued)
        total += cents
        key = new(tag + code + b"\x00" + number).digest()
        dh = new(salt + prefix + tail).digest()
        keys.append(key)
        dhs.append(dh)
        leaves.append(new(new(key + dh).digest()).digest())
    in_order = b"".join(leaves)
    leaves.sort()
    key_blob = b"".join(keys)
    keys.sort()
    salts = b"".join(body[offsets[i] : offsets[i] + W] for i in range(*bounds))
    return (None, len(keys), total, key_blob, b"".join(dhs), in_order, b"".join(leaves), b"".join(keys), salts, b"")


def _assemble_records(
    parts: list[tuple[Any, ...]], pool: Any, body: bytes, seller_id: str, buyer_id: str, currency: str
) -> Package | None:
    parties = (seller_id.encode(), buyer_id.encode(), currency.encode())
    return _assemble([(parties, *p[1:9], b"") for p in parts], pool, body=body)


# --------------------------------------------------------------------------------------------
# Proofs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class InvoiceProof:
    """What proves one invoice is in a package (OpenZeppelin ``MerkleProof.verify`` inputs)."""

    key: bytes
    details_hash: bytes
    leaf: bytes
    proof: tuple[bytes, ...]
    root: bytes


def prove(package: Package, invoice_code: str, invoice_number: str) -> InvoiceProof:
    """The proof of the invoice ``invoice_code``/``invoice_number`` (normalised like the key)."""
    code, number = invoice_code.strip().upper(), invoice_number.strip().upper()
    key = merkle.keccak(KEY_TAG + code.encode() + b"\x00" + number.encode())
    i = package.position(key)
    leaf = package.leaf(i)
    return InvoiceProof(
        key=key,
        details_hash=package.details_hash(i),
        leaf=leaf,
        proof=tuple(package.tree.proof(leaf)),
        root=package.root,
    )


def verify_invoice_proof(
    proof: InvoiceProof,
    *,
    root: bytes | None = None,
    invoice: Invoice | None = None,
    salt: bytes | None = None,
) -> bool:
    """True iff the proof holds: ``leaf == leaf_hash(key, details_hash)`` and the Merkle proof
    leads to the root. With ``root`` it must be that root; with ``invoice`` and ``salt`` (a
    disclosed invoice), key and details hash are recomputed from them too."""
    if root is not None and root != proof.root:
        return False
    if invoice is not None:
        if salt is None or len(salt) != SALT_LEN:
            return False
        if invoice_key(invoice) != proof.key or details_hash(invoice, salt) != proof.details_hash:
            return False
    if len(proof.key) != 32 or len(proof.details_hash) != 32:
        return False
    if merkle.leaf_hash(proof.key, proof.details_hash) != proof.leaf:
        return False
    return merkle.verify(proof.proof, proof.root, proof.leaf)


# --------------------------------------------------------------------------------------------
# Double financing: collisions with known packages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Collision:
    """An invoice key the new package shares with a known package."""

    key: bytes
    invoice_code: str
    invoice_number: str
    other_root: bytes


def find_collisions(package: Package, known_packages: Iterable[Package]) -> list[Collision]:
    """Invoices of ``package`` already present in any of ``known_packages`` (by invoice key,
    so a different seller name does not hide them). A package is not compared with itself."""
    mine = {k: i for i, k in enumerate(package.keys())}
    found: list[Collision] = []
    for other in known_packages:
        if other.root == package.root:
            continue
        for k in mine.keys() & set(other.keys()):
            v = package.invoices[mine[k]]
            found.append(Collision(k, v.invoice_code, v.invoice_number, other.root))
    found.sort(key=lambda c: (c.invoice_code, c.invoice_number, c.other_root))
    return found
