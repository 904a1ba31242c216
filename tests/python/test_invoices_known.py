"""The known-invoice store (tierchain.invoices.known): only registered packages block invoices, a
rebuilt package replaces an unregistered one, the look-up is keyed by invoice key."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from tierchain.invoices.known import _JOIN_KEYS, InvoicesRegisteredError, KnownPackages
from tierchain.invoices.packages import Invoice, PackageError, build_package, save_package, save_package_json

SELLER = "91310000MA1FL0000X"
BUYER = "91440300MA5D00000Y"


def inv(i: int, amount_cents: int = 10_000) -> Invoice:
    return Invoice(SELLER, BUYER, "3100231130", f"{i:08d}", date(2026, 11, 1), amount_cents, "CNY", f"PO-{i}")


def test_unregistered_package_does_not_block(tmp_path: Path) -> None:
    store = KnownPackages(tmp_path)
    first = build_package([inv(i) for i in range(5)])
    assert store.add(first, file=tmp_path / "a.tcpkg") == []
    corrected = build_package([inv(i, amount_cents=20_000) for i in range(5)])
    replaced = store.add(corrected, is_registered=lambda root: False)
    assert [r.root for r in replaced] == [first.root]
    assert replaced[0].status == "built" and replaced[0].file == str((tmp_path / "a.tcpkg").resolve())
    assert store.package(first.root) is None  # the replaced package is gone ...
    assert [p.root for p in store.packages()] == [corrected.root]
    assert store.holder(first.key(0)) is not None and store.holder(first.key(0)).root == corrected.root  # type: ignore[union-attr]


def test_rebuilt_package_releases_all_invoices_of_the_replaced_one(tmp_path: Path) -> None:
    store = KnownPackages(tmp_path)
    old = build_package([inv(i) for i in range(6)])
    store.add(old)
    smaller = build_package([inv(i) for i in (4, 5, 6)])  # shares 4 and 5 only
    assert [r.root for r in store.add(smaller)] == [old.root]
    assert store.holder(old.key(0)) is None  # invoices 0-3: free again
    again = build_package([inv(i) for i in range(4)])
    assert store.add(again) == []


def test_registered_package_blocks_with_a_clear_message(tmp_path: Path) -> None:
    store = KnownPackages(tmp_path)
    registered = build_package([inv(i) for i in range(5)])
    store.add(registered, file=tmp_path / "reg.tcpkg")
    store.mark_registered(registered)
    overlapping = build_package([inv(i) for i in (3, 4, 9)])
    with pytest.raises(InvoicesRegisteredError) as caught:
        store.add(overlapping)
    message = str(caught.value)
    assert "2 invoice(s) already in a registered package: 3100231130/00000003, 3100231130/00000004" in message
    assert f"0x{registered.root.hex()}" in message and "reg.tcpkg" in message
    assert "remove them from the file" in message  # the hint
    assert [(f.invoice_number, f.package.root) for f in caught.value.found] == [
        ("00000003", registered.root),
        ("00000004", registered.root),
    ]
    assert store.package(overlapping.root) is None and store.holder(overlapping.key(2)) is None  # rolled back
    assert store.package(registered.root).status == "registered"  # type: ignore[union-attr]


def test_registration_learnt_from_the_chain_blocks_and_is_remembered(tmp_path: Path) -> None:
    store = KnownPackages(tmp_path)
    first = build_package([inv(i) for i in range(3)])
    store.add(first)
    asked: list[bytes] = []

    def on_chain(root: bytes) -> bool:
        asked.append(root)
        return True

    with pytest.raises(InvoicesRegisteredError):
        store.add(build_package([inv(2)]), is_registered=on_chain)
    assert asked == [first.root]
    assert store.package(first.root).status == "registered"  # type: ignore[union-attr]
    with pytest.raises(InvoicesRegisteredError):  # no need to ask again
        store.add(build_package([inv(1)]), is_registered=lambda root: pytest.fail("asked again"))


def test_unknown_registration_does_not_block(tmp_path: Path) -> None:
    store = KnownPackages(tmp_path)
    first = build_package([inv(i) for i in range(3)])
    store.add(first)
    assert [r.root for r in store.add(build_package([inv(0)]), is_registered=lambda root: None)] == [first.root]


def test_file_write_failure_rolls_back(tmp_path: Path) -> None:
    store = KnownPackages(tmp_path)
    old = build_package([inv(i) for i in range(3)])
    store.add(old)
    new = build_package([inv(i) for i in range(3)])
    with pytest.raises(OSError), store.adding(new, file=tmp_path / "x") as replaced:
        assert [r.root for r in replaced] == [old.root]
        raise OSError("disk full")
    assert [p.root for p in store.packages()] == [old.root]  # the old one stays, nothing added
    assert store.holder(old.key(1)).root == old.root  # type: ignore[union-attr]


def test_same_package_twice_is_refused(tmp_path: Path) -> None:
    store = KnownPackages(tmp_path)
    pkg = build_package([inv(1)])
    store.add(pkg)
    with pytest.raises(PackageError, match="already known"):
        store.add(pkg)


def test_mark_registered_adds_an_unknown_package_and_replaces_unregistered(tmp_path: Path) -> None:
    store = KnownPackages(tmp_path)
    built = build_package([inv(i) for i in range(3)])
    store.add(built)
    elsewhere = build_package([inv(i) for i in (2, 3)])  # built by another home, registered here
    store.mark_registered(elsewhere)
    assert store.package(built.root) is None
    assert store.package(elsewhere.root).status == "registered"  # type: ignore[union-attr]
    with pytest.raises(InvoicesRegisteredError):
        store.add(build_package([inv(3)]))


def test_lookup_is_keyed_and_never_reads_package_files(tmp_path: Path) -> None:
    store = KnownPackages(tmp_path)
    big = build_package([inv(i) for i in range(3000)])  # enough for the one-join path
    path = save_package(big, tmp_path / "big.tcpkg")
    store.add(big, file=path)
    store.mark_registered(big)
    path.unlink()  # the check needs the store only, not the package files
    with pytest.raises(InvoicesRegisteredError) as caught:
        store.add(build_package([inv(1234)]))
    assert [f.invoice_number for f in caught.value.found] == ["00001234"]
    with pytest.raises(InvoicesRegisteredError) as caught:
        store.add(build_package([inv(i) for i in range(2990, 5000)]))
    assert len(caught.value.found) == 10
    conn = sqlite3.connect(tmp_path / "known.sqlite")
    one = conn.execute("EXPLAIN QUERY PLAN SELECT package FROM invoice_keys WHERE key = ?", (b"k",)).fetchall()
    assert any("USING PRIMARY KEY (key=?)" in row[-1] for row in one), one
    many = conn.execute("EXPLAIN QUERY PLAN " + _JOIN_KEYS, (b"k" * 32, 1, 0)).fetchall()
    assert any("invoice_keys" in row[-1] or " k " in row[-1] for row in many)
    assert any("USING PRIMARY KEY (key=?)" in row[-1] for row in many), many
    assert not any(row[-1].startswith("SCAN k") for row in many), many


def test_legacy_package_copies_are_recorded_as_built(tmp_path: Path) -> None:
    old = build_package([inv(i) for i in range(3)])
    save_package_json(old, tmp_path / f"0x{old.root.hex()}.json")  # what older versions kept
    store = KnownPackages(tmp_path)
    assert [(p.root, p.status) for p in store.packages()] == [(old.root, "built")]
    assert [r.root for r in store.add(build_package([inv(1)]))] == [old.root]
    store.close()
    assert [p.root for p in KnownPackages(tmp_path).packages()] != [old.root]  # migrated once only
