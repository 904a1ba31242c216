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

    /// @notice A registered package, as stored (the document hash and the registration time are
    ///         in the PackageRegistered event, which commits them to the chain's log).
    /// @param debtor the core enterprise that registered it and owes the invoices
    /// @param status active or voided
    /// @param invoiceCount number of invoices (leaves)
    /// @param seller the supplier the invoices are owed to (first creditor of its payables)
    /// @param totalCents sum of the invoice amounts, in cents (at most 2^56 - 1)
    /// @param issuedCents face value of payables issued against it so far, in cents
    /// @param sequence registration order, from 1 (0 if unknown); lower is earlier
    struct Package {
        address debtor;
        PackageStatus status;
        uint32 invoiceCount;
        address seller;
        uint64 totalCents;
        uint64 issuedCents;
        uint32 sequence;
    }

    /// @notice The payable token was bound to the registry (once, for good).
    /// @param token the payable token, the only caller of consume
    /// @param by the membership admin who bound it
    event TokenBound(address indexed token, address indexed by);

    /// @notice A core enterprise registered an invoice package it owes.
    /// @param root the Merkle root (the package id)
    /// @param debtor the registering core enterprise
    /// @param seller the supplier the invoices are owed to
    /// @param invoiceCount number of invoices (leaves)
    /// @param totalCents sum of the invoice amounts, in cents
    /// @param documentHash hash of the off-chain package document
    event PackageRegistered(
        bytes32 indexed root,
        address indexed debtor,
        address indexed seller,
        uint32 invoiceCount,
        uint64 totalCents,
        bytes32 documentHash
    );

    /// @notice Part of a package's total now backs a new payable.
    /// @param root the package root
    /// @param amountCents the face value consumed, in cents
    /// @param issuedCents the package's issued total after this call, in cents
    event PackageConsumed(bytes32 indexed root, uint256 amountCents, uint64 issuedCents);

    /// @notice A package was voided: one of its invoices was proven to belong to an earlier
    ///         package too. Payables already issued against `root` must be flagged by indexers.
    /// @param root the voided (later registered) package
    /// @param invoiceKey the invoice found in both packages
    /// @param earlierRoot the earlier registered package, which keeps the invoice
    /// @param by whoever proved the duplicate
    event PackageVoided(bytes32 indexed root, bytes32 invoiceKey, bytes32 indexed earlierRoot, address indexed by);

    /// @notice Someone proved, on record, that an invoice belongs to a registered package (a
    ///         financier's check kept in the chain's log). Only ever emitted for a valid proof.
    /// @param root the package root
    /// @param invoiceKey the invoice's national identity hash
    /// @param by who asked for the attestation
    /// @param detailsHash the invoice's salted details hash
    /// @param status the package's status at the time (active or voided)
    event InvoiceAttested(
        bytes32 indexed root, bytes32 indexed invoiceKey, address indexed by, bytes32 detailsHash, PackageStatus status
    );

    /// @notice The caller is not the membership admin.
    /// @param caller the caller
    /// @param admin the membership admin
    error RegistryNotAdmin(address caller, address admin);
    /// @notice A zero address where an account or contract is required.
    error RegistryZeroAddress();
    /// @notice The payable token is already bound.
    /// @param token the bound token
    error RegistryTokenAlreadyBound(address token);
    /// @notice The caller is not the bound payable token.
    /// @param caller the caller
    /// @param token the bound token (zero if none is bound yet)
    error RegistryNotToken(address caller, address token);
    /// @notice The caller is not an active core enterprise member.
    /// @param caller the caller
    error RegistryNotCoreEnterprise(address caller);
    /// @notice The seller is not an active supplier member.
    /// @param seller the proposed seller
    error RegistryNotSupplier(address seller);
    /// @notice A package field that must be non-zero is zero.
    /// @param root the root
    /// @param invoiceCount the invoice count
    /// @param totalCents the total in cents
    /// @param documentHash the document hash
    error RegistryInvalidPackage(bytes32 root, uint32 invoiceCount, uint64 totalCents, bytes32 documentHash);
    /// @notice The package total does not fit the stored width (56 bits of cents).
    /// @param totalCents the total in cents
    /// @param maxCents the largest total a package may have, in cents
    error RegistryTotalTooLarge(uint64 totalCents, uint64 maxCents);
    /// @notice The root is already registered.
    /// @param root the root
    /// @param debtor the debtor who registered it
    error RegistryPackageExists(bytes32 root, address debtor);
    /// @notice No package with this root.
    /// @param root the root
    error RegistryUnknownPackage(bytes32 root);
    /// @notice The package is voided.
    /// @param root the root
    error RegistryPackageIsVoided(bytes32 root);
    /// @notice The payable's issuer is not the package's debtor.
    /// @param root the root
    /// @param debtor the package's debtor
    /// @param given the issuer passed in
    error RegistryWrongDebtor(bytes32 root, address debtor, address given);
    /// @notice The payable's first creditor is not the package's seller.
    /// @param root the root
    /// @param seller the package's seller
    /// @param given the creditor passed in
    error RegistryWrongCreditor(bytes32 root, address seller, address given);
    /// @notice A zero amount cannot back a payable.
    /// @param root the root
    error RegistryZeroAmount(bytes32 root);
    /// @notice The amount would take the issued total above the package total.
    /// @param root the root
    /// @param issuedCents already issued, in cents
    /// @param amountCents requested, in cents
    /// @param totalCents the package total, in cents
    error RegistryExceedsTotal(bytes32 root, uint64 issuedCents, uint256 amountCents, uint64 totalCents);
    /// @notice Both sides of a duplicate challenge name the same package.
    /// @param root the root
    error RegistrySameRoot(bytes32 root);
    /// @notice The proof does not show the invoice in the package.
    /// @param root the root
    /// @param invoiceKey the invoice key
    /// @param detailsHash the details hash
    error RegistryInvalidProof(bytes32 root, bytes32 invoiceKey, bytes32 detailsHash);

    /// @notice Bind the payable token, the only contract allowed to consume packages.
    /// @dev Once, by the membership admin; `token` non-zero. Emits TokenBound.
    /// @param token the payable token
    function bindToken(address token) external;

    /// @notice Register an invoice package the caller owes, for the seller.
    /// @dev The caller (the debtor) must be an active core enterprise member and `seller` an
    ///      active supplier member; root, count, total and documentHash non-zero; the total at
    ///      most 2^56 - 1 cents; the root new. Two storage words whatever the number of
    ///      invoices; the document hash is kept in the PackageRegistered event only.
    ///      Emits PackageRegistered.
    /// @param root the Merkle root over the invoice leaves
    /// @param invoiceCount number of invoices (leaves)
    /// @param totalCents sum of the invoice amounts, in cents
    /// @param seller the supplier the invoices are owed to
    /// @param documentHash hash of the off-chain package document
    function registerPackage(bytes32 root, uint32 invoiceCount, uint64 totalCents, address seller, bytes32 documentHash)
        external;

    /// @notice Prove that one invoice sits in two packages and void the later registered one.
    /// @dev Anyone. Both proofs must be valid, the roots different, both packages registered,
    ///      and the later one not voided yet. "Later" is by registration sequence (the order in
    ///      which the chain executed the registrations, also within one block); the earlier
    ///      package keeps the invoice even if it is itself voided. Emits PackageVoided.
    /// @param invoiceKey the invoice found in both packages
    /// @param rootA one package
    /// @param detailsA the invoice's details hash in package A
    /// @param proofA the proof for package A
    /// @param rootB the other package
    /// @param detailsB the invoice's details hash in package B
    /// @param proofB the proof for package B
    function voidDuplicate(
        bytes32 invoiceKey,
        bytes32 rootA,
        bytes32 detailsA,
        bytes32[] calldata proofA,
        bytes32 rootB,
        bytes32 detailsB,
        bytes32[] calldata proofB
    ) external;

    /// @notice Prove that an invoice belongs to a registered package and put the check on record.
    /// @dev Anyone. The package must be registered (active or voided) and the proof valid, else
    ///      RegistryUnknownPackage / RegistryInvalidProof. Changes no state. The caller discloses
    ///      the invoice key. Emits InvoiceAttested.
    /// @param root the package root
    /// @param invoiceKey the invoice's national identity hash
    /// @param detailsHash keccak256(salt ‖ canonical invoice bytes)
    /// @param proof sibling hashes, bottom-up
    function attestInvoice(bytes32 root, bytes32 invoiceKey, bytes32 detailsHash, bytes32[] calldata proof)
        external;

    /// @notice The registration sequence number of a package (0 if unknown); lower is earlier.
    /// @param root the package root
    /// @return the sequence number, starting at 1
    function sequenceOf(bytes32 root) external view returns (uint32);

    /// @notice The bound payable token (zero until bound).
    /// @return the token
    function token() external view returns (address);

    /// @notice The membership register used for role checks.
    /// @return the membership contract
    function membership() external view returns (address);

    /// @notice Consume part of a package's total for a new payable.
    /// @dev Only the bound payable token. Reverts unless the package is active, `debtor` is its
    ///      debtor, `creditor` its seller, amount non-zero and issued + amount <= total.
    ///      Emits PackageConsumed.
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
    /// @return true if the package is registered (active or voided) and the proof is valid for it
    function verifyInvoice(bytes32 root, bytes32 invoiceKey, bytes32 detailsHash, bytes32[] calldata proof)
        external
        view
        returns (bool);
}
