"""invoices package|register|prove."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from tests.python.cli.conftest import CORE, SUPPLIER, SUPPLIER2, Run, out_json
from tierchain.invoices import packages as invoices
from tierchain.invoices.known import KnownPackages
from tierchain.workflows.demo import credit_code, synthetic_invoices

FIELDS = ["seller_id", "buyer_id", "invoice_code", "invoice_number", "issue_date", "amount", "currency", "order_ref"]


def write_csv(path: Path, count: int = 4, start: int = 1) -> Path:
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(FIELDS)
        for i in range(start, start + count):
            w.writerow(
                [
                    credit_code(3),
                    credit_code(2),
                    "3100262130",
                    f"{i:08d}",
                    "2026-10-01",
                    f"{1000 + i}.50",
                    "CNY",
                    f"PO-{i}",
                ]
            )
    return path


def test_package_from_csv(run: Run, tmp_path: Path, home: Path) -> None:
    src = write_csv(tmp_path / "inv.csv")
    doc = out_json(run("invoices", "package", src, "-o", tmp_path / "pkg.tcpkg", "--json", rpc=False))
    assert doc["count"] == 4 and doc["total"] == "4012.00" and doc["currency"] == "CNY"
    assert doc["replaced"] == []
    pkg = invoices.load_package(tmp_path / "pkg.tcpkg")
    assert "0x" + pkg.root.hex() == doc["root"]
    with KnownPackages(home / "packages") as store:  # recorded, not copied: the file is written once
        known = store.package(pkg.root)
        assert known is not None and known.status == "built"
        assert known.file == str((tmp_path / "pkg.tcpkg").resolve())
    assert sorted(p.name for p in (home / "packages").iterdir() if not p.name.startswith("known.sqlite")) == []


def test_package_replaces_an_unregistered_package(run: Run, tmp_path: Path, home: Path) -> None:
    first = out_json(run("invoices", "package", write_csv(tmp_path / "a.csv"), "-o", tmp_path / "a.tcpkg",
                         "--json", rpc=False))  # fmt: skip
    corrected = write_csv(tmp_path / "b.csv", count=3, start=4)  # shares invoice 4, never registered
    result = run("invoices", "package", corrected, "-o", tmp_path / "b.tcpkg", rpc=False)
    assert f"replaces package {first['root']} (4 invoices" in result.stdout
    assert "never registered, its invoices are released" in result.stdout
    second = invoices.load_package(tmp_path / "b.tcpkg")
    with KnownPackages(home / "packages") as store:
        assert [(p.root, p.count) for p in store.packages()] == [(second.root, 3)]


def test_package_refuses_invoices_of_a_registered_package(run: Run, tmp_path: Path, addr) -> None:
    run("invoices", "package", write_csv(tmp_path / "a.csv"), "-o", tmp_path / "a.tcpkg", rpc=False)
    run("invoices", "register", tmp_path / "a.tcpkg", "--seller", addr(SUPPLIER), "--dev-account", CORE)
    overlapping = write_csv(tmp_path / "b.csv", count=3, start=4)
    result = run("invoices", "package", overlapping, "-o", tmp_path / "b.tcpkg", rpc=False, expect=1)
    assert "1 invoice(s) already in a registered package: 3100262130/00000004" in result.stderr
    assert "a.tcpkg" in result.stderr and "remove them from the file" in result.stderr
    assert not (tmp_path / "b.tcpkg").exists()
    run("invoices", "package", write_csv(tmp_path / "c.csv", count=3, start=5), "-o", tmp_path / "c.tcpkg", rpc=False)


def test_package_asks_the_chain_about_a_package_registered_elsewhere(
    run: Run, lib, sender, keys, tmp_path: Path
) -> None:
    doc = out_json(run("invoices", "package", write_csv(tmp_path / "a.csv"), "-o", tmp_path / "a.tcpkg",
                       "--json", rpc=False))  # fmt: skip
    pkg = invoices.load_package(tmp_path / "a.tcpkg")
    assert "0x" + pkg.root.hex() == doc["root"]
    lib.registry.register_package(  # not through this home's CLI: the store does not know
        sender(CORE), pkg.root, pkg.count, pkg.total_cents, keys[SUPPLIER].address, bytes(32 * [1])
    )
    overlapping = write_csv(tmp_path / "b.csv", count=2, start=3)
    result = run("invoices", "package", overlapping, "-o", tmp_path / "b.tcpkg", expect=1)  # with --rpc
    assert "2 invoice(s) already in a registered package" in result.stderr
    # remembered: refused offline too
    run("invoices", "package", overlapping, "-o", tmp_path / "b.tcpkg", rpc=False, expect=1)


def test_package_bad_file_lists_rows(run: Run, tmp_path: Path) -> None:
    src = write_csv(tmp_path / "inv.csv")
    text = src.read_text().replace("1001.50", "1e3").replace("1002.50", "-5")
    src.write_text(text)
    result = run("invoices", "package", src, "-o", tmp_path / "p.json", rpc=False, expect=1)
    assert "row 2" in result.stderr and "row 3" in result.stderr and "nothing was written" in result.stderr
    assert "Traceback" not in result.output


def test_package_missing_input_and_existing_output(run: Run, tmp_path: Path) -> None:
    assert (
        "no such invoice file"
        in run("invoices", "package", tmp_path / "no.csv", "-o", tmp_path / "o.json", rpc=False, expect=2).stderr
    )
    src = write_csv(tmp_path / "inv.csv")
    (tmp_path / "o.json").write_text("{}")
    assert "exists" in run("invoices", "package", src, "-o", tmp_path / "o.json", rpc=False, expect=2).stderr


def test_register_then_prove(run: Run, lib, package_file, addr) -> None:
    path, pkg = package_file
    doc = out_json(run("invoices", "register", path, "--seller", addr(SUPPLIER), "--dev-account", CORE, "--json"))
    record = lib.registry.package_of(pkg.root)
    assert record.status == "active" and record.seller == addr(SUPPLIER) and record.invoice_count == 5
    assert doc["tx"]
    proof = out_json(run("invoices", "prove", path, "--code", "3100262130", "--number", "00000003", "--json"))
    assert proof["verified_on_chain"] is True and proof["root"] == "0x" + pkg.root.hex()
    expected = invoices.prove(pkg, "3100262130", "00000003")
    assert proof["proof"] == ["0x" + node.hex() for node in expected.proof]  # 1..3 siblings for 5 leaves
    human = run("invoices", "prove", path, "--code", "3100262130", "--number", "00000001").stdout
    assert "verified on chain" in human


def test_register_checks_before_signing(run: Run, registered, package_file, tmp_path: Path, addr) -> None:
    path, _ = registered
    assert (
        "already registered"
        in run("invoices", "register", path, "--seller", addr(SUPPLIER), "--dev-account", CORE, expect=2).stderr
    )
    same_invoices = invoices.build_package(synthetic_invoices(3, seller=credit_code(5), buyer=credit_code(2), seed=9))
    r = run("invoices", "register", invoices.save_package(same_invoices, tmp_path / "same.tcpkg"),
            "--seller", addr(SUPPLIER), "--dev-account", CORE, expect=2)  # fmt: skip
    assert "3 invoice(s) already in a registered package: 3100262130/00000001" in r.stderr  # T1, before signing
    fresh = invoices.build_package(
        [
            replace(v, invoice_code="3100262131")
            for v in synthetic_invoices(3, seller=credit_code(5), buyer=credit_code(2))
        ]
    )
    fresh_path = invoices.save_package(fresh, tmp_path / "fresh.json")
    r = run("invoices", "register", fresh_path, "--seller", addr(SUPPLIER), "--dev-account", SUPPLIER2, expect=2)
    assert "not an active core enterprise" in r.stderr
    r = run("invoices", "register", fresh_path, "--seller", addr(CORE), "--dev-account", CORE, expect=2)
    assert "not an active supplier" in r.stderr
    r = run("invoices", "register", tmp_path / "none.json", "--seller", addr(SUPPLIER), "--dev-account", CORE, expect=2)
    assert "no such package file" in r.stderr


def test_register_tampered_package_file(run: Run, package_file, tmp_path: Path, addr) -> None:
    path, pkg = package_file
    path.write_text(path.read_text().replace('"count": 5', '"count": 6'))  # a .json name: format 1
    result = run("invoices", "register", path, "--seller", addr(SUPPLIER), "--dev-account", CORE, expect=1)
    assert "does not match" in result.stderr
    binary = invoices.save_package(pkg, tmp_path / "p.tcpkg")
    total = f'"total_cents":{pkg.total_cents}'.encode()
    binary.write_bytes(binary.read_bytes().replace(total, f'"total_cents":{pkg.total_cents + 1}'.encode(), 1))
    result = run("invoices", "register", binary, "--seller", addr(SUPPLIER), "--dev-account", CORE, expect=1)
    assert "stated total_cents" in result.stderr and "does not match" in result.stderr


def test_prove_unknown_invoice_or_unregistered_package(run: Run, package_file) -> None:
    path, _ = package_file
    r = run("invoices", "prove", path, "--code", "3100262130", "--number", "00000003", expect=2)
    assert "is not registered on this chain" in r.stderr
    r = run("invoices", "prove", path, "--code", "3100262130", "--number", "99999999", expect=2)
    assert "is not in" in r.stderr


def test_register_document_options(run: Run, lib, package_file, tmp_path: Path, addr) -> None:
    path, pkg = package_file
    doc_file = tmp_path / "contract.pdf"
    doc_file.write_bytes(b"%PDF- the framework agreement")
    r = run("invoices", "register", path, "--seller", addr(SUPPLIER), "--document", doc_file,
            "--document-hash", "0x" + "11" * 32, "--dev-account", CORE, expect=2)  # fmt: skip
    assert "not both" in r.stderr
    run("invoices", "register", path, "--seller", addr(SUPPLIER), "--document", doc_file, "--dev-account", CORE)
    from web3 import Web3

    assert lib.registry.registration_of(pkg.root).document_hash == bytes(Web3.keccak(doc_file.read_bytes()))


def test_package_asks_the_audit_index_when_no_chain_answers(
    run: Run, lib, sender, keys, w3, rpc_url: str, tmp_path: Path, home: Path
) -> None:
    run("invoices", "package", write_csv(tmp_path / "a.csv"), "-o", tmp_path / "a.tcpkg", rpc=False)
    pkg = invoices.load_package(tmp_path / "a.tcpkg")
    lib.registry.register_package(  # registered elsewhere: this home's store says "built"
        sender(CORE), pkg.root, pkg.count, pkg.total_cents, keys[SUPPLIER].address, bytes(32 * [2])
    )
    overlapping = write_csv(tmp_path / "b.csv", count=2, start=4)
    index = home / "index" / f"{w3.eth.chain_id}.sqlite"  # the index under home
    run("index", "sync", "--rpc", rpc_url, "--db", index, rpc=False)
    result = run("invoices", "package", overlapping, "-o", tmp_path / "b.tcpkg", rpc=False, expect=1)
    assert "1 invoice(s) already in a registered package: 3100262130/00000004" in result.stderr
    assert not (tmp_path / "b.tcpkg").exists()
