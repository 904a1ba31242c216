"""Registering invoice packages."""

from typing import Any

import brownie
import pytest
from brownie import web3
from conftest import ROLE_CORE_ENTERPRISE, ZERO_PACKAGE, err, hexed, plain, state_of

from tierchain.core.merkle import keccak

ACTIVE, VOIDED = 1, 2


def test_register_stores_the_package(registry: Any, make_package: Any, register: Any, core: Any, supplier: Any) -> None:
    package = make_package(7, total_cents=123_456_78)
    tx = register(package)
    assert plain(registry.packageOf(package.root)) == [
        core.address,
        ACTIVE,
        7,
        supplier.address,
        123_456_78,
        0,
        1,
    ]
    assert registry.sequenceOf(package.root) == 1
    assert tx.events["PackageRegistered"]["documentHash"] == hexed(package.document_hash)


def test_register_writes_two_storage_words(
    registry: Any, make_package: Any, register: Any, core: Any, supplier: Any
) -> None:
    """The pinned layout: slot 0 debtor | issuedCents (56) | status | sequence, slot 1 seller |
    totalCents (56) | invoiceCount; nothing else (no document hash, no time)."""
    package = make_package(7, total_cents=123_456_78)
    register(package)
    base = int.from_bytes(keccak(package.root + (1).to_bytes(32, "big")), "big")
    words = [int.from_bytes(web3.eth.get_storage_at(registry.address, base + i), "big") for i in range(3)]
    assert words[0] == int(core.address, 16) | (ACTIVE << 216) | (1 << 224)
    assert words[1] == int(supplier.address, 16) | (123_456_78 << 160) | (7 << 216)
    assert words[2] == 0


def test_register_then_consume_keeps_slot_zero_non_zero(
    registry: Any, registered: Any, core: Any, supplier: Any, token: Any
) -> None:
    """issuedCents shares its word with the debtor, so the first consume rewrites a non-zero word."""
    registry.consume(registered.root, core, supplier, 5, {"from": token})
    base = int.from_bytes(keccak(registered.root + (1).to_bytes(32, "big")), "big")
    word = int.from_bytes(web3.eth.get_storage_at(registry.address, base), "big")
    assert word == int(core.address, 16) | (5 << 160) | (ACTIVE << 216) | (1 << 224)


def test_register_total_above_56_bits_reverts(registry: Any, core: Any, supplier: Any) -> None:
    too_large = 2**56
    with brownie.reverts(err("RegistryTotalTooLarge", too_large, too_large - 1)):
        registry.registerPackage(b"\x11" * 32, 3, too_large, supplier, b"\x22" * 32, {"from": core})
    assert registry.sequenceOf(b"\x11" * 32) == 0


def test_register_total_of_exactly_56_bits_is_stored(registry: Any, core: Any, supplier: Any) -> None:
    registry.registerPackage(b"\x11" * 32, 3, 2**56 - 1, supplier, b"\x22" * 32, {"from": core})
    assert registry.packageOf(b"\x11" * 32)[4] == 2**56 - 1
    assert registry.MAX_TOTAL_CENTS() == 2**56 - 1


def test_register_emits_package_registered(make_package: Any, register: Any, core: Any, supplier: Any) -> None:
    package = make_package(3, total_cents=42)
    tx = register(package)
    assert tx.events["PackageRegistered"] == {
        "root": "0x" + package.root.hex(),
        "debtor": core.address,
        "seller": supplier.address,
        "invoiceCount": 3,
        "totalCents": 42,
        "documentHash": "0x" + package.document_hash.hex(),
    }
    assert len(tx.events) == 1


def test_sequence_follows_registration_order(
    registry: Any, make_package: Any, register: Any, core2: Any, supplier2: Any
) -> None:
    first, second, third = make_package(1), make_package(2), make_package(3)
    register(first)
    register(second, debtor=core2, seller=supplier2)
    register(third)
    assert [registry.sequenceOf(p.root) for p in (first, second, third)] == [1, 2, 3]


