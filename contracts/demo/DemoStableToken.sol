// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title DemoStableToken
/// @notice A demo settlement currency for local chains: a 2-decimal "digital yuan" minted by
///         its operator. Never deployed to a real network.
contract DemoStableToken is ERC20 {
    /// @notice Only the operator may mint.
    error DemoTokenUnauthorized(address caller);

    /// @notice The account allowed to mint.
    address public immutable operator;

    /// @param operator_ the minting operator
    constructor(address operator_) ERC20("Demo digital yuan", "eCNY") {
        operator = operator_;
    }

    /// @notice Mint demo money.
    /// @param to receiver
    /// @param amount amount in fen (cents)
    function mint(address to, uint256 amount) external {
        if (msg.sender != operator) revert DemoTokenUnauthorized(msg.sender);
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 2;
    }
}
