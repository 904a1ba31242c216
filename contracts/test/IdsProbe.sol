// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Cents} from "../lib/Cents.sol";
import {Roles} from "../lib/Roles.sol";
import {TokenIds} from "../lib/TokenIds.sol";

/// @title IdsProbe
/// @notice Test only: the shared libraries (token-id layout, role bits, cents) as external
///         functions, so a property test can check that Python computes the same.
contract IdsProbe {
    /// @notice TokenIds.make.
    /// @param maturityAt maturity
    /// @param payableId payable
    /// @param index piece index
    /// @return the token id
    function make(uint256 maturityAt, uint256 payableId, uint256 index) external pure returns (uint256) {
        return TokenIds.make(maturityAt, payableId, index);
    }

    /// @notice TokenIds parts of a token id.
    /// @param tokenId the token id
    /// @return maturityAt the maturity
    /// @return payableId the payable
    /// @return index the piece index
    function parts(uint256 tokenId) external pure returns (uint256 maturityAt, uint256 payableId, uint256 index) {
        return (TokenIds.maturityOf(tokenId), TokenIds.payableIdOf(tokenId), TokenIds.indexOf(tokenId));
    }

    /// @notice TokenIds.withIndex.
    /// @param tokenId a token id
    /// @param index another index
    /// @return the sibling's token id
    function withIndex(uint256 tokenId, uint256 index) external pure returns (uint256) {
        return TokenIds.withIndex(tokenId, index);
    }

    /// @notice Every role bit, in the order of Python's Role, then HOLDERS, GOVERNANCE, ALL.
    /// @return bits the role constants
    function roles() external pure returns (uint8[10] memory bits) {
        bits = [
            Roles.OPERATOR,
            Roles.CORE_ENTERPRISE,
            Roles.SUPPLIER,
            Roles.FINANCIER,
            Roles.GUARANTOR,
            Roles.AUDITOR,
            Roles.REGULATOR,
            Roles.HOLDERS,
            Roles.GOVERNANCE,
            Roles.ALL
        ];
    }

    /// @notice Cents.toUnits.
    /// @param cents an amount in cents
    /// @param decimals the currency's decimals
    /// @return the amount in currency units
    function toUnits(uint256 cents, uint8 decimals) external pure returns (uint256) {
        return Cents.toUnits(cents, decimals);
    }

    /// @notice Cents' constants: value decimals, fewest and most currency decimals.
    /// @return decimals value decimals
    /// @return minCurrency fewest currency decimals
    /// @return maxCurrency most currency decimals
    function centsConstants() external pure returns (uint8 decimals, uint8 minCurrency, uint8 maxCurrency) {
        return (Cents.DECIMALS, Cents.MIN_CURRENCY_DECIMALS, Cents.MAX_CURRENCY_DECIMALS);
    }
}
