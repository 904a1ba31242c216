// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IInvoiceRegistry
/// @notice Invoice data packages: a Merkle root over many invoices, registered once by the core
///         enterprise that owes them, with constant storage whatever the number of invoices.
///         Any invoice can be proven to belong to a package; payables issued against a package
///         never exceed its total; one invoice never backs two packages (a proven duplicate voids
///         the later package).
/// @dev Leaf of an invoice: keccak256(bytes.concat(keccak256(abi.encode(invoiceKey, detailsHash))))
///      (hashed twice: a leaf is never taken for a 64-byte inner node). Inner nodes: OpenZeppelin
///      MerkleProof commutative keccak256 of the sorted pair. invoiceKey identifies the invoice
///      nationally (code and number); detailsHash = keccak256(salt ‖ canonical invoice bytes).
///      Amounts are in cents (2 decimals) of the package currency.
interface IInvoiceRegistry {
    /// @notice Lifecycle of a package.
    enum PackageStatus {
        None,
        Active,
        Voided
    }

    /// @notice A registered package.
    /// @param debtor the core enterprise that registered it and owes the invoices
    /// @param registeredAt UTC seconds of registration
    /// @param status active or voided
    /// @param invoiceCount number of invoices (leaves)
    /// @param seller the supplier the invoices are owed to (first creditor of its payables)
    /// @param totalCents sum of the invoice amounts, in cents
    /// @param issuedCents face value of payables issued against it so far, in cents
    /// @param documentHash hash of the off-chain package document
    struct Package {
        address debtor;
        uint40 registeredAt;
        PackageStatus status;
        uint32 invoiceCount;
        address seller;
        uint64 totalCents;
        uint64 issuedCents;
        bytes32 documentHash;
    }

    /// @notice Consume part of a package's total for a new payable.
    /// @dev Only the bound payable token. Reverts unless the package is active, `debtor` is its
    ///      debtor, `creditor` its seller, and issued + amount <= total.
    /// @param root the package root (its id)
    /// @param debtor the issuer of the payable
    /// @param creditor the payable's first creditor
    /// @param amountCents the payable's face value in cents
    function consume(bytes32 root, address debtor, address creditor, uint256 amountCents) external;

    /// @notice A package's record (all zero if unknown).
    /// @param root the package root
    /// @return the record
    function packageOf(bytes32 root) external view returns (Package memory);

    /// @notice Whether an invoice belongs to a package.
    /// @param root the package root
    /// @param invoiceKey the invoice's national identity hash
    /// @param detailsHash keccak256(salt ‖ canonical invoice bytes)
    /// @param proof sibling hashes, bottom-up
    /// @return true if the proof is valid for the root
    function verifyInvoice(bytes32 root, bytes32 invoiceKey, bytes32 detailsHash, bytes32[] calldata proof)
        external
        view
        returns (bool);
}
