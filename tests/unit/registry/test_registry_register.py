"""Registering invoice packages."""

from typing import Any

import brownie
import pytest
from conftest import ROLE_CORE_ENTERPRISE, ZERO_PACKAGE, err, hexed, plain, state_of

ACTIVE, VOIDED = 1, 2


def test_register_stores_the_package(
    registry: Any, make_package: Any, register: Any, core: Any, supplier: Any
) -> None:
    package = make_package(7, total_cents=123_456_78)
    tx = register(package)
    assert plain(registry.packageOf(package.root)) == [
        core.address,
        tx.timestamp,
        ACTIVE,
        7,
        supplier.address,
        123_456_78,
        0,
        hexed(package.document_hash),
    ]
    assert registry.sequenceOf(package.root) == 1


def test_register_emits_package_registered(
    make_package: Any, register: Any, core: Any, supplier: Any
) -> None:
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


def test_register_same_root_twice_reverts(
    registry: Any, registered: Any, core: Any, core2: Any, supplier: Any
) -> None:
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
        registry.registerPackage(
            package.root, 2, 100, supplier, package.document_hash, {"from": caller}
        )
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
        registry.registerPackage(
            package.root, 2, 100, seller, package.document_hash, {"from": core}
        )
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
def test_register_with_zero_field_reverts(
    registry: Any, core: Any, supplier: Any, field: str
) -> None:
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
