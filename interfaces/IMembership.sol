// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IMembership
/// @notice The consortium's register of members: who may take part, in which roles, and whether
///         they are active, suspended or frozen. Contracts that move value (the payable token)
///         subscribe as listeners and are told, in the same transaction, whenever a member's
///         ability to receive or send pieces changes.
/// @dev Roles are bit flags (see the ROLE_* constants of the implementation). Only members
///      holding a holder role (supplier, financier, guarantor) may receive pieces.
interface IMembership {
    /// @notice Lifecycle of a member record.
    enum MemberStatus {
        None,
        Active,
        Suspended
    }

    /// @notice One member's record.
    /// @param roles bit set of ROLE_* flags
    /// @param status active or suspended (None: never admitted)
    /// @param frozen set by a regulator: the member can neither send nor receive
    /// @param admittedAt UTC seconds of admission
    /// @param identityHash salted hash of the legal identity (e.g. unified social credit code)
    struct Member {
        uint8 roles;
        MemberStatus status;
        bool frozen;
        uint40 admittedAt;
        bytes32 identityHash;
    }

    /// @notice A member was admitted.
    event MemberAdmitted(address indexed account, uint8 roles, bytes32 indexed identityHash, address indexed by);
    /// @notice A member's roles were changed.
    event MemberRolesChanged(address indexed account, uint8 previousRoles, uint8 roles, address indexed by);
    /// @notice A member was suspended (cannot receive pieces; may still be paid).
    event MemberSuspended(address indexed account, bytes32 reasonHash, address indexed by);
    /// @notice A suspended member was reinstated.
    event MemberReinstated(address indexed account, address indexed by);
    /// @notice A regulator froze a member (no sends, no receipts) with a recorded reason.
    event MemberFrozen(address indexed account, bytes32 reasonHash, address indexed by);
    /// @notice A regulator lifted a freeze with a recorded reason.
    event MemberUnfrozen(address indexed account, bytes32 reasonHash, address indexed by);
    /// @notice The admin proposed a successor (step one of a hand-over).
    event AdminTransferStarted(address indexed currentAdmin, address indexed pendingAdmin);
    /// @notice The successor accepted: the admin changed (step two).
    event AdminTransferred(address indexed previousAdmin, address indexed newAdmin);
    /// @notice A contract was subscribed to membership changes.
    event ListenerAdded(address indexed listener);

    /// @notice Caller lacks the authority for the action.
    error MembershipUnauthorized(address caller, uint8 requiredRoles);
    /// @notice The account is the zero address.
    error MembershipZeroAddress();
    /// @notice The account is already a member.
    error MembershipAlreadyMember(address account);
    /// @notice The account is not a member.
    error MembershipNotMember(address account);
    /// @notice The roles value is empty or contains unknown bits.
    error MembershipInvalidRoles(uint8 roles);
    /// @notice Operators may not grant governance roles (operator, regulator); only the admin may.
    error MembershipRoleNotGrantable(address caller, uint8 roles);
    /// @notice Only the admin may suspend or reinstate a member holding a governance role
    ///         (operator, regulator): an operator cannot switch off another operator or the
    ///         regulator.
    error MembershipGovernanceMember(address caller, address account, uint8 roles);
    /// @notice The identity hash is zero.
    error MembershipInvalidIdentity(bytes32 identityHash);
    /// @notice The legal identity is already enrolled under another account.
    error MembershipIdentityTaken(bytes32 identityHash, address account);
    /// @notice The member is not in the status the action needs.
    error MembershipWrongStatus(address account, MemberStatus status);
    /// @notice Freezing a frozen member or unfreezing one that is not frozen.
    error MembershipFreezeUnchanged(address account, bool frozen);
    /// @notice The reason hash is zero: a suspension or freeze must record why.
    error MembershipReasonRequired();
    /// @notice Only the pending admin may accept the hand-over.
    error MembershipNotPendingAdmin(address caller, address pendingAdmin);
    /// @notice The listener is already subscribed, is not a contract, or the list is full.
    error MembershipInvalidListener(address listener);

    /// @notice Admit a new member.
    /// @dev Admin or an active operator. Operators may grant business roles only (core
    ///      enterprise, supplier, financier, guarantor, auditor). Emits MemberAdmitted.
    /// @param account the member's address (its own wallet)
    /// @param roles bit set of ROLE_* flags, non-empty
    /// @param identityHash salted hash of the legal identity; unique across members
    function admit(address account, uint8 roles, bytes32 identityHash) external;

