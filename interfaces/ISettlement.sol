// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title ISettlement
/// @notice Payment at maturity (兑付) of the payables of a PayableToken: the debtor pays the face
///         value into escrow in one or several payments; each holder pulls its own piece's share;
///         an unpaid payable becomes overdue after maturity plus a grace period; a guarantor may
///         then pay in and holds a claim against the debtor; a financier that bought a piece with
///         recourse may turn to the seller it bought from.
/// @dev Values are cents of the payable's currency (the token's valueDecimals is 2); currency
///      units = cents * 10**(currencyDecimals - 2). No function loops over pieces or holders.
///      Rounding: a piece's entitlement is floor(value * paid / face), rounded DOWN; the dust
///      stays in escrow until the payable is paid in full, when every piece gets exactly its
///      value. Caller identities are ERC-2771 `_msgSender()` (a trusted relay may act for a
///      member who signed the request).
interface ISettlement {
    /// @notice What settlement knows about a payable.
    /// @param open the payable was registered in settlement (on its first payment, guarantee,
    ///        overdue mark or explicit `open`); the fields below are zero until then
    /// @param debtor the core enterprise that owes it
    /// @param currency the ERC-20 it settles in
    /// @param currencyDecimals decimals of the currency
    /// @param faceValue face value in cents
    /// @param paidCents paid in so far by the debtor and the guarantor together
    /// @param unpaidCents faceValue - paidCents
    /// @param graceSeconds grace period after maturity, fixed when the payable was opened
    /// @param overdueAt first instant at which the payable may be marked overdue (maturity + grace)
    /// @param overdue marked overdue (stays set after a later full payment, as history)
    struct PayableAccount {
        bool open;
        address debtor;
        address currency;
        uint8 currencyDecimals;
        uint64 faceValue;
        uint64 paidCents;
        uint64 unpaidCents;
        uint32 graceSeconds;
        uint40 overdueAt;
        bool overdue;
    }

    /// @notice A guarantee (增信) of a payable.
    /// @param guarantor who committed (zero: none)
    /// @param limitCents the most it will pay in
    /// @param paidCents what it has paid in (counts towards the holders' entitlement)
    /// @param repaidCents what the debtor has repaid it; its open claim is paidCents - repaidCents
    struct Guarantee {
        address guarantor;
        uint64 limitCents;
        uint64 paidCents;
        uint64 repaidCents;
    }

    /// @notice State of a recourse claim (追索) on a piece.
    enum RecourseStatus {
        None,
        Exercised,
        Settled
    }

    /// @notice A recourse claim of a financier against the seller of a piece.
    /// @param status none, exercised (open) or settled
    /// @param financier who bought the piece with recourse and exercised
    /// @param seller who sold it and owes the claim
    /// @param amountCents while exercised: the piece's uncovered part when exercised; once
    ///        settled: what the seller paid
    /// @param exercisedAt UTC seconds of the exercise
    /// @param settledAt UTC seconds of the settlement (0 while open)
    struct Recourse {
        RecourseStatus status;
        address financier;
        address seller;
        uint64 amountCents;
        uint40 exercisedAt;
        uint40 settledAt;
    }

    /// @notice A payable was registered in settlement; its grace period is fixed from now on.
    event PayableOpened(
        uint256 indexed payableId, address indexed debtor, address currency, uint64 faceValue, uint40 overdueAt
    );
    /// @notice The debtor paid into escrow.
    event Paid(uint256 indexed payableId, address indexed payer, uint256 cents, uint256 unpaidCents);
    /// @notice A holder claimed its piece's share; `settled` when the piece was paid in full and
    ///         burned. The payable is `tokenId >> 32 & (2**64 - 1)`.
    event Claimed(uint256 indexed tokenId, address indexed holder, uint256 cents, bool settled);
    /// @notice claimMany could not pay a piece now (its money waits in escrow); `reason` is the
    ///         revert data of the failed claim (a custom error such as PayablePieceFrozen,
    ///         SettlementHolderFrozen, SettlementNothingToClaim or the currency's own error, at
    ///         most 260 bytes; empty when the piece's claim ran out of gas).
    event ClaimSkipped(uint256 indexed tokenId, bytes reason);
    /// @notice Anyone marked an unpaid payable overdue after its grace period.
    event MarkedOverdue(uint256 indexed payableId, address indexed by, uint256 unpaidCents);
    /// @notice A guarantor committed to (or raised its commitment for) a payable.
    event GuaranteeRegistered(uint256 indexed payableId, address indexed guarantor, uint64 limitCents);
    /// @notice The guarantor paid into escrow for the holders of an overdue payable.
    event GuarantorPaid(uint256 indexed payableId, address indexed guarantor, uint256 cents, uint256 unpaidCents);
    /// @notice The debtor repaid the guarantor (directly, through settlement).
    event GuarantorRepaid(
        uint256 indexed payableId, address indexed guarantor, uint256 cents, uint256 stillOwedCents
    );
    /// @notice A financier exercised recourse for a piece against its seller.
    event RecourseExercised(
        uint256 indexed tokenId, address indexed financier, address indexed seller, uint256 uncoveredCents
    );
    /// @notice The seller paid a recourse claim; the piece moved back to the seller.
    /// @param paidCents what the seller paid the financier (the uncovered part at settlement)
    /// @param escrowCents what the escrow paid the financier for the piece at settlement
    event RecourseSettled(
        uint256 indexed tokenId,
        address indexed financier,
        address indexed seller,
        uint256 paidCents,
        uint256 escrowCents
    );
    /// @notice Payments and claims were paused or resumed.
    event SettlementPauseChanged(bool paused, address indexed by);
    /// @notice The grace period for payables opened from now on changed.
    event GracePeriodChanged(uint32 previousSeconds, uint32 newSeconds);
    /// @notice The financing desk's records were set (once).
    event FinancingRecordsSet(address indexed records);

