"""Invoice files, canonical encoding, packages, proofs and collisions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierchain.core import merkle
from tierchain.core.errors import TierchainError
from tierchain.invoices.packages import (
    CSV_COLUMNS,
    Invoice,
    InvoiceFileError,
    PackageError,
    build_package,
    canonical_bytes,
    details_hash,
    find_collisions,
    invoice_key,
    invoice_leaf,
    load_invoices,
    load_package,
    parse_amount_cents,
    parse_invoices_csv,
    parse_invoices_json,
    prove,
    save_package,
    save_package_json,
    verify_invoice_proof,
)

SELLER = "91310000MA1FL0000X"
BUYER = "91440300MA5D00000Y"
OTHER_SELLER = "91110000600037341L"
HEADER = ",".join(CSV_COLUMNS)


def inv(i: int, seller: str = SELLER, amount_cents: int = 10_000) -> Invoice:
    return Invoice(seller, BUYER, "3100231130", f"{i:08d}", date(2026, 11, 1), amount_cents, "CNY", f"PO-{i}")


def salt(i: int) -> bytes:
    return i.to_bytes(32, "big")


def csv_row(**over: str) -> str:
    row = {
        "seller_id": SELLER,
        "buyer_id": BUYER,
        "invoice_code": "3100231130",
        "invoice_number": "00000001",
        "issue_date": "2026-11-01",
        "amount": "1234.50",
        "currency": "CNY",
        "order_ref": "PO-1",
    }
    row.update(over)
    return ",".join(row[c] for c in CSV_COLUMNS)


def csv_bytes(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode()


# ---------------------------------------------------------------- parsing: the good path


def test_csv_parses_to_cents_and_normalises_ids() -> None:
    [v] = parse_invoices_csv(csv_bytes(csv_row(invoice_code=" 3100231130 ", invoice_number="ab12")))
    assert v.amount_cents == 123450
    assert v.invoice_number == "AB12"
    assert v.issue_date == date(2026, 11, 1)


def test_csv_with_utf8_bom_is_accepted() -> None:
    [v] = parse_invoices_csv(b"\xef\xbb\xbf" + csv_bytes(csv_row()))
    assert v.seller_id == SELLER


def test_json_with_lines() -> None:
    doc = [
        {
            **dict(zip(CSV_COLUMNS, csv_row().split(","), strict=True)),
            "amount": "30.00",
            "lines": [
                {
                    "description": "螺栓 M8",
                    "quantity": "2",
                    "unit_price": "10.5",
                    "amount": "21.00",
                },
                {"description": "nuts", "quantity": "3", "unit_price": "3", "amount": "9.00"},
            ],
        }
    ]
    [v] = parse_invoices_json(json.dumps(doc, ensure_ascii=False).encode())
    assert [line.amount_cents for line in v.lines] == [2100, 900]


def test_load_invoices_by_suffix(tmp_path: Path) -> None:
    p = tmp_path / "a.csv"
    p.write_bytes(csv_bytes(csv_row()))
    assert len(load_invoices(p)) == 1
    bad = tmp_path / "a.txt"
    bad.write_bytes(b"x")
    with pytest.raises(InvoiceFileError):
        load_invoices(bad)


# ---------------------------------------------------------------- parsing: hostile input


@pytest.mark.parametrize(
    "amount",
    ["1e3", "NaN", "nan", "Infinity", "١٢٣", "-5.00", "+5", " 5.00", "5.00 ", "5,00", "1,000.00",
     "=1+1", "0", "0.00", "", "5.", ".5", "0x10", "5.001", "12345678901234567.00", "５"],
)  # fmt: skip
def test_bad_amounts_are_rejected(amount: str) -> None:
    with pytest.raises(ValueError):
        parse_amount_cents(amount)


def test_huge_decimal_is_rejected_with_a_clear_message() -> None:
    with pytest.raises(ValueError, match="too large"):
        parse_amount_cents("9" * 400)
    with pytest.raises(ValueError, match="more than 2 decimals"):
        parse_amount_cents("1." + "0" * 400)


def test_float_amount_in_json_is_rejected() -> None:
    with pytest.raises(ValueError, match="string"):
        parse_amount_cents(12.5)


def errors_of(data: bytes, parser: object = parse_invoices_csv) -> list[str]:
    with pytest.raises(InvoiceFileError) as exc:
        parser(data)  # type: ignore[operator]
    assert isinstance(exc.value, TierchainError)
    return [str(e) for e in exc.value.errors]


@pytest.mark.parametrize(
    ("over", "needle"),
    [
        ({"amount": "1.234"}, "more than 2 decimals"),
        ({"amount": "0.00"}, "greater than zero"),
        ({"amount": "-1.00"}, "plain decimal"),
        ({"amount": "1e3"}, "plain decimal"),
        ({"amount": "NaN"}, "plain decimal"),
        ({"amount": "١٢٣"}, "plain decimal"),
        ({"amount": " 12"}, "plain decimal"),
        ({"amount": "=1+1"}, "plain decimal"),
        ({"issue_date": "2026-02-30"}, "not a real date"),
        ({"issue_date": "20261101"}, "YYYY-MM-DD"),
        ({"seller_id": "91310000MA1FL0000I"}, "credit code"),
        ({"buyer_id": "short"}, "credit code"),
        ({"currency": "cny"}, "ISO 4217"),
        ({"invoice_code": "12-34"}, "0-9 A-Z"),
        ({"order_ref": '=HYPERLINK("x")'}, "formula"),
        ({"order_ref": ""}, "1-200"),
    ],
)
def test_bad_csv_row_reports_its_row_number(over: dict[str, str], needle: str) -> None:
    errs = errors_of(csv_bytes(csv_row(invoice_number="1"), csv_row(invoice_number="2", **over)))
    assert len(errs) == 1
    assert errs[0].startswith("row 3:")
    assert needle in errs[0]


def test_every_bad_row_is_reported_at_once() -> None:
    errs = errors_of(
        csv_bytes(
            csv_row(invoice_number="1", amount="1.999"),
            csv_row(invoice_number="2"),
            csv_row(invoice_number="3", issue_date="2026-13-01"),
            csv_row(invoice_number="2"),
            csv_row(invoice_number="4", currency="USD"),
            csv_row(invoice_number="5") + ",extra",
        )
    )
    assert [e.split(":")[0] for e in errs] == ["row 2", "row 4", "row 5", "row 6", "row 7"]
    assert "duplicate invoice 3100231130/2 (first on row 3)" in errs[2]
    assert "differs from CNY" in errs[3]
    assert "fields" in errs[4]


def test_missing_and_extra_columns() -> None:
    header = HEADER.replace(",order_ref", "") + ",colour"
    errs = errors_of((header + "\n").encode())
    assert "missing columns ['order_ref']" in errs[0]
    assert "unknown columns ['colour']" in errs[0]


def test_non_utf8_bytes_are_one_clear_error() -> None:
    data = csv_bytes(csv_row(order_ref="PO-1")).replace(b"PO-1", b"PO-\xff")
    [err] = errors_of(data)
    assert err.startswith("row 2:") and "not UTF-8" in err


def test_empty_file_and_header_only() -> None:
    assert "no header" in errors_of(b"")[0]
    assert "no invoices" in errors_of((HEADER + "\n").encode())[0]


def test_json_rejects_nan_numbers_repeated_keys_and_extra_keys() -> None:
    base = dict(zip(CSV_COLUMNS, csv_row().split(","), strict=True))
    assert "malformed JSON" in errors_of(b'[{"amount": NaN}]', parse_invoices_json)[0]
    assert "repeated key" in errors_of(b'[{"amount": "1", "amount": "2"}]', parse_invoices_json)[0]
    number = json.dumps([{**base, "amount": 12.5}]).encode()
    assert "must be a string" in errors_of(number, parse_invoices_json)[0]
    extra = json.dumps([{**base, "colour": "red"}]).encode()
    assert "unknown keys ['colour']" in errors_of(extra, parse_invoices_json)[0]
    line = {"description": "x", "quantity": "1", "unit_price": "1", "amount": "1.00"}
    lines = json.dumps([{**base, "lines": [line]}]).encode()
    assert "not the invoice amount" in errors_of(lines, parse_invoices_json)[0]


def test_invoice_record_validates_itself() -> None:
    with pytest.raises(ValueError):
        Invoice(SELLER, BUYER, "31", "1", date(2026, 1, 1), 0, "CNY", "PO")
    with pytest.raises(ValueError):
        Invoice("x", BUYER, "31", "1", date(2026, 1, 1), 1, "CNY", "PO")


# ---------------------------------------------------------------- encoding, key, leaf


def test_canonical_bytes_layout() -> None:
    v = inv(7, amount_cents=123450)
    expected = (
        b"\x01" + SELLER.encode() + BUYER.encode() + b"2026-11-01" + b"CNY"
        + (123450).to_bytes(8, "big")
        + b"\x00\x0a3100231130" + b"\x00\x0800000007" + b"\x00\x04PO-7" + b"\x00\x00"
    )  # fmt: skip
    assert canonical_bytes(v) == expected


def test_key_ignores_the_seller() -> None:
    assert invoice_key(inv(1)) == invoice_key(inv(1, seller=OTHER_SELLER))
    assert invoice_key(inv(1)) == merkle.keccak(b"tierchain:invoice-key:v1\x00" + b"3100231130\x00" + b"00000001")


def test_leaf_is_double_hash_of_key_and_salted_details() -> None:
    v = inv(1)
    dh = merkle.keccak(salt(1) + canonical_bytes(v))
    assert details_hash(v, salt(1)) == dh
    assert invoice_leaf(v, salt(1)) == merkle.keccak(merkle.keccak(invoice_key(v) + dh))


# ---------------------------------------------------------------- packages


@pytest.mark.parametrize("workers", [1, 2])
def test_fast_build_path_matches_the_reference_functions(workers: int) -> None:
    lined = parse_invoices_json(
        json.dumps(
            [{**dict(zip(CSV_COLUMNS, csv_row(invoice_number="999").split(","), strict=True)),
              "amount": "3.00", "lines": [{"description": "d", "quantity": "1.5",
                                          "unit_price": "2", "amount": "3.00"}]}]
        ).encode()
    )  # fmt: skip
    invoices = [*[inv(i) for i in range(37)], *lined]
    salts = [salt(i) for i in range(len(invoices))]
    pkg = build_package(invoices, salts, workers=workers)
    for i, v in enumerate(invoices):
        assert pkg.key(i) == invoice_key(v)
        assert pkg.details_hash(i) == details_hash(v, salts[i])
        assert pkg.leaf(i) == invoice_leaf(v, salts[i])
    assert pkg.root == merkle.MerkleTree([invoice_leaf(v, s) for v, s in zip(invoices, salts, strict=True)]).root
    assert pkg.total_cents == 37 * 10_000 + 300


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 1000, 1001])
def test_first_middle_last_invoice_proofs(n: int) -> None:
    invoices = [inv(i) for i in range(n)]
    pkg = build_package(invoices)
    for i in {0, n // 2, n - 1}:
        v = invoices[i]
        proof = prove(pkg, v.invoice_code, v.invoice_number)
        assert verify_invoice_proof(proof, root=pkg.root, invoice=v, salt=pkg.salt(i))


def test_parallel_build_equals_serial_build() -> None:
    invoices = [inv(i) for i in range(1001)]
    salts = [salt(i) for i in range(1001)]
    assert build_package(invoices, salts, workers=2).root == build_package(invoices, salts).root


def test_one_invoice_package() -> None:
    pkg = build_package([inv(1)], [salt(1)])
    assert pkg.root == invoice_leaf(inv(1), salt(1))
    assert prove(pkg, "3100231130", "00000001").proof == ()


def test_order_independence() -> None:
    invoices = [inv(i) for i in range(9)]
    salts = [salt(i) for i in range(9)]
    a = build_package(invoices, salts)
    b = build_package(invoices[::-1], salts[::-1])
    assert a.root == b.root


def test_salts_are_generated_when_absent_and_differ() -> None:
    a, b = build_package([inv(1)]), build_package([inv(1)])
    assert a.root != b.root
    c = build_package([inv(1), inv(2)], [salt(1), None])
    assert c.salt(0) == salt(1) and len(c.salt(1)) == 32


def test_package_must_have_one_seller_and_distinct_invoices() -> None:
    with pytest.raises(PackageError, match="seller_id"):
        build_package([inv(1), inv(2, seller=OTHER_SELLER)])
    with pytest.raises(PackageError, match="twice"):
        build_package([inv(1), inv(1)])
    with pytest.raises(PackageError):
        build_package([])


def test_tampered_proofs_fail() -> None:
    invoices = [inv(i) for i in range(5)]
    pkg = build_package(invoices)
    p = prove(pkg, "3100231130", "00000002")
    assert verify_invoice_proof(p)
    other = inv(3)
    assert not verify_invoice_proof(p, invoice=other, salt=pkg.salt(2))
    assert not verify_invoice_proof(p, invoice=invoices[2], salt=salt(99))
    assert not verify_invoice_proof(p, root=b"\x00" * 32)
    wrong = type(p)(p.key, b"\x00" * 32, p.leaf, p.proof, p.root)
    assert not verify_invoice_proof(wrong)
    with pytest.raises(PackageError):
        prove(pkg, "3100231130", "99999999")


def test_inner_node_is_not_an_invoice() -> None:
    pkg = build_package([inv(i) for i in range(4)])
    a, b = pkg.tree.leaf_at(0), pkg.tree.leaf_at(1)
    forged = type(prove(pkg, "3100231130", "00000000"))(
        key=a, details_hash=b, leaf=merkle.hash_pair(a, b),
        proof=tuple(pkg.tree.proof_at(0)[1:]), root=pkg.root,
    )  # fmt: skip
    assert merkle.verify(forged.proof, forged.root, forged.leaf)
    assert not verify_invoice_proof(forged)


# ---------------------------------------------------------------- package files


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    pkg = build_package([inv(i) for i in range(6)])
    path = save_package(pkg, tmp_path / "p.json")
    back = load_package(path)
    assert back.root == pkg.root and back.total_cents == pkg.total_cents
    assert back.salts_blob == pkg.salts_blob
    assert list(tmp_path.iterdir()) == [path]  # no temp files left behind


def test_save_refuses_to_overwrite(tmp_path: Path) -> None:
    pkg = build_package([inv(1)])
    path = save_package(pkg, tmp_path / "p.json")
    before = path.read_bytes()
    with pytest.raises(PackageError, match="exists"):
        save_package(build_package([inv(2)]), path)
    assert path.read_bytes() == before
    save_package(build_package([inv(2)]), path, overwrite=True)
    assert path.read_bytes() != before


@pytest.mark.parametrize(
    "tamper",
    [
        lambda d: d["invoices"][1]["invoice"].__setitem__("amount", "999.00"),
        lambda d: d["invoices"][1].__setitem__("salt", "0x" + "00" * 32),
        lambda d: d.__setitem__("root", "0x" + "11" * 32),
        lambda d: d.__setitem__("total_cents", 1),
        lambda d: d["invoices"][0].__setitem__("leaf", "0x" + "22" * 32),
        lambda d: d["invoices"].pop(),
    ],
)
def test_load_package_detects_tampering_json(tmp_path: Path, tamper: object) -> None:
    path = save_package_json(build_package([inv(i) for i in range(3)]), tmp_path / "p.json")
    doc = json.loads(path.read_text())
    tamper(doc)  # type: ignore[operator]
    path.write_text(json.dumps(doc))
    with pytest.raises(TierchainError):
        load_package(path)


def test_json_format_1_still_read(tmp_path: Path) -> None:
    pkg = build_package([inv(i) for i in range(4)])
    back = load_package(save_package_json(pkg, tmp_path / "old.json"))
    assert back.root == pkg.root and back.salts_blob == pkg.salts_blob and list(back.invoices) == list(pkg.invoices)


def _tamper_binary(data: bytes, how: str) -> bytes:
    header_end = 12 + int.from_bytes(data[8:12], "big")
    if how == "amount":  # invoice 2's amount (u64 after date and currency in its record)
        first = header_end + 32 + 4 + int.from_bytes(data[header_end + 32 : header_end + 36], "big")
        at = first + 32 + 4 + 13 + 7
        return data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]
    if how == "salt":
        return data[:header_end] + bytes(32) + data[header_end + 32 :]
    if how == "root":
        return data.replace(data[data.index(b'"root":"0x') + 10 : data.index(b'"root":"0x') + 12], b"ff", 1)
    if how == "count":
        return data.replace(b'"count":3', b'"count":2', 1)
    if how == "truncated":
        return data[:-5]
    if how == "trailing":
        return data + b"\x00"
    if how == "magic":
        return b"TCIPKG\x00\x09" + data[8:]
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["amount", "salt", "root", "count", "truncated", "trailing", "magic"])
def test_load_package_detects_tampering(tmp_path: Path, how: str) -> None:
    path = save_package(build_package([inv(i) for i in range(3)]), tmp_path / "p.tcpkg")
    load_package(path)
    path.write_bytes(_tamper_binary(path.read_bytes(), how))
    with pytest.raises(PackageError):
        load_package(path)


# ---------------------------------------------------------------- collisions


def test_collisions_found_even_under_another_seller(tmp_path: Path) -> None:
    known = build_package([inv(i) for i in range(5)])
    fresh = build_package([inv(i, seller=OTHER_SELLER) for i in (3, 4, 5)])
    found = find_collisions(fresh, [known])
    assert [c.invoice_number for c in found] == ["00000003", "00000004"]
    assert all(c.other_root == known.root for c in found)
    assert find_collisions(build_package([inv(9)]), [known]) == []


@settings(deadline=None, max_examples=30)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=40, unique=True), st.randoms())
def test_property_package_proofs_and_order(numbers: list[int], rnd: object) -> None:
    invoices = [inv(i) for i in numbers]
    salts = [salt(i) for i in numbers]
    pkg = build_package(invoices, salts)
    pairs = list(zip(invoices, salts, strict=True))
    rnd.shuffle(pairs)  # type: ignore[attr-defined]
    assert build_package([p[0] for p in pairs], [p[1] for p in pairs]).root == pkg.root
    for i, v in enumerate(invoices):
        proof = prove(pkg, v.invoice_code, v.invoice_number)
        assert verify_invoice_proof(proof, root=pkg.root, invoice=v, salt=salts[i])
