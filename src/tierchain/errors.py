"""The package's base exception; every tierchain error derives from it."""

from __future__ import annotations


class TierchainError(Exception):
    """Base class of every error tierchain raises on purpose."""
