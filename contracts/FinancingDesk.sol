// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";

import {IFinancingDesk} from "../interfaces/IFinancingDesk.sol";
import {IFinancingRecords} from "../interfaces/IFinancingRecords.sol";
import {IMembership} from "../interfaces/IMembership.sol";
import {IPayableToken} from "../interfaces/IPayableToken.sol";
import {SignerCheck} from "./lib/SignerCheck.sol";

import {Cents} from "./lib/Cents.sol";
import {Roles} from "./lib/Roles.sol";
import {TokenIds} from "./lib/TokenIds.sol";

/// @title FinancingDesk
/// @notice Discounting and factoring of payable pieces with delivery versus payment: the piece
///         (or part of it) moves to the financier and the price moves to the holder in one
///         transaction, or nothing moves.
/// @dev An agent of the payable token (AGENT_DESK): it moves pieces only through
///      `agentTransfer`, after checking here that the caller owns the piece. Offers are EIP-712
///      typed data (domain "TierchainFinancingDesk", version "1", chain id, this contract;
///      ERC-5267 `eip712Domain()`), signed by an EOA or an ERC-1271 financier, or posted on
///      chain. Order of a take: checks; the offer marked taken; the piece moved (token checks
///      receiver, minimum piece, freezes, maturity, pause); the financing recorded; the price
///      pulled last from the financier to the seller, checked by the seller's balance delta.
///      Any failure reverts the whole transaction. Every entry point is nonReentrant.
///      Caller identity is `_msgSender()` (ERC-2771 trusted forwarder); no multicall (T9).
contract FinancingDesk is IFinancingDesk, ERC2771Context, EIP712, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Highest annual discount rate an offer may carry: 10,000 bps = 100 % a year.
    uint256 public constant MAX_RATE_BPS = 10_000;
    /// @notice Days in the day-count year (Actual/365).
    uint256 public constant DAYS_PER_YEAR = 365;
    /// @notice EIP-712 type hash of Offer.
    bytes32 public constant OFFER_TYPEHASH = keccak256(
        "Offer(address financier,address seller,uint256 tokenId,uint64 value,uint8 pricing,uint64 price,"
        "uint16 rateBps,bool recourse,uint256 nonce,uint40 deadline)"
    );

    uint256 private constant _BPS = 10_000;
    uint256 private constant _DAY = 1 days;
    /// @dev At this many days any non-zero rate discounts the whole value (rate >= 1 bps):
    ///      capping the days there changes no price and keeps value*rate*days below 2^100.
    uint256 private constant _MAX_DAYS = _BPS * DAYS_PER_YEAR;
    uint256 private constant _MATURITY_SHIFT = TokenIds.MATURITY_SHIFT;
        uint8 private constant _ROLE_SUPPLIER = Roles.SUPPLIER;
    uint8 private constant _ROLE_FINANCIER = Roles.FINANCIER;
    uint8 private constant _ROLE_GUARANTOR = Roles.GUARANTOR;
    uint8 private constant _HOLDER_ROLES = _ROLE_SUPPLIER | _ROLE_FINANCIER | _ROLE_GUARANTOR;

    /// @dev A Financing packed into two words (the interface's struct would take three):
    ///      financier | value | financedAt (uint32: UTC seconds until 2106), seller | price | recourse.
    struct Record {
        address financier;
        uint64 value;
        uint32 financedAt;
        address seller;
        uint64 price;
        bool recourse;
    }

    IPayableToken private immutable _token;
    IMembership private immutable _membership;

    mapping(bytes32 offerHash => OfferStatus) private _status;
    mapping(address financier => mapping(bytes32 offerHash => bool)) private _cancelled;
    mapping(address financier => uint256) private _nonceFloor;
    mapping(uint256 tokenId => Record) private _financings;

    /// @param token_ the payable token (which must make this desk an AGENT_DESK agent)
    /// @param membership_ the membership register the token uses
    /// @param trustedForwarder_ the ERC-2771 forwarder whose relayed calls carry the signer
    ///        (address(0): none)
    constructor(IPayableToken token_, IMembership membership_, address trustedForwarder_)
        ERC2771Context(trustedForwarder_)
        EIP712("TierchainFinancingDesk", "1")
    {
        if (address(token_) == address(0) || address(membership_) == address(0)) revert DeskZeroAddress();
        _token = token_;
        _membership = membership_;
    }

    // ================================================================== offers

    /// @inheritdoc IFinancingDesk
    function post(Offer calldata offer) external nonReentrant returns (bytes32 offerHash) {
        address caller = _msgSender();
        if (caller != offer.financier) revert DeskNotOfferFinancier(caller, offer.financier);
        offerHash = _hashOffer(offer);
        _checkOpen(offer, offerHash);
        if (_status[offerHash] != OfferStatus.None) revert DeskOfferAlreadyPosted(offerHash);
        _checkFinancier(offer.financier);
        _checkPricing(offer);
        _status[offerHash] = OfferStatus.Posted;
        emit OfferPosted(offerHash, offer.financier, offer.tokenId, offer);
    }

    /// @inheritdoc IFinancingDesk
    function takePosted(Offer calldata offer) external nonReentrant returns (uint256 tokenId) {
        bytes32 offerHash = _hashOffer(offer);
        if (_status[offerHash] != OfferStatus.Posted) {
            if (_status[offerHash] == OfferStatus.Taken) revert DeskOfferUsed(offerHash);
            revert DeskOfferNotPosted(offerHash);
        }
        return _take(offer, offerHash);
    }

    /// @inheritdoc IFinancingDesk
    function take(Offer calldata offer, bytes calldata signature) external nonReentrant returns (uint256 tokenId) {
        bytes32 offerHash = _hashOffer(offer);
        if (!SignerCheck.isValidSignatureNow(offer.financier, offerHash, signature)) {
            revert DeskInvalidSignature(offer.financier, offerHash);
        }
        return _take(offer, offerHash);
    }

    /// @inheritdoc IFinancingDesk
    function cancel(bytes32 offerHash) external nonReentrant {
        address financier = _msgSender();
        if (_status[offerHash] == OfferStatus.Taken) revert DeskOfferUsed(offerHash);
        if (_cancelled[financier][offerHash]) revert DeskOfferCancelled(offerHash);
        _cancelled[financier][offerHash] = true;
        emit OfferCancelled(offerHash, financier);
    }

    /// @inheritdoc IFinancingDesk
    function invalidateNonces(uint256 nonceFloor) external nonReentrant {
        address financier = _msgSender();
        uint256 current = _nonceFloor[financier];
        if (nonceFloor <= current) revert DeskNonceFloorNotRaised(financier, current, nonceFloor);
        _nonceFloor[financier] = nonceFloor;
        emit NoncesInvalidated(financier, nonceFloor);
    }

    // ================================================================== views

    /// @inheritdoc IFinancingDesk
    function quote(uint256 valueCents, uint256 rateBps, uint256 secondsLeft) public pure returns (uint256 priceCents) {
        if (valueCents > type(uint64).max || rateBps > MAX_RATE_BPS) revert DeskQuoteOutOfRange(valueCents, rateBps);
        uint256 daysLeft = secondsLeft / _DAY; // rounded down: a partial day does not count
        if (daysLeft > _MAX_DAYS) daysLeft = _MAX_DAYS;
        // Rounded down to the cent (in the seller's favour); < 2^64 * 2^14 * 2^22 = 2^100.
        uint256 discount = valueCents * rateBps * daysLeft / (_BPS * DAYS_PER_YEAR);
        priceCents = discount >= valueCents ? 0 : valueCents - discount;
    }

    /// @inheritdoc IFinancingDesk
    function priceOf(Offer calldata offer) external view returns (uint256 priceCents) {
        _checkPricing(offer);
        return _price(offer);
    }

    /// @inheritdoc IFinancingDesk
    function hashOffer(Offer calldata offer) external view returns (bytes32) {
        return _hashOffer(offer);
    }

    /// @inheritdoc IFinancingDesk
    function offerStatus(bytes32 offerHash) external view returns (OfferStatus) {
        return _status[offerHash];
    }

    /// @inheritdoc IFinancingDesk
    function isCancelled(address financier, bytes32 offerHash) external view returns (bool) {
        return _cancelled[financier][offerHash];
    }

    /// @inheritdoc IFinancingDesk
    function nonceFloorOf(address financier) external view returns (uint256) {
        return _nonceFloor[financier];
    }

    /// @inheritdoc IFinancingRecords
    function financingOf(uint256 tokenId) external view returns (Financing memory financing) {
        Record memory r = _financings[tokenId];
        return Financing({
            financier: r.financier,
            seller: r.seller,
            value: r.value,
            price: r.price,
            recourse: r.recourse,
            financedAt: r.financedAt
        });
    }

    /// @inheritdoc IFinancingDesk
    function token() external view returns (address) {
        return address(_token);
    }

    /// @inheritdoc IFinancingDesk
    function membership() external view returns (address) {
        return address(_membership);
    }

    // ================================================================== internal

    /// @dev Delivery versus payment. Checks, then effects, then the two moves; the currency (the
    ///      least trusted party) is called last. Any revert undoes everything.
    function _take(Offer calldata offer, bytes32 offerHash) private returns (uint256 tokenId) {
        address seller = _msgSender();
        _checkTake(offer, offerHash, seller);
        // Fits 64 bits: price <= value (checked for Fixed, by construction for Rate).
        uint64 price = uint64(_price(offer));

        // Effects: the offer is spent before any external call that could move value.
        _status[offerHash] = OfferStatus.Taken;

        // Delivery: the token checks the financier may receive, the minimum piece value,
        // freezes, maturity and the pause; a whole piece keeps its id, a part gets a new one.
        tokenId = _token.agentTransfer(offer.tokenId, offer.financier, offer.value);
        _financings[tokenId] = Record({
            financier: offer.financier,
            value: offer.value,
            // Intended truncation: UTC seconds fit 32 bits until the year 2106.
            financedAt: uint32(block.timestamp),
            seller: seller,
            price: price,
            recourse: offer.recourse
        });

        uint256 amount = _pay(offer, seller, price);
        emit Financed(
            offerHash, offer.tokenId, tokenId, offer.financier, seller, offer.value, price, amount, offer.recourse
        );
    }

    /// @dev Everything that must hold before anything moves (see `take`).
    function _checkTake(Offer calldata offer, bytes32 offerHash, address seller) private view {
        if (_token.tradingPaused()) revert DeskTradingPaused();
        _checkOpen(offer, offerHash);
        _checkFinancier(offer.financier);
        if (!_membership.hasActiveRole(seller, _HOLDER_ROLES)) revert DeskNotMember(seller);
        if (seller == offer.financier) revert DeskSelfDealing(seller);
        if (offer.seller != address(0) && offer.seller != seller) {
            revert DeskWrongSeller(offerHash, offer.seller, seller);
        }
        IPayableToken.PieceView memory piece = _token.pieceOf(offer.tokenId);
        if (piece.owner == address(0)) revert DeskUnknownPiece(offer.tokenId);
        if (piece.owner != seller) revert DeskNotOwner(offer.tokenId, seller, piece.owner);
        if (offer.value == 0 || offer.value > piece.value) {
            revert DeskInvalidValue(offer.tokenId, offer.value, piece.value);
        }
        uint256 maturityAt = offer.tokenId >> _MATURITY_SHIFT;
        if (block.timestamp >= maturityAt) revert DeskMatured(offer.tokenId, maturityAt, block.timestamp);
        _checkPricing(offer);
    }

    /// @dev Payment, last: the price pulled from the financier (which approved this desk) to
    ///      the seller with SafeERC20, and the seller's balance delta must equal it exactly.
    function _pay(Offer calldata offer, address seller, uint64 price) private returns (uint256 amount) {
        IPayableToken.PayableTerms memory p = _token.termsOf(TokenIds.payableIdOf(offer.tokenId));
        // currencyDecimals is 2..36 (checked by the token at issue): amount < 2^64 * 10^34 < 2^177.
        amount = Cents.toUnits(price, p.currencyDecimals);
        IERC20 currency = IERC20(p.currency);
        uint256 before = currency.balanceOf(seller);
        currency.safeTransferFrom(offer.financier, seller, amount);
        uint256 afterwards = currency.balanceOf(seller);
        // A balance that fell (a lying token) counts as nothing received.
        uint256 received = afterwards > before ? afterwards - before : 0;
        if (received != amount) revert DeskPaymentMismatch(p.currency, amount, received);
    }

    /// @dev Not expired, not cancelled, not below the nonce floor, not already taken.
    function _checkOpen(Offer calldata offer, bytes32 offerHash) private view {
        if (block.timestamp > offer.deadline) revert DeskOfferExpired(offerHash, offer.deadline, block.timestamp);
        if (_status[offerHash] == OfferStatus.Taken) revert DeskOfferUsed(offerHash);
        if (_cancelled[offer.financier][offerHash]) revert DeskOfferCancelled(offerHash);
        uint256 floor = _nonceFloor[offer.financier];
        if (offer.nonce < floor) revert DeskNonceInvalidated(offer.financier, offer.nonce, floor);
    }

    function _checkFinancier(address financier) private view {
        if (!_membership.hasActiveRole(financier, _ROLE_FINANCIER)) revert DeskNotFinancier(financier);
    }

    /// @dev Fixed: price in (0, value], rate 0. Rate: price 0, rate <= MAX_RATE_BPS.
    function _checkPricing(Offer calldata offer) private pure {
        if (offer.pricing == Pricing.Fixed) {
            if (offer.price == 0 || offer.rateBps != 0) {
                revert DeskInvalidPricing(offer.pricing, offer.price, offer.rateBps);
            }
            if (offer.price > offer.value) revert DeskPriceAboveValue(offer.price, offer.value);
        } else if (offer.price != 0 || offer.rateBps > MAX_RATE_BPS) {
            revert DeskInvalidPricing(offer.pricing, offer.price, offer.rateBps);
        }
    }

    /// @dev The price now (pricing already checked). Rate: quote on the seconds left to
    ///      maturity (read from the token id); zero is refused.
    function _price(Offer calldata offer) private view returns (uint256 priceCents) {
        if (offer.pricing == Pricing.Fixed) return offer.price;
        uint256 maturityAt = offer.tokenId >> _MATURITY_SHIFT;
        uint256 secondsLeft = maturityAt > block.timestamp ? maturityAt - block.timestamp : 0;
        priceCents = quote(offer.value, offer.rateBps, secondsLeft);
        if (priceCents == 0) revert DeskZeroPrice(offer.value, offer.rateBps, secondsLeft);
    }

    function _hashOffer(Offer calldata offer) private view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    OFFER_TYPEHASH,
                    offer.financier,
                    offer.seller,
                    offer.tokenId,
                    offer.value,
                    offer.pricing,
                    offer.price,
                    offer.rateBps,
                    offer.recourse,
                    offer.nonce,
                    offer.deadline
                )
            )
        );
    }
}
