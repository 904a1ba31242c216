// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title Settlement currencies that misbehave, for tests only (open mint, no access control).
/// @notice Each models a real token family that financing and settlement must survive:
///         ReturnsFalseERC20 (fails by returning false), NoReturnERC20 (USDT-style, no return
///         value), FeeOnTransferERC20 (the receiver gets less than was sent), CallbackERC20 (runs
///         an arbitrary call during a transfer: a re-entrancy attempt), BlocklistERC20 (reverts
///         for blocked accounts, like a stable coin's blocklist).

/// @notice A plain ERC-20 with configurable decimals and open mint (base of the others).
contract OpenERC20 is ERC20 {
    uint8 private immutable _decimals;

    /// @param decimals_ the token's decimals
    constructor(string memory name_, uint8 decimals_) ERC20(name_, name_) {
        _decimals = decimals_;
    }

    /// @notice Decimals chosen at deployment.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Anyone may mint (tests only).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}

/// @notice Returns false instead of reverting once `failing` is set (and moves nothing then).
contract ReturnsFalseERC20 is OpenERC20 {
    bool public failing;

    constructor(uint8 decimals_) OpenERC20("FALSE", decimals_) {}

    /// @notice Switch failure mode on or off.
    function setFailing(bool failing_) external {
        failing = failing_;
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 value) public override returns (bool) {
        if (failing) return false;
        return super.transfer(to, value);
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        if (failing) return false;
        return super.transferFrom(from, to, value);
    }
}

/// @notice USDT-style: transfer, transferFrom and approve return nothing.
contract NoReturnERC20 {
    string public constant name = "NORET";
    string public constant symbol = "NORET";
    uint8 public immutable decimals;
    uint256 public totalSupply;
    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    /// @notice Anyone may mint (tests only).
    function mint(address to, uint256 amount) external {
        balanceOf[to] += amount;
        totalSupply += amount;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Approve without a return value.
    function approve(address spender, uint256 value) external {
        allowance[msg.sender][spender] = value;
        emit Approval(msg.sender, spender, value);
    }

    /// @notice Transfer without a return value; reverts on insufficient balance.
    function transfer(address to, uint256 value) external {
        _move(msg.sender, to, value);
    }

    /// @notice TransferFrom without a return value; reverts on insufficient allowance/balance.
    function transferFrom(address from, address to, uint256 value) external {
        uint256 allowed = allowance[from][msg.sender];
        require(allowed >= value, "allowance");
        if (allowed != type(uint256).max) allowance[from][msg.sender] = allowed - value;
        _move(from, to, value);
    }

    function _move(address from, address to, uint256 value) private {
        require(balanceOf[from] >= value, "balance");
        balanceOf[from] -= value;
        balanceOf[to] += value;
        emit Transfer(from, to, value);
    }
}

/// @notice Burns `feeBps` of every transfer: the receiver gets less than the amount sent.
contract FeeOnTransferERC20 is OpenERC20 {
    uint256 public feeBps = 100;

    constructor(uint8 decimals_) OpenERC20("FEE", decimals_) {}

    /// @notice Change the fee (basis points of the amount).
    function setFeeBps(uint256 feeBps_) external {
        feeBps = feeBps_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0) || feeBps == 0) return super._update(from, to, value);
        uint256 fee = value * feeBps / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}

/// @notice Makes an arbitrary call (set by the test) in the middle of every transfer, then
///         completes the transfer; the call's failure is recorded, not propagated, unless
///         `bubble` is set.
contract CallbackERC20 is OpenERC20 {
    address public hookTarget;
    bytes public hookData;
    bool public bubble;
    bool public lastCallOk;
    bytes public lastReturnData;
    bool private _inHook;

    constructor(uint8 decimals_) OpenERC20("HOOK", decimals_) {}

    /// @notice Arm the hook: `target.call(data)` runs inside each transfer (once, not recursively).
    function setHook(address target, bytes calldata data, bool bubble_) external {
        hookTarget = target;
        hookData = data;
        bubble = bubble_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (hookTarget != address(0) && !_inHook && from != address(0)) {
            _inHook = true;
            (bool ok, bytes memory ret) = hookTarget.call(hookData);
            _inHook = false;
            lastCallOk = ok;
            lastReturnData = ret;
            if (!ok && bubble) {
                assembly {
                    revert(add(ret, 32), mload(ret))
                }
            }
        }
        super._update(from, to, value);
    }
}

/// @notice Reverts any transfer from or to a blocked account (a stable coin's blocklist).
contract BlocklistERC20 is OpenERC20 {
    mapping(address => bool) public blocked;

    error Blocked(address account);

    constructor(uint8 decimals_) OpenERC20("BLOCK", decimals_) {}

    /// @notice Block or unblock an account.
    function setBlocked(address account, bool blocked_) external {
        blocked[account] = blocked_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[from]) revert Blocked(from);
        if (blocked[to]) revert Blocked(to);
        super._update(from, to, value);
    }
}
