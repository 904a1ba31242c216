// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Cents
/// @notice The one definition of the token's unit: values are cents (2 decimals) of the
///         settlement currency, whose own decimals are 2..36. Python: `tierchain.core.money`
///         (`VALUE_DECIMALS`, `cents_to_units`).
library Cents {
    /// @notice Decimals of every value the token holds (ERC-3525 valueDecimals).
    uint8 internal constant DECIMALS = 2;
    /// @notice Fewest decimals a settlement currency may have.
    uint8 internal constant MIN_CURRENCY_DECIMALS = 2;
    /// @notice Most decimals a settlement currency may have.
    uint8 internal constant MAX_CURRENCY_DECIMALS = 36;

    /// @notice Currency units of `cents`: `cents * 10**(decimals - 2)`.
    /// @dev `decimals` in 2..36 (checked by the token at issue); for cents < 2^64 the result is
    ///      below 2^64 * 10^34 < 2^177, so it cannot overflow. Decimals below 2 revert (panic).
    /// @param cents an amount in cents
    /// @param decimals the currency's decimals
    /// @return the amount in the currency's smallest unit
    function toUnits(uint256 cents, uint8 decimals) internal pure returns (uint256) {
        return cents * 10 ** (decimals - DECIMALS);
    }
}