    /// @notice The caller lacks the role the action needs.
    error SettlementUnauthorized(address caller, uint8 requiredRoles);
    /// @notice An address argument was zero.
    error SettlementZeroAddress();
    /// @notice Payments and claims are paused.
    error SettlementPaused();
    /// @notice A state-changing function was entered again from inside a call (T6).
    error SettlementReentrantCall();
    /// @notice The payable does not exist or is not accepted (status from the token).
    error SettlementNotAccepted(uint256 payableId, uint8 status);
    /// @notice Only the payable's debtor may do this.
    error SettlementNotDebtor(uint256 payableId, address caller);
    /// @notice An amount of zero.
    error SettlementZeroAmount();
    /// @notice A payment above what is still unpaid (refused, not capped).
    error SettlementOverpayment(uint256 payableId, uint256 cents, uint256 unpaidCents);
    /// @notice The currency moved a different amount than asked (fee-on-transfer or lying token).
    error SettlementTransferShortfall(address currency, uint256 expectedUnits, uint256 receivedUnits);
    /// @notice Claims open at maturity.
    error SettlementNotMatured(uint256 payableId, uint256 maturityAt);
    /// @notice Only the current holder of a piece may claim or act for it.
    error SettlementNotHolder(uint256 tokenId, address caller, address owner);
    /// @notice The piece has nothing to claim now.
    error SettlementNothingToClaim(uint256 tokenId);
    /// @notice claimPiece was called by someone other than this contract.
    error SettlementOnlySelf(address caller);
    /// @notice claimMany ran out of gas at this piece (the whole batch is undone: give more gas
    ///         or fewer pieces).
    error SettlementBatchOutOfGas(uint256 tokenId);
    /// @notice The holder is frozen by a regulator: what it is owed waits.
    error SettlementHolderFrozen(address holder);
    /// @notice The grace period has not elapsed.
    error SettlementNotOverdueYet(uint256 payableId, uint256 overdueAt);
    /// @notice The payable is already marked overdue.
    error SettlementAlreadyOverdue(uint256 payableId);
    /// @notice The payable is paid in full.
    error SettlementFullyPaid(uint256 payableId);
    /// @notice The action needs an overdue payable.
    error SettlementNotOverdue(uint256 payableId);
    /// @notice Another guarantor already guarantees the payable.
    error SettlementGuaranteeExists(uint256 payableId, address guarantor);
    /// @notice Only the payable's guarantor may do this.
    error SettlementNotGuarantor(uint256 payableId, address caller);
    /// @notice A guarantee limit of zero, above the face value, or not above the current one.
    error SettlementInvalidLimit(uint256 payableId, uint256 limitCents, uint256 currentCents);
    /// @notice The guarantor's payment exceeds what is left of its limit.
    error SettlementLimitExceeded(uint256 payableId, uint256 cents, uint256 availableCents);
    /// @notice The debtor's repayment exceeds what it owes the guarantor.
    error SettlementRepaymentExceeded(uint256 payableId, uint256 cents, uint256 owedCents);
    /// @notice The piece was not bought with recourse (or not through the desk at all).
    error SettlementNoRecourse(uint256 tokenId);
    /// @notice Only the financier that bought the piece, and still holds it, may exercise.
    error SettlementNotFinancier(uint256 tokenId, address caller, address financier);
    /// @notice The piece holds more value than the financier bought (merged into).
    error SettlementRecourseValueExceeded(uint256 tokenId, uint256 value, uint256 financedValue);
    /// @notice Recourse for the piece was already exercised.
    error SettlementRecourseExists(uint256 tokenId, RecourseStatus status);
    /// @notice No open recourse claim for the piece.
    error SettlementNoRecourseClaim(uint256 tokenId);
    /// @notice Only the seller named in the recourse claim may settle it.
    error SettlementNotSeller(uint256 tokenId, address caller, address seller);
    /// @notice The financing desk's records are not set yet (recourse unavailable).
    error SettlementNoFinancingRecords();
    /// @notice The financing desk's records are set once only.
    error SettlementFinancingRecordsSet(address records);
    /// @notice A grace period above the maximum.
    error SettlementInvalidGrace(uint256 seconds_);
    /// @notice Pausing a paused settlement or resuming a running one.
    error SettlementPauseUnchanged(bool paused);

