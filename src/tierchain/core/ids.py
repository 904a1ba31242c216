"""Identifiers shared with the contracts: membership role bits and the token-id layout."""

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


def make_token_id(maturity_at: int, payable_id: int, index: int) -> int:
    """``maturityAt << 96 | payableId << 32 | index``."""
    return maturity_at << 96 | payable_id << 32 | index


@dataclass(frozen=True)
class TokenIdParts:
    maturity_at: int
    payable_id: int
    index: int


def split_token_id(token_id: int) -> TokenIdParts:
    return TokenIdParts(token_id >> 96, (token_id >> 32) & (2**64 - 1), token_id & (2**32 - 1))


def short_id(token_id: int) -> str:
    """A readable piece id: ``P3#2`` (payable 3, piece 2)."""
    parts = split_token_id(token_id)
    return f"P{parts.payable_id}#{parts.index}"
