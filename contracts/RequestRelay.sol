// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

import {IMembership} from "../interfaces/IMembership.sol";
import {IPayableToken} from "../interfaces/IPayableToken.sol";
import {IRequestRelay} from "../interfaces/IRequestRelay.sol";
import {SignerCheck} from "./lib/SignerCheck.sol";

/// @dev The one function the relay asks of a target: whether it trusts the relay (ERC-2771).
interface IERC2771Target {
    /// @notice Whether `forwarder` is this contract's trusted forwarder.
    /// @param forwarder the relay
    /// @return whether its appended sender is honoured
    function isTrustedForwarder(address forwarder) external view returns (bool);
}

/// @title RequestRelay
/// @notice The one place where signed member requests are verified and executed: one EIP-712
///         domain, one nonce per signer across every kind of request, EOA (ECDSA) and contract
///         (ERC-1271) signers. Anyone may relay; the relayer pays the gas and gains no authority.
/// @dev Execution is `target.call(data ‖ signer)` (ERC-2771). Gas and nonces: the nonce is
///      used before the call, and a failing inner call reverts the whole transaction with the
///      target's revert data unchanged, so a request's nonce is spent only by a request that
///      ran to completion. A relayer that supplies too little gas for the inner call gets a
///      reverted transaction and the request stays valid (until its deadline); no minimum gas is
///      signed or forwarded. No multicall, no delegatecall: the appended signer can only ever be
///      the one whose signature was checked in the same frame.
contract RequestRelay is IRequestRelay, EIP712, Nonces {
    /// @notice EIP-712 type hash of AcceptPayable.
    bytes32 public constant ACCEPT_PAYABLE_TYPEHASH =
        keccak256("AcceptPayable(address signer,uint256 payableId,uint256 nonce,uint256 deadline)");
    /// @notice EIP-712 type hash of SplitPiece.
    bytes32 public constant SPLIT_PIECE_TYPEHASH = keccak256(
        "SplitPiece(address signer,uint256 fromTokenId,address to,uint256 value,uint256 nonce,uint256 deadline)"
    );
    /// @notice EIP-712 type hash of PayoutPiece.
    bytes32 public constant PAYOUT_PIECE_TYPEHASH = keccak256(
        "PayoutPiece(address signer,uint256 fromTokenId,address[] to,uint256[] values,uint256 nonce,uint256 deadline)"
    );
    /// @notice EIP-712 type hash of MoveValue.
    bytes32 public constant MOVE_VALUE_TYPEHASH = keccak256(
        "MoveValue(address signer,uint256 fromTokenId,uint256 toTokenId,uint256 value,uint256 nonce,uint256 deadline)"
    );
    /// @notice EIP-712 type hash of TransferPiece.
    bytes32 public constant TRANSFER_PIECE_TYPEHASH =
        keccak256("TransferPiece(address signer,uint256 tokenId,address to,uint256 nonce,uint256 deadline)");
    /// @notice EIP-712 type hash of Call.
    bytes32 public constant CALL_TYPEHASH =
        keccak256("Call(address signer,address target,bytes data,uint256 nonce,uint256 deadline)");

    IMembership private immutable _membership;
    address private _token;
    mapping(address target => bool) private _allowed;

    /// @param membership_ the consortium register; its admin administers the allow-list
    constructor(IMembership membership_) EIP712("tierchain", "1") {
        if (address(membership_) == address(0)) revert RelayZeroAddress();
        _membership = membership_;
    }

    // ================================================================== relaying

    /// @inheritdoc IRequestRelay
    function acceptPayable(AcceptPayable calldata request, bytes calldata signature) external {
        address target = _boundToken();
        bytes32 structHash = keccak256(abi.encode(ACCEPT_PAYABLE_TYPEHASH, request));
        _verify(structHash, request.signer, request.nonce, request.deadline, signature, target);
        _forward(target, abi.encodeCall(IPayableToken.accept, (request.payableId)), request.signer);
        emit RequestRelayed(request.signer, ACCEPT_PAYABLE_TYPEHASH, request.nonce, target);
    }

    /// @inheritdoc IRequestRelay
    function splitPiece(SplitPiece calldata request, bytes calldata signature) external returns (uint256 newTokenId) {
        address target = _boundToken();
        bytes32 structHash = keccak256(abi.encode(SPLIT_PIECE_TYPEHASH, request));
        _verify(structHash, request.signer, request.nonce, request.deadline, signature, target);
        bytes memory result = _forward(
            target,
            abi.encodeWithSignature(
                "transferFrom(uint256,address,uint256)", request.fromTokenId, request.to, request.value
            ),
            request.signer
        );
        newTokenId = abi.decode(result, (uint256));
        emit RequestRelayed(request.signer, SPLIT_PIECE_TYPEHASH, request.nonce, target);
    }

    /// @inheritdoc IRequestRelay
    function payoutPiece(PayoutPiece calldata request, bytes calldata signature)
        external
        returns (uint256 firstTokenId)
    {
        address target = _boundToken();
        bytes32 structHash = keccak256(
            abi.encode(
                PAYOUT_PIECE_TYPEHASH,
                request.signer,
                request.fromTokenId,
                keccak256(abi.encodePacked(request.to)),
                keccak256(abi.encodePacked(request.values)),
                request.nonce,
                request.deadline
            )
        );
        _verify(structHash, request.signer, request.nonce, request.deadline, signature, target);
        bytes memory result = _forward(
            target,
            abi.encodeCall(IPayableToken.payout, (request.fromTokenId, request.to, request.values)),
            request.signer
        );
        firstTokenId = abi.decode(result, (uint256));
        emit RequestRelayed(request.signer, PAYOUT_PIECE_TYPEHASH, request.nonce, target);
    }

    /// @inheritdoc IRequestRelay
    function moveValue(MoveValue calldata request, bytes calldata signature) external {
        address target = _boundToken();
        bytes32 structHash = keccak256(abi.encode(MOVE_VALUE_TYPEHASH, request));
        _verify(structHash, request.signer, request.nonce, request.deadline, signature, target);
        _forward(
            target,
            abi.encodeWithSignature(
                "transferFrom(uint256,uint256,uint256)", request.fromTokenId, request.toTokenId, request.value
            ),
            request.signer
        );
        emit RequestRelayed(request.signer, MOVE_VALUE_TYPEHASH, request.nonce, target);
    }

    /// @inheritdoc IRequestRelay
    function transferPiece(TransferPiece calldata request, bytes calldata signature) external {
        address target = _boundToken();
        bytes32 structHash = keccak256(abi.encode(TRANSFER_PIECE_TYPEHASH, request));
        _verify(structHash, request.signer, request.nonce, request.deadline, signature, target);
        _forward(
            target,
            abi.encodeWithSignature(
                "transferFrom(address,address,uint256)", request.signer, request.to, request.tokenId
            ),
            request.signer
        );
        emit RequestRelayed(request.signer, TRANSFER_PIECE_TYPEHASH, request.nonce, target);
    }

    /// @inheritdoc IRequestRelay
    function relayCall(Call calldata request, bytes calldata signature) external returns (bytes memory result) {
        bytes32 structHash = keccak256(
            abi.encode(
                CALL_TYPEHASH, request.signer, request.target, keccak256(request.data), request.nonce, request.deadline
            )
        );
        _verify(structHash, request.signer, request.nonce, request.deadline, signature, request.target);
        result = _forward(request.target, request.data, request.signer);
        emit RequestRelayed(request.signer, CALL_TYPEHASH, request.nonce, request.target);
    }

    // ================================================================== administration

    /// @inheritdoc IRequestRelay
    function bindToken(address token_) external {
        _checkAdmin();
        if (token_ == address(0)) revert RelayZeroAddress();
        if (_token != address(0)) revert RelayTokenAlreadyBound(_token);
        _checkTrusts(token_);
        _token = token_;
        emit TokenBound(token_);
        _allowed[token_] = true;
        emit TargetAllowed(token_, true);
    }

    /// @inheritdoc IRequestRelay
    function setTargetAllowed(address target, bool allowed) external {
        _checkAdmin();
        if (target == address(0)) revert RelayZeroAddress();
        if (allowed) _checkTrusts(target);
        _allowed[target] = allowed;
        emit TargetAllowed(target, allowed);
    }

    // ================================================================== views

    /// @inheritdoc IRequestRelay
    function nonces(address signer) public view override(IRequestRelay, Nonces) returns (uint256) {
        return super.nonces(signer);
    }

    /// @inheritdoc IRequestRelay
    function isTargetAllowed(address target) external view returns (bool) {
        return _allowed[target];
    }

    /// @inheritdoc IRequestRelay
    function token() external view returns (address) {
        return _token;
    }

    /// @inheritdoc IRequestRelay
    function membership() external view returns (address) {
        return address(_membership);
    }

    /// @inheritdoc IRequestRelay
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IRequestRelay
    function hashTypedData(bytes32 structHash) external view returns (bytes32) {
        return _hashTypedDataV4(structHash);
    }

    // ================================================================== internal

    /// @dev The checks every request passes, in this order: a signer, the deadline, an allowed
    ///      target, the signer's next nonce (used here), the signature over the EIP-712 digest.
    function _verify(
        bytes32 structHash,
        address signer,
        uint256 nonce,
        uint256 deadline,
        bytes calldata signature,
        address target
    ) private {
        if (signer == address(0)) revert RelayZeroAddress();
        if (block.timestamp > deadline) revert RelayExpired(deadline, block.timestamp);
        if (!_allowed[target]) revert RelayTargetNotAllowed(target);
        uint256 expected = _useNonce(signer);
        if (nonce != expected) revert RelayBadNonce(signer, expected, nonce);
        if (!SignerCheck.isValidSignatureNow(signer, _hashTypedDataV4(structHash), signature)) {
            revert RelayBadSignature(signer);
        }
    }

    /// @dev Call `target` with the signer appended (ERC-2771); bubble a revert unchanged.
    function _forward(address target, bytes memory data, address signer) private returns (bytes memory result) {
        bool ok;
        (ok, result) = target.call(abi.encodePacked(data, signer));
        if (!ok) {
            // Revert with the target's own data so callers decode the target's custom error.
            assembly ("memory-safe") {
                revert(add(result, 0x20), mload(result))
            }
        }
    }

    function _boundToken() private view returns (address token_) {
        token_ = _token;
        if (token_ == address(0)) revert RelayTokenNotBound();
    }

    function _checkAdmin() private view {
        if (msg.sender != _membership.admin()) revert RelayNotAdmin(msg.sender);
    }

    /// @dev `target` is a contract that names this relay its trusted forwarder.
    function _checkTrusts(address target) private view {
        if (target.code.length == 0) revert RelayNotTrustedForwarder(target);
        try IERC2771Target(target).isTrustedForwarder(address(this)) returns (bool trusted) {
            if (!trusted) revert RelayNotTrustedForwarder(target);
        } catch {
            revert RelayNotTrustedForwarder(target);
        }
    }
}
