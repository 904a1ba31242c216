// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC5267} from "@openzeppelin/contracts/interfaces/IERC5267.sol";

/// @title IRequestRelay
/// @notice Members sign their requests (accept a payable, split or move value, transfer a piece,
///         or any call to an allowed tierchain contract) as EIP-712 typed data with their own
///         key; anyone relays them and pays the gas. The relay checks deadline, nonce and
///         signature, then calls the target with the signer appended to the calldata (ERC-2771):
///         targets trust this relay as their forwarder and read the signer with `_msgSender()`.
/// @dev One EIP-712 domain (name "tierchain", version "1", this chain, this contract; published
///      through ERC-5267 `eip712Domain()`) and one sequential nonce per signer shared by every
///      request kind. Each kind has its own type hash, so a signature for one kind never
///      verifies as another. If the target reverts, the whole transaction reverts with the
///      target's revert data unchanged: the nonce stays unused and the request may be relayed
///      again until its deadline (a relayer that starves the inner call of gas only wastes its
///      own gas). The relay has no multicall and no delegatecall (the ERC-2771 + multicall
///      spoofing pitfall), holds no authority of its own and never holds ether.
interface IRequestRelay is IERC5267 {
    // ------------------------------------------------------------------ requests

    /// @notice Accept a payable issued to the signer (PayableToken.accept).
    /// @param signer the creditor of the payable, who signs
    /// @param payableId the payable to accept
    /// @param nonce the signer's next relay nonce (`nonces(signer)`)
    /// @param deadline last UTC second at which the request may execute
    struct AcceptPayable {
        address signer;
        uint256 payableId;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice Split `value` cents off a piece into a new piece for `to`
    ///         (PayableToken.transferFrom(uint256,address,uint256)).
    /// @param signer the owner (or an approved operator) of the piece, who signs
    /// @param fromTokenId the piece to split
    /// @param to the member receiving the new piece
    /// @param value cents moved into the new piece
    /// @param nonce the signer's next relay nonce
    /// @param deadline last UTC second at which the request may execute
    struct SplitPiece {
        address signer;
        uint256 fromTokenId;
        address to;
        uint256 value;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice Pay many receivers from one piece with one signature (PayableToken.payout).
    /// @dev EIP-712 arrays: `to` and `values` are hashed as `keccak256` of their elements each
    ///      encoded as one 32-byte word (`abi.encodePacked` of the array).
    /// @param signer the owner (or an approved operator) of the piece, who signs
    /// @param fromTokenId the piece paid out of
    /// @param to the members receiving the new pieces
    /// @param values cents for each receiver, in the order of `to`
    /// @param nonce the signer's next relay nonce
    /// @param deadline last UTC second at which the request may execute
    struct PayoutPiece {
        address signer;
        uint256 fromTokenId;
        address[] to;
        uint256[] values;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice Move `value` cents into an existing piece of the same payable
    ///         (PayableToken.transferFrom(uint256,uint256,uint256)).
    /// @param signer the owner (or an approved operator) of the source piece, who signs
    /// @param fromTokenId the source piece
    /// @param toTokenId the receiving piece
    /// @param value cents moved
    /// @param nonce the signer's next relay nonce
    /// @param deadline last UTC second at which the request may execute
    struct MoveValue {
        address signer;
        uint256 fromTokenId;
        uint256 toTokenId;
        uint256 value;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice Transfer a whole piece from the signer to `to`
    ///         (PayableToken.transferFrom(address,address,uint256) with `from` = signer).
    /// @param signer the owner of the piece, who signs
    /// @param tokenId the piece
    /// @param to the member receiving it
    /// @param nonce the signer's next relay nonce
    /// @param deadline last UTC second at which the request may execute
    struct TransferPiece {
        address signer;
        uint256 tokenId;
        address to;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice Any call to an allowed target (the financing desk's takeOffer, settlement's
    ///         claim, or a token function without a typed request such as merge or approve).
    /// @param signer who signs and on whose behalf the target acts
    /// @param target an allowed contract that trusts this relay (ERC-2771)
    /// @param data the calldata (selector and arguments) for the target
    /// @param nonce the signer's next relay nonce
    /// @param deadline last UTC second at which the request may execute
    struct Call {
        address signer;
        address target;
        bytes data;
        uint256 nonce;
        uint256 deadline;
    }

    // ------------------------------------------------------------------ events

    /// @notice A signed request was executed.
    /// @param signer who signed it
    /// @param typeHash the EIP-712 type hash of its kind (which kind it was)
    /// @param nonce the nonce it used
    /// @param target the contract called
    event RequestRelayed(address indexed signer, bytes32 indexed typeHash, uint256 nonce, address indexed target);

    /// @notice The Membership admin allowed or disallowed a target.
    /// @param target the contract
    /// @param allowed whether requests may call it now
    event TargetAllowed(address indexed target, bool allowed);

    /// @notice The payable token of the typed requests was bound (once).
    /// @param token the PayableToken
    event TokenBound(address indexed token);

    // ------------------------------------------------------------------ errors

    /// @notice The request's deadline has passed.
    error RelayExpired(uint256 deadline, uint256 nowAt);
    /// @notice The signature is not the signer's for this request in this domain.
    error RelayBadSignature(address signer);
    /// @notice The request's nonce is not the signer's next nonce (replayed, or out of order).
    error RelayBadNonce(address signer, uint256 expected, uint256 given);
    /// @notice Requests may not call this target.
    error RelayTargetNotAllowed(address target);
    /// @notice The target does not trust this relay as its ERC-2771 forwarder.
    error RelayNotTrustedForwarder(address target);
    /// @notice A zero address where an account or contract is needed.
    error RelayZeroAddress();
    /// @notice Only the Membership admin may do this.
    error RelayNotAdmin(address caller);
    /// @notice The payable token is already bound.
    error RelayTokenAlreadyBound(address token);
    /// @notice No payable token is bound yet: typed token requests cannot run.
    error RelayTokenNotBound();

    // ------------------------------------------------------------------ relaying

    /// @notice Relay a signed AcceptPayable request.
    /// @dev Reverts RelayExpired, RelayTokenNotBound, RelayTargetNotAllowed, RelayBadNonce,
    ///      RelayBadSignature, or with the token's own error. Emits RequestRelayed.
    /// @param request the request
    /// @param signature the signer's signature (65-byte ECDSA, or whatever its ERC-1271 accepts)
    function acceptPayable(AcceptPayable calldata request, bytes calldata signature) external;

    /// @notice Relay a signed SplitPiece request.
    /// @dev Reverts like acceptPayable. Emits RequestRelayed (and the token's events).
    /// @param request the request
    /// @param signature the signer's signature
    /// @return newTokenId the new piece
    function splitPiece(SplitPiece calldata request, bytes calldata signature) external returns (uint256 newTokenId);

    /// @notice Relay a signed PayoutPiece request: one signature for the whole batch.
    /// @dev Reverts like acceptPayable. Emits RequestRelayed (and the token's events).
    /// @param request the request
    /// @param signature the signer's signature
    /// @return firstTokenId the first new piece; the i-th receiver's is `firstTokenId + i`
    function payoutPiece(PayoutPiece calldata request, bytes calldata signature)
        external
        returns (uint256 firstTokenId);

    /// @notice Relay a signed MoveValue request.
    /// @dev Reverts like acceptPayable. Emits RequestRelayed.
    /// @param request the request
    /// @param signature the signer's signature
    function moveValue(MoveValue calldata request, bytes calldata signature) external;

    /// @notice Relay a signed TransferPiece request.
    /// @dev Reverts like acceptPayable. Emits RequestRelayed.
    /// @param request the request
    /// @param signature the signer's signature
    function transferPiece(TransferPiece calldata request, bytes calldata signature) external;

    /// @notice Relay a signed generic Call request to an allowed target.
    /// @dev Reverts RelayExpired, RelayTargetNotAllowed, RelayBadNonce, RelayBadSignature, or
    ///      with the target's own error. Emits RequestRelayed.
    /// @param request the request
    /// @param signature the signer's signature
    /// @return result the target's return data
    function relayCall(Call calldata request, bytes calldata signature) external returns (bytes memory result);

    // ------------------------------------------------------------------ administration

    /// @notice Bind the PayableToken the typed requests act on, and allow it as a target. Once.
    /// @dev Only the Membership admin. Reverts RelayNotAdmin, RelayZeroAddress,
    ///      RelayTokenAlreadyBound, RelayNotTrustedForwarder. Emits TokenBound and TargetAllowed.
    /// @param token the PayableToken (must trust this relay)
    function bindToken(address token) external;

    /// @notice Allow or disallow a target for requests (the token, the desk, settlement).
    /// @dev Only the Membership admin. Allowing needs a contract that trusts this relay as its
    ///      forwarder (RelayNotTrustedForwarder); the relay itself is never a target. Reverts
    ///      RelayNotAdmin, RelayZeroAddress. Emits TargetAllowed.
    /// @param target the contract
    /// @param allowed true to allow, false to disallow
    function setTargetAllowed(address target, bool allowed) external;

    // ------------------------------------------------------------------ views

    /// @notice The next nonce a request of `signer` must carry.
    /// @param signer the account
    /// @return the nonce
    function nonces(address signer) external view returns (uint256);

    /// @notice Whether requests may call `target`.
    /// @param target the contract
    /// @return whether it is allowed
    function isTargetAllowed(address target) external view returns (bool);

    /// @notice The PayableToken of the typed requests (zero until bound).
    /// @return the token
    function token() external view returns (address);

    /// @notice The Membership contract whose admin administers the relay.
    /// @return the contract
    function membership() external view returns (address);

    /// @notice The EIP-712 domain separator of this relay on this chain.
    /// @return the separator
    function domainSeparator() external view returns (bytes32);

    /// @notice The EIP-712 digest a signer signs for a struct hash (for off-chain checks).
    /// @param structHash hashStruct of a request
    /// @return the digest `keccak256("\x19\x01" ‖ domainSeparator ‖ structHash)`
    function hashTypedData(bytes32 structHash) external view returns (bytes32);
}
