// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";
import {IERC20Metadata} from "@openzeppelin/contracts/token/ERC20/extensions/IERC20Metadata.sol";
import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";

import {IERC3525, IERC3525Receiver} from "../interfaces/IERC3525.sol";
import {IMembership, IMembershipListener} from "../interfaces/IMembership.sol";
import {IInvoiceRegistry} from "../interfaces/IInvoiceRegistry.sol";
import {IPayableToken} from "../interfaces/IPayableToken.sol";

import {Cents} from "./lib/Cents.sol";
import {Roles} from "./lib/Roles.sol";
import {TokenIds} from "./lib/TokenIds.sol";

/// @title PayableToken
/// @notice Tokenized accounts payable: one payable per ERC-3525 slot, divisible into pieces that
///         split, move value, transfer and merge down the supply chain.
/// @dev A lean ERC-3525 core written for gas: a piece is one storage word (owner, value, parent
///      index, flags); token ids carry slot and maturity; membership is pushed in by the
///      Membership contract and kept beside each holder's piece count; the re-entrancy lock
///      shares a word with the configuration every move reads anyway. All value and ownership
///      changes go through _mint, _moveValue, _changeOwner and _burn.
///      Signed requests (ERC-2771): the trusted forwarder is the RequestRelay, which appends the
///      verified signer to the calldata; `_msgSender()` is that signer when the relay calls and
///      `msg.sender` otherwise. Every user action (issue, accept, moves, merge, approvals) acts
///      for `_msgSender()`; governance (admin, operator, regulator settings, freezes), agents
///      (desk, settlement: contracts calling directly) and the Membership push check
///      `msg.sender`, so none of them can be exercised through the relay.
contract PayableToken is IERC165, IPayableToken, ERC2771Context {
    // ------------------------------------------------------------------ constants

    /// @notice Agent kind: the financing desk.
    uint8 public constant AGENT_DESK = 1;
    /// @notice Agent kind: the settlement contract.
    uint8 public constant AGENT_SETTLEMENT = 2;
    /// @notice Most pieces one payable may have (the parent index is 24 bits wide).
    uint256 public constant MAX_PIECES = (1 << 24) - 1;

    uint8 private constant _ROLE_OPERATOR = Roles.OPERATOR;
    uint8 private constant _ROLE_CORE_ENTERPRISE = Roles.CORE_ENTERPRISE;
    uint8 private constant _ROLE_REGULATOR = Roles.REGULATOR;

    uint8 private constant _FLAG_LOCKED = 1 << 0; // held by the desk under a financing
    uint8 private constant _FLAG_FROZEN = 1 << 1; // frozen by a regulator
    uint8 private constant _FLAG_PENDING = 1 << 2; // issued piece of a payable not yet accepted
    uint8 private constant _FLAG_HAS_APPROVAL = 1 << 3; // an ERC-721 approval is set
    uint8 private constant _FLAG_HAS_ALLOWANCES = 1 << 4; // value allowances exist in this epoch
    uint8 private constant _FLAGS_IMMOBILE = _FLAG_LOCKED | _FLAG_FROZEN | _FLAG_PENDING;

        uint256 private constant _MATURITY_SHIFT = TokenIds.MATURITY_SHIFT;
    uint256 private constant _INDEX_MASK = TokenIds.INDEX_MASK;
        uint8 private constant _VALUE_DECIMALS = Cents.DECIMALS;
    uint8 private constant _MIN_CURRENCY_DECIMALS = Cents.MIN_CURRENCY_DECIMALS;
    uint8 private constant _MAX_CURRENCY_DECIMALS = Cents.MAX_CURRENCY_DECIMALS;
    uint32 private constant _MIN_TENOR_SETTING = 1 days;
    uint32 private constant _MAX_TENOR_SETTING = 3650 days;
    bytes4 private constant _ERC3525_RECEIVER_ID = type(IERC3525Receiver).interfaceId;

    // ------------------------------------------------------------------ storage

    /// @dev One word per piece.
    struct Piece {
        address owner;
        uint64 value;
        uint24 parentIndex;
        uint8 flags;
    }

    /// @dev One word per account: pieces held and the membership pushed by Membership. `known`
    ///      keeps the word non-zero once written, so later writes cost 5,000 gas, not 22,100.
    ///      `isContract` is sampled at each push (Membership.refresh re-samples it): receiver
    ///      hooks are called for accounts that had code then, which spares every move a cold
    ///      EXTCODESIZE. Skipping a hook can never re-enter this contract; a wallet that gains
    ///      code after admission is an EOA here until its record is refreshed.
    struct Holder {
        uint64 pieces;
        bool canReceive;
        bool canSend;
        bool known;
        bool isContract;
    }

    /// @dev Four words per payable (the Payable view adds the first creditor from the registry).
    struct PayableRecord {
        address debtor;
        uint40 maturityAt;
        PayableStatus status;
        uint32 pieceCount;
        address currency;
        uint64 faceValue;
        uint8 currencyDecimals;
        bytes32 invoiceRoot;
        bytes32 documentHash;
    }

    /// @dev Read by every move: the re-entrancy lock lives here too, so guarding costs no extra
    ///      cold read.
    struct Config {
        uint64 minPieceValue;
        uint32 maxTenor;
        bool tradingPaused;
        bool entered;
        uint64 payableCount;
    }

    IMembership private immutable _membership;
    IInvoiceRegistry private immutable _registry;

    Config private _config;
    mapping(uint256 payableId => PayableRecord) private _payables;
    mapping(uint256 tokenId => Piece) private _pieces;
    mapping(address account => Holder) private _holders;
    mapping(uint256 tokenId => address) private _tokenApprovals;
    mapping(address owner => mapping(address operator => bool)) private _operatorApprovals;
    mapping(uint256 tokenId => uint256) private _allowanceEpoch;
    mapping(uint256 tokenId => mapping(uint256 epoch => mapping(address operator => uint256))) private
        _valueAllowances;
    mapping(address agent => uint8 kinds) private _agents;

    // ------------------------------------------------------------------ modifiers

    /// @dev Re-entrancy guard on every state-changing entry point (T6).
    ///      The body lives in two private functions so each guarded entry point carries two
    ///      jumps instead of a copy of it (bytecode size, EIP-170).
    modifier nonReentrant() {
        _enter();
        _;
        _exit();
    }

    /// @param membership_ the consortium register (pushes membership changes here)
    /// @param registry_ the invoice registry payables are issued against
    /// @param minPieceValue_ smallest non-zero piece, in cents
    /// @param maxTenor_ longest allowed tenor, in seconds
    /// @param trustedForwarder_ the RequestRelay that relays members' signed requests (ERC-2771)
    constructor(
        IMembership membership_,
        IInvoiceRegistry registry_,
        uint64 minPieceValue_,
        uint32 maxTenor_,
        address trustedForwarder_
    ) ERC2771Context(trustedForwarder_) {
        if (
            address(membership_) == address(0) || address(registry_) == address(0)
                || trustedForwarder_ == address(0)
        ) revert PayableZeroAddress();
        _checkMinPieceValue(minPieceValue_);
        _checkMaxTenor(maxTenor_);
        _membership = membership_;
        _registry = registry_;
        _config.minPieceValue = minPieceValue_;
        _config.maxTenor = maxTenor_;
    }

    // ================================================================== lifecycle

    /// @inheritdoc IPayableToken
    function issue(
        address creditor,
        uint64 faceValue,
        address currency,
        uint40 maturityAt,
        bytes32 invoiceRoot,
        bytes32 documentHash
    ) external nonReentrant returns (uint256 payableId, uint256 tokenId) {
        Config memory config = _config;
        if (config.tradingPaused) revert PayableTradingPaused();
        address debtor = _msgSender();
        if (!_membership.hasActiveRole(debtor, _ROLE_CORE_ENTERPRISE)) {
            revert PayableUnauthorized(debtor, _ROLE_CORE_ENTERPRISE);
        }
        _checkReceiver(creditor);
        if (faceValue < config.minPieceValue) revert PayableInvalidFaceValue(faceValue, config.minPieceValue);
        if (invoiceRoot == bytes32(0) || documentHash == bytes32(0)) {
            revert PayableInvalidCommitment(invoiceRoot, documentHash);
        }
        if (maturityAt <= block.timestamp) revert PayableMaturityInPast(maturityAt, block.timestamp);
        if (maturityAt > block.timestamp + config.maxTenor) {
            revert PayableTenorTooLong(maturityAt, block.timestamp + config.maxTenor);
        }
        uint8 decimals = _currencyDecimals(currency);

        // Effects. payableCount is 64 bits: it cannot overflow within any chain's lifetime.
        payableId = config.payableCount + 1;
        _config.payableCount = uint64(payableId);
        _payables[payableId] = PayableRecord({
            debtor: debtor,
            maturityAt: maturityAt,
            status: PayableStatus.Issued,
            pieceCount: 1,
            currency: currency,
            faceValue: faceValue,
            currencyDecimals: decimals,
            invoiceRoot: invoiceRoot,
            documentHash: documentHash
        });
        tokenId = _tokenId(maturityAt, payableId, 1);
        emit PayableIssued(
            payableId, debtor, creditor, tokenId, faceValue, currency, maturityAt, invoiceRoot, documentHash
        );
        _mint(creditor, tokenId, payableId, faceValue, 0, _FLAG_PENDING);
        emit TransferValue(0, tokenId, faceValue);

        // Interaction with our own registry (checks debtor, seller and the unused total).
        _registry.consume(invoiceRoot, debtor, creditor, faceValue);
    }

    /// @inheritdoc IPayableToken
    function accept(uint256 payableId) external nonReentrant {
        PayableRecord storage p = _payables[payableId];
        if (p.status != PayableStatus.Issued) {
            if (p.status == PayableStatus.None) revert PayableUnknown(payableId);
            revert PayableWrongStatus(payableId, p.status);
        }
        if (_config.tradingPaused) revert PayableTradingPaused();
        if (block.timestamp >= p.maturityAt) revert PayableMatured(payableId, p.maturityAt);
        uint256 tokenId = _tokenId(p.maturityAt, payableId, 1);
        Piece storage piece = _pieces[tokenId];
        address creditor = _msgSender();
        if (piece.owner != creditor) revert PayableNotCreditor(payableId, creditor);
        if (piece.flags & _FLAG_FROZEN != 0) revert PayablePieceFrozen(tokenId);
        p.status = PayableStatus.Accepted;
        piece.flags &= ~_FLAG_PENDING;
        emit PayableAccepted(payableId, creditor);
    }

    // ================================================================== ERC-3525 value moves

    /// @inheritdoc IERC3525
    function transferFrom(uint256 fromTokenId, address to, uint256 value)
        external
        nonReentrant
        returns (uint256 newTokenId)
    {
        Piece memory piece = _livePiece(fromTokenId);
        address sender = _msgSender();
        _spendAllowance(fromTokenId, piece, value, sender);
        _checkTradable(fromTokenId);
        newTokenId = _splitOff(fromTokenId, piece, to, value);
        _checkOnERC3525Received(sender, to, fromTokenId, newTokenId, value);
    }

    /// @inheritdoc IERC3525
    function transferFrom(uint256 fromTokenId, uint256 toTokenId, uint256 value) external nonReentrant {
        Piece memory source = _livePiece(fromTokenId);
        Piece memory target = _livePiece(toTokenId);
        _checkPair(fromTokenId, toTokenId);
        address sender = _msgSender();
        _spendAllowance(fromTokenId, source, value, sender);
        _checkTradable(fromTokenId);
        _checkMovable(fromTokenId, source);
        // A locked, frozen or pending target refuses value too (reverts with the reason).
        if (target.flags & _FLAGS_IMMOBILE != 0) _checkMovable(toTokenId, target);
        if (target.owner != source.owner) _checkReceiver(target.owner);
        _moveValue(fromTokenId, source, toTokenId, target, value);
        _checkOnERC3525Received(sender, target.owner, fromTokenId, toTokenId, value);
    }

    /// @inheritdoc IPayableToken
    /// @dev One pass over the receivers: each new piece costs its storage word, the receiver's
    ///      holder word and three events; the source and the payable's piece count are written
    ///      once. Receiver hooks run after every effect, as in a single split.
    function payout(uint256 fromTokenId, address[] calldata to, uint256[] calldata values)
        external
        nonReentrant
        returns (uint256 firstTokenId)
    {
        uint256 n = to.length;
        if (n == 0) revert PayableBatchEmpty();
        if (n != values.length) revert PayableBatchLengthMismatch(n, values.length);
        Piece memory piece = _livePiece(fromTokenId);
        address sender = _msgSender();
        bool direct = _isOwnerOrApproved(fromTokenId, piece, sender);
        if (!direct && piece.flags & _FLAG_HAS_ALLOWANCES == 0) revert PayableNotOwnerNorApproved(fromTokenId, sender);
        _checkTradable(fromTokenId);
        _checkMovable(fromTokenId, piece);

        uint256 remaining;
        bool anyContract;
        (firstTokenId, remaining, anyContract) = _payoutPieces(fromTokenId, piece, to, values);
        if (!direct) _spendAllowance(fromTokenId, piece, piece.value - remaining, sender);
        if (anyContract) {
            for (uint256 i; i < n; ++i) {
                _checkOnERC3525Received(sender, to[i], fromTokenId, firstTokenId + i, values[i]);
            }
        }
    }

    /// @inheritdoc IPayableToken
    function merge(uint256 fromTokenId, uint256 toTokenId) external nonReentrant {
        Piece memory source = _livePiece(fromTokenId);
        Piece memory target = _livePiece(toTokenId);
        _checkPair(fromTokenId, toTokenId);
        if (source.owner != target.owner) revert PayableNotSameOwner(fromTokenId, toTokenId);
        address sender = _msgSender();
        if (!_isOwnerOrApproved(fromTokenId, source, sender) || !_isOwnerOrApproved(toTokenId, target, sender)) {
            revert PayableNotOwnerNorApproved(fromTokenId, sender);
        }
        _checkTradable(fromTokenId);
        _checkMovable(fromTokenId, source);
        _checkMovable(toTokenId, target);
        _moveValue(fromTokenId, source, toTokenId, target, source.value);
        emit PiecesMerged(fromTokenId, toTokenId, source.value);
    }

    /// @inheritdoc IERC3525
    function approve(uint256 tokenId, address operator, uint256 value) external nonReentrant {
        Piece memory piece = _livePiece(tokenId);
        if (operator == address(0)) revert PayableZeroAddress();
        address sender = _msgSender();
        // ERC-3525: the owner, an operator for all, or the address approved for the piece.
        if (!_isOwnerOrApproved(tokenId, piece, sender)) revert PayableNotOwnerNorApproved(tokenId, sender);
        _checkMovable(tokenId, piece);
        if (piece.flags & _FLAG_HAS_ALLOWANCES == 0) _pieces[tokenId].flags = piece.flags | _FLAG_HAS_ALLOWANCES;
        _valueAllowances[tokenId][_allowanceEpoch[tokenId]][operator] = value;
        emit ApprovalValue(tokenId, operator, value);
    }

    // ================================================================== ERC-721 whole pieces

    /// @inheritdoc IERC721
    function transferFrom(address from, address to, uint256 tokenId) external nonReentrant {
        _transferWhole(from, to, tokenId, _msgSender());
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 tokenId) external nonReentrant {
        address sender = _msgSender();
        _transferWhole(from, to, tokenId, sender);
        _checkOnERC721Received(sender, from, to, tokenId, "");
    }

    /// @inheritdoc IERC721
    function safeTransferFrom(address from, address to, uint256 tokenId, bytes calldata data) external nonReentrant {
        address sender = _msgSender();
        _transferWhole(from, to, tokenId, sender);
        _checkOnERC721Received(sender, from, to, tokenId, data);
    }

    /// @inheritdoc IERC721
    function approve(address to, uint256 tokenId) external nonReentrant {
        Piece memory piece = _livePiece(tokenId);
        address sender = _msgSender();
        if (piece.owner != sender && !_operatorApprovals[piece.owner][sender]) {
            revert PayableNotOwnerNorApproved(tokenId, sender);
        }
        _checkMovable(tokenId, piece);
        _tokenApprovals[tokenId] = to;
        uint8 flags = to == address(0) ? piece.flags & ~_FLAG_HAS_APPROVAL : piece.flags | _FLAG_HAS_APPROVAL;
        if (flags != piece.flags) _pieces[tokenId].flags = flags;
        emit Approval(piece.owner, to, tokenId);
    }

    /// @inheritdoc IERC721
    function setApprovalForAll(address operator, bool approved) external nonReentrant {
        address owner = _msgSender();
        if (operator == address(0) || operator == owner) revert PayableInvalidOperator(operator);
        _operatorApprovals[owner][operator] = approved;
        emit ApprovalForAll(owner, operator, approved);
    }

    // ================================================================== agents and regulators

    /// @inheritdoc IPayableToken
    function lockPiece(uint256 tokenId) external nonReentrant {
        _checkAgent(AGENT_DESK);
        Piece memory piece = _livePiece(tokenId);
        _checkTradable(tokenId);
        _checkMovable(tokenId, piece);
        _pieces[tokenId].flags = _clearApprovals(tokenId, piece.flags) | _FLAG_LOCKED;
        emit PieceLocked(tokenId, msg.sender);
    }

    /// @inheritdoc IPayableToken
    function unlockPiece(uint256 tokenId) external nonReentrant {
        _checkAgent(AGENT_DESK);
        Piece memory piece = _livePiece(tokenId);
        if (piece.flags & _FLAG_LOCKED == 0) revert PayableFlagUnchanged(tokenId, _FLAG_LOCKED, false);
        _pieces[tokenId].flags = piece.flags & ~_FLAG_LOCKED;
        emit PieceUnlocked(tokenId, msg.sender);
    }

    /// @inheritdoc IPayableToken
    function agentTransfer(uint256 fromTokenId, address to, uint256 value)
        external
        nonReentrant
        returns (uint256 tokenId)
    {
        uint8 kinds = _agents[msg.sender];
        if (kinds == 0) revert PayableNotAgent(msg.sender, AGENT_DESK | AGENT_SETTLEMENT);
        Piece memory piece = _livePiece(fromTokenId);
        bool settlement = kinds & AGENT_SETTLEMENT != 0;
        if (piece.flags & _FLAG_LOCKED != 0) {
            // The desk releases its own lock as it delivers the piece.
            piece.flags &= ~_FLAG_LOCKED;
            _pieces[fromTokenId].flags = piece.flags;
            emit PieceUnlocked(fromTokenId, msg.sender);
        }
        if (!settlement) _checkTradable(fromTokenId);
        if (value == piece.value) {
            _checkMovable(fromTokenId, piece);
            _checkReceiver(to);
            _changeOwner(fromTokenId, piece, to);
            tokenId = fromTokenId;
        } else {
            tokenId = _splitOff(fromTokenId, piece, to, value);
        }
    }

    /// @inheritdoc IPayableToken
    function burnSettled(uint256 tokenId) external nonReentrant returns (address owner, uint256 value) {
        _checkAgent(AGENT_SETTLEMENT);
        Piece memory piece = _livePiece(tokenId);
        uint256 maturityAt = tokenId >> _MATURITY_SHIFT;
        if (block.timestamp < maturityAt) revert PayableNotMatured(_payableIdOf(tokenId), maturityAt);
        if (piece.flags & _FLAG_FROZEN != 0) revert PayablePieceFrozen(tokenId);
        if (piece.flags & _FLAG_PENDING != 0) revert PayableWrongStatus(_payableIdOf(tokenId), PayableStatus.Issued);
        owner = piece.owner;
        // The holder word is read again (warm) by the burn; checking here spares the settlement
        // agent a holderOf call.
        if (!_holders[owner].canSend) revert PayableSenderFrozen(owner);
        value = piece.value;
        emit TransferValue(tokenId, 0, value);
        _burn(tokenId, piece);
        emit PieceSettled(tokenId, owner, value);
    }

    /// @inheritdoc IPayableToken
    function freezePiece(uint256 tokenId, bytes32 reasonHash) external nonReentrant {
        _setFrozen(tokenId, true, reasonHash);
        emit PieceFrozen(tokenId, reasonHash, msg.sender);
    }

    /// @inheritdoc IPayableToken
    function unfreezePiece(uint256 tokenId, bytes32 reasonHash) external nonReentrant {
        _setFrozen(tokenId, false, reasonHash);
        emit PieceUnfrozen(tokenId, reasonHash, msg.sender);
    }

    /// @inheritdoc IPayableToken
    function setAgent(address agent, uint8 kinds) external nonReentrant {
        if (msg.sender != _membership.admin()) revert PayableNotAdmin(msg.sender);
        if (agent == address(0)) revert PayableZeroAddress();
        if (kinds > (AGENT_DESK | AGENT_SETTLEMENT)) revert PayableInvalidConfig(kinds);
        _agents[agent] = kinds;
        emit AgentSet(agent, kinds);
    }

    /// @inheritdoc IPayableToken
    function setMinPieceValue(uint64 value) external nonReentrant {
        _checkAdminOr(_ROLE_OPERATOR);
        _checkMinPieceValue(value);
        emit MinPieceValueChanged(_config.minPieceValue, value);
        _config.minPieceValue = value;
    }

    /// @inheritdoc IPayableToken
    function setMaxTenor(uint32 seconds_) external nonReentrant {
        _checkAdminOr(_ROLE_OPERATOR);
        _checkMaxTenor(seconds_);
        emit MaxTenorChanged(_config.maxTenor, seconds_);
        _config.maxTenor = seconds_;
    }

    /// @inheritdoc IPayableToken
    function setTradingPaused(bool paused) external nonReentrant {
        _checkAdminOr(_ROLE_OPERATOR);
        if (_config.tradingPaused == paused) revert PayableInvalidConfig(paused ? 1 : 0);
        _config.tradingPaused = paused;
        emit TradingPauseChanged(paused, msg.sender);
    }

    /// @inheritdoc IMembershipListener
    function onMembershipChanged(address account, bool canReceive, bool canSend) external {
        if (msg.sender != address(_membership)) revert PayableNotMembership(msg.sender);
        Holder storage holder = _holders[account];
        holder.canReceive = canReceive;
        holder.canSend = canSend;
        holder.known = true;
        holder.isContract = account.code.length > 0;
    }

    // ================================================================== views

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC721).interfaceId
            || interfaceId == type(IERC3525).interfaceId;
    }

    /// @notice Collection name for wallets.
    /// @return the name
    function name() external pure returns (string memory) {
        return "tierchain payable";
    }

    /// @notice Collection symbol for wallets.
    /// @return the symbol
    function symbol() external pure returns (string memory) {
        return "TCP";
    }

    /// @notice The membership contract consulted on every move.
    /// @return the contract
    function membership() external view returns (IMembership) {
        return _membership;
    }

    /// @notice The invoice registry payables are issued against.
    /// @return the contract
    function registry() external view returns (IInvoiceRegistry) {
        return _registry;
    }

    /// @inheritdoc IERC3525
    function valueDecimals() external pure returns (uint8) {
        return _VALUE_DECIMALS;
    }

    /// @inheritdoc IERC3525
    function balanceOf(uint256 tokenId) external view returns (uint256) {
        return _livePiece(tokenId).value;
    }

    /// @inheritdoc IERC3525
    function slotOf(uint256 tokenId) external view returns (uint256) {
        _livePiece(tokenId);
        return _payableIdOf(tokenId);
    }

    /// @inheritdoc IERC3525
    function allowance(uint256 tokenId, address operator) external view returns (uint256) {
        Piece memory piece = _livePiece(tokenId);
        if (piece.flags & _FLAG_HAS_ALLOWANCES == 0) return 0;
        return _valueAllowances[tokenId][_allowanceEpoch[tokenId]][operator];
    }

    /// @inheritdoc IERC721
    function balanceOf(address owner) external view returns (uint256) {
        if (owner == address(0)) revert PayableZeroAddress();
        return _holders[owner].pieces;
    }

    /// @inheritdoc IERC721
    function ownerOf(uint256 tokenId) external view returns (address) {
        return _livePiece(tokenId).owner;
    }

    /// @inheritdoc IERC721
    function getApproved(uint256 tokenId) external view returns (address) {
        Piece memory piece = _livePiece(tokenId);
        return piece.flags & _FLAG_HAS_APPROVAL == 0 ? address(0) : _tokenApprovals[tokenId];
    }

    /// @inheritdoc IERC721
    function isApprovedForAll(address owner, address operator) external view returns (bool) {
        return _operatorApprovals[owner][operator];
    }

    /// @inheritdoc IPayableToken
    function payableOf(uint256 payableId) external view returns (Payable memory view_) {
        PayableRecord memory p = _payables[payableId];
        view_ = Payable({
            debtor: p.debtor,
            maturityAt: p.maturityAt,
            status: p.status,
            pieceCount: p.pieceCount,
            currency: p.currency,
            faceValue: p.faceValue,
            currencyDecimals: p.currencyDecimals,
            invoiceRoot: p.invoiceRoot,
            documentHash: p.documentHash,
            firstCreditor: p.status == PayableStatus.None ? address(0) : _registry.packageOf(p.invoiceRoot).seller
        });
    }

    /// @inheritdoc IPayableToken
    function termsOf(uint256 payableId) external view returns (PayableTerms memory) {
        PayableRecord storage p = _payables[payableId];
        return PayableTerms({
            debtor: p.debtor,
            maturityAt: p.maturityAt,
            status: p.status,
            currency: p.currency,
            faceValue: p.faceValue,
            currencyDecimals: p.currencyDecimals
        });
    }

    /// @inheritdoc IPayableToken
    function pieceOf(uint256 tokenId) external view returns (PieceView memory view_) {
        Piece memory piece = _pieces[tokenId];
        view_.payableId = _payableIdOf(tokenId);
        view_.index = tokenId & _INDEX_MASK;
        view_.parentTokenId = _parentOf(tokenId, piece.parentIndex);
        view_.owner = piece.owner;
        view_.value = piece.value;
        view_.locked = piece.flags & _FLAG_LOCKED != 0;
        view_.frozen = piece.flags & _FLAG_FROZEN != 0;
    }

    /// @inheritdoc IPayableToken
    function claimViewOf(uint256 tokenId)
        external
        view
        returns (address owner, uint256 value, bool frozen, bool ownerCanSend)
    {
        Piece memory piece = _pieces[tokenId];
        owner = piece.owner;
        return (owner, piece.value, piece.flags & _FLAG_FROZEN != 0, _holders[owner].canSend);
    }

    /// @inheritdoc IPayableToken
    function parentOf(uint256 tokenId) external view returns (uint256) {
        return _parentOf(tokenId, _pieces[tokenId].parentIndex);
    }

    /// @inheritdoc IPayableToken
    function tokenIdOf(uint256 payableId, uint256 index) external view returns (uint256) {
        PayableRecord storage p = _payables[payableId];
        if (p.status == PayableStatus.None) revert PayableUnknown(payableId);
        if (index == 0 || index > p.pieceCount) revert PayableNonexistentToken(index);
        return _tokenId(p.maturityAt, payableId, index);
    }

    /// @inheritdoc IPayableToken
    function payableCount() external view returns (uint256) {
        return _config.payableCount;
    }

    /// @inheritdoc IPayableToken
    function minPieceValue() external view returns (uint64) {
        return _config.minPieceValue;
    }

    /// @inheritdoc IPayableToken
    function maxTenor() external view returns (uint32) {
        return _config.maxTenor;
    }

    /// @inheritdoc IPayableToken
    function tradingPaused() external view returns (bool) {
        return _config.tradingPaused;
    }

    /// @inheritdoc IPayableToken
    function agentKinds(address agent) external view returns (uint8) {
        return _agents[agent];
    }

    /// @inheritdoc IPayableToken
    function holderOf(address account) external view returns (uint256 pieces, bool canReceive, bool canSend) {
        Holder memory holder = _holders[account];
        return (holder.pieces, holder.canReceive, holder.canSend);
    }

    // ================================================================== internal: moves

    /// @dev Split `value` off a piece into a new piece for `to`; callers have checked authority
    ///      and tradability. The minimum value
    ///      applies to the new piece and to what remains; a split of the whole value burns the
    ///      emptied source.
    function _splitOff(uint256 fromTokenId, Piece memory piece, address to, uint256 value)
        private
        returns (uint256 newTokenId)
    {
        _checkMovable(fromTokenId, piece);
        _checkReceiver(to);
        if (value == 0) revert PayableZeroValue();
        uint64 minimum = _config.minPieceValue;
        if (value < minimum) revert PayableBelowMinimum(0, value, minimum);
        _checkRemaining(fromTokenId, piece.value, value, minimum);

        uint256 payableId = _payableIdOf(fromTokenId);
        PayableRecord storage p = _payables[payableId];
        uint256 index = uint256(p.pieceCount) + 1;
        if (index > MAX_PIECES) revert PayablePieceLimit(payableId);
        p.pieceCount = uint32(index);
        newTokenId = _tokenId(fromTokenId >> _MATURITY_SHIFT, payableId, index);
        // Truncation is exact: value <= piece.value < 2^64 and the index of a piece < 2^24.
        _mint(to, newTokenId, payableId, uint64(value), uint24(fromTokenId & _INDEX_MASK), 0);
        _reduce(fromTokenId, piece, value);
        emit TransferValue(fromTokenId, newTokenId, value);
    }

    /// @dev The effects of a payout, in the order of N single splits (see IPayableToken.payout);
    ///      callers have checked authority and tradability. Returns what remains in the source.
    function _payoutPieces(
        uint256 fromTokenId,
        Piece memory piece,
        address[] calldata to,
        uint256[] calldata values
    ) private returns (uint256 firstTokenId, uint256 remaining, bool anyContract) {
        uint256 minimum = _config.minPieceValue;
        {
            uint256 payableId = _payableIdOf(fromTokenId);
            uint256 count = _payables[payableId].pieceCount;
            if (count + to.length > MAX_PIECES) revert PayablePieceLimit(payableId);
            firstTokenId = (fromTokenId & ~_INDEX_MASK) | (count + 1);
        }
        remaining = piece.value;
        for (uint256 i; i < to.length; ++i) {
            uint256 value = values[i];
            if (value == 0) revert PayableZeroValue();
            if (value < minimum) revert PayableBelowMinimum(0, value, minimum);
            if (value > remaining) _revertOverValue(fromTokenId, piece.value, remaining, value);
            // Cannot underflow (checked above). Ids cannot carry: the index stays below 2^24.
            unchecked {
                remaining -= value;
            }
            if (_mintPaid(to[i], fromTokenId, firstTokenId + i, value)) anyContract = true;
            // Only the last value can empty the source (any later one would exceed zero).
            if (remaining == 0) _burn(fromTokenId, piece);
            emit TransferValue(fromTokenId, firstTokenId + i, value);
        }
        if (remaining != 0) {
            if (remaining < minimum) revert PayableBelowMinimum(fromTokenId, remaining, minimum);
            _pieces[fromTokenId].value = uint64(remaining);
        }
        _payables[_payableIdOf(fromTokenId)].pieceCount = uint32((firstTokenId & _INDEX_MASK) + to.length - 1);
    }

    function _revertOverValue(uint256 tokenId, uint256 balance, uint256 remaining, uint256 value) private pure {
        revert PayableBatchOverValue(tokenId, balance, balance - remaining + value);
    }

    /// @dev Mint one payout piece for a receiver that may receive; returns whether the
    ///      receiver is a contract (its hook runs after every effect).
    function _mintPaid(address to, uint256 fromTokenId, uint256 tokenId, uint256 value)
        private
        returns (bool isContract)
    {
        Holder storage holder = _holders[to];
        if (!holder.canReceive) revert PayableReceiverNotAllowed(to);
        // Truncation is exact: value <= the source's value < 2^64; the source index < 2^24.
        _pieces[tokenId] =
            Piece({owner: to, value: uint64(value), parentIndex: uint24(fromTokenId), flags: 0});
        ++holder.pieces;
        emit Transfer(address(0), to, tokenId);
        emit SlotChanged(tokenId, 0, _payableIdOf(fromTokenId));
        return holder.isContract;
    }

    /// @dev Move value between two live pieces of one payable; burns an emptied source.
    function _moveValue(
        uint256 fromTokenId,
        Piece memory source,
        uint256 toTokenId,
        Piece memory target,
        uint256 value
    ) private {
        if (value == 0) revert PayableZeroValue();
        _checkRemaining(fromTokenId, source.value, value, _config.minPieceValue);
        // Cannot overflow: both values belong to one payable whose face value fits 64 bits.
        _pieces[toTokenId].value = target.value + uint64(value);
        _reduce(fromTokenId, source, value);
        emit TransferValue(fromTokenId, toTokenId, value);
    }

    /// @dev Take `value` out of a piece: lower it, or burn it when emptied.
    function _reduce(uint256 tokenId, Piece memory piece, uint256 value) private {
        if (value == piece.value) {
            _burn(tokenId, piece);
        } else {
            // Checked by _checkRemaining: value < piece.value.
            _pieces[tokenId].value = piece.value - uint64(value);
        }
    }

    function _transferWhole(address from, address to, uint256 tokenId, address sender) private {
        Piece memory piece = _livePiece(tokenId);
        if (piece.owner != from) revert PayableInvalidOwner(tokenId, from, piece.owner);
        if (!_isOwnerOrApproved(tokenId, piece, sender)) revert PayableNotOwnerNorApproved(tokenId, sender);
        _checkTradable(tokenId);
        _checkMovable(tokenId, piece);
        _checkReceiver(to);
        _changeOwner(tokenId, piece, to);
    }

    function _mint(address to, uint256 tokenId, uint256 payableId, uint64 value, uint24 parentIndex, uint8 flags)
        private
    {
        _pieces[tokenId] = Piece({owner: to, value: value, parentIndex: parentIndex, flags: flags});
        // A holder record was made non-zero by the membership push (pieces < 2^64 always).
        ++_holders[to].pieces;
        emit Transfer(address(0), to, tokenId);
        emit SlotChanged(tokenId, 0, payableId);
    }

    /// @dev Ownership change of a whole piece: approvals and allowances die with it (T10).
    function _changeOwner(uint256 tokenId, Piece memory piece, address to) private {
        address from = piece.owner;
        uint8 flags = _clearApprovals(tokenId, piece.flags);
        _pieces[tokenId] = Piece({owner: to, value: piece.value, parentIndex: piece.parentIndex, flags: flags});
        if (from != to) {
            --_holders[from].pieces;
            ++_holders[to].pieces;
        }
        emit Transfer(from, to, tokenId);
    }

    function _burn(uint256 tokenId, Piece memory piece) private {
        if (piece.flags & _FLAG_HAS_APPROVAL != 0) delete _tokenApprovals[tokenId];
        // The word is cleared; the parent index is kept for provenance (owner zero = burned).
        _pieces[tokenId] = Piece({owner: address(0), value: 0, parentIndex: piece.parentIndex, flags: 0});
        --_holders[piece.owner].pieces;
        emit Transfer(piece.owner, address(0), tokenId);
        emit SlotChanged(tokenId, _payableIdOf(tokenId), 0);
    }

    /// @dev Clear the ERC-721 approval and start a new allowance epoch if any were set.
    function _clearApprovals(uint256 tokenId, uint8 flags) private returns (uint8) {
        if (flags & _FLAG_HAS_APPROVAL != 0) delete _tokenApprovals[tokenId];
        if (flags & _FLAG_HAS_ALLOWANCES != 0) ++_allowanceEpoch[tokenId];
        return flags & ~(_FLAG_HAS_APPROVAL | _FLAG_HAS_ALLOWANCES);
    }

    /// @dev Use the caller's authority over a piece: owner, operator for all, approved for the
    ///      piece, or a value allowance (decremented; a max allowance is no exception).
    function _spendAllowance(uint256 tokenId, Piece memory piece, uint256 value, address sender) private {
        if (_isOwnerOrApproved(tokenId, piece, sender)) return;
        uint256 allowed = 0;
        uint256 epoch = 0;
        if (piece.flags & _FLAG_HAS_ALLOWANCES != 0) {
            epoch = _allowanceEpoch[tokenId];
            allowed = _valueAllowances[tokenId][epoch][sender];
        }
        if (allowed == 0) revert PayableNotOwnerNorApproved(tokenId, sender);
        if (allowed < value) revert PayableInsufficientAllowance(tokenId, sender, allowed, value);
        _valueAllowances[tokenId][epoch][sender] = allowed - value;
        // ERC-3525: ApprovalValue MUST be emitted whenever an approval value changes.
        emit ApprovalValue(tokenId, sender, allowed - value);
    }

    function _setFrozen(uint256 tokenId, bool frozen, bytes32 reasonHash) private {
        _checkAdminOr(_ROLE_REGULATOR);
        if (reasonHash == bytes32(0)) revert PayableReasonRequired();
        Piece memory piece = _livePiece(tokenId);
        if ((piece.flags & _FLAG_FROZEN != 0) == frozen) revert PayableFlagUnchanged(tokenId, _FLAG_FROZEN, frozen);
        uint8 flags = frozen ? _clearApprovals(tokenId, piece.flags) | _FLAG_FROZEN : piece.flags & ~_FLAG_FROZEN;
        _pieces[tokenId].flags = flags;
    }

    // ================================================================== internal: guard

    function _enter() private {
        if (_config.entered) revert PayableReentrantCall();
        _config.entered = true;
    }

    function _exit() private {
        _config.entered = false;
    }

    // ================================================================== internal: checks

    function _livePiece(uint256 tokenId) private view returns (Piece memory piece) {
        piece = _pieces[tokenId];
        if (piece.owner == address(0)) revert PayableNonexistentToken(tokenId);
    }

    function _isOwnerOrApproved(uint256 tokenId, Piece memory piece, address sender) private view returns (bool) {
        return sender == piece.owner || _operatorApprovals[piece.owner][sender]
            || (piece.flags & _FLAG_HAS_APPROVAL != 0 && _tokenApprovals[tokenId] == sender);
    }

    /// @dev Trading is open: not paused and before maturity (read from the token id).
    function _checkTradable(uint256 tokenId) private view {
        if (_config.tradingPaused) revert PayableTradingPaused();
        uint256 maturityAt = tokenId >> _MATURITY_SHIFT;
        if (block.timestamp >= maturityAt) revert PayableMatured(_payableIdOf(tokenId), maturityAt);
    }

    /// @dev The piece may move: not locked, frozen or pending acceptance; its owner not frozen.
    function _checkMovable(uint256 tokenId, Piece memory piece) private view {
        uint8 flags = piece.flags;
        if (flags & _FLAGS_IMMOBILE != 0) {
            if (flags & _FLAG_FROZEN != 0) revert PayablePieceFrozen(tokenId);
            if (flags & _FLAG_LOCKED != 0) revert PayablePieceLocked(tokenId);
            revert PayableWrongStatus(_payableIdOf(tokenId), PayableStatus.Issued);
        }
        if (!_holders[piece.owner].canSend) revert PayableSenderFrozen(piece.owner);
    }

    function _checkReceiver(address to) private view {
        if (!_holders[to].canReceive) revert PayableReceiverNotAllowed(to);
    }

    function _checkPair(uint256 fromTokenId, uint256 toTokenId) private pure {
        if (fromTokenId == toTokenId) revert PayableSameToken(fromTokenId);
        if (_payableIdOf(fromTokenId) != _payableIdOf(toTokenId)) revert PayableSlotMismatch(fromTokenId, toTokenId);
    }

    /// @dev value > 0, value <= balance, and what remains is 0 or at least the minimum.
    function _checkRemaining(uint256 tokenId, uint256 balance, uint256 value, uint256 minimum) private pure {
        if (value == 0) revert PayableZeroValue();
        if (value > balance) revert PayableInsufficientValue(tokenId, balance, value);
        uint256 remaining = balance - value;
        if (remaining != 0 && remaining < minimum) revert PayableBelowMinimum(tokenId, remaining, minimum);
    }

    function _checkAgent(uint8 kind) private view {
        if (_agents[msg.sender] & kind == 0) revert PayableNotAgent(msg.sender, kind);
    }

    /// @dev The membership admin, or an active member holding `role`.
    function _checkAdminOr(uint8 role) private view {
        if (msg.sender != _membership.admin() && !_membership.hasActiveRole(msg.sender, role)) {
            revert PayableUnauthorized(msg.sender, role);
        }
    }

    function _checkMinPieceValue(uint64 value) private pure {
        if (value == 0) revert PayableInvalidConfig(value);
    }

    function _checkMaxTenor(uint32 seconds_) private pure {
        if (seconds_ < _MIN_TENOR_SETTING || seconds_ > _MAX_TENOR_SETTING) revert PayableInvalidConfig(seconds_);
    }

    /// @dev The currency's decimals, which must be in 2..36 (values are in cents).
    function _currencyDecimals(address currency) private view returns (uint8) {
        if (currency.code.length == 0) revert PayableInvalidCurrency(currency);
        try IERC20Metadata(currency).decimals() returns (uint8 decimals) {
            if (decimals < _MIN_CURRENCY_DECIMALS || decimals > _MAX_CURRENCY_DECIMALS) {
                revert PayableInvalidCurrency(currency);
            }
            return decimals;
        } catch {
            revert PayableInvalidCurrency(currency);
        }
    }

    // ================================================================== internal: hooks

    /// @dev ERC-3525 receiver hook, last: a contract receiver that declares IERC3525Receiver
    ///      through ERC-165 must return the selector; other receivers are not called. Whether
    ///      the receiver is a contract comes from its holder record (see Holder).
    function _checkOnERC3525Received(
        address operator,
        address to,
        uint256 fromTokenId,
        uint256 toTokenId,
        uint256 value
    ) private {
        if (!_holders[to].isContract) return;
        try IERC165(to).supportsInterface(_ERC3525_RECEIVER_ID) returns (bool supported) {
            if (!supported) return;
        } catch {
            return;
        }
        try IERC3525Receiver(to).onERC3525Received(operator, fromTokenId, toTokenId, value, "") returns (
            bytes4 answer
        ) {
            if (answer != IERC3525Receiver.onERC3525Received.selector) revert PayableReceiverRejected(to);
        } catch {
            revert PayableReceiverRejected(to);
        }
    }

    /// @dev ERC-721 safe-transfer hook, last: contract receivers must return the selector.
    function _checkOnERC721Received(address operator, address from, address to, uint256 tokenId, bytes memory data)
        private
    {
        if (to.code.length == 0) return;
        try IERC721Receiver(to).onERC721Received(operator, from, tokenId, data) returns (bytes4 answer) {
            if (answer != IERC721Receiver.onERC721Received.selector) revert PayableReceiverRejected(to);
        } catch {
            revert PayableReceiverRejected(to);
        }
    }

    // ================================================================== internal: context

    /// @dev ERC2771Context's sender with the common case, a direct call, decided first: the
    ///      relay's appended signer counts only when the relay itself is the caller.
    function _msgSender() internal view override returns (address) {
        if (msg.sender != trustedForwarder() || msg.data.length < 20) return msg.sender;
        // The last 20 bytes are the signer the relay verified (ERC-2771).
        return address(bytes20(msg.data[msg.data.length - 20:]));
    }

    // ================================================================== internal: ids

    function _tokenId(uint256 maturityAt, uint256 payableId, uint256 index) private pure returns (uint256) {
        return TokenIds.make(maturityAt, payableId, index);
    }

    function _payableIdOf(uint256 tokenId) private pure returns (uint256) {
        return TokenIds.payableIdOf(tokenId);
    }

    function _parentOf(uint256 tokenId, uint24 parentIndex) private pure returns (uint256) {
        if (parentIndex == 0) return 0;
        return TokenIds.withIndex(tokenId, parentIndex);
    }
}
