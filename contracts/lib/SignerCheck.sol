// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";

/// @title SignerCheck
/// @notice OpenZeppelin's `SignatureChecker.isValidSignatureNow(address, ...)`, restated once for
///         the relay and the desk: OpenZeppelin 5.4's SignatureChecker imports Bytes.sol, which
///         uses `mcopy` (Cancun) and does not compile for shanghai.
library SignerCheck {
    /// @notice True when `signature` over `digest` is `signer`'s. An account without code must be
    ///         the ECDSA signer (ECDSA rejects malleable high-s signatures, T8); a contract must
    ///         answer ERC-1271's `isValidSignature` with its selector.
    /// @param signer the account that should have signed
    /// @param digest the signed hash (EIP-712 typed-data digest)
    /// @param signature the signature bytes
    /// @return valid whether the signature is the signer's
    function isValidSignatureNow(address signer, bytes32 digest, bytes calldata signature)
        internal
        view
        returns (bool valid)
    {
        if (signer.code.length == 0) {
            (address recovered, ECDSA.RecoverError failure,) = ECDSA.tryRecover(digest, signature);
            return failure == ECDSA.RecoverError.NoError && recovered == signer;
        }
        (bool ok, bytes memory answer) =
            signer.staticcall(abi.encodeCall(IERC1271.isValidSignature, (digest, signature)));
        return ok && answer.length >= 32 && abi.decode(answer, (bytes32)) == bytes32(IERC1271.isValidSignature.selector);
    }
}
