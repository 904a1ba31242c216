// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";

import {IFinancingRecords} from "../interfaces/IFinancingRecords.sol";
import {IMembership} from "../interfaces/IMembership.sol";
import {IPayableToken} from "../interfaces/IPayableToken.sol";
import {ISettlement} from "../interfaces/ISettlement.sol";

import {Cents} from "./lib/Cents.sol";
import {Roles} from "./lib/Roles.sol";
import {TokenIds} from "./lib/TokenIds.sol";

/// @dev The payable token's membership getter (not part of IPayableToken).
interface IMembershipSource {
    function membership() external view returns (IMembership);
}

/// @title Settlement
/// @notice Escrow and ledger of payment at maturity: payments in, pull claims out, overdue,
///         guarantee, recourse. An agent of the PayableToken (AGENT_SETTLEMENT): it burns pieces
///         paid in full and moves a piece back to its seller when recourse is settled.
/// @dev Storage is laid out for the claim: a final claim (payable paid in full) reads one word
///      of the payable (currency, unpaid, decimals, flags) and one per-piece word (claimed);
///      a partial claim reads the payable's terms word too. Pieces are fixed from maturity on
///      (the token refuses splits, value moves, merges and transfers at or after maturity;
///      only this contract may still move a whole piece, for recourse), so the sum of the live
///      pieces' values equals the face value whenever a claim is possible.
///      ERC-2771 (one rule for every tierchain contract, docs/TOKEN.md): user actions (pay,
///      claim, guarantee, recourse) act for `_msgSender()`, so members may sign them for the
///      RequestRelay; governance (pause, grace period, financing records) checks `msg.sender`,
///      so it can never be exercised through the relay.
contract Settlement is ERC2771Context, ISettlement {
    using SafeERC20 for IERC20;

    // ------------------------------------------------------------------ constants

    /// @notice Grace period applied when none is configured: 7 days.
    uint32 public constant DEFAULT_GRACE = 7 days;
    /// @notice Longest grace period the operator may set.
    uint32 public constant MAX_GRACE = 365 days;

    uint8 private constant _ROLE_OPERATOR = Roles.OPERATOR;
    uint8 private constant _ROLE_GUARANTOR = Roles.GUARANTOR;
    uint8 private constant _FLAG_OVERDUE = 1 << 0;
    /// @dev Some piece of the payable has a claimed amount on record (a partial claim or a
    ///      recourse settlement). Until then a final claim skips reading the per-piece word.
    uint8 private constant _FLAG_CLAIMS_RECORDED = 1 << 1;
    uint256 private constant _INDEX_BITS = TokenIds.INDEX_BITS;
    uint256 private constant _MATURITY_SHIFT = TokenIds.MATURITY_SHIFT;
    uint256 private constant _PAYABLE_MASK = TokenIds.PAYABLE_MASK;
    uint8 private constant _VALUE_DECIMALS = 2;

    // ------------------------------------------------------------------ storage

    /// @dev Read by every state-changing call: re-entrancy lock, pause, grace, desk records.
    struct State {
        bool entered;
        bool paused;
        uint32 graceSeconds;
        address financingRecords;
    }

    /// @dev The payable's hot word, all a final claim needs. `currency` non-zero = opened.
    struct Hot {
        address currency;
        uint64 unpaidCents;
        uint8 currencyDecimals;
        uint8 flags;
    }

    /// @dev The payable's terms, fixed when opened.
    struct Terms {
        address debtor;
        uint64 faceValue;
        uint32 graceSeconds;
    }

    /// @dev A guarantor's commitment.
    struct Commitment {
        address guarantor;
        uint64 limitCents;
    }

    /// @dev What the guarantor paid in and what the debtor repaid it.
    struct GuaranteeLedger {
        uint64 paidCents;
        uint64 repaidCents;
    }

    /// @dev A recourse claim, two words.
    struct RecourseClaim {
        address financier;
        uint64 amountCents;
        RecourseStatus status;
        address seller;
        uint40 exercisedAt;
        uint40 settledAt;
    }

    IPayableToken private immutable _token;
    IMembership private immutable _membership;

    State private _state;
    mapping(uint256 payableId => Hot) private _hot;
    mapping(uint256 payableId => Terms) private _terms;
    mapping(uint256 payableId => Commitment) private _commitments;
    mapping(uint256 payableId => GuaranteeLedger) private _guaranteeLedgers;
    mapping(uint256 tokenId => uint256 cents) private _claimed;
    mapping(uint256 tokenId => RecourseClaim) private _recourses;

    // ------------------------------------------------------------------ modifiers

    /// @dev Re-entrancy guard on every state-changing entry point (T6); the lock shares a word
    ///      with the pause flag, so guarding a paused call costs no extra read.
    modifier nonReentrant(bool pausable) {
        State memory state = _state;
        if (state.entered) revert SettlementReentrantCall();
        if (pausable && state.paused) revert SettlementPaused();
        _state.entered = true;
        _;
        _state.entered = false;
    }

    /// @param token_ the payable token this contract settles (it must make this an agent: 2)
    /// @param trustedForwarder_ the ERC-2771 relay trusted to append the signer's address
    ///        (zero: no relay)
    /// @param graceSeconds_ the initial grace period, at most MAX_GRACE
    constructor(IPayableToken token_, address trustedForwarder_, uint32 graceSeconds_)
        ERC2771Context(trustedForwarder_)
    {
        if (address(token_) == address(0)) revert SettlementZeroAddress();
        _checkGrace(graceSeconds_);
        _token = token_;
        _membership = IMembershipSource(address(token_)).membership();
        _state.graceSeconds = graceSeconds_;
    }

    // ================================================================== payments in

    /// @inheritdoc ISettlement
    function open(uint256 payableId) external nonReentrant(false) {
        if (_hot[payableId].currency == address(0)) _open(payableId);
    }

    /// @inheritdoc ISettlement
    function pay(uint256 payableId, uint64 cents) external nonReentrant(true) {
        Hot memory hot = _hot[payableId];
        if (hot.currency == address(0)) hot = _open(payableId);
        address payer = _msgSender();
        if (payer != _terms[payableId].debtor) revert SettlementNotDebtor(payableId, payer);
        _checkPayment(payableId, cents, hot.unpaidCents);
        // Cannot underflow: cents <= unpaid (checked).
        uint64 unpaid = hot.unpaidCents - cents;
        _hot[payableId].unpaidCents = unpaid;
        emit Paid(payableId, payer, cents, unpaid);
        _pull(IERC20(hot.currency), payer, address(this), _units(cents, hot.currencyDecimals));
    }

    // ================================================================== claims out

    /// @inheritdoc ISettlement
    function claim(uint256 tokenId) external nonReentrant(true) returns (uint256 cents) {
        return _claim(tokenId, _msgSender());
    }

    /// @inheritdoc ISettlement
    function claimMany(uint256[] calldata tokenIds)
        external
        nonReentrant(true)
        returns (uint256 paid, uint256 cents)
    {
        uint256 count = tokenIds.length;
        for (uint256 i; i < count; ++i) {
            uint256 tokenId = tokenIds[i];
            (bool ok, uint256 pieceCents) = _claimPieceCall(tokenId);
            if (ok) {
                unchecked {
                    ++paid;
                    cents += pieceCents; // each < 2^64, at most 2^64 pieces
                }
            }
        }
    }

    /// @inheritdoc ISettlement
    function claimPiece(uint256 tokenId) external returns (uint256 cents) {
        if (msg.sender != address(this)) revert SettlementOnlySelf(msg.sender);
        return _claim(tokenId, address(0));
    }

    // ================================================================== overdue and guarantee

    /// @inheritdoc ISettlement
    function markOverdue(uint256 payableId) external nonReentrant(false) {
        Hot memory hot = _hot[payableId];
        if (hot.currency == address(0)) hot = _open(payableId);
        if (hot.flags & _FLAG_OVERDUE != 0) revert SettlementAlreadyOverdue(payableId);
        if (hot.unpaidCents == 0) revert SettlementFullyPaid(payableId);
        uint256 overdueAt = _overdueAt(payableId, _terms[payableId].graceSeconds);
        if (block.timestamp < overdueAt) revert SettlementNotOverdueYet(payableId, overdueAt);
        _hot[payableId].flags = hot.flags | _FLAG_OVERDUE;
        emit MarkedOverdue(payableId, _msgSender(), hot.unpaidCents);
    }

    /// @inheritdoc ISettlement
    function registerGuarantee(uint256 payableId, uint64 limitCents) external nonReentrant(false) {
        address guarantor = _msgSender();
        if (!_membership.hasActiveRole(guarantor, _ROLE_GUARANTOR)) {
            revert SettlementUnauthorized(guarantor, _ROLE_GUARANTOR);
        }
        Hot memory hot = _hot[payableId];
        if (hot.currency == address(0)) hot = _open(payableId);
        if (hot.unpaidCents == 0) revert SettlementFullyPaid(payableId);
        Terms memory terms = _terms[payableId];
        // The debtor cannot guarantee its own debt.
        if (guarantor == terms.debtor) revert SettlementUnauthorized(guarantor, _ROLE_GUARANTOR);
        Commitment memory current = _commitments[payableId];
        if (current.guarantor != address(0) && current.guarantor != guarantor) {
            revert SettlementGuaranteeExists(payableId, current.guarantor);
        }
        if (limitCents <= current.limitCents || limitCents > terms.faceValue) {
            revert SettlementInvalidLimit(payableId, limitCents, current.limitCents);
        }
        _commitments[payableId] = Commitment({guarantor: guarantor, limitCents: limitCents});
        emit GuaranteeRegistered(payableId, guarantor, limitCents);
    }

    /// @inheritdoc ISettlement
    function guarantorPay(uint256 payableId, uint64 cents) external nonReentrant(true) {
        Commitment memory commitment = _commitments[payableId];
        address caller = _msgSender();
        if (commitment.guarantor == address(0) || caller != commitment.guarantor) {
            revert SettlementNotGuarantor(payableId, caller);
        }
        Hot memory hot = _hot[payableId]; // opened when the guarantee was registered
        if (hot.flags & _FLAG_OVERDUE == 0) revert SettlementNotOverdue(payableId);
        GuaranteeLedger memory ledger = _guaranteeLedgers[payableId];
        // Cannot underflow: paid never exceeds the limit, which only rises.
        uint256 available = commitment.limitCents - ledger.paidCents;
        if (cents > available) revert SettlementLimitExceeded(payableId, cents, available);
        _checkPayment(payableId, cents, hot.unpaidCents);
        uint64 unpaid = hot.unpaidCents - cents;
        _hot[payableId].unpaidCents = unpaid;
        _guaranteeLedgers[payableId].paidCents = ledger.paidCents + cents;
        emit GuarantorPaid(payableId, caller, cents, unpaid);
        _pull(IERC20(hot.currency), caller, address(this), _units(cents, hot.currencyDecimals));
    }

    /// @inheritdoc ISettlement
    function repayGuarantor(uint256 payableId, uint64 cents) external nonReentrant(true) {
        address caller = _msgSender();
        if (caller != _terms[payableId].debtor) revert SettlementNotDebtor(payableId, caller);
        GuaranteeLedger memory ledger = _guaranteeLedgers[payableId];
        // Cannot underflow: repaid never exceeds paid (checked below on every repayment).
        uint256 owed = ledger.paidCents - ledger.repaidCents;
        if (cents == 0) revert SettlementZeroAmount();
        if (cents > owed) revert SettlementRepaymentExceeded(payableId, cents, owed);
        _guaranteeLedgers[payableId].repaidCents = ledger.repaidCents + cents;
        address guarantor = _commitments[payableId].guarantor;
        emit GuarantorRepaid(payableId, guarantor, cents, owed - cents);
        Hot memory hot = _hot[payableId];
        _pull(IERC20(hot.currency), caller, guarantor, _units(cents, hot.currencyDecimals));
    }

    // ================================================================== recourse

    /// @inheritdoc ISettlement
    function exerciseRecourse(uint256 tokenId) external nonReentrant(false) {
        address records = _state.financingRecords;
        if (records == address(0)) revert SettlementNoFinancingRecords();
        uint256 payableId = _payableIdOf(tokenId);
        Hot memory hot = _hot[payableId];
        if (hot.flags & _FLAG_OVERDUE == 0) revert SettlementNotOverdue(payableId);
        if (hot.unpaidCents == 0) revert SettlementFullyPaid(payableId);
        RecourseClaim storage claim_ = _recourses[tokenId];
        if (claim_.status != RecourseStatus.None) revert SettlementRecourseExists(tokenId, claim_.status);
        IFinancingRecords.Financing memory financing = IFinancingRecords(records).financingOf(tokenId);
        if (!financing.recourse) revert SettlementNoRecourse(tokenId);
        address caller = _msgSender();
        IPayableToken.PieceView memory piece = _token.pieceOf(tokenId);
        if (caller != financing.financier || piece.owner != financing.financier) {
            revert SettlementNotFinancier(tokenId, caller, financing.financier);
        }
        if (piece.value > financing.value) {
            revert SettlementRecourseValueExceeded(tokenId, piece.value, financing.value);
        }
        // Cannot underflow: covered <= value. Fits 64 bits: value <= financing.value.
        uint256 uncovered = piece.value - _covered(piece.value, _terms[payableId].faceValue, hot.unpaidCents);
        claim_.financier = caller;
        claim_.amountCents = uint64(uncovered);
        claim_.status = RecourseStatus.Exercised;
        claim_.seller = financing.seller;
        claim_.exercisedAt = uint40(block.timestamp);
        emit RecourseExercised(tokenId, caller, financing.seller, uncovered);
    }

    /// @inheritdoc ISettlement
    function settleRecourse(uint256 tokenId) external nonReentrant(true) {
        RecourseClaim memory claim_ = _recourses[tokenId];
        if (claim_.status != RecourseStatus.Exercised) revert SettlementNoRecourseClaim(tokenId);
        address caller = _msgSender();
        if (caller != claim_.seller) revert SettlementNotSeller(tokenId, caller, claim_.seller);
        uint256 payableId = _payableIdOf(tokenId);
        Hot memory hot = _hot[payableId];
        if (hot.unpaidCents == 0) revert SettlementFullyPaid(payableId);
        IPayableToken.PieceView memory piece = _token.pieceOf(tokenId);
        if (piece.owner != claim_.financier) revert SettlementNotFinancier(tokenId, piece.owner, claim_.financier);
        uint256 covered = _covered(piece.value, _terms[payableId].faceValue, hot.unpaidCents);
        uint256 claimed = _claimed[tokenId];
        // Cannot underflow: claimed <= covered <= value; due > 0 because paid < face.
        uint256 escrowCents = covered - claimed;
        uint256 due = piece.value - covered;

        // Effects: the financier is paid the whole piece now (escrow share + seller's part),
        // so the piece moves on with claimed == covered and the seller claims only what the
        // debtor pays from now on.
        if (escrowCents != 0) {
            _claimed[tokenId] = covered;
            if (hot.flags & _FLAG_CLAIMS_RECORDED == 0) _hot[payableId].flags = hot.flags | _FLAG_CLAIMS_RECORDED;
        }
        RecourseClaim storage stored = _recourses[tokenId];
        stored.status = RecourseStatus.Settled;
        stored.amountCents = uint64(due);
        stored.settledAt = uint40(block.timestamp);
        emit RecourseSettled(tokenId, claim_.financier, caller, due, escrowCents);

        // Interactions: our own token, then the currency.
        _token.agentTransfer(tokenId, caller, piece.value);
        IERC20 currency = IERC20(hot.currency);
        _pull(currency, caller, claim_.financier, _units(due, hot.currencyDecimals));
        if (escrowCents != 0) currency.safeTransfer(claim_.financier, _units(escrowCents, hot.currencyDecimals));
    }

    // ================================================================== administration

    /// @inheritdoc ISettlement
    function setSettlementPaused(bool paused) external nonReentrant(false) {
        _checkOperator();
        if (_state.paused == paused) revert SettlementPauseUnchanged(paused);
        _state.paused = paused;
        emit SettlementPauseChanged(paused, msg.sender);
    }

    /// @inheritdoc ISettlement
    function setGracePeriod(uint32 seconds_) external nonReentrant(false) {
        _checkOperator();
        _checkGrace(seconds_);
        emit GracePeriodChanged(_state.graceSeconds, seconds_);
        _state.graceSeconds = seconds_;
    }

    /// @inheritdoc ISettlement
    function setFinancingRecords(address records) external nonReentrant(false) {
        // Governance: msg.sender, never a relayed signer (the ERC-2771 rule, see the contract doc).
        if (msg.sender != _membership.admin()) revert SettlementUnauthorized(msg.sender, 0);
        if (records == address(0)) revert SettlementZeroAddress();
        address current = _state.financingRecords;
        if (current != address(0)) revert SettlementFinancingRecordsSet(current);
        _state.financingRecords = records;
        emit FinancingRecordsSet(records);
    }

    // ================================================================== views

    /// @inheritdoc ISettlement
    function accountOf(uint256 payableId) external view returns (PayableAccount memory account) {
        Hot memory hot = _hot[payableId];
        if (hot.currency == address(0)) return account;
        Terms memory terms = _terms[payableId];
        account = PayableAccount({
            open: true,
            debtor: terms.debtor,
            currency: hot.currency,
            currencyDecimals: hot.currencyDecimals,
            faceValue: terms.faceValue,
            paidCents: terms.faceValue - hot.unpaidCents,
            unpaidCents: hot.unpaidCents,
            graceSeconds: terms.graceSeconds,
            overdueAt: uint40(_overdueAt(payableId, terms.graceSeconds)),
            overdue: hot.flags & _FLAG_OVERDUE != 0
        });
    }

    /// @inheritdoc ISettlement
    function claimableOf(uint256 tokenId) external view returns (uint256 cents) {
        if (block.timestamp < tokenId >> _MATURITY_SHIFT) return 0;
        uint256 payableId = _payableIdOf(tokenId);
        Hot memory hot = _hot[payableId];
        if (hot.currency == address(0)) return 0;
        IPayableToken.PieceView memory piece = _token.pieceOf(tokenId);
        if (piece.owner == address(0)) return 0;
        uint256 covered = _covered(piece.value, _terms[payableId].faceValue, hot.unpaidCents);
        uint256 claimed = _claimed[tokenId];
        return covered > claimed ? covered - claimed : 0;
    }

    /// @inheritdoc ISettlement
    function claimedOf(uint256 tokenId) external view returns (uint256 cents) {
        return _claimed[tokenId];
    }

    /// @inheritdoc ISettlement
    function guaranteeOf(uint256 payableId) external view returns (Guarantee memory) {
        Commitment memory c = _commitments[payableId];
        GuaranteeLedger memory l = _guaranteeLedgers[payableId];
        return Guarantee({
            guarantor: c.guarantor, limitCents: c.limitCents, paidCents: l.paidCents, repaidCents: l.repaidCents
        });
    }

    /// @inheritdoc ISettlement
    function recourseOf(uint256 tokenId) external view returns (Recourse memory) {
        RecourseClaim memory r = _recourses[tokenId];
        return Recourse({
            status: r.status,
            financier: r.financier,
            seller: r.seller,
            amountCents: r.amountCents,
            exercisedAt: r.exercisedAt,
            settledAt: r.settledAt
        });
    }

    /// @inheritdoc ISettlement
    function recourseDueOf(uint256 tokenId) external view returns (uint256 cents) {
        if (_recourses[tokenId].status != RecourseStatus.Exercised) return 0;
        uint256 payableId = _payableIdOf(tokenId);
        Hot memory hot = _hot[payableId];
        if (hot.unpaidCents == 0) return 0;
        IPayableToken.PieceView memory piece = _token.pieceOf(tokenId);
        return piece.value - _covered(piece.value, _terms[payableId].faceValue, hot.unpaidCents);
    }

    /// @inheritdoc ISettlement
    function gracePeriod() external view returns (uint32) {
        return _state.graceSeconds;
    }

    /// @inheritdoc ISettlement
    function settlementPaused() external view returns (bool) {
        return _state.paused;
    }

    /// @inheritdoc ISettlement
    function financingRecords() external view returns (address) {
        return _state.financingRecords;
    }

    /// @notice The payable token this contract settles.
    /// @return the token
    function token() external view returns (IPayableToken) {
        return _token;
    }

    /// @notice The membership contract consulted for roles (the token's).
    /// @return the membership contract
    function membership() external view returns (IMembership) {
        return _membership;
    }

    // ================================================================== internal

    /// @dev Register an accepted payable: copy its terms from the token, fix its grace period.
    function _open(uint256 payableId) private returns (Hot memory hot) {
        IPayableToken.PayableTerms memory p = _token.termsOf(payableId);
        if (p.status != IPayableToken.PayableStatus.Accepted) {
            revert SettlementNotAccepted(payableId, uint8(p.status));
        }
        uint32 grace = _state.graceSeconds;
        hot = Hot({currency: p.currency, unpaidCents: p.faceValue, currencyDecimals: p.currencyDecimals, flags: 0});
        _hot[payableId] = hot;
        _terms[payableId] = Terms({debtor: p.debtor, faceValue: p.faceValue, graceSeconds: grace});
        emit PayableOpened(payableId, p.debtor, p.currency, p.faceValue, uint40(uint256(p.maturityAt) + grace));
    }

    /// @dev Claim `tokenId` for its holder; `caller` must be the holder, or zero (claimMany:
    ///      anyone, paid to the holder).
    function _claim(uint256 tokenId, address caller) private returns (uint256 cents) {
        uint256 payableId = _payableIdOf(tokenId);
        uint256 maturityAt = tokenId >> _MATURITY_SHIFT;
        if (block.timestamp < maturityAt) revert SettlementNotMatured(payableId, maturityAt);
        Hot memory hot = _hot[payableId];
        if (hot.currency == address(0)) revert SettlementNothingToClaim(tokenId);
        address owner;
        bool settled = hot.unpaidCents == 0;
        if (settled) {
            (owner, cents) = _claimFinal(tokenId, hot.flags, caller);
        } else {
            (owner, cents) = _claimPartial(tokenId, payableId, hot, caller);
        }
        emit Claimed(tokenId, owner, cents, settled);
        IERC20(hot.currency).safeTransfer(owner, _units(cents, hot.currencyDecimals));
    }

    /// @dev claimPiece(tokenId) as a sub-call of this contract: a revert undoes that piece only
    ///      and is reported by ClaimSkipped with at most 260 bytes of its revert data (a
    ///      hostile currency cannot make the batch pay for copying a huge revert). A sub-call
    ///      that ran out of gas reverts the whole batch (SettlementBatchOutOfGas).
    function _claimPieceCall(uint256 tokenId) private returns (bool ok, uint256 cents) {
        bytes4 selector = this.claimPiece.selector;
        bytes memory reason;
        uint256 gasBefore = gasleft();
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore(ptr, selector)
            mstore(add(ptr, 4), tokenId)
            ok := call(gas(), address(), 0, ptr, 36, ptr, 32)
            switch ok
            case 1 { cents := mload(ptr) }
            default {
                let size := returndatasize()
                if gt(size, 260) { size := 260 }
                reason := ptr
                mstore(reason, size)
                returndatacopy(add(reason, 32), 0, size)
                mstore(0x40, add(add(reason, 32), and(add(size, 31), not(31))))
            }
        }
        if (!ok) {
            // The sub-call had 63/64 of the gas: if it failed with (almost) none left, the batch
            // ran short of gas. Reverting the whole batch then keeps a gas estimate (which looks
            // for the least gas that does not revert) from skipping pieces for lack of gas.
            if (gasleft() <= gasBefore / 63) revert SettlementBatchOutOfGas(tokenId);
            emit ClaimSkipped(tokenId, reason);
        }
    }

    /// @dev Paid in full: the piece gets exactly the rest of its value and is burned. The token
    ///      checks maturity, a frozen piece (PayablePieceFrozen), a frozen owner
    ///      (PayableSenderFrozen) and liveness; the owner check follows (a revert undoes the burn).
    function _claimFinal(uint256 tokenId, uint8 flags, address caller)
        private
        returns (address owner, uint256 cents)
    {
        bool recorded = flags & _FLAG_CLAIMS_RECORDED != 0;
        uint256 claimed = recorded ? _claimed[tokenId] : 0;
        uint256 value;
        (owner, value) = _token.burnSettled(tokenId);
        if (caller != address(0) && owner != caller) revert SettlementNotHolder(tokenId, caller, owner);
        // Cannot underflow: claimed <= floor(value * paid / face) <= value.
        cents = value - claimed;
        if (claimed != 0) delete _claimed[tokenId];
    }

    /// @dev Partly paid: the piece's share floor(value * paid / face) minus what it claimed.
    function _claimPartial(uint256 tokenId, uint256 payableId, Hot memory hot, address caller)
        private
        returns (address owner, uint256 cents)
    {
        (address holder, uint256 value, bool frozen, bool canSend) = _token.claimViewOf(tokenId);
        if (caller != address(0) && holder != caller) revert SettlementNotHolder(tokenId, caller, holder);
        // A burned or never-split piece has no holder: nothing to pay (claimMany's case).
        if (holder == address(0)) revert SettlementNothingToClaim(tokenId);
        if (frozen) revert IPayableToken.PayablePieceFrozen(tokenId);
        // A member frozen by a regulator cannot send pieces; what it is owed waits in escrow.
        if (!canSend) revert SettlementHolderFrozen(holder);
        owner = holder;
        uint256 covered = _covered(value, _terms[payableId].faceValue, hot.unpaidCents);
        uint256 claimed = _claimed[tokenId];
        if (covered <= claimed) revert SettlementNothingToClaim(tokenId);
        cents = covered - claimed;
        _claimed[tokenId] = covered;
        if (hot.flags & _FLAG_CLAIMS_RECORDED == 0) _hot[payableId].flags = hot.flags | _FLAG_CLAIMS_RECORDED;
    }

    /// @dev Pull exactly `units` of `currency` from `from` to `to` (SafeERC20: false or no
    ///      return value handled); the receiver's balance must grow by exactly `units` (T16).
    function _pull(IERC20 currency, address from, address to, uint256 units) private {
        uint256 before = currency.balanceOf(to);
        currency.safeTransferFrom(from, to, units);
        uint256 afterwards = currency.balanceOf(to);
        if (afterwards < before || afterwards - before != units) {
            revert SettlementTransferShortfall(
                address(currency), units, afterwards < before ? 0 : afterwards - before
            );
        }
    }

    /// @dev The part of a piece of `value` covered by what was paid: floor(value * paid / face),
    ///      rounded DOWN (the remainder stays in escrow until the payable is paid in full; then
    ///      paid == face and the result is exactly `value`). No overflow: both factors < 2^64.
    function _covered(uint256 value, uint256 faceValue, uint256 unpaidCents) private pure returns (uint256) {
        if (unpaidCents == 0) return value;
        return value * (faceValue - unpaidCents) / faceValue;
    }

    /// @dev Currency units of `cents`: cents * 10**(decimals - 2); decimals are 2..36 (checked at
    ///      issue by the token), so this cannot overflow (2^64 * 10^34 < 2^256).
    function _units(uint256 cents, uint8 decimals) private pure returns (uint256) {
        return Cents.toUnits(cents, decimals);
    }

    function _checkPayment(uint256 payableId, uint256 cents, uint256 unpaidCents) private pure {
        if (cents == 0) revert SettlementZeroAmount();
        if (cents > unpaidCents) {
            if (unpaidCents == 0) revert SettlementFullyPaid(payableId);
            revert SettlementOverpayment(payableId, cents, unpaidCents);
        }
    }

    /// @dev Maturity (from the issued piece's id) plus the payable's grace period.
    function _overdueAt(uint256 payableId, uint32 graceSeconds) private view returns (uint256) {
        return (_token.tokenIdOf(payableId, 1) >> _MATURITY_SHIFT) + graceSeconds;
    }

    /// @dev Governance reads `msg.sender`: a relayed call (the relay is msg.sender) is refused.
    function _checkOperator() private view {
        if (msg.sender != _membership.admin() && !_membership.hasActiveRole(msg.sender, _ROLE_OPERATOR)) {
            revert SettlementUnauthorized(msg.sender, _ROLE_OPERATOR);
        }
    }

    function _checkGrace(uint32 seconds_) private pure {
        if (seconds_ > MAX_GRACE) revert SettlementInvalidGrace(seconds_);
    }

    function _payableIdOf(uint256 tokenId) private pure returns (uint256) {
        return TokenIds.payableIdOf(tokenId);
    }
}
