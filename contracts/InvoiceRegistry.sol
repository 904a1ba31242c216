// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

import {IInvoiceRegistry} from "../interfaces/IInvoiceRegistry.sol";
import {IMembership} from "../interfaces/IMembership.sol";

import {Roles} from "./lib/Roles.sol";

/// @title InvoiceRegistry
/// @notice Invoice data packages registered once by the core enterprise that owes them: a Merkle
///         root, a count, a total and a document hash, in constant storage whatever the number of
///         invoices. The payable token consumes a package's total as it issues payables; anyone
///         who finds one invoice in two packages voids the later one (T1, double financing).
/// @dev Storage per package, two slots, both written at registration:
///        slot 0: debtor (20) | issuedCents (7) | status (1) | sequence (4)       = 32 bytes
///        slot 1: seller (20) | totalCents (7) | invoiceCount (4)                = 31 bytes
///      consume updates slot 0, which is non-zero from registration on: every consume, the first
///      included, is a non-zero to non-zero write. The document hash and the registration time
///      live in the PackageRegistered event only: the log commits them to the chain, and each
///      payable records its own document hash in the token.
///      The sequence (registration order, from 1) decides which of two packages is "later"; it is
///      the order in which the chain executed the registrations, so two packages registered in
///      the same block are still strictly ordered. No ether is accepted (no receive/fallback).
contract InvoiceRegistry is IInvoiceRegistry {
    /// @notice Membership role of a core enterprise (mirrors Membership.ROLE_CORE_ENTERPRISE).
    uint8 public constant ROLE_CORE_ENTERPRISE = Roles.CORE_ENTERPRISE;
    /// @notice Membership role of a supplier (mirrors Membership.ROLE_SUPPLIER).
    uint8 public constant ROLE_SUPPLIER = Roles.SUPPLIER;

    /// @notice The largest package total, in cents (56 bits: 7.2e14 currency units).
    uint64 public constant MAX_TOTAL_CENTS = type(uint56).max;

    /// @dev The stored form of a package, two slots (see the contract's @dev). Cents are 56 bits
    ///      wide so that debtor, issued total, status and sequence share the word consume writes.
    struct PackageRecord {
        address debtor;
        uint56 issuedCents;
        PackageStatus status;
        uint32 sequence;
        address seller;
        uint56 totalCents;
        uint32 invoiceCount;
    }

    /// @dev The consortium register consulted for the debtor's and the seller's roles.
    IMembership private immutable _membership;

    /// @dev The bound payable token and the sequence the next package gets, in one slot. The
    ///      sequence starts at 1 in the constructor, so that every registration pays the same
    ///      (a non-zero to non-zero write) and 0 can mean "unknown".
    address private _token;
    uint32 private _nextSequence;

    /// @dev Packages by Merkle root; a root is registered at most once, voided or not.
    mapping(bytes32 root => PackageRecord) private _packages;

    /// @param membership_ the consortium's membership register
    constructor(IMembership membership_) {
        if (address(membership_) == address(0)) revert RegistryZeroAddress();
        _membership = membership_;
        _nextSequence = 1;
    }

    // ------------------------------------------------------------------ administration

    /// @inheritdoc IInvoiceRegistry
    function bindToken(address token_) external {
        _checkMembershipAdmin();
        if (token_ == address(0)) revert RegistryZeroAddress();
        if (_token != address(0)) revert RegistryTokenAlreadyBound(_token);
        _token = token_;
        emit TokenBound(token_, msg.sender);
    }

    // ------------------------------------------------------------------ packages

    /// @inheritdoc IInvoiceRegistry
    function registerPackage(bytes32 root, uint32 invoiceCount, uint64 totalCents, address seller, bytes32 documentHash)
        external
    {
        _checkFields(root, invoiceCount, totalCents, documentHash);
        _checkParties(msg.sender, seller);
        PackageRecord storage record = _packages[root];
        if (record.status != PackageStatus.None) revert RegistryPackageExists(root, record.debtor);

        uint32 sequence = _nextSequence;
        // 2^32 - 1 registrations before this wraps: centuries at any realistic rate.
        unchecked {
            _nextSequence = sequence + 1;
        }
        record.debtor = msg.sender;
        record.issuedCents = 0;
        record.status = PackageStatus.Active;
        record.sequence = sequence;
        record.seller = seller;
        // _checkFields bounded totalCents by MAX_TOTAL_CENTS: the narrowing cannot truncate.
        record.totalCents = uint56(totalCents);
        record.invoiceCount = invoiceCount;
        emit PackageRegistered(root, msg.sender, seller, invoiceCount, totalCents, documentHash);
    }

    /// @inheritdoc IInvoiceRegistry
    function consume(bytes32 root, address debtor, address creditor, uint256 amountCents) external {
        _checkToken();
        PackageRecord storage record = _activePackage(root);
        if (record.debtor != debtor) revert RegistryWrongDebtor(root, record.debtor, debtor);
        if (record.seller != creditor) revert RegistryWrongCreditor(root, record.seller, creditor);
        if (amountCents == 0) revert RegistryZeroAmount(root);
        uint56 issued = record.issuedCents;
        uint56 total = record.totalCents;
        // issued <= total < 2^56, and the sum is taken in 256 bits: no overflow.
        if (uint256(issued) + amountCents > total) revert RegistryExceedsTotal(root, issued, amountCents, total);

        // The sum is at most total, a uint56: the narrowing cannot truncate.
        uint56 newIssued = uint56(issued + amountCents);
        record.issuedCents = newIssued;
        emit PackageConsumed(root, amountCents, newIssued);
    }

    /// @inheritdoc IInvoiceRegistry
    function voidDuplicate(
        bytes32 invoiceKey,
        bytes32 rootA,
        bytes32 detailsA,
        bytes32[] calldata proofA,
        bytes32 rootB,
        bytes32 detailsB,
        bytes32[] calldata proofB
    ) external {
        if (rootA == rootB) revert RegistrySameRoot(rootA);
        _knownPackage(rootA);
        _knownPackage(rootB);
        _checkProof(rootA, invoiceKey, detailsA, proofA);
        _checkProof(rootB, invoiceKey, detailsB, proofB);
        _voidLater(invoiceKey, rootA, rootB);
    }

    /// @inheritdoc IInvoiceRegistry
    function attestInvoice(bytes32 root, bytes32 invoiceKey, bytes32 detailsHash, bytes32[] calldata proof)
        external
    {
        PackageStatus status = _knownPackage(root).status;
        _checkProof(root, invoiceKey, detailsHash, proof);
        emit InvoiceAttested(root, invoiceKey, msg.sender, detailsHash, status);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IInvoiceRegistry
    function packageOf(bytes32 root) external view returns (Package memory) {
        PackageRecord storage record = _packages[root];
        return Package({
            debtor: record.debtor,
            status: record.status,
            invoiceCount: record.invoiceCount,
            seller: record.seller,
            totalCents: record.totalCents,
            issuedCents: record.issuedCents,
            sequence: record.sequence
        });
    }

    /// @inheritdoc IInvoiceRegistry
    function sequenceOf(bytes32 root) external view returns (uint32) {
        return _packages[root].sequence;
    }

    /// @inheritdoc IInvoiceRegistry
    function verifyInvoice(bytes32 root, bytes32 invoiceKey, bytes32 detailsHash, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        return _packages[root].status != PackageStatus.None && _isValidProof(root, invoiceKey, detailsHash, proof);
    }

    /// @inheritdoc IInvoiceRegistry
    function token() external view returns (address) {
        return _token;
    }

    /// @inheritdoc IInvoiceRegistry
    function membership() external view returns (address) {
        return address(_membership);
    }

    // ------------------------------------------------------------------ internals

    /// @dev The leaf rule of IInvoiceRegistry: keccak256 twice over the 64-byte abi encoding, so a
    ///      leaf preimage is never an inner node (T14).
    function _leaf(bytes32 invoiceKey, bytes32 detailsHash) private pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(invoiceKey, detailsHash))));
    }

    /// @dev Whether `proof` leads from the invoice's leaf to `root` (OpenZeppelin, calldata variant).
    function _isValidProof(bytes32 root, bytes32 invoiceKey, bytes32 detailsHash, bytes32[] calldata proof)
        private
        pure
        returns (bool)
    {
        return MerkleProof.verifyCalldata(proof, root, _leaf(invoiceKey, detailsHash));
    }

    /// @dev The record of a registered package (active or voided); reverts if unknown.
    function _knownPackage(bytes32 root) private view returns (PackageRecord storage record) {
        record = _packages[root];
        if (record.status == PackageStatus.None) revert RegistryUnknownPackage(root);
    }

    /// @dev The record of an active package; reverts if unknown or voided.
    function _activePackage(bytes32 root) private view returns (PackageRecord storage record) {
        record = _knownPackage(root);
        if (record.status == PackageStatus.Voided) revert RegistryPackageIsVoided(root);
    }

    /// @dev Void whichever of two known packages was registered later (higher sequence); the
    ///      earlier one keeps the invoice whatever its own status.
    function _voidLater(bytes32 invoiceKey, bytes32 rootA, bytes32 rootB) private {
        (bytes32 later, bytes32 earlier) =
            _packages[rootA].sequence > _packages[rootB].sequence ? (rootA, rootB) : (rootB, rootA);
        PackageRecord storage record = _packages[later];
        if (record.status == PackageStatus.Voided) revert RegistryPackageIsVoided(later);
        record.status = PackageStatus.Voided;
        emit PackageVoided(later, invoiceKey, earlier, msg.sender);
    }

    /// @dev Reverts unless the invoice is proven to be in the package.
    function _checkProof(bytes32 root, bytes32 invoiceKey, bytes32 detailsHash, bytes32[] calldata proof)
        private
        pure
    {
        if (!_isValidProof(root, invoiceKey, detailsHash, proof)) {
            revert RegistryInvalidProof(root, invoiceKey, detailsHash);
        }
    }

    /// @dev Reverts if any field a package needs is zero, or the total exceeds MAX_TOTAL_CENTS.
    function _checkFields(bytes32 root, uint32 invoiceCount, uint64 totalCents, bytes32 documentHash) private pure {
        if (root == bytes32(0) || invoiceCount == 0 || totalCents == 0 || documentHash == bytes32(0)) {
            revert RegistryInvalidPackage(root, invoiceCount, totalCents, documentHash);
        }
        if (totalCents > MAX_TOTAL_CENTS) revert RegistryTotalTooLarge(totalCents, MAX_TOTAL_CENTS);
    }

    /// @dev Reverts unless the debtor is an active core enterprise and the seller an active supplier.
    function _checkParties(address debtor, address seller) private view {
        if (!_membership.hasActiveRole(debtor, ROLE_CORE_ENTERPRISE)) revert RegistryNotCoreEnterprise(debtor);
        if (!_membership.hasActiveRole(seller, ROLE_SUPPLIER)) revert RegistryNotSupplier(seller);
    }

    /// @dev Reverts unless the caller is the membership admin (read live: follows admin hand-overs).
    function _checkMembershipAdmin() private view {
        address admin = _membership.admin();
        if (msg.sender != admin) revert RegistryNotAdmin(msg.sender, admin);
    }

    /// @dev Reverts unless the caller is the bound payable token.
    function _checkToken() private view {
        if (msg.sender != _token) revert RegistryNotToken(msg.sender, _token);
    }
}
