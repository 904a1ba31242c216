// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC2771Context} from "@openzeppelin/contracts/metatx/ERC2771Context.sol";

/// @title ForwarderProbe
/// @notice Test only: an ERC-2771 target that records who it acted for, returns data and
///         reverts on demand, to test the relay's generic Call request.
contract ForwarderProbe is ERC2771Context {
    /// @notice Raised on demand, with a value, to test that the relay bubbles it unchanged.
    error ProbeFailed(address sender, uint256 code);

    /// @notice The last sender seen by `record` (through `_msgSender()`).
    address public lastSender;
    /// @notice The last value given to `record`.
    uint256 public lastValue;

    /// @param forwarder the relay this probe trusts
    constructor(address forwarder) ERC2771Context(forwarder) {}

    /// @notice Record the sender and a value; returns the value doubled.
    /// @param value any number
    /// @return doubled the value times two
    function record(uint256 value) external returns (uint256 doubled) {
        lastSender = _msgSender();
        lastValue = value;
        return value * 2;
    }

    /// @notice Always reverts with ProbeFailed(_msgSender(), code).
    /// @param code any number
    function fail(uint256 code) external view {
        revert ProbeFailed(_msgSender(), code);
    }

    /// @notice Burns all the gas it is given (an inner call that runs out of gas).
    function spin() external pure {
        while (true) {}
    }
}
