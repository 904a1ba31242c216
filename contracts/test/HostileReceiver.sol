// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {IERC721Receiver} from "@openzeppelin/contracts/token/ERC721/IERC721Receiver.sol";

import {IERC3525Receiver} from "../../interfaces/IERC3525.sol";

/// @title HostileReceiver
/// @notice Test only: tries to re-enter the token from inside its receiver hooks (T6). Armed with
///         any calldata for the token, it makes that call once from the next hook. In `swallow`
///         mode it records the outcome and accepts the delivery (so the failed re-entry can be
///         inspected); otherwise it bubbles the re-entry's revert, failing the delivery.
contract HostileReceiver is IERC165, IERC3525Receiver, IERC721Receiver {
    address private immutable _token;
    bytes private _attack;
    bool private _swallow;

    /// @notice Whether a re-entry was attempted.
    bool public attempted;
    /// @notice Whether the re-entry succeeded (it must not).
    bool public attackSucceeded;
    /// @notice What the re-entry returned or reverted with.
    bytes public attackResult;

    /// @param token_ the token to attack
    constructor(address token_) {
        _token = token_;
    }

    /// @notice Load a call to make on the token from the next hook.
    /// @param attack calldata for the token
    /// @param swallow record a failed re-entry and accept the delivery instead of reverting
    function arm(bytes calldata attack, bool swallow) external {
        _attack = attack;
        _swallow = swallow;
    }

    /// @inheritdoc IERC165
    function supportsInterface(bytes4 interfaceId) external pure returns (bool) {
        return interfaceId == type(IERC165).interfaceId || interfaceId == type(IERC3525Receiver).interfaceId
            || interfaceId == type(IERC721Receiver).interfaceId;
    }

    /// @inheritdoc IERC3525Receiver
    function onERC3525Received(address, uint256, uint256, uint256, bytes calldata) external returns (bytes4) {
        _strike();
        return IERC3525Receiver.onERC3525Received.selector;
    }

    /// @inheritdoc IERC721Receiver
    function onERC721Received(address, address, uint256, bytes calldata) external returns (bytes4) {
        _strike();
        return IERC721Receiver.onERC721Received.selector;
    }

    function _strike() private {
        if (_attack.length == 0) return;
        bytes memory attack = _attack;
        delete _attack;
        (bool ok, bytes memory result) = _token.call(attack);
        attempted = true;
        attackSucceeded = ok;
        attackResult = result;
        if (!ok && !_swallow) {
            assembly ("memory-safe") {
                revert(add(result, 32), mload(result))
            }
        }
    }
}
