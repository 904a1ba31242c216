// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title ContractWallet
/// @notice Test only: a smart-contract wallet (a member that is a contract) whose signatures are
///         its owner key's ECDSA signatures over the digest, checked through ERC-1271.
contract ContractWallet is IERC1271 {
    address private immutable _owner;

    /// @param owner_ the key whose signatures the wallet accepts
    constructor(address owner_) {
        _owner = owner_;
    }

    /// @inheritdoc IERC1271
    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        (address recovered, ECDSA.RecoverError err,) = ECDSA.tryRecover(hash, signature);
        if (err == ECDSA.RecoverError.NoError && recovered == _owner) return IERC1271.isValidSignature.selector;
        return 0xffffffff;
    }
}
