// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC3525} from "@solvprotocol/erc-3525/ERC3525.sol";

/// @title ReferenceERC3525
/// @notice Test only: Solv's ERC-3525 reference implementation with an open mint, so that the
///         shared "behaves like ERC-3525" tests and the gas benchmark can run it beside
///         PayableToken.
contract ReferenceERC3525 is ERC3525 {
    constructor() ERC3525("ref", "REF", 2) {}

    /// @notice Mint a new token of `slot` holding `value` to `to` (anyone may call).
    /// @param to the owner of the new token
    /// @param slot the slot
    /// @param value the value
    /// @return tokenId the new token
    function mint(address to, uint256 slot, uint256 value) external returns (uint256 tokenId) {
        return _mint(to, slot, value);
    }
}
