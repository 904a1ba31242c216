// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title SpoofingForwarder
/// @notice Test only: an ERC-2771 "forwarder" that appends any claimed sender to the call data
///         (no signature check), to test that a contract trusting it reads `_msgSender()`.
contract SpoofingForwarder {
    /// @notice Call `target` with `data` followed by `from` (20 bytes); bubbles a revert.
    function forward(address target, bytes calldata data, address from) external returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call(abi.encodePacked(data, from));
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        return ret;
    }
}
