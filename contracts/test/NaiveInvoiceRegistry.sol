// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title NaiveInvoiceRegistry
/// @notice Test-only baseline for the gas bench: invoices stored one by one, one transaction per
///         invoice, with a "seen" check, as a registry without Merkle packages would do. Not deployed.
contract NaiveInvoiceRegistry {
    /// @notice An invoice was stored.
    /// @param invoiceKey the invoice's national identity hash
    /// @param detailsHash the invoice's salted details hash
    /// @param debtor who stored it
    event InvoiceStored(bytes32 indexed invoiceKey, bytes32 detailsHash, address indexed debtor);

    /// @notice The invoice was stored before.
    /// @param invoiceKey the invoice key
    error NaiveInvoiceSeen(bytes32 invoiceKey);

    mapping(bytes32 invoiceKey => bytes32 detailsHash) private _details;

    /// @notice Store one invoice.
    /// @param invoiceKey the invoice key (must be new)
    /// @param detailsHash the invoice's details hash
    function store(bytes32 invoiceKey, bytes32 detailsHash) external {
        if (_details[invoiceKey] != bytes32(0)) revert NaiveInvoiceSeen(invoiceKey);
        _details[invoiceKey] = detailsHash;
        emit InvoiceStored(invoiceKey, detailsHash, msg.sender);
    }
}
