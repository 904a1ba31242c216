// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IFinancingRecords} from "./IFinancingRecords.sol";

/// @title IFinancingDesk
/// @notice Financing (融资 / 保理 / 贴现) of payable pieces with delivery versus payment: a
///         financier offers to buy a piece, or part of one, at a fixed price or at an annual
///         discount rate for the days left to maturity; the holder takes the offer and, in the
///         same transaction, the piece moves to the financier and the price moves from the
///         financier to the holder, or nothing moves at all.
/// @dev Offers are EIP-712 typed data signed by the financier off chain (EOA or ERC-1271
///      contract), so the financier sends nothing until its offer is taken, or posted on chain
///      by the financier. Each offer executes at most once; it can be cancelled by hash, and all
///      of a financier's offers with a nonce below a floor can be invalidated at once.
///      Discount arithmetic (see `quote`): Actual/365 on whole days left,
///      discount = floor(value * rateBps * days / (10,000 * 365)) cents, price = value - discount.
///      Every caller identity is `_msgSender()` (ERC-2771: a trusted forwarder may relay).
interface IFinancingDesk is IFinancingRecords {
    /// @notice How an offer prices the piece.
    /// @dev Fixed: `price` cents, `rateBps` must be 0. Rate: `rateBps` a year on the days left
    ///      at the moment the offer is taken (see `quote`), `price` must be 0.
    enum Pricing {
        Fixed,
        Rate
    }

    /// @notice Where an offer stands on chain (cancellations are kept per financier).
    enum OfferStatus {
        None,
        Posted,
        Taken
    }

    /// @notice A financier's offer to buy (part of) a piece.
    /// @dev EIP-712 type: `Offer(address financier,address seller,uint256 tokenId,uint64 value,
    ///      uint8 pricing,uint64 price,uint16 rateBps,bool recourse,uint256 nonce,uint40 deadline)`.
    /// @param financier who buys and pays (signs or posts the offer)
    /// @param seller the holder the offer is made to; zero: whoever holds the piece when taken
    /// @param tokenId the piece
    /// @param value value bought, in cents: the whole piece or part of it
    /// @param pricing Fixed or Rate
    /// @param price fixed price in cents (Fixed), else 0
    /// @param rateBps annual discount rate in basis points, at most MAX_RATE_BPS (Rate), else 0
    /// @param recourse true: with recourse (the financier may turn to the seller if the debtor
    ///        does not pay); false: without recourse
    /// @param nonce any number chosen by the financier; offers below its nonce floor are void
    /// @param deadline last UTC second at which the offer may be taken
    struct Offer {
        address financier;
        address seller;
        uint256 tokenId;
        uint64 value;
        Pricing pricing;
        uint64 price;
        uint16 rateBps;
        bool recourse;
        uint256 nonce;
        uint40 deadline;
    }

    /// @notice A financier posted an offer on chain.
    event OfferPosted(bytes32 indexed offerHash, address indexed financier, uint256 indexed tokenId, Offer offer);
    /// @notice A financier cancelled an offer by its hash.
    event OfferCancelled(bytes32 indexed offerHash, address indexed financier);
    /// @notice A financier voided every offer with a nonce below `nonceFloor`.
    event NoncesInvalidated(address indexed financier, uint256 nonceFloor);
    /// @notice A piece was financed: it moved to the financier and the price moved to the seller.
    /// @param offerHash EIP-712 hash of the offer taken
    /// @param fromTokenId the piece the offer named
    /// @param tokenId the piece the financier received (`fromTokenId` for a whole piece)
    /// @param financier the buyer
    /// @param seller the holder who took the offer
    /// @param value value bought, in cents
    /// @param price price paid, in cents
    /// @param currencyAmount price paid, in the currency's smallest units
    /// @param recourse with recourse or not
    event Financed(
        bytes32 offerHash,
        uint256 fromTokenId,
        uint256 indexed tokenId,
        address indexed financier,
        address indexed seller,
        uint64 value,
        uint64 price,
        uint256 currencyAmount,
        bool recourse
    );

    /// @notice Trading is paused on the payable token: no financing.
    error DeskTradingPaused();
    /// @notice The offer's deadline has passed.
    error DeskOfferExpired(bytes32 offerHash, uint256 deadline, uint256 nowAt);
    /// @notice The offer was already taken (each offer executes at most once).
    error DeskOfferUsed(bytes32 offerHash);
    /// @notice The financier cancelled the offer.
    error DeskOfferCancelled(bytes32 offerHash);
    /// @notice The financier invalidated the offer's nonce.
    error DeskNonceInvalidated(address financier, uint256 nonce, uint256 nonceFloor);
    /// @notice A new nonce floor must be above the current one.
    error DeskNonceFloorNotRaised(address financier, uint256 nonceFloor, uint256 requested);
    /// @notice No posted offer with this hash (and no signature was given).
    error DeskOfferNotPosted(bytes32 offerHash);
    /// @notice The offer is already posted.
    error DeskOfferAlreadyPosted(bytes32 offerHash);
    /// @notice The signature is not the financier's over this offer on this desk and chain.
    error DeskInvalidSignature(address financier, bytes32 offerHash);
    /// @notice Only the offer's financier may post or cancel it.
    error DeskNotOfferFinancier(address caller, address financier);
    /// @notice The financier is not an active, unfrozen member with the financier role.
    error DeskNotFinancier(address financier);
    /// @notice The seller is not an active, unfrozen member with a holder role.
    error DeskNotMember(address account);
    /// @notice A financier cannot buy from itself.
    error DeskSelfDealing(address account);
    /// @notice No live piece with this id.
    error DeskUnknownPiece(uint256 tokenId);
    /// @notice The caller does not own the piece.
    error DeskNotOwner(uint256 tokenId, address caller, address owner);
    /// @notice The offer is made to another seller.
    error DeskWrongSeller(bytes32 offerHash, address seller, address caller);
    /// @notice The offer's value is zero or above the piece's value.
    error DeskInvalidValue(uint256 tokenId, uint256 value, uint256 pieceValue);
    /// @notice The payable is at or past maturity: nothing is financed then.
    error DeskMatured(uint256 tokenId, uint256 maturityAt, uint256 nowAt);
    /// @notice The pricing fields are inconsistent: Fixed needs a price > 0 and rate 0; Rate
    ///         needs price 0 and a rate of at most MAX_RATE_BPS.
    error DeskInvalidPricing(Pricing pricing, uint256 price, uint256 rateBps);
    /// @notice A fixed price above the value bought.
    error DeskPriceAboveValue(uint256 price, uint256 value);
    /// @notice The discount eats the whole value: the price would be zero.
    error DeskZeroPrice(uint256 value, uint256 rateBps, uint256 secondsLeft);
    /// @notice A rate above MAX_RATE_BPS or a value above 2^64-1 cents given to `quote`.
    error DeskQuoteOutOfRange(uint256 valueCents, uint256 rateBps);
    /// @notice The seller received a different amount than the price (fee-on-transfer or lying
    ///         currency): the whole financing is undone.
    error DeskPaymentMismatch(address currency, uint256 expected, uint256 received);
    /// @notice An address argument was zero.
    error DeskZeroAddress();

