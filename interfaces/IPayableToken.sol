// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC3525} from "./IERC3525.sol";
import {IMembershipListener} from "./IMembership.sol";

/// @title IPayableToken
/// @notice A core enterprise's confirmed accounts payable as an ERC-3525 semi-fungible token.
///         One payable is one slot; its pieces are token ids holding value in cents of the
///         settlement currency (valueDecimals() == 2). Pieces split, move value, transfer whole
///         and merge; every piece remembers its payable and the piece it was split from.
/// @dev Token ids are `maturityAt << 96 | payableId << 32 | pieceIndex` (index from 1; the issued
///      piece is 1): the slot and the maturity of a piece are read from its id, so a value move
///      touches no payable storage.
///      Only active, unfrozen members with a holder role receive pieces; membership is pushed
///      to this contract by the Membership contract (IMembershipListener), so a move needs no
///      external call. Agents (the financing desk, settlement) act through narrow entry points.
interface IPayableToken is IERC3525, IMembershipListener {
    /// @notice Lifecycle of a payable. It only moves forward.
    enum PayableStatus {
        None,
        Issued,
        Accepted
    }

    /// @notice Everything recorded about a payable. Immutable after issue except status and
    ///         pieceCount. The first creditor is the seller of the invoice package (the registry
    ///         enforces it at issue and records it); the issue time is in the PayableIssued event.
    /// @param debtor the core enterprise that issued it and owes it
    /// @param maturityAt UTC seconds when it is due
    /// @param status issued (awaiting acceptance) or accepted
    /// @param pieceCount pieces minted so far (the last piece index)
    /// @param currency the ERC-20 the payable settles in
    /// @param faceValue face value in cents of the currency
    /// @param currencyDecimals decimals of the currency, read at issue
    /// @param invoiceRoot root of the registered invoice package behind it
    /// @param documentHash hash of the payable's confirmation document
    /// @param firstCreditor the supplier it was issued to (the package's seller)
    struct Payable {
        address debtor;
        uint40 maturityAt;
        PayableStatus status;
        uint32 pieceCount;
        address currency;
        uint64 faceValue;
        uint8 currencyDecimals;
        bytes32 invoiceRoot;
        bytes32 documentHash;
        address firstCreditor;
    }

    /// @notice What an agent (desk, settlement) needs of a payable: its first two storage words,
    ///         read without the registry call that `payableOf` makes for the first creditor.
    /// @param debtor the core enterprise that owes it
    /// @param maturityAt maturity (unix seconds)
    /// @param status Issued, Accepted or Rejected (None if unknown)
    /// @param currency the settlement ERC-20
    /// @param faceValue face value in cents
    /// @param currencyDecimals the currency's decimals (2..36)
    struct PayableTerms {
        address debtor;
        uint40 maturityAt;
        PayableStatus status;
        address currency;
        uint64 faceValue;
        uint8 currencyDecimals;
    }

    /// @notice A piece as seen from outside.
    /// @param payableId the payable (slot)
    /// @param index index of the piece within its payable
    /// @param parentTokenId the piece it was split from (0 for the issued piece)
    /// @param owner current owner (zero if burned or never minted)
    /// @param value value in cents
    /// @param locked held by the financing desk
    /// @param frozen frozen by a regulator
    struct PieceView {
        uint256 payableId;
        uint256 index;
        uint256 parentTokenId;
        address owner;
        uint256 value;
        bool locked;
        bool frozen;
    }

    /// @notice A payable was issued (the debtor's confirmation that it owes it).
    event PayableIssued(
        uint256 indexed payableId,
        address indexed debtor,
        address indexed creditor,
        uint256 tokenId,
        uint64 faceValue,
        address currency,
        uint40 maturityAt,
        bytes32 invoiceRoot,
        bytes32 documentHash
    );
    /// @notice The first creditor accepted the payable; its pieces may move from now on.
    event PayableAccepted(uint256 indexed payableId, address indexed creditor);
    /// @notice Two pieces of one owner were merged; `fromTokenId` was burned.
    event PiecesMerged(uint256 indexed fromTokenId, uint256 indexed toTokenId, uint256 value);
    /// @notice An agent locked a piece (e.g. under a financing offer).
    event PieceLocked(uint256 indexed tokenId, address indexed agent);
    /// @notice An agent unlocked a piece.
    event PieceUnlocked(uint256 indexed tokenId, address indexed agent);
    /// @notice A regulator froze a piece, with the reason on record.
    event PieceFrozen(uint256 indexed tokenId, bytes32 reasonHash, address indexed by);
    /// @notice A regulator unfroze a piece, with the reason on record.
    event PieceUnfrozen(uint256 indexed tokenId, bytes32 reasonHash, address indexed by);
    /// @notice Settlement burned a piece that was paid in full.
    event PieceSettled(uint256 indexed tokenId, address indexed owner, uint256 value);
    /// @notice The admin set an agent's permissions (0 removes it).
    event AgentSet(address indexed agent, uint8 kinds);
    /// @notice The minimum value of a piece changed.
    event MinPieceValueChanged(uint64 previousValue, uint64 newValue);
    /// @notice The longest allowed tenor (maturity minus issue time) changed.
    event MaxTenorChanged(uint32 previousSeconds, uint32 newSeconds);
    /// @notice Trading (issue, accept, split, transfer, merge, financing) was paused or resumed.
    event TradingPauseChanged(bool paused, address indexed by);

