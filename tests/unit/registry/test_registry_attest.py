"""attestInvoice: a proof check as a transaction, kept on record by an event."""

from typing import Any

import brownie
from conftest import Invoice, build_package, err, hexed, random_invoices, state_of

ACTIVE, VOIDED = 1, 2


def test_attest_valid_proof_emits_invoice_attested(registry: Any, registered: Any, financier: Any) -> None:
    invoice = registered.invoices[2]
    tx = registry.attestInvoice(
        registered.root, invoice.key, invoice.details, registered.proof(invoice),
        {"from": financier},
    )  # fmt: skip
    assert tx.events["InvoiceAttested"] == {
        "root": hexed(registered.root),
        "invoiceKey": hexed(invoice.key),
        "by": financier.address,
        "detailsHash": hexed(invoice.details),
        "status": ACTIVE,
    }
    assert len(tx.events) == 1


def test_attest_changes_no_state(registry: Any, registered: Any, financier: Any) -> None:
    before = state_of(registry, registered.root)
    invoice = registered.invoices[0]
    registry.attestInvoice(
        registered.root, invoice.key, invoice.details, registered.proof(invoice),
        {"from": financier},
    )  # fmt: skip
    assert state_of(registry, registered.root) == before


def test_attest_one_invoice_package_with_empty_proof(registry: Any, register: Any, financier: Any) -> None:
    package = build_package(random_invoices(1))
    register(package)
    invoice = package.invoices[0]
    tx = registry.attestInvoice(package.root, invoice.key, invoice.details, [], {"from": financier})
    assert tx.events["InvoiceAttested"]["root"] == hexed(package.root)


def test_attest_in_voided_package_records_voided_status(
    registry: Any, registered: Any, make_package: Any, register: Any, core2: Any, supplier2: Any,
    financier: Any,
) -> None:  # fmt: skip
    shared = registered.invoices[1]
    later = make_package(invoices=[shared, *random_invoices(2)])
    register(later, debtor=core2, seller=supplier2)
    registry.voidDuplicate(
        shared.key, registered.root, shared.details, registered.proof(shared),
        later.root, shared.details, later.proof(shared), {"from": financier},
    )  # fmt: skip
    tx = registry.attestInvoice(later.root, shared.key, shared.details, later.proof(shared), {"from": financier})
    assert tx.events["InvoiceAttested"]["status"] == VOIDED


def test_attest_invalid_proof_reverts(registry: Any, registered: Any, financier: Any) -> None:
    invoice, other = registered.invoices[0], registered.invoices[1]
    with brownie.reverts(err("RegistryInvalidProof", registered.root, invoice.key, invoice.details)):
        registry.attestInvoice(
            registered.root, invoice.key, invoice.details, registered.proof(other),
            {"from": financier},
        )  # fmt: skip


def test_attest_tampered_details_reverts(registry: Any, registered: Any, financier: Any) -> None:
    invoice = registered.invoices[3]
    forged = Invoice(invoice.key, b"\x01" + invoice.details[1:])
    with brownie.reverts(err("RegistryInvalidProof", registered.root, forged.key, forged.details)):
        registry.attestInvoice(
            registered.root, forged.key, forged.details, registered.proof(invoice),
            {"from": financier},
        )  # fmt: skip


def test_attest_unknown_package_reverts(registry: Any, make_package: Any, financier: Any) -> None:
    package = make_package(3)
    invoice = package.invoices[0]
    with brownie.reverts(err("RegistryUnknownPackage", package.root)):
        registry.attestInvoice(
            package.root, invoice.key, invoice.details, package.proof(invoice),
            {"from": financier},
        )  # fmt: skip
