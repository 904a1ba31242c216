// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title ERC1271Financier
/// @notice Test only: a contract wallet (say, a bank's multisig) that signs through ERC-1271:
///         a signature is valid when its owner key signed the hash. It approves currency to the
///         desk on the owner's word.
contract ERC1271Financier {
    /// @notice The key whose signatures this wallet accepts.
    address public immutable owner;

    /// @param owner_ the signing key
    constructor(address owner_) {
        owner = owner_;
    }

    /// @notice ERC-1271: the magic value when the owner signed `hash`.
    /// @param hash the digest
    /// @param signature the owner's signature
    /// @return magic 0x1626ba7e if valid, 0xffffffff otherwise
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4 magic) {
        (address signer, ECDSA.RecoverError e,) = ECDSA.tryRecover(hash, signature);
        return e == ECDSA.RecoverError.NoError && signer == owner ? bytes4(0x1626ba7e) : bytes4(0xffffffff);
    }

    /// @notice Approve a spender for a currency (owner only).
    /// @param currency the ERC-20
    /// @param spender the spender (the desk)
    /// @param amount the allowance
    function approve(IERC20 currency, address spender, uint256 amount) external {
        require(msg.sender == owner, "owner");
        currency.approve(spender, amount);
    }
}