    /// @notice The caller lacks the role the action needs.
    error PayableUnauthorized(address caller, uint8 requiredRoles);
    /// @notice Only the admin of the membership contract may do this.
    error PayableNotAdmin(address caller);
    /// @notice Only the membership contract may push membership changes.
    error PayableNotMembership(address caller);
    /// @notice Only an agent of the given kind may do this.
    error PayableNotAgent(address caller, uint8 kind);
    /// @notice An address argument was zero.
    error PayableZeroAddress();
    /// @notice The receiver is not an active, unfrozen member with a holder role.
    error PayableReceiverNotAllowed(address to);
    /// @notice The owner of the piece is frozen.
    error PayableSenderFrozen(address owner);
    /// @notice The face value is zero, below the minimum piece value or above 2^64-1 cents.
    error PayableInvalidFaceValue(uint256 faceValue, uint256 minimum);
    /// @notice The invoice root or the document hash is zero.
    error PayableInvalidCommitment(bytes32 invoiceRoot, bytes32 documentHash);
    /// @notice The currency is not a contract or reports decimals outside 2..36.
    error PayableInvalidCurrency(address currency);
    /// @notice The maturity is not in the future.
    error PayableMaturityInPast(uint256 maturityAt, uint256 nowAt);
    /// @notice The maturity is further away than the maximum tenor allows.
    error PayableTenorTooLong(uint256 maturityAt, uint256 latestAllowed);
    /// @notice No payable with this id.
    error PayableUnknown(uint256 payableId);
    /// @notice The payable is not in the status the action needs.
    error PayableWrongStatus(uint256 payableId, PayableStatus status);
    /// @notice Only the holder of the issued piece (the first creditor) may accept.
    error PayableNotCreditor(uint256 payableId, address caller);
    /// @notice No live piece with this id.
    error PayableNonexistentToken(uint256 tokenId);
    /// @notice The caller is neither the owner nor approved for the piece.
    error PayableNotOwnerNorApproved(uint256 tokenId, address caller);
    /// @notice The `from` of an ERC-721 transfer is not the owner of the piece.
    error PayableInvalidOwner(uint256 tokenId, address from, address owner);
    /// @notice The operator's value allowance is too small.
    error PayableInsufficientAllowance(uint256 tokenId, address operator, uint256 allowance, uint256 needed);
    /// @notice The piece holds less value than asked.
    error PayableInsufficientValue(uint256 tokenId, uint256 balance, uint256 needed);
    /// @notice A move would create or leave a non-zero piece below the minimum value.
    error PayableBelowMinimum(uint256 tokenId, uint256 value, uint256 minimum);
    /// @notice A value move of zero.
    error PayableZeroValue();
    /// @notice Value never crosses payables.
    error PayableSlotMismatch(uint256 fromTokenId, uint256 toTokenId);
    /// @notice Source and destination are the same piece.
    error PayableSameToken(uint256 tokenId);
    /// @notice Merging needs two pieces of the same owner.
    error PayableNotSameOwner(uint256 fromTokenId, uint256 toTokenId);
    /// @notice The piece is locked by an agent.
    error PayablePieceLocked(uint256 tokenId);
    /// @notice The piece is frozen by a regulator.
    error PayablePieceFrozen(uint256 tokenId);
    /// @notice Trading stops at maturity.
    error PayableMatured(uint256 payableId, uint256 maturityAt);
    /// @notice Settlement cannot burn before maturity.
    error PayableNotMatured(uint256 payableId, uint256 maturityAt);
    /// @notice Trading is paused.
    error PayableTradingPaused();
    /// @notice The payable has reached its maximum number of pieces.
    error PayablePieceLimit(uint256 payableId);
    /// @notice A receiver contract rejected the piece or value.
    error PayableReceiverRejected(address to);
    /// @notice Freezing a frozen piece, unfreezing one that is not, locking a locked one, ...
    error PayableFlagUnchanged(uint256 tokenId, uint8 flag, bool set);
    /// @notice A freeze must record a reason.
    error PayableReasonRequired();
    /// @notice A state-changing function was entered again from inside a call (T6).
    error PayableReentrantCall();
    /// @notice An operator approval for the zero address or for oneself.
    error PayableInvalidOperator(address operator);
    /// @notice A payout names no receiver.
    error PayableBatchEmpty();
    /// @notice A payout's receivers and values differ in number.
    error PayableBatchLengthMismatch(uint256 receivers, uint256 values);
    /// @notice A payout asks more than the piece holds (`total` is the sum up to the first
    ///         value that does not fit).
    error PayableBatchOverValue(uint256 tokenId, uint256 balance, uint256 total);
    /// @notice A configuration value is out of range.
    error PayableInvalidConfig(uint256 value);

