// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IInvoiceRegistry} from "../../interfaces/IInvoiceRegistry.sol";

/// @title InvoiceProofProbe
/// @notice Test-only: checks one invoice proof in a transaction, so that the gas of a proof check
///         as a transaction (`gas.proof_verify:depth=D`) can be measured. Not deployed.
contract InvoiceProofProbe {
    /// @notice A proof was checked.
    /// @param root the package root
    /// @param valid the registry's answer
    event InvoiceChecked(bytes32 indexed root, bool valid);

    IInvoiceRegistry private immutable _registry;

    /// @param registry the registry to ask
    constructor(IInvoiceRegistry registry) {
        _registry = registry;
    }

    /// @notice Ask the registry whether an invoice is in a package and record the answer.
    /// @param root the package root
    /// @param invoiceKey the invoice key
    /// @param detailsHash the invoice's details hash
    /// @param proof sibling hashes, bottom-up
    /// @return valid the registry's answer
    function check(bytes32 root, bytes32 invoiceKey, bytes32 detailsHash, bytes32[] calldata proof)
        external
        returns (bool valid)
    {
        valid = _registry.verifyInvoice(root, invoiceKey, detailsHash, proof);
        emit InvoiceChecked(root, valid);
    }
}
