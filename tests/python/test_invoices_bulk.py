"""The streaming file → package path (tierchain.invoices.bulk) gives exactly the package of the
ordinary path, and the ordinary path's errors for anything irregular."""

from __future__ import annotations

from pathlib import Path

import pytest

from tierchain.invoices import bulk
from tierchain.invoices.packages import (
    CSV_COLUMNS,
    InvoiceFileError,
    InvoiceRecords,
    Package,
    PackageError,
    build_package,
    load_invoices,
    load_package,
    save_package,
)

SELLER = "91310000MA1FL0000X"
BUYER = "91440300MA5D00000Y"
HEADER = ",".join(CSV_COLUMNS)


def row(i: int, *, code: str = "3100231130", ref: str | None = None, amount: str | None = None) -> str:
    amount = amount or f"{100 + i}.{i % 100:02d}"
    return f"{SELLER},{BUYER},{code},{i:08d},2026-{1 + i % 12:02d}-{1 + i % 28:02d},{amount},CNY,{ref or f'PO-{i}'}"


def write(path: Path, rows: list[str], *, header: str = HEADER, newline: str = "\n", bom: bool = False) -> Path:
    text = newline.join([header, *rows]) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode())
    return path


def same_as_reference(pkg: Package, path: Path) -> None:
    reference = build_package(load_invoices(path), [pkg.salt(i) for i in range(pkg.count)])
    assert pkg.root == reference.root
    assert pkg.keys_blob == reference.keys_blob
    assert pkg.details_blob == reference.details_blob
    assert pkg.leaves_blob == reference.leaves_blob
    assert (pkg.count, pkg.total_cents, pkg.currency) == (reference.count, reference.total_cents, reference.currency)
    assert list(pkg.invoices) == list(reference.invoices)
    assert pkg.body() == reference.body()


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_fast_path_equals_the_ordinary_build(tmp_path: Path, workers: int) -> None:
    rows = [row(i) for i in range(300)]
    rows[7] = row(7, ref="订单-7")  # not ASCII: parsed by the row parser, one line
    rows[8] = row(8, code="abc")  # lower case: normalised by the row parser
    rows[9] = row(9, ref="PO,9".replace(",", ";"))
    path = write(tmp_path / "i.csv", rows)
    pkg = bulk.package_invoice_file(path, workers=workers)
    assert isinstance(pkg.invoices, InvoiceRecords)  # the fast path was taken
    same_as_reference(pkg, path)
    assert pkg.invoices[7].order_ref == "订单-7" and pkg.invoices[8].invoice_code == "ABC"
    back = load_package(save_package(pkg, tmp_path / "p.tcpkg"))
    assert back.root == pkg.root and back.salts_blob == pkg.salts_blob


def test_columns_in_any_order_crlf_and_bom(tmp_path: Path) -> None:
    names = list(CSV_COLUMNS)
    order = names[::-1]
    rows = []
    for i in range(20):
        values = dict(zip(names, row(i).split(","), strict=True))
        rows.append(",".join(values[n] for n in order))
    path = write(tmp_path / "i.csv", rows, header=",".join(order), newline="\r\n", bom=True)
    pkg = bulk.package_invoice_file(path, workers=2)
    assert isinstance(pkg.invoices, InvoiceRecords)
    same_as_reference(pkg, path)


def test_root_and_proof_of_the_fast_path_match_a_parallel_build(tmp_path: Path) -> None:
    path = write(tmp_path / "i.csv", [row(i) for i in range(1000)])
    pkg = bulk.package_invoice_file(path, workers=2)
    parallel = build_package(load_invoices(path), [pkg.salt(i) for i in range(pkg.count)], workers=2)
    assert parallel.root == pkg.root
    assert pkg.tree.proof(pkg.leaf(500)) == parallel.tree.proof(parallel.leaf(500))


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([row(1), row(1)], "duplicate invoice 3100231130/00000001 (first on row 2)"),
        ([row(1), row(2, amount="1e3")], "row 3: amount '1e3' is not a plain decimal"),
        ([row(1), row(2, amount="0.00")], "row 3: amount must be greater than zero"),
        ([row(1), row(2).replace("CNY", "USD")], "row 3: currency USD differs from CNY on row 2"),
        ([row(1), "", row(2)], "row 3: empty row"),
        ([row(1), row(2).replace("2026-03-03", "2026-02-30")], "row 3: issue_date '2026-02-30' is not a real date"),
        ([row(1), row(2, ref="=SUM(A1)")], "looks like a spreadsheet formula"),
    ],
)
def test_irregular_files_get_the_ordinary_errors(tmp_path: Path, rows: list[str], expected: str) -> None:
    path = write(tmp_path / "i.csv", rows)
    with pytest.raises(InvoiceFileError) as fast:
        bulk.package_invoice_file(path, workers=2)
    with pytest.raises(InvoiceFileError) as ordinary:
        load_invoices(path)
    assert str(fast.value) == str(ordinary.value)
    assert expected in str(fast.value)


def test_second_seller_gets_the_ordinary_error(tmp_path: Path) -> None:
    path = write(tmp_path / "i.csv", [row(1), row(2).replace(SELLER, "91110000600037341L")])
    with pytest.raises(PackageError, match="all invoices of a package share one seller_id: invoice 2"):
        bulk.package_invoice_file(path)


def test_quoted_csv_and_json_take_the_ordinary_path(tmp_path: Path) -> None:
    path = write(tmp_path / "i.csv", [row(1), row(2, ref='"PO, with comma"')])
    pkg = bulk.package_invoice_file(path)
    assert not isinstance(pkg.invoices, InvoiceRecords)
    assert pkg.invoices[1].order_ref == "PO, with comma"
    same_as_reference(pkg, path)


def test_binary_file_loads_through_the_plain_record_path(tmp_path: Path) -> None:
    path = write(tmp_path / "i.csv", [row(i) for i in range(200)])
    pkg = bulk.package_invoice_file(path, workers=2)
    back = load_package(save_package(pkg, tmp_path / "p.tcpkg"))
    assert isinstance(back.invoices, InvoiceRecords)  # the plain-record loader was taken
    assert (back.root, back.keys_blob, back.details_blob, back.leaves_blob, back.salts_blob) == (
        pkg.root, pkg.keys_blob, pkg.details_blob, pkg.leaves_blob, pkg.salts_blob,
    )  # fmt: skip
    assert list(back.invoices) == list(pkg.invoices) and back.total_cents == pkg.total_cents


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (b"PO-7\x00\x00", b"=O-7\x00\x00", "looks like a spreadsheet formula"),  # a record breaking a rule
        (b"2026-08-08", b"2026-02-30", "day is out of range for month"),  # not a real date
        (b"00000007", b"0000000a", "must be 1-32 characters"),  # lower case: not canonical
    ],
)
def test_binary_file_with_a_bad_record_names_it(tmp_path: Path, old: bytes, new: bytes, expected: str) -> None:
    path = write(tmp_path / "i.csv", [row(i) for i in range(20)])
    target = save_package(bulk.package_invoice_file(path), tmp_path / "p.tcpkg")
    data = target.read_bytes()
    assert data.count(old) == 1
    target.write_bytes(data.replace(old, new))
    with pytest.raises(PackageError) as caught:
        load_package(target)
    assert "invoice 8" in str(caught.value) and expected in str(caught.value)
