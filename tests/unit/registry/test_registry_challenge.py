"""The double-financing challenge: one invoice in two packages voids the later package."""

from typing import Any

import brownie
import pytest
from conftest import Invoice, err, hexed, random_invoices, state_of

ACTIVE, VOIDED = 1, 2


@pytest.fixture
def duplicate(registered: Any, make_package: Any, register: Any, core2: Any, supplier2: Any) -> Any:
    """A later package, by another debtor, that reuses registered's invoice 3 with other details."""
    shared = registered.invoices[3]
    package = make_package(invoices=[*random_invoices(4), Invoice(shared.key, b"\x44" * 32)])
    register(package, debtor=core2, seller=supplier2)
    return package


def challenge(registry: Any, key: bytes, first: tuple[Any, Invoice], second: tuple[Any, Invoice], sender: Any) -> Any:
    (pa, ia), (pb, ib) = first, second
    return registry.voidDuplicate(
        key, pa.root, ia.details, pa.proof(ia), pb.root, ib.details, pb.proof(ib), {"from": sender}
    )


def shared_pair(registered: Any, duplicate: Any) -> tuple[Invoice, Invoice]:
    shared = registered.invoices[3]
    return shared, next(i for i in duplicate.invoices if i.key == shared.key)


@pytest.mark.parametrize("later_first", [False, True])
def test_duplicate_voids_the_later_package(
    registry: Any, registered: Any, duplicate: Any, outsider: Any, later_first: bool
) -> None:
    a, b = shared_pair(registered, duplicate)
    sides = [(registered, a), (duplicate, b)]
    if later_first:
        sides.reverse()
    tx = challenge(registry, a.key, sides[0], sides[1], outsider)
    assert tx.events["PackageVoided"] == {
        "root": hexed(duplicate.root),
        "invoiceKey": hexed(a.key),
        "earlierRoot": hexed(registered.root),
        "by": outsider.address,
    }
    assert len(tx.events) == 1
    assert registry.packageOf(duplicate.root)[1] == VOIDED
    assert registry.packageOf(registered.root)[1] == ACTIVE


def test_same_invoice_with_identical_details_is_a_duplicate(
    registry: Any, registered: Any, make_package: Any, register: Any, outsider: Any
) -> None:
    shared = registered.invoices[0]
    copy = make_package(invoices=[Invoice(shared.key, shared.details), *random_invoices(6)])
    register(copy)
    challenge(registry, shared.key, (copy, shared), (registered, shared), outsider)
    assert registry.packageOf(copy.root)[1] == VOIDED


def test_order_is_registration_sequence_within_one_block(
    registry: Any,
    make_package: Any,
    core: Any,
    core2: Any,
    supplier: Any,
    supplier2: Any,
    outsider: Any,
) -> None:
    shared = Invoice(b"\x5a" * 32, b"\x5b" * 32)
    first = make_package(invoices=[shared, *random_invoices(2)])
    second = make_package(invoices=[shared, *random_invoices(3)])
    with one_block():
        tx1 = registry.registerPackage(
            first.root,
            first.count,
            100,
            supplier,
            first.document_hash,
            {"from": core, "required_confs": 0, "gas_limit": 200_000},
        )
        tx2 = registry.registerPackage(
            second.root,
            second.count,
            100,
            supplier2,
            second.document_hash,
            {"from": core2, "required_confs": 0, "gas_limit": 200_000},
        )
    tx1.wait(1)
    tx2.wait(1)
    assert tx1.block_number == tx2.block_number
    assert (registry.sequenceOf(first.root), registry.sequenceOf(second.root)) == (1, 2)
    tx = challenge(registry, shared.key, (second, shared), (first, shared), outsider)
    assert tx.events["PackageVoided"]["root"] == hexed(second.root)


def test_earlier_package_keeps_the_invoice_even_when_voided(
    registry: Any, registered: Any, duplicate: Any, make_package: Any, register: Any, outsider: Any
) -> None:
    # registered < duplicate < third, all sharing one invoice key; void duplicate first.
    a, b = shared_pair(registered, duplicate)
    challenge(registry, a.key, (registered, a), (duplicate, b), outsider)
    third = make_package(invoices=[Invoice(a.key, b"\x33" * 32), *random_invoices(1)])
    register(third)
    c = next(i for i in third.invoices if i.key == a.key)
    tx = challenge(registry, a.key, (duplicate, b), (third, c), outsider)
    assert tx.events["PackageVoided"]["root"] == hexed(third.root)
    assert tx.events["PackageVoided"]["earlierRoot"] == hexed(duplicate.root)