    /// @notice Issue a payable to a supplier, backed by a registered invoice package.
    /// @dev Caller: an active core enterprise (the debtor). The creditor must be able to
    ///      receive; maturity in the future within the maximum tenor; the package's debtor and
    ///      seller match and its unused total covers the face value. Mints piece 1 to the
    ///      creditor, which cannot move until accepted. Emits PayableIssued, Transfer,
    ///      SlotChanged, TransferValue.
    /// @param creditor the first creditor (tier-1 supplier)
    /// @param faceValue face value in cents of the currency
    /// @param currency the ERC-20 the payable settles in
    /// @param maturityAt UTC seconds when it is due
    /// @param invoiceRoot root of the debtor's registered invoice package
    /// @param documentHash hash of the confirmation document
    /// @return payableId the new payable (slot)
    /// @return tokenId the issued piece
    function issue(
        address creditor,
        uint64 faceValue,
        address currency,
        uint40 maturityAt,
        bytes32 invoiceRoot,
        bytes32 documentHash
    ) external returns (uint256 payableId, uint256 tokenId);

    /// @notice The first creditor accepts an issued payable (签收); its pieces may then move.
    /// @dev Caller: owner of piece 1. Before maturity, trading not paused. Emits PayableAccepted.
    /// @param payableId the payable
    function accept(uint256 payableId) external;

    /// @notice Pay many receivers from one piece in one transaction: split `values[i]` cents
    ///         off `fromTokenId` into a new piece for `to[i]`, for every i, all or nothing.
    /// @dev Every rule of a single split (`transferFrom(uint256,address,uint256)`) applies to
    ///      each new piece: caller the owner, an operator for all, the approved address or an
    ///      operator whose value allowance covers the total (spent once, by the total); trading
    ///      open and before maturity; the source neither locked, frozen nor pending, its owner
    ///      not frozen; each receiver an active member that may receive; each value non-zero and
    ///      at least the minimum piece; what remains 0 or at least the minimum (a payout of the
    ///      whole value burns the source). The new pieces get consecutive token ids starting at
    ///      `firstTokenId` (piece indexes `pieceCount + 1 ... pieceCount + n` of the payable), in
    ///      the order of `to`. Events per new piece are exactly those of a single split, in the
    ///      same order: Transfer (mint), SlotChanged, TransferValue(fromTokenId, newTokenId,
    ///      value); when the last value empties the source, its burn (Transfer, SlotChanged)
    ///      comes before the last TransferValue, as in a split of the whole value. Receiver
    ///      contracts that declare IERC3525Receiver are called after all effects. Reverts
    ///      PayableBatchEmpty, PayableBatchLengthMismatch, PayableBatchOverValue, and every error
    ///      of a single split.
    /// @param fromTokenId the piece paid out of
    /// @param to the receivers (a receiver may appear more than once)
    /// @param values cents for each receiver, in the order of `to`
    /// @return firstTokenId the token id of the piece for `to[0]`; `to[i]` gets
    ///         `firstTokenId + i`
    function payout(uint256 fromTokenId, address[] calldata to, uint256[] calldata values)
        external
        returns (uint256 firstTokenId);

    /// @notice Merge all value of one piece into another piece of the same owner and payable.
    /// @dev Caller: owner or approved for both. Burns `fromTokenId`. Emits TransferValue,
    ///      Transfer (burn), PiecesMerged.
    /// @param fromTokenId the piece to empty and burn
    /// @param toTokenId the piece that receives the value
    function merge(uint256 fromTokenId, uint256 toTokenId) external;

    /// @notice Lock a piece for a financing (agent: desk). Clears its approvals.
    /// @param tokenId the piece
    function lockPiece(uint256 tokenId) external;

    /// @notice Unlock a piece (agent: desk).
    /// @param tokenId the piece
    function unlockPiece(uint256 tokenId) external;

