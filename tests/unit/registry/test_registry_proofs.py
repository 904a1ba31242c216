"""Proving invoices against packages: verifyInvoice, directly and as a transaction."""

from typing import Any

import pytest
from conftest import Invoice, build_package, hexed, random_invoices

from tierchain.core.merkle import hash_pair, keccak, verify


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 33])
@pytest.mark.parametrize("position", ["first", "middle", "last"])
def test_proof_of_any_position_verifies(registry: Any, register: Any, n: int, position: str) -> None:
    package = build_package(random_invoices(n))
    register(package)
    index = {"first": 0, "middle": n // 2, "last": n - 1}[position]
    invoice = package.by_position(index)
    proof = package.proof(invoice)
    assert registry.verifyInvoice(package.root, invoice.key, invoice.details, proof) is True


@pytest.mark.parametrize("n", [3, 5, 7, 33])
def test_every_invoice_of_odd_package_verifies(registry: Any, register: Any, n: int) -> None:
    package = build_package(random_invoices(n))
    register(package)
    for invoice in package.invoices:
        assert registry.verifyInvoice(package.root, invoice.key, invoice.details, package.proof(invoice))


def test_one_invoice_package_has_empty_proof(registry: Any, register: Any) -> None:
    package = build_package(random_invoices(1))
    register(package)
    invoice = package.invoices[0]
    assert package.root == invoice.leaf
    assert package.proof(invoice) == []
    assert registry.verifyInvoice(package.root, invoice.key, invoice.details, []) is True


def test_tampered_details_are_rejected(registry: Any, registered: Any) -> None:
    invoice = registered.invoices[2]
    tampered = bytes([invoice.details[0] ^ 1]) + invoice.details[1:]
    proof = registered.proof(invoice)
    assert registry.verifyInvoice(registered.root, invoice.key, tampered, proof) is False


def test_tampered_key_is_rejected(registry: Any, registered: Any) -> None:
    invoice = registered.invoices[2]
    proof = registered.proof(invoice)
    assert registry.verifyInvoice(registered.root, b"\x07" * 32, invoice.details, proof) is False


def test_proof_of_another_invoice_is_rejected(registry: Any, registered: Any) -> None:
    invoice, other = registered.invoices[0], registered.invoices[1]
    assert registry.verifyInvoice(registered.root, invoice.key, invoice.details, registered.proof(other)) is False


def test_truncated_proof_is_rejected(registry: Any, registered: Any) -> None:
    invoice = registered.invoices[0]
    proof = registered.proof(invoice)
    assert registry.verifyInvoice(registered.root, invoice.key, invoice.details, proof[:-1]) is False


def test_inner_node_passed_off_as_leaf_is_rejected(registry: Any, register: Any) -> None:
    package = build_package(random_invoices(8))
    register(package)
    left, right = package.tree.leaf_at(0), package.tree.leaf_at(1)  # sorted: siblings at the bottom
    inner = hash_pair(left, right)
    upper_proof = package.tree.proof_at(0)[1:]  # the proof of leaf 0 above its own sibling
    # The 64-byte preimage of an inner node posed as (invoiceKey, detailsHash): a leaf hashed once
    # would match the inner node and pass; the registry hashes leaves twice and must refuse.
    assert keccak(left + right) == inner
    assert verify(upper_proof, package.root, inner)
    assert registry.verifyInvoice(package.root, left, right, upper_proof) is False


def test_proof_against_another_package_is_rejected(
    registry: Any, register: Any, registered: Any, make_package: Any
) -> None:
    other = make_package(5)
    register(other)
    invoice = registered.invoices[0]
    assert registry.verifyInvoice(other.root, invoice.key, invoice.details, registered.proof(invoice)) is False


def test_valid_proof_for_unregistered_root_is_rejected(registry: Any, make_package: Any) -> None:
    package = make_package(5)
    invoice = package.invoices[0]
    assert verify(package.proof(invoice), package.root, invoice.leaf)
    assert registry.verifyInvoice(package.root, invoice.key, invoice.details, package.proof(invoice)) is False


def test_voided_package_still_proves_membership(
    registry: Any,
    register: Any,
    registered: Any,
    make_package: Any,
    core2: Any,
    supplier2: Any,
    outsider: Any,
) -> None:
    shared = registered.invoices[0]
    later = make_package(invoices=[Invoice(shared.key, shared.details), *random_invoices(2)])
    register(later, debtor=core2, seller=supplier2)
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
    assert registry.verifyInvoice(later.root, shared.key, shared.details, later.proof(shared)) is True


def test_proof_check_as_transaction(probe: Any, register: Any, supplier: Any) -> None:
    package = build_package(random_invoices(33))
    register(package)
    invoice = package.by_position(32)
    tx = probe.check(package.root, invoice.key, invoice.details, package.proof(invoice), {"from": supplier})
    assert tx.return_value is True
    assert tx.events["InvoiceChecked"] == {"root": hexed(package.root), "valid": True}
    bad = probe.check(package.root, invoice.key, b"\x01" * 32, package.proof(invoice), {"from": supplier})
    assert bad.events["InvoiceChecked"]["valid"] is False
