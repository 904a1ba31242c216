// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

/// @title IERC3525 (semi-fungible token), non-payable flavour
/// @notice ERC-3525 as published (ERC-165 id 0xd5358140) on top of OpenZeppelin's IERC721. The
///         selectors and events equal the published interface; the functions are non-payable
///         because this project's contracts never accept ether.
interface IERC3525 is IERC721 {
    /// @notice Value moved between tokens of one slot (from 0 on creation, to 0 on destruction).
    /// @param _fromTokenId source token (0 when minted)
    /// @param _toTokenId destination token (0 when burned)
    /// @param _value value moved
    event TransferValue(uint256 indexed _fromTokenId, uint256 indexed _toTokenId, uint256 _value);

    /// @notice A value allowance was set.
    /// @param _tokenId the token
    /// @param _operator the operator
    /// @param _value the maximum value the operator may move
    event ApprovalValue(uint256 indexed _tokenId, address indexed _operator, uint256 _value);

    /// @notice A token's slot changed (from 0 when minted).
    /// @param _tokenId the token
    /// @param _oldSlot previous slot
    /// @param _newSlot new slot
    event SlotChanged(uint256 indexed _tokenId, uint256 indexed _oldSlot, uint256 indexed _newSlot);

    /// @notice Decimals of token values.
    /// @return the number of decimals
    function valueDecimals() external view returns (uint8);

    /// @notice The value of a token.
    /// @param _tokenId the token
    /// @return the value
    function balanceOf(uint256 _tokenId) external view returns (uint256);

    /// @notice The slot of a token.
    /// @param _tokenId the token
    /// @return the slot
    function slotOf(uint256 _tokenId) external view returns (uint256);

    /// @notice Allow an operator to move up to `_value` out of a token.
    /// @param _tokenId the token
    /// @param _operator the operator
    /// @param _value the allowance
    function approve(uint256 _tokenId, address _operator, uint256 _value) external;

    /// @notice The value an operator may still move out of a token.
    /// @param _tokenId the token
    /// @param _operator the operator
    /// @return the allowance
    function allowance(uint256 _tokenId, address _operator) external view returns (uint256);

    /// @notice Move value from one token to another token of the same slot.
    /// @param _fromTokenId source
    /// @param _toTokenId destination
    /// @param _value value to move
    function transferFrom(uint256 _fromTokenId, uint256 _toTokenId, uint256 _value) external;

    /// @notice Move value from a token to a new token of the same slot owned by `_to`.
    /// @param _fromTokenId source
    /// @param _to owner of the new token
    /// @param _value value to move
    /// @return newTokenId the new token
    function transferFrom(uint256 _fromTokenId, address _to, uint256 _value) external returns (uint256 newTokenId);
}

/// @title IERC3525Receiver
/// @notice Contracts that accept ERC-3525 value implement this (and declare it through ERC-165).
interface IERC3525Receiver {
    /// @notice Called after value arrives in a token owned by the receiver.
    /// @param _operator who moved the value
    /// @param _fromTokenId source token
    /// @param _toTokenId destination token
    /// @param _value value moved
    /// @param _data extra data
    /// @return the selector of this function to accept the value
    function onERC3525Received(
        address _operator,
        uint256 _fromTokenId,
        uint256 _toTokenId,
        uint256 _value,
        bytes calldata _data
    ) external returns (bytes4);
}