    /// @notice Register an accepted payable in settlement, fixing its grace period now (anyone;
    ///         pay, guarantee and markOverdue do it implicitly). Idempotent.
    /// @dev Reads the payable record from the token once. Emits PayableOpened the first time.
    /// @param payableId the payable
    function open(uint256 payableId) external;

    /// @notice The debtor pays `cents` of the face value into escrow (before or after maturity).
    /// @dev Caller: the debtor (via `_msgSender()`). The payable must be accepted; not paused;
    ///      0 < cents <= unpaid (an over-payment is refused, never capped). Pulls
    ///      cents * 10**(decimals-2) units with SafeERC20 and checks the escrow's balance grew by
    ///      exactly that. Emits Paid.
    /// @param payableId the payable
    /// @param cents the amount in cents
    function pay(uint256 payableId, uint64 cents) external;

    /// @notice The holder of a piece claims what the piece is owed now (pull).
    /// @dev Caller: the piece's owner (via `_msgSender()`). At or after maturity; not paused; the
    ///      piece and its holder not frozen. Pays floor(value * paid / face) - alreadyClaimed,
    ///      rounded down. When the payable is paid in full the piece receives exactly the rest
    ///      of its value and is burned (PayableToken.burnSettled). Constant gas: no loop.
    ///      Emits Claimed.
    /// @param tokenId the piece
    /// @return cents what was paid out, in cents
    function claim(uint256 tokenId) external returns (uint256 cents);

    /// @notice Pay each listed piece what it is owed now, each to its holder (push); anyone may
    ///         call, typically the operator at maturity.
    /// @dev Caller: anyone. Not paused. Each piece is claimed exactly as `claim` would for its
    ///      holder (same rules, same Claimed and token events, a piece paid in full is burned),
    ///      in its own sub-call: a piece that cannot be paid now (not matured, frozen, frozen
    ///      holder, nothing due, the currency refuses the holder, a repeated id) is undone alone
    ///      and reported by ClaimSkipped; the others are paid. Loops over `tokenIds` only. If a
    ///      piece's sub-call runs out of gas the whole batch reverts (SettlementBatchOutOfGas),
    ///      so no piece is ever skipped for lack of gas.
    /// @param tokenIds the pieces, any payables, any holders
    /// @return paid how many pieces were paid
    /// @return cents the total paid out, in cents (across currencies)
    function claimMany(uint256[] calldata tokenIds) external returns (uint256 paid, uint256 cents);

    /// @notice One piece of a claimMany; callable only by this contract itself.
    /// @dev Caller: this contract (claimMany's sub-call, so a failing piece reverts alone).
    /// @param tokenId the piece
    /// @return cents what was paid out, in cents
    function claimPiece(uint256 tokenId) external returns (uint256 cents);

    /// @notice Mark an unpaid payable overdue (逾期); anyone may, once maturity + grace has come.
    /// @dev Opens the payable if needed. Emits MarkedOverdue.
    /// @param payableId the payable
    function markOverdue(uint256 payableId) external;

    /// @notice A guarantor commits to pay up to `limitCents` of an overdue payable (or raises
    ///         its commitment). The guarantor's own commitment suffices: it only adds to what
    ///         holders can receive, and the debtor owes the same total either way.
    /// @dev Caller: an active member with the GUARANTOR role. One guarantor per payable; a limit
    ///      only rises, up to the face value. The payable must be accepted and not paid in full.
    ///      Emits GuaranteeRegistered.
    /// @param payableId the payable
    /// @param limitCents the new limit in cents
    function registerGuarantee(uint256 payableId, uint64 limitCents) external;

