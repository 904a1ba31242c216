// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title TokenIds
/// @notice The one definition of a piece's token id: `maturityAt << 96 | payableId << 32 | index`.
///         The slot (payable) and the maturity of a piece are read from its id, so a move
///         touches no payable storage. Python: `tierchain.core.ids` (a property test checks the
///         two agree on random inputs through contracts/test/IdsProbe.sol).
/// @dev index: bits 0..31 (from 1; the issued piece is 1); payableId: bits 32..95; maturityAt
///      (unix seconds): bits 96..255. Callers keep each part in its range (index < 2^32,
///      payableId < 2^64); `make` does not mask.
library TokenIds {
    /// @notice Width of the piece index field.
    uint256 internal constant INDEX_BITS = 32;
    /// @notice Where the maturity starts.
    uint256 internal constant MATURITY_SHIFT = 96;
    /// @notice Mask of the piece index.
    uint256 internal constant INDEX_MASK = (1 << 32) - 1;
    /// @notice Mask of the payable id (after shifting by INDEX_BITS).
    uint256 internal constant PAYABLE_MASK = (1 << 64) - 1;

    /// @notice The token id of piece `index` of payable `payableId` maturing at `maturityAt`.
    /// @param maturityAt maturity, unix seconds
    /// @param payableId the payable (slot)
    /// @param index the piece index, from 1
    /// @return the token id
    function make(uint256 maturityAt, uint256 payableId, uint256 index) internal pure returns (uint256) {
        return (maturityAt << MATURITY_SHIFT) | (payableId << INDEX_BITS) | index;
    }

    /// @notice The payable (slot) of a token id.
    /// @param tokenId the token id
    /// @return the payable id
    function payableIdOf(uint256 tokenId) internal pure returns (uint256) {
        return (tokenId >> INDEX_BITS) & PAYABLE_MASK;
    }

    /// @notice The maturity (unix seconds) of a token id.
    /// @param tokenId the token id
    /// @return the maturity
    function maturityOf(uint256 tokenId) internal pure returns (uint256) {
        return tokenId >> MATURITY_SHIFT;
    }

    /// @notice The piece index of a token id.
    /// @param tokenId the token id
    /// @return the index (from 1)
    function indexOf(uint256 tokenId) internal pure returns (uint256) {
        return tokenId & INDEX_MASK;
    }

    /// @notice The token id of another piece of the same payable.
    /// @param tokenId a token id
    /// @param index the other piece's index
    /// @return the other piece's token id
    function withIndex(uint256 tokenId, uint256 index) internal pure returns (uint256) {
        return (tokenId & ~INDEX_MASK) | index;
    }
}
