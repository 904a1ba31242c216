"""Consuming a package's total as payables are issued against it (only the bound token)."""

from typing import Any

import brownie
from conftest import Invoice, err, hexed, random_invoices, state_of

TOTAL = 1_000_000_00  # the `registered` package's total, in cents


def test_consume_records_issued_and_emits(registry: Any, registered: Any, token: Any, core: Any, supplier: Any) -> None:
    tx = registry.consume(registered.root, core, supplier, 300_000_00, {"from": token})
    assert registry.packageOf(registered.root)[5] == 300_000_00
    assert tx.events["PackageConsumed"] == {
        "root": hexed(registered.root),
        "amountCents": 300_000_00,
        "issuedCents": 300_000_00,
    }
    tx = registry.consume(registered.root, core, supplier, 200_000_00, {"from": token})
    assert tx.events["PackageConsumed"]["issuedCents"] == 500_000_00
    assert registry.packageOf(registered.root)[5] == 500_000_00


def test_consume_exactly_the_total(registry: Any, registered: Any, token: Any, core: Any, supplier: Any) -> None:
    registry.consume(registered.root, core, supplier, TOTAL - 1, {"from": token})
    registry.consume(registered.root, core, supplier, 1, {"from": token})
    assert registry.packageOf(registered.root)[5] == TOTAL


def test_consume_above_the_total_reverts(registry: Any, registered: Any, token: Any, core: Any, supplier: Any) -> None:
    registry.consume(registered.root, core, supplier, TOTAL - 10, {"from": token})
    before = state_of(registry, registered.root)
    with brownie.reverts(err("RegistryExceedsTotal", registered.root, TOTAL - 10, 11, TOTAL)):
        registry.consume(registered.root, core, supplier, 11, {"from": token})
    assert state_of(registry, registered.root) == before


def test_consume_huge_amount_reverts_without_overflow(
    registry: Any, registered: Any, token: Any, core: Any, supplier: Any
) -> None:
    huge = 2**256 - 1
    with brownie.reverts(err("RegistryExceedsTotal", registered.root, 0, huge, TOTAL)):
        registry.consume(registered.root, core, supplier, huge, {"from": token})


def test_consume_by_non_token_reverts(registry: Any, registered: Any, token: Any, core: Any, supplier: Any) -> None:
    before = state_of(registry, registered.root)
    with brownie.reverts(err("RegistryNotToken", core, token)):
        registry.consume(registered.root, core, supplier, 1, {"from": core})
    assert state_of(registry, registered.root) == before


def test_consume_before_a_token_is_bound_reverts(unbound_registry: Any, core: Any, supplier: Any) -> None:
    with brownie.reverts(err("RegistryNotToken", core, brownie.ZERO_ADDRESS)):
        unbound_registry.consume(b"\x01" * 32, core, supplier, 1, {"from": core})


def test_consume_with_wrong_debtor_reverts(
    registry: Any, registered: Any, token: Any, core: Any, core2: Any, supplier: Any
) -> None:
    before = state_of(registry, registered.root)
    with brownie.reverts(err("RegistryWrongDebtor", registered.root, core, core2)):
        registry.consume(registered.root, core2, supplier, 1, {"from": token})
    assert state_of(registry, registered.root) == before


def test_consume_with_wrong_creditor_reverts(
    registry: Any, registered: Any, token: Any, core: Any, supplier: Any, supplier2: Any
) -> None:
    before = state_of(registry, registered.root)
    with brownie.reverts(err("RegistryWrongCreditor", registered.root, supplier, supplier2)):
        registry.consume(registered.root, core, supplier2, 1, {"from": token})
    assert state_of(registry, registered.root) == before


def test_consume_zero_reverts(registry: Any, registered: Any, token: Any, core: Any, supplier: Any) -> None:
    with brownie.reverts(err("RegistryZeroAmount", registered.root)):
        registry.consume(registered.root, core, supplier, 0, {"from": token})


def test_consume_unknown_package_reverts(registry: Any, token: Any, core: Any, supplier: Any) -> None:
    with brownie.reverts(err("RegistryUnknownPackage", b"\x05" * 32)):
        registry.consume(b"\x05" * 32, core, supplier, 1, {"from": token})


def test_consume_voided_package_reverts(
    registry: Any,
    registered: Any,
    make_package: Any,
    register: Any,
    token: Any,
    core: Any,
    supplier: Any,
    outsider: Any,
) -> None:
    shared = registered.invoices[1]
    later = make_package(invoices=[Invoice(shared.key, shared.details), *random_invoices(3)])
    register(later)
    registry.consume(later.root, core, supplier, 5, {"from": token})
    registry.voidDuplicate(
        shared.key,
        registered.root,
        shared.details,
        registered.proof(shared),
        later.root,
        shared.details,
        later.proof(shared),
        {"from": outsider},
    )
    before = state_of(registry, later.root)
    with brownie.reverts(err("RegistryPackageIsVoided", later.root)):
        registry.consume(later.root, core, supplier, 1, {"from": token})
    assert state_of(registry, later.root) == before
    # The earlier package is untouched and still backs payables.
    registry.consume(registered.root, core, supplier, 1, {"from": token})


def test_consume_the_largest_total_keeps_the_other_fields_of_its_word(
    registry: Any, make_package: Any, register: Any, token: Any, core: Any, supplier: Any
) -> None:
    """issuedCents is 56 bits beside debtor, status and sequence: filling it leaks into none."""
    largest = 2**56 - 1
    package = make_package(2, total_cents=largest)
    register(package)
    registry.consume(package.root, core, supplier, largest - 1, {"from": token})
    registry.consume(package.root, core, supplier, 1, {"from": token})
    stored = registry.packageOf(package.root)
    assert (stored[0], stored[1], stored[4], stored[5], stored[6]) == (
        core.address, 1, largest, largest, registry.sequenceOf(package.root)
    )  # fmt: skip
    with brownie.reverts(err("RegistryExceedsTotal", package.root, largest, 1, largest)):
        registry.consume(package.root, core, supplier, 1, {"from": token})