    /// @notice The guarantor pays into escrow for the holders of an overdue payable.
    /// @dev Caller: the registered guarantor. Marked overdue; not paused; cents within the limit
    ///      left and the unpaid amount. Pulled like `pay`. The guarantor then holds a claim
    ///      against the debtor for what it paid. Emits GuarantorPaid.
    /// @param payableId the payable
    /// @param cents the amount in cents
    function guarantorPay(uint256 payableId, uint64 cents) external;

    /// @notice The debtor repays the guarantor's claim, in part or in full.
    /// @dev Caller: the debtor. Not paused. Pulls the units from the debtor straight to the
    ///      guarantor (balance-delta checked at the guarantor). Emits GuarantorRepaid.
    /// @param payableId the payable
    /// @param cents the amount in cents, at most what the debtor owes the guarantor
    function repayGuarantor(uint256 payableId, uint64 cents) external;

    /// @notice A financier that bought a piece with recourse turns to the seller: records the
    ///         claim for the part of the piece the debtor has not covered.
    /// @dev Caller: the financier of the desk's record for this piece, still its owner. The
    ///      payable must be marked overdue and not paid in full; the piece's value may not exceed
    ///      the financed value. Uncovered part = value - floor(value * paid / face). Emits
    ///      RecourseExercised.
    /// @param tokenId the piece
    function exerciseRecourse(uint256 tokenId) external;

    /// @notice The seller pays an exercised recourse claim; the whole piece moves back to it.
    /// @dev Caller: the seller of the claim. Not paused; payable not paid in full. In one
    ///      transaction: the escrow pays the financier what the piece is owed now
    ///      (floor(value * paid / face) - claimed); the seller pays the financier the rest of the
    ///      piece's value (value - floor(value * paid / face)), pulled from the seller; the piece
    ///      (same token id) moves to the seller, who then holds the remaining claim against the
    ///      debtor. The financier receives exactly the piece's value, no cent twice. Emits
    ///      RecourseSettled.
    /// @param tokenId the piece
    function settleRecourse(uint256 tokenId) external;

    /// @notice Pause or resume payments, claims, guarantor payments and repayments and recourse
    ///         settlement (operator). Independent of the token's trading pause.
    /// @param paused the new state
    function setSettlementPaused(bool paused) external;

    /// @notice Set the grace period applied to payables opened from now on (operator).
    /// @param seconds_ the grace period, at most MAX_GRACE
    function setGracePeriod(uint32 seconds_) external;

    /// @notice Set the financing desk's records, once (membership admin).
    /// @param records the desk (IFinancingRecords)
    function setFinancingRecords(address records) external;

    /// @notice Everything settlement knows about a payable.
    /// @param payableId the payable
    /// @return the account (open false and all zero if never opened)
    function accountOf(uint256 payableId) external view returns (PayableAccount memory);

    /// @notice What the holder of a piece could claim now, in cents (0 before maturity).
    /// @param tokenId the piece
    /// @return cents the claimable amount
    function claimableOf(uint256 tokenId) external view returns (uint256 cents);

    /// @notice What a piece has claimed so far, in cents (0 once burned).
    /// @param tokenId the piece
    /// @return cents claimed
    function claimedOf(uint256 tokenId) external view returns (uint256 cents);

    /// @notice The guarantee of a payable.
    /// @param payableId the payable
    /// @return the guarantee (guarantor zero if none)
    function guaranteeOf(uint256 payableId) external view returns (Guarantee memory);

    /// @notice The recourse claim on a piece.
    /// @param tokenId the piece
    /// @return the claim (status None if none)
    function recourseOf(uint256 tokenId) external view returns (Recourse memory);

    /// @notice What the seller would pay now to settle the recourse claim on a piece, in cents.
    /// @param tokenId the piece
    /// @return cents value - floor(value * paid / face), 0 without an open claim
    function recourseDueOf(uint256 tokenId) external view returns (uint256 cents);

    /// @notice The grace period for payables opened from now on.
    /// @return seconds_ the grace period
    function gracePeriod() external view returns (uint32 seconds_);

    /// @notice Whether payments and claims are paused.
    /// @return true if paused
    function settlementPaused() external view returns (bool);

    /// @notice The financing desk's records (zero until set).
    /// @return the desk
    function financingRecords() external view returns (address);
}
