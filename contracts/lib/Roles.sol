// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title Roles
/// @notice The one definition of the membership role bits (a member may hold several).
///         Python: `tierchain.core.ids.Role`.
library Roles {
    /// @notice Consortium operator: admits members, sets non-governance roles, suspends.
    uint8 internal constant OPERATOR = 1 << 0;
    /// @notice Core enterprise: issues payables (the debtor).
    uint8 internal constant CORE_ENTERPRISE = 1 << 1;
    /// @notice Supplier: holds, splits and finances pieces.
    uint8 internal constant SUPPLIER = 1 << 2;
    /// @notice Financier (bank, factor): buys pieces at a discount.
    uint8 internal constant FINANCIER = 1 << 3;
    /// @notice Credit enhancer: covers overdue payables, then holds the claim.
    uint8 internal constant GUARANTOR = 1 << 4;
    /// @notice Auditor: reads everything, changes nothing.
    uint8 internal constant AUDITOR = 1 << 5;
    /// @notice Regulator or court: freezes members and pieces with a recorded reason.
    uint8 internal constant REGULATOR = 1 << 6;
    /// @notice Roles whose members may hold pieces.
    uint8 internal constant HOLDERS = SUPPLIER | FINANCIER | GUARANTOR;
    /// @notice Roles only the admin may grant, take away, suspend or reinstate.
    uint8 internal constant GOVERNANCE = OPERATOR | REGULATOR;
    /// @notice Every defined role bit.
    uint8 internal constant ALL = (1 << 7) - 1;
}
