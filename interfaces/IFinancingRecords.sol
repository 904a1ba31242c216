// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IFinancingRecords
/// @notice What the financing desk records about every piece it delivered to a financier, read
///         by Settlement for recourse. The desk implements it (IFinancingDesk extends it).
interface IFinancingRecords {
    /// @notice The terms on which a financier bought a piece.
    /// @param financier who bought the piece (and received it)
    /// @param seller who sold it (the holder that took the offer)
    /// @param value value of the piece bought, in cents of the payable's currency
    /// @param price what the financier paid, in cents of the payable's currency
    /// @param recourse true when the financier may turn to the seller if the debtor does not pay
    /// @param financedAt UTC seconds of the sale
    struct Financing {
        address financier;
        address seller;
        uint64 value;
        uint64 price;
        bool recourse;
        uint40 financedAt;
    }

    /// @notice The financing that delivered `tokenId` to its financier; all zero when none.
    /// @param tokenId the piece the financier received (a new piece when only part was sold)
    /// @return financing the recorded terms
    function financingOf(uint256 tokenId) external view returns (Financing memory financing);
}
