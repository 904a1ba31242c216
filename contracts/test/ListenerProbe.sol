// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMembershipListener} from "../../interfaces/IMembership.sol";

/// @title ListenerProbe
/// @notice Test only: a membership listener that records the pushes it receives.
contract ListenerProbe is IMembershipListener {
    /// @notice Number of pushes received.
    uint256 public calls;
    /// @notice The last account pushed.
    address public lastAccount;
    /// @notice The last canReceive pushed.
    bool public lastCanReceive;
    /// @notice The last canSend pushed.
    bool public lastCanSend;

    /// @inheritdoc IMembershipListener
    function onMembershipChanged(address account, bool canReceive, bool canSend) external {
        ++calls;
        lastAccount = account;
        lastCanReceive = canReceive;
        lastCanSend = canSend;
    }
}