def test_unknown_package_is_all_zero(registry: Any) -> None:
    assert plain(registry.packageOf(b"\x01" * 32)) == ZERO_PACKAGE
    assert registry.sequenceOf(b"\x01" * 32) == 0


def test_register_same_root_twice_reverts(registry: Any, registered: Any, core: Any, core2: Any, supplier: Any) -> None:
    before = state_of(registry, registered.root)
    with brownie.reverts(err("RegistryPackageExists", registered.root, core)):
        registry.registerPackage(registered.root, 9, 9, supplier, b"\x09" * 32, {"from": core2})
    assert state_of(registry, registered.root) == before


@pytest.mark.parametrize("caller_name", ["supplier", "outsider", "financier"])
def test_register_by_non_core_enterprise_reverts(
    registry: Any, make_package: Any, supplier: Any, caller_name: str, request: Any
) -> None:
    caller = request.getfixturevalue(caller_name)
    package = make_package(2)
    with brownie.reverts(err("RegistryNotCoreEnterprise", caller)):
        registry.registerPackage(package.root, 2, 100, supplier, package.document_hash, {"from": caller})
    assert state_of(registry, package.root) == [registry.token(), [ZERO_PACKAGE, 0]]


def test_register_by_suspended_core_enterprise_reverts(
    registry: Any, membership: Any, make_package: Any, register: Any, core: Any, admin: Any
) -> None:
    membership.suspend(core, b"\x01" * 32, {"from": admin})
    package = make_package(2)
    with brownie.reverts(err("RegistryNotCoreEnterprise", core)):
        register(package)
    assert registry.sequenceOf(package.root) == 0


@pytest.mark.parametrize("seller_name", ["core2", "outsider", "financier"])
def test_register_for_non_supplier_reverts(
    registry: Any, make_package: Any, core: Any, seller_name: str, request: Any
) -> None:
    seller = request.getfixturevalue(seller_name)
    package = make_package(2)
    with brownie.reverts(err("RegistryNotSupplier", seller)):
        registry.registerPackage(package.root, 2, 100, seller, package.document_hash, {"from": core})
    assert registry.sequenceOf(package.root) == 0


def test_register_for_frozen_supplier_reverts(
    registry: Any, membership: Any, make_package: Any, register: Any, supplier: Any, admin: Any
) -> None:
    membership.freeze(supplier, b"\x02" * 32, {"from": admin})
    package = make_package(2)
    with brownie.reverts(err("RegistryNotSupplier", supplier)):
        register(package)
    assert registry.sequenceOf(package.root) == 0


@pytest.mark.parametrize("field", ["root", "invoiceCount", "totalCents", "documentHash"])
def test_register_with_zero_field_reverts(registry: Any, core: Any, supplier: Any, field: str) -> None:
    args = {
        "root": b"\x11" * 32,
        "invoiceCount": 3,
        "totalCents": 300,
        "documentHash": b"\x22" * 32,
    }
    args[field] = b"\x00" * 32 if field in ("root", "documentHash") else 0
    with brownie.reverts(
        err(
            "RegistryInvalidPackage",
            args["root"],
            args["invoiceCount"],
            args["totalCents"],
            args["documentHash"],
        )
    ):
        registry.registerPackage(
            args["root"],
            args["invoiceCount"],
            args["totalCents"],
            supplier,
            args["documentHash"],
            {"from": core},
        )
    assert registry.sequenceOf(args["root"]) == 0


def test_core_enterprise_with_several_roles_may_register(
    registry: Any, membership: Any, make_package: Any, register: Any, supplier2: Any, admin: Any
) -> None:
    membership.setRoles(supplier2, ROLE_CORE_ENTERPRISE | 4, {"from": admin})
    package = make_package(1)
    register(package, debtor=supplier2)
    assert registry.packageOf(package.root)[0] == supplier2.address
