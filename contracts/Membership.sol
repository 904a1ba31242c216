// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IMembership, IMembershipListener} from "../interfaces/IMembership.sol";

import {Roles} from "./lib/Roles.sol";

/// @title Membership
/// @notice The consortium register: members (known legal entities), their roles, suspension and
///         regulator freezes; a two-step admin hand-over. Contracts that move value subscribe as
///         listeners and learn of every change in the same transaction.
/// @dev The admin is the governance key (ideally a multisig). Operators run day-to-day admission;
///      regulators freeze. Listener calls go only to contracts the admin registered.
contract Membership is IMembership {
    /// @notice Platform operator: admits, suspends and reinstates members.
    uint8 public constant ROLE_OPERATOR = Roles.OPERATOR;
    /// @notice Core enterprise: registers invoice packages, issues payables, pays at maturity.
    uint8 public constant ROLE_CORE_ENTERPRISE = Roles.CORE_ENTERPRISE;
    /// @notice Supplier of any tier: accepts, splits, transfers, requests financing.
    uint8 public constant ROLE_SUPPLIER = Roles.SUPPLIER;
    /// @notice Bank or factoring company: buys pieces at a discount.
    uint8 public constant ROLE_FINANCIER = Roles.FINANCIER;
    /// @notice Credit enhancer: covers overdue payables, then holds the claim.
    uint8 public constant ROLE_GUARANTOR = Roles.GUARANTOR;
    /// @notice Auditor: reads everything, changes nothing.
    uint8 public constant ROLE_AUDITOR = Roles.AUDITOR;
    /// @notice Regulator or court: freezes members and pieces with a recorded reason.
    uint8 public constant ROLE_REGULATOR = Roles.REGULATOR;
    /// @notice Roles whose members may hold pieces.
    uint8 public constant HOLDER_ROLES = Roles.HOLDERS;
    /// @notice Roles only the admin may grant.
    uint8 public constant GOVERNANCE_ROLES = Roles.GOVERNANCE;
    /// @notice Every defined role bit.
    uint8 public constant ALL_ROLES = Roles.ALL;
    /// @notice Upper bound on listeners, so that notifying them stays cheap.
    uint256 public constant MAX_LISTENERS = 4;

    address private _admin;
    address private _pendingAdmin;
    mapping(address account => Member) private _members;
    mapping(bytes32 identityHash => address account) private _accountOfIdentity;
    address[] private _listeners;

    /// @param initialAdmin the governance key
    constructor(address initialAdmin) {
        if (initialAdmin == address(0)) revert MembershipZeroAddress();
        _admin = initialAdmin;
        emit AdminTransferred(address(0), initialAdmin);
    }

    // ------------------------------------------------------------------ admission and roles

    /// @inheritdoc IMembership
    function admit(address account, uint8 roles, bytes32 identityHash) external {
        _checkCanGrant(roles);
        if (account == address(0)) revert MembershipZeroAddress();
        if (_members[account].status != MemberStatus.None) revert MembershipAlreadyMember(account);
        if (identityHash == bytes32(0)) revert MembershipInvalidIdentity(identityHash);
        address holder = _accountOfIdentity[identityHash];
        if (holder != address(0)) revert MembershipIdentityTaken(identityHash, holder);

        _members[account] = Member({
            roles: roles,
            status: MemberStatus.Active,
            frozen: false,
            admittedAt: uint40(block.timestamp),
            identityHash: identityHash
        });
        _accountOfIdentity[identityHash] = account;
        emit MemberAdmitted(account, roles, identityHash, msg.sender);
        _notify(account);
    }

    /// @inheritdoc IMembership
    function setRoles(address account, uint8 roles) external {
        if (roles == 0) revert MembershipInvalidRoles(roles);
        Member storage member = _existing(account);
        uint8 previous = member.roles;
        // Changing governance roles, granting or taking away, is the admin's alone.
        _checkCanGrant(roles | previous);
        member.roles = roles;
        emit MemberRolesChanged(account, previous, roles, msg.sender);
        _notify(account);
    }

    // ------------------------------------------------------------------ suspension and freezes

    /// @inheritdoc IMembership
    function suspend(address account, bytes32 reasonHash) external {
        _checkAdminOr(ROLE_OPERATOR);
        if (reasonHash == bytes32(0)) revert MembershipReasonRequired();
        Member storage member = _existing(account);
        if (member.status != MemberStatus.Active) revert MembershipWrongStatus(account, member.status);
        _checkMayChangeStatus(account, member.roles);
        member.status = MemberStatus.Suspended;
        emit MemberSuspended(account, reasonHash, msg.sender);
        _notify(account);
    }

    /// @inheritdoc IMembership
    function reinstate(address account) external {
        _checkAdminOr(ROLE_OPERATOR);
        Member storage member = _existing(account);
        if (member.status != MemberStatus.Suspended) revert MembershipWrongStatus(account, member.status);
        _checkMayChangeStatus(account, member.roles);
        member.status = MemberStatus.Active;
        emit MemberReinstated(account, msg.sender);
        _notify(account);
    }

    /// @inheritdoc IMembership
    function freeze(address account, bytes32 reasonHash) external {
        _setFrozen(account, true, reasonHash);
        emit MemberFrozen(account, reasonHash, msg.sender);
        _notify(account);
    }

    /// @inheritdoc IMembership
    function unfreeze(address account, bytes32 reasonHash) external {
        _setFrozen(account, false, reasonHash);
        emit MemberUnfrozen(account, reasonHash, msg.sender);
        _notify(account);
    }

    // ------------------------------------------------------------------ governance

    /// @inheritdoc IMembership
    function transferAdmin(address newAdmin) external {
        _checkAdmin();
        _pendingAdmin = newAdmin;
        emit AdminTransferStarted(_admin, newAdmin);
    }

    /// @inheritdoc IMembership
    function acceptAdmin() external {
        if (msg.sender != _pendingAdmin || msg.sender == address(0)) {
            revert MembershipNotPendingAdmin(msg.sender, _pendingAdmin);
        }
        address previous = _admin;
        _admin = msg.sender;
        _pendingAdmin = address(0);
        emit AdminTransferred(previous, msg.sender);
    }

    /// @inheritdoc IMembership
    function addListener(address listener) external {
        _checkAdmin();
        if (listener.code.length == 0 || _listeners.length >= MAX_LISTENERS) {
            revert MembershipInvalidListener(listener);
        }
        for (uint256 i = 0; i < _listeners.length; ++i) {
            if (_listeners[i] == listener) revert MembershipInvalidListener(listener);
        }
        _listeners.push(listener);
        emit ListenerAdded(listener);
    }

    /// @inheritdoc IMembership
    function refresh(address account) external {
        _existing(account);
        _notify(account);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc IMembership
    function admin() external view returns (address) {
        return _admin;
    }

    /// @inheritdoc IMembership
    function pendingAdmin() external view returns (address) {
        return _pendingAdmin;
    }

    /// @inheritdoc IMembership
    function memberOf(address account) external view returns (Member memory) {
        return _members[account];
    }

    /// @inheritdoc IMembership
    function accountOf(bytes32 identityHash) external view returns (address) {
        return _accountOfIdentity[identityHash];
    }

    /// @inheritdoc IMembership
    function hasActiveRole(address account, uint8 roles) public view returns (bool) {
        Member storage member = _members[account];
        return member.status == MemberStatus.Active && !member.frozen && (member.roles & roles) != 0;
    }

    /// @inheritdoc IMembership
    function canReceive(address account) public view returns (bool) {
        return hasActiveRole(account, HOLDER_ROLES);
    }

    /// @inheritdoc IMembership
    function canSend(address account) public view returns (bool) {
        return !_members[account].frozen;
    }

    /// @inheritdoc IMembership
    function listeners() external view returns (address[] memory) {
        return _listeners;
    }

    // ------------------------------------------------------------------ internals

    function _existing(address account) private view returns (Member storage member) {
        member = _members[account];
        if (member.status == MemberStatus.None) revert MembershipNotMember(account);
    }

    function _setFrozen(address account, bool frozen, bytes32 reasonHash) private {
        _checkAdminOr(ROLE_REGULATOR);
        if (reasonHash == bytes32(0)) revert MembershipReasonRequired();
        Member storage member = _existing(account);
        if (member.frozen == frozen) revert MembershipFreezeUnchanged(account, frozen);
        member.frozen = frozen;
    }

    /// @dev Tell every listener the account's current permissions. The listeners are the
    ///      project's own contracts, registered by the admin; at most MAX_LISTENERS of them.
    function _notify(address account) private {
        bool receive_ = canReceive(account);
        bool send = canSend(account);
        uint256 count = _listeners.length;
        for (uint256 i = 0; i < count; ++i) {
            IMembershipListener(_listeners[i]).onMembershipChanged(account, receive_, send);
        }
    }

    function _checkAdmin() private view {
        if (msg.sender != _admin) revert MembershipUnauthorized(msg.sender, 0);
    }

    function _checkAdminOr(uint8 role) private view {
        if (msg.sender != _admin && !hasActiveRole(msg.sender, role)) {
            revert MembershipUnauthorized(msg.sender, role);
        }
    }

    /// @dev Suspending or reinstating a member with a governance role is the admin's alone, as
    ///      granting one is (setRoles): otherwise an operator could switch off the regulator.
    function _checkMayChangeStatus(address account, uint8 roles) private view {
        if (roles & GOVERNANCE_ROLES != 0 && msg.sender != _admin) {
            revert MembershipGovernanceMember(msg.sender, account, roles);
        }
    }

    /// @dev Valid, non-empty roles; governance roles only from the admin, the rest from the
    ///      admin or an active operator.
    function _checkCanGrant(uint8 roles) private view {
        if (roles == 0 || roles & ~ALL_ROLES != 0) revert MembershipInvalidRoles(roles);
        if (msg.sender == _admin) return;
        if (!hasActiveRole(msg.sender, ROLE_OPERATOR)) revert MembershipUnauthorized(msg.sender, ROLE_OPERATOR);
        if (roles & GOVERNANCE_ROLES != 0) revert MembershipRoleNotGrantable(msg.sender, roles);
    }
}
