// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";

import {IERC3525Receiver} from "../../interfaces/IERC3525.sol";

/// @title RecordingReceiver
/// @notice Test only: a well-behaved receiver. Declares IERC3525Receiver and IERC721Receiver
///         through ERC-165, accepts everything and records each hook call.
contract RecordingReceiver is IERC165, IERC3525Receiver, IERC721Receiver {
    /// @notice onERC3525Received was called.
    event ValueReceived(address operator, uint256 fromTokenId, uint256 toTokenId, uint256 value, bytes data);
    /// @notice onERC721Received was called.
    event TokenReceived(address operator, address from, uint256 tokenId, bytes data);

    /// @notice Number of onERC3525Received calls.
    uint256 public valueCalls;
    /// @notice Number of onERC721Received calls.
    uint256 public tokenCalls;
    /// @notice The token that called last.
    address public lastCaller;

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC3525Receiver).interfaceId
            || interfaceId == type(IERC721Receiver).interfaceId;
    }

    /// @inheritdoc IERC3525Receiver
    function onERC3525Received(address operator, uint256 fromTokenId, uint256 toTokenId, uint256 value, bytes calldata data)
        external
        returns (bytes4)
    {
        ++valueCalls;
        lastCaller = msg.sender;
        emit ValueReceived(operator, fromTokenId, toTokenId, value, data);
        return IERC3525Receiver.onERC3525Received.selector;
    }

    /// @inheritdoc IERC721Receiver
    function onERC721Received(address operator, address from, uint256 tokenId, bytes calldata data)
        external
        returns (bytes4)
    {
        ++tokenCalls;
        lastCaller = msg.sender;
        emit TokenReceived(operator, from, tokenId, data);
        return IERC721Receiver.onERC721Received.selector;
    }
}