    /// @notice Post an offer on chain (the financier itself).
    /// @dev Caller: `offer.financier`, an active financier. The terms must be consistent and the
    ///      deadline not passed. Emits OfferPosted.
    /// @param offer the offer
    /// @return offerHash its EIP-712 hash
    function post(Offer calldata offer) external returns (bytes32 offerHash);

    /// @notice Take a posted offer: the piece (or part) and the price move together.
    /// @dev Caller: the owner of the piece. See `take` for every check. Emits Financed.
    /// @param offer the offer as posted
    /// @return tokenId the piece the financier received
    function takePosted(Offer calldata offer) external returns (uint256 tokenId);

    /// @notice Take an offer signed off chain: the piece (or part) and the price move together,
    ///         or nothing moves.
    /// @dev Caller: the owner of the piece (and the offer's seller, if it names one), an active
    ///      member with a holder role. Trading not paused; the offer not expired, taken,
    ///      cancelled or below the nonce floor; the signature the financier's (ECDSA or
    ///      ERC-1271); the financier an active financier; value in (0, piece value]; before
    ///      maturity; pricing consistent, price in (0, value]. Then: the offer is marked taken,
    ///      the token moves the piece with `agentTransfer` (receiver rules, minimum piece,
    ///      freezes), the financing is recorded, and the price is pulled from the financier to
    ///      the seller with SafeERC20 (the financier has approved this desk), checked by the
    ///      seller's balance delta. Emits Financed.
    /// @param offer the offer
    /// @param signature the financier's EIP-712 signature over it
    /// @return tokenId the piece the financier received
    function take(Offer calldata offer, bytes calldata signature) external returns (uint256 tokenId);

    /// @notice Cancel one of the caller's offers by its hash (signed or posted).
    /// @dev Emits OfferCancelled. Reverts if already taken or cancelled.
    /// @param offerHash the offer's EIP-712 hash
    function cancel(bytes32 offerHash) external;

    /// @notice Void every offer of the caller with a nonce below `nonceFloor`.
    /// @dev The floor only rises. Emits NoncesInvalidated.
    /// @param nonceFloor the new floor
    function invalidateNonces(uint256 nonceFloor) external;

    /// @notice The discounted price of `valueCents` at `rateBps` a year for `secondsLeft`.
    /// @dev Actual/365 on whole days: days = floor(secondsLeft / 86,400) (a partial day does not
    ///      count); discount = floor(valueCents * rateBps * days / 3,650,000) (rounded down to
    ///      the cent, in the seller's favour); price = valueCents - discount, or 0 when the
    ///      discount reaches the value. 1,000,000.00 at 600 bps for 90 days: 985,205.48.
    /// @param valueCents value in cents, at most 2^64-1
    /// @param rateBps annual rate in basis points, at most MAX_RATE_BPS
    /// @param secondsLeft seconds to maturity
    /// @return priceCents the price in cents
    function quote(uint256 valueCents, uint256 rateBps, uint256 secondsLeft) external pure returns (uint256 priceCents);

    /// @notice The price an offer would pay if taken now (checks pricing only, not the piece).
    /// @param offer the offer
    /// @return priceCents the price in cents
    function priceOf(Offer calldata offer) external view returns (uint256 priceCents);

    /// @notice The EIP-712 hash of an offer (what the financier signs).
    /// @param offer the offer
    /// @return the typed-data digest
    function hashOffer(Offer calldata offer) external view returns (bytes32);

    /// @notice Where an offer stands: none, posted or taken.
    /// @param offerHash the offer's hash
    /// @return the status
    function offerStatus(bytes32 offerHash) external view returns (OfferStatus);

    /// @notice Whether `financier` cancelled the offer with this hash.
    /// @param financier the financier
    /// @param offerHash the offer's hash
    /// @return true if cancelled
    function isCancelled(address financier, bytes32 offerHash) external view returns (bool);

    /// @notice A financier's nonce floor: offers with a lower nonce are void.
    /// @param financier the financier
    /// @return the floor
    function nonceFloorOf(address financier) external view returns (uint256);

    /// @notice The payable token this desk is an agent of.
    /// @return the token address
    function token() external view returns (address);

    /// @notice The membership register consulted for roles.
    /// @return the membership address
    function membership() external view returns (address);
}
