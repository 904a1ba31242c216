"""Identifiers shared with the contracts: membership role bits and the token-id layout.

The one Python source of each (Solidity: ``contracts/lib/Roles.sol`` and
``contracts/lib/TokenIds.sol``; ``tests/unit/test_ids_agree.py`` checks they agree)."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Role(enum.IntFlag):
    """Membership roles (bit flags, as in Membership.sol)."""

    OPERATOR = 1
    CORE_ENTERPRISE = 2
    SUPPLIER = 4
    FINANCIER = 8
    GUARANTOR = 16
    AUDITOR = 32
    REGULATOR = 64


HOLDER_ROLES = Role.SUPPLIER | Role.FINANCIER | Role.GUARANTOR
"""Roles whose members may hold pieces (Roles.HOLDERS)."""
GOVERNANCE_ROLES = Role.OPERATOR | Role.REGULATOR
"""Roles only the admin may grant, take away, suspend or reinstate (Roles.GOVERNANCE)."""
ALL_ROLES = Role(127)
"""Every defined role bit (Roles.ALL)."""

INDEX_BITS = 32
MATURITY_SHIFT = 96
INDEX_MASK = 2**32 - 1
PAYABLE_MASK = 2**64 - 1


def make_token_id(maturity_at: int, payable_id: int, index: int) -> int:
    """``maturityAt << 96 | payableId << 32 | index``."""
    return maturity_at << MATURITY_SHIFT | payable_id << INDEX_BITS | index


@dataclass(frozen=True)
class TokenIdParts:
    maturity_at: int
    payable_id: int
    index: int


def split_token_id(token_id: int) -> TokenIdParts:
    return TokenIdParts(token_id >> MATURITY_SHIFT, (token_id >> INDEX_BITS) & PAYABLE_MASK, token_id & INDEX_MASK)


def short_id(token_id: int) -> str:
    """A readable piece id: ``P3#2`` (payable 3, piece 2)."""
    parts = split_token_id(token_id)
    return f"P{parts.payable_id}#{parts.index}"
