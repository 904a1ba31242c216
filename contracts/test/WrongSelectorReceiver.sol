// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";

import {IERC3525Receiver} from "../../interfaces/IERC3525.sol";

/// @title WrongSelectorReceiver
/// @notice Test only: declares IERC3525Receiver through ERC-165 but answers both receiver hooks
///         with a wrong selector.
contract WrongSelectorReceiver is IERC165 {
    bytes4 private constant _WRONG = 0xdeadbeef;

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC3525Receiver).interfaceId;
    }

    /// @notice Answers the ERC-3525 hook wrongly.
    /// @return a selector that is not onERC3525Received's
    function onERC3525Received(address, uint256, uint256, uint256, bytes calldata) external pure returns (bytes4) {
        return _WRONG;
    }

    /// @notice Answers the ERC-721 hook wrongly.
    /// @return a selector that is not onERC721Received's
    function onERC721Received(address, address, uint256, bytes calldata) external pure returns (bytes4) {
        return _WRONG;
    }
}
