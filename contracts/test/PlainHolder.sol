// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title PlainHolder
/// @notice Test only: a contract with neither ERC-165 nor receiver hooks (say, a simple vault).
///         It must still receive ERC-3525 value; an ERC-721 safe transfer to it must fail.
contract PlainHolder {
    /// @notice Anything, to give the contract code.
    /// @return always true
    function ping() external pure returns (bool) {
        return true;
    }
}