    /// @notice Replace a member's roles.
    /// @dev Admin or an active operator (same grant rules as admit). Emits MemberRolesChanged.
    /// @param account the member
    /// @param roles the new non-empty bit set
    function setRoles(address account, uint8 roles) external;

    /// @notice Suspend an active member: it can no longer receive pieces.
    /// @dev Admin or an active operator; a member holding a governance role (operator,
    ///      regulator) only by the admin (MembershipGovernanceMember). Emits MemberSuspended.
    /// @param account the member
    /// @param reasonHash hash of the documented reason, non-zero
    function suspend(address account, bytes32 reasonHash) external;

    /// @notice Reinstate a suspended member.
    /// @dev Admin or an active operator; a member holding a governance role only by the admin
    ///      (MembershipGovernanceMember). Emits MemberReinstated.
    /// @param account the member
    function reinstate(address account) external;

    /// @notice Freeze a member (regulator or court order): it can neither send nor receive.
    /// @dev Admin or an active regulator. Emits MemberFrozen.
    /// @param account the member
    /// @param reasonHash hash of the order or reason, non-zero
    function freeze(address account, bytes32 reasonHash) external;

    /// @notice Lift a freeze.
    /// @dev Admin or an active regulator. Emits MemberUnfrozen.
    /// @param account the member
    /// @param reasonHash hash of the order or reason, non-zero
    function unfreeze(address account, bytes32 reasonHash) external;

    /// @notice Step one of the admin hand-over: propose a successor (zero cancels).
    /// @dev Admin only. Emits AdminTransferStarted.
    /// @param newAdmin the proposed successor
    function transferAdmin(address newAdmin) external;

    /// @notice Step two of the admin hand-over: the proposed successor accepts.
    /// @dev Pending admin only. Emits AdminTransferred.
    function acceptAdmin() external;

    /// @notice Subscribe a contract to membership changes (at most MAX_LISTENERS).
    /// @dev Admin only. Existing members are not replayed: add listeners before admitting.
    ///      Emits ListenerAdded.
    /// @param listener a contract implementing IMembershipListener
    function addListener(address listener) external;

    /// @notice Push an account's current permissions to every listener again (anyone may call;
    ///         useful after a member's wallet gained code, so listeners re-sample it).
    /// @param account the member
    function refresh(address account) external;

    /// @notice The current admin.
    /// @return the admin address
    function admin() external view returns (address);

    /// @notice The proposed admin awaiting acceptance (zero if none).
    /// @return the pending admin address
    function pendingAdmin() external view returns (address);

    /// @notice A member's record (all zero for a non-member).
    /// @param account the address
    /// @return the record
    function memberOf(address account) external view returns (Member memory);

    /// @notice The account of a legal identity (zero if not enrolled).
    /// @param identityHash the identity hash
    /// @return the account
    function accountOf(bytes32 identityHash) external view returns (address);

    /// @notice Whether an account is an active, unfrozen member holding any of `roles`.
    /// @param account the address
    /// @param roles bit set; any one of them suffices
    /// @return true if so (the admin is not a member by virtue of being admin)
    function hasActiveRole(address account, uint8 roles) external view returns (bool);

    /// @notice Whether an account may receive pieces now.
    /// @param account the address
    /// @return true for an active, unfrozen member with a holder role
    function canReceive(address account) external view returns (bool);

    /// @notice Whether an account may send pieces now (not frozen).
    /// @param account the address
    /// @return true unless frozen
    function canSend(address account) external view returns (bool);

    /// @notice The subscribed listeners.
    /// @return the listener contracts
    function listeners() external view returns (address[] memory);
}

/// @title IMembershipListener
/// @notice Implemented by contracts that keep a per-account view of membership (the payable token
///         keeps it beside each holder's piece count, so that a move costs no external call).
interface IMembershipListener {
    /// @notice Called by the membership contract whenever an account's permissions change.
    /// @param account the member
    /// @param canReceive whether it may receive pieces now
    /// @param canSend whether it may send pieces now
    function onMembershipChanged(address account, bool canReceive, bool canSend) external;
}