    /// @notice Move value out of a piece on the owner's behalf, bypassing approvals (agents:
    ///         desk before maturity, settlement at any time). The agent has verified consent.
    /// @dev Whole value: the piece itself changes owner; part: a new piece is split off.
    ///      Receiver rules, freezes and the minimum value still apply; a lock is released.
    /// @param fromTokenId the piece
    /// @param to the receiver
    /// @param value value in cents
    /// @return tokenId the piece now held by `to`
    function agentTransfer(uint256 fromTokenId, address to, uint256 value) external returns (uint256 tokenId);

    /// @notice Burn a piece paid in full (agent: settlement), at or after maturity. Refused for
    ///         a frozen piece (PayablePieceFrozen) and for an owner frozen by a regulator
    ///         (PayableSenderFrozen): what it is owed waits in escrow.
    /// @param tokenId the piece
    /// @return owner its last owner
    /// @return value its value in cents
    function burnSettled(uint256 tokenId) external returns (address owner, uint256 value);

    /// @notice Freeze a piece (regulator or court order): it cannot move; what it is owed waits.
    /// @param tokenId the piece
    /// @param reasonHash hash of the order, non-zero
    function freezePiece(uint256 tokenId, bytes32 reasonHash) external;

    /// @notice Lift a piece freeze.
    /// @param tokenId the piece
    /// @param reasonHash hash of the order, non-zero
    function unfreezePiece(uint256 tokenId, bytes32 reasonHash) external;

    /// @notice Grant or revoke agent permissions (admin of the membership contract).
    /// @param agent the agent contract
    /// @param kinds bit set: 1 desk, 2 settlement (0 revokes)
    function setAgent(address agent, uint8 kinds) external;

    /// @notice Set the minimum value of a non-zero piece (operator).
    /// @param value minimum in cents, at least 1
    function setMinPieceValue(uint64 value) external;

    /// @notice Set the maximum tenor enforced at issue (operator).
    /// @param seconds_ longest allowed maturity minus issue time, 1 day to 10 years
    function setMaxTenor(uint32 seconds_) external;

    /// @notice Pause or resume trading (operator). Settlement is never paused by this.
    /// @param paused the new state
    function setTradingPaused(bool paused) external;

    /// @notice A payable's record.
    /// @param payableId the payable
    /// @return the record (all zero if unknown)
    function payableOf(uint256 payableId) external view returns (Payable memory);

    /// @notice A payable's terms as the desk and settlement need them (two storage reads).
    /// @param payableId the payable
    /// @return the terms (all zero if unknown)
    function termsOf(uint256 payableId) external view returns (PayableTerms memory);

    /// @notice A piece's record.
    /// @param tokenId the piece
    /// @return the record (owner zero if not live)
    function pieceOf(uint256 tokenId) external view returns (PieceView memory);

    /// @notice What settlement needs to pay a piece's holder, in one call (two storage reads):
    ///         a narrow alternative to `pieceOf` + `holderOf`.
    /// @param tokenId the piece
    /// @return owner current owner (zero if not live)
    /// @return value value in cents
    /// @return frozen the piece is frozen by a regulator
    /// @return ownerCanSend the owner is an active member not frozen by a regulator
    function claimViewOf(uint256 tokenId)
        external
        view
        returns (address owner, uint256 value, bool frozen, bool ownerCanSend);

    /// @notice The piece a piece was split from (0 for an issued piece).
    /// @param tokenId the piece
    /// @return the parent token id
    function parentOf(uint256 tokenId) external view returns (uint256);

    /// @notice The token id of a payable's piece.
    /// @param payableId the payable
    /// @param index the piece index (from 1)
    /// @return the token id
    function tokenIdOf(uint256 payableId, uint256 index) external view returns (uint256);

    /// @notice Number of payables issued.
    /// @return the count (ids run from 1)
    function payableCount() external view returns (uint256);

    /// @notice Minimum value of a non-zero piece, in cents.
    /// @return the minimum
    function minPieceValue() external view returns (uint64);

    /// @notice Longest allowed tenor in seconds.
    /// @return the tenor
    function maxTenor() external view returns (uint32);

    /// @notice Whether trading is paused.
    /// @return true if paused
    function tradingPaused() external view returns (bool);

    /// @notice An agent's permission bits.
    /// @param agent the address
    /// @return kinds bit set: 1 desk, 2 settlement
    function agentKinds(address agent) external view returns (uint8);

    /// @notice The token's view of an account's membership and its piece count.
    /// @param account the address
    /// @return pieces number of pieces held
    /// @return canReceive may receive pieces
    /// @return canSend may send pieces
    function holderOf(address account) external view returns (uint256 pieces, bool canReceive, bool canSend);
}
