// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {IERC3525Receiver} from "../../interfaces/IERC3525.sol";

/// @title RevertingReceiver
/// @notice Test only: declares IERC3525Receiver through ERC-165, then refuses every delivery.
contract RevertingReceiver is IERC165 {
    /// @notice Every receiver hook reverts with this.
    error ReceiverRefused();

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC3525Receiver).interfaceId;
    }

    /// @notice Refuses ERC-3525 value.
    /// @return never returns
    function onERC3525Received(address, uint256, uint256, uint256, bytes calldata) external pure returns (bytes4) {
        revert ReceiverRefused();
    }

    /// @notice Refuses ERC-721 tokens.
    /// @return never returns
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        revert ReceiverRefused();
    }
}
