// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title TestMultisig
/// @notice Test only: a minimal k-of-n multisig account (no signatures off chain: owners
///         propose and confirm on chain; the call runs when the threshold is reached). Used to
///         show that the consortium admin can be a contract and that the calldata the CLI
///         prints (`--calldata-only`) is what such an account executes.
contract TestMultisig {
    struct Proposal {
        address to;
        uint256 value;
        bytes data;
        uint256 confirmations;
        bool executed;
    }

    /// @notice Whether an account is one of the owners.
    mapping(address => bool) public isOwner;
    /// @notice Confirmations a proposal needs to run.
    uint256 public immutable threshold;
    Proposal[] private _proposals;
    /// @notice Whether an owner confirmed a proposal.
    mapping(uint256 => mapping(address => bool)) public confirmed;

    event Proposed(uint256 indexed id, address indexed to, bytes data);
    event Confirmed(uint256 indexed id, address indexed owner);
    event Executed(uint256 indexed id);

    error MultisigNotOwner(address caller);
    error MultisigBadSetup(uint256 owners, uint256 threshold);
    error MultisigAlreadyConfirmed(uint256 id, address owner);
    error MultisigUnknownProposal(uint256 id);
    error MultisigCallFailed(uint256 id, bytes reason);

    /// @param owners_ the owners (distinct)
    /// @param threshold_ confirmations needed, 1..owners
    constructor(address[] memory owners_, uint256 threshold_) {
        if (threshold_ == 0 || threshold_ > owners_.length) revert MultisigBadSetup(owners_.length, threshold_);
        for (uint256 i = 0; i < owners_.length; ++i) {
            isOwner[owners_[i]] = true;
        }
        threshold = threshold_;
    }

    /// @notice Propose a call (and confirm it as the proposer).
    /// @param to target
    /// @param value wei sent along
    /// @param data calldata
    /// @return id the proposal's number
    function propose(address to, uint256 value, bytes calldata data) external returns (uint256 id) {
        if (!isOwner[msg.sender]) revert MultisigNotOwner(msg.sender);
        id = _proposals.length;
        _proposals.push(Proposal(to, value, data, 0, false));
        emit Proposed(id, to, data);
        confirm(id);
    }

    /// @notice Confirm a proposal; the call runs when the threshold is reached.
    /// @param id the proposal's number
    function confirm(uint256 id) public {
        if (!isOwner[msg.sender]) revert MultisigNotOwner(msg.sender);
        if (id >= _proposals.length) revert MultisigUnknownProposal(id);
        if (confirmed[id][msg.sender]) revert MultisigAlreadyConfirmed(id, msg.sender);
        confirmed[id][msg.sender] = true;
        Proposal storage p = _proposals[id];
        ++p.confirmations;
        emit Confirmed(id, msg.sender);
        if (!p.executed && p.confirmations >= threshold) {
            p.executed = true;
            (bool ok, bytes memory reason) = p.to.call{value: p.value}(p.data);
            if (!ok) revert MultisigCallFailed(id, reason);
            emit Executed(id);
        }
    }

    /// @notice Whether a proposal ran.
    /// @param id the proposal's number
    /// @return executed true once the call ran
    function executed(uint256 id) external view returns (bool) {
        return _proposals[id].executed;
    }

    /// @notice Accept ether.
    receive() external payable {}
}