def test_voiding_a_voided_package_reverts(registry: Any, registered: Any, duplicate: Any, outsider: Any) -> None:
    a, b = shared_pair(registered, duplicate)
    challenge(registry, a.key, (registered, a), (duplicate, b), outsider)
    before = state_of(registry, registered.root, duplicate.root)
    with brownie.reverts(err("RegistryPackageIsVoided", duplicate.root)):
        challenge(registry, a.key, (duplicate, b), (registered, a), outsider)
    assert state_of(registry, registered.root, duplicate.root) == before


def test_same_root_reverts(registry: Any, registered: Any, outsider: Any) -> None:
    a, b = registered.invoices[0], registered.invoices[1]
    before = state_of(registry, registered.root)
    with brownie.reverts(err("RegistrySameRoot", registered.root)):
        challenge(registry, a.key, (registered, a), (registered, b), outsider)
    assert state_of(registry, registered.root) == before


@pytest.mark.parametrize("unknown_side", [0, 1])
def test_unknown_package_reverts(
    registry: Any, registered: Any, make_package: Any, outsider: Any, unknown_side: int
) -> None:
    shared = registered.invoices[0]
    unregistered = make_package(invoices=[shared, *random_invoices(2)])
    sides = [(registered, shared), (unregistered, shared)]
    if unknown_side == 0:
        sides.reverse()
    before = state_of(registry, registered.root, unregistered.root)
    with brownie.reverts(err("RegistryUnknownPackage", unregistered.root)):
        challenge(registry, shared.key, sides[0], sides[1], outsider)
    assert state_of(registry, registered.root, unregistered.root) == before


def test_invalid_proof_a_reverts(registry: Any, registered: Any, duplicate: Any, outsider: Any) -> None:
    a, b = shared_pair(registered, duplicate)
    forged = b"\x66" * 32
    before = state_of(registry, registered.root, duplicate.root)
    with brownie.reverts(err("RegistryInvalidProof", registered.root, a.key, forged)):
        registry.voidDuplicate(
            a.key,
            registered.root,
            forged,
            registered.proof(a),
            duplicate.root,
            b.details,
            duplicate.proof(b),
            {"from": outsider},
        )
    assert state_of(registry, registered.root, duplicate.root) == before


def test_invalid_proof_b_reverts(registry: Any, registered: Any, duplicate: Any, outsider: Any) -> None:
    a, b = shared_pair(registered, duplicate)
    before = state_of(registry, registered.root, duplicate.root)
    with brownie.reverts(err("RegistryInvalidProof", duplicate.root, a.key, b.details)):
        registry.voidDuplicate(
            a.key,
            registered.root,
            a.details,
            registered.proof(a),
            duplicate.root,
            b.details,
            registered.proof(a),
            {"from": outsider},
        )
    assert state_of(registry, registered.root, duplicate.root) == before


def test_different_invoices_are_not_duplicates(registry: Any, registered: Any, duplicate: Any, outsider: Any) -> None:
    a = registered.invoices[0]
    other = duplicate.invoices[0]
    with brownie.reverts(err("RegistryInvalidProof", duplicate.root, a.key, other.details)):
        registry.voidDuplicate(
            a.key,
            registered.root,
            a.details,
            registered.proof(a),
            duplicate.root,
            other.details,
            duplicate.proof(other),
            {"from": outsider},
        )
    assert registry.packageOf(duplicate.root)[1] == ACTIVE


class one_block:  # noqa: N801 - used as a statement, like a keyword
    """Mine the transactions sent inside the block as one block (automine off, then one mine)."""

    def __enter__(self) -> None:
        _automine(False)

    def __exit__(self, *exc: object) -> None:
        _automine(True)
        brownie.chain.mine()


def _automine(on: bool) -> None:
    from brownie import web3

    if "anvil" in web3.client_version.lower():
        web3.provider.make_request("evm_setAutomine", [on])
    else:
        web3.provider.make_request("miner_start" if on else "miner_stop", [])
