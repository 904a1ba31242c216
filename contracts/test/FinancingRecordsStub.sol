// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IFinancingRecords} from "../../interfaces/IFinancingRecords.sol";

/// @title FinancingRecordsStub
/// @notice Test only: financing records set by the test, standing in for the FinancingDesk when
///         Settlement's recourse is tested on its own.
contract FinancingRecordsStub is IFinancingRecords {
    mapping(uint256 tokenId => Financing) private _records;

    /// @notice Record (or overwrite) the financing of a piece.
    function setFinancing(uint256 tokenId, Financing calldata financing) external {
        _records[tokenId] = financing;
    }

    /// @inheritdoc IFinancingRecords
    function financingOf(uint256 tokenId) external view returns (Financing memory) {
        return _records[tokenId];
    }
}
