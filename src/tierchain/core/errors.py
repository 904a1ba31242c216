"""The package's exceptions (the decoder that turns revert data into them is chain/revert.py).

Every error tierchain raises on purpose derives from :class:`TierchainError`; each class carries
an ``exit_code`` the CLI uses. A contract revert becomes a :class:`ContractRevert` (or a family
subclass such as :class:`PayableError`) whose message reads like
``PayableBelowMinimum: tokenId=..., value=50, minimum=100``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class TierchainError(Exception):
    """Base class of every error tierchain raises on purpose."""

    exit_code: ClassVar[int] = 1


class UsageError(TierchainError, ValueError):
    """A bad argument or input from the user (an amount, an option)."""

    exit_code = 2


class AmountError(UsageError):
    """An amount that is not a strict decimal fitting the token's decimals."""


class ArtifactError(TierchainError):
    """A compiled contract artifact is missing or unreadable."""

    exit_code = 3


class ChainError(TierchainError):
    """The chain cannot be started, reached, or is not the expected one."""

    exit_code = 4


class ChainIdMismatchError(ChainError):
    """The connected chain's id differs from the one a record or signer expects."""


class DeploymentError(TierchainError):
    """No usable deployment: no record, or a recorded address without code."""

    exit_code = 5


class WalletError(TierchainError):
    """A keystore problem: unknown account, wrong password, unreadable or duplicate keystore."""

    exit_code = 8


class SignatureError(UsageError):
    """A signed request whose signature is not its signer's, or a malformed typed request."""


class TransactionError(TierchainError):
    """A transaction could not be sent or its outcome is unknown."""

    exit_code = 6

    def __init__(self, message: str, tx_hash: str | None = None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class TransactionTimeoutError(TransactionError):
    """No receipt within the timeout (the transaction may still be mined: wait on its hash)."""


class NonceError(TransactionError):
    """The local nonce and the chain disagree (a gap, or a nonce already used)."""


class InsufficientFundsError(TransactionError, UsageError):
    """The signer cannot pay the gas (found before signing): fund it, then run the command again.
    Exit code 6 (a :class:`TransactionError`); also a :class:`UsageError`, so a journaled
    workflow stops at once with this one line instead of reporting an interruption."""

    exit_code = 6

    def __init__(self, message: str, tx_hash: str | None = None) -> None:
        TransactionError.__init__(self, message, tx_hash)


class TransactionFailedError(TransactionError):
    """A mined transaction has status 0 and replaying it did not reveal a revert reason."""


# ---------------------------------------------------------------------------- contract reverts


class ContractRevert(TierchainError):  # noqa: N818 (the name is the API)
    """A call or transaction reverted. ``error_name`` is the custom error (``Error`` for a
    revert string, ``Panic`` for a panic code, ``""`` if unknown); ``args_by_name`` its values."""

    exit_code = 7

    def __init__(
        self,
        error_name: str,
        args_by_name: Mapping[str, Any] | None = None,
        data: bytes = b"",
        tx_hash: str | None = None,
    ) -> None:
        self.error_name = error_name
        self.args_by_name: dict[str, Any] = dict(args_by_name or {})
        self.data = data
        self.tx_hash = tx_hash
        super().__init__(self._message())

    def _message(self) -> str:
        if not self.error_name:
            if not self.data:
                return "reverted without a reason"
            return f"reverted with unknown error data 0x{self.data.hex()}"
        if self.error_name == "Error" and "message" in self.args_by_name:
            return f"reverted: {self.args_by_name['message']}"
        if self.error_name == "Panic":
            code = int(self.args_by_name.get("code", -1))
            return f"Panic: code=0x{code:02x} ({PANIC_REASONS.get(code, 'unknown panic')})"
        if not self.args_by_name:
            return self.error_name
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.args_by_name.items())
        return f"{self.error_name}: {shown}"


class MembershipError(ContractRevert):
    """A ``Membership*`` custom error."""


class RegistryError(ContractRevert):
    """A ``Registry*`` custom error (invoice registry)."""


class PayableError(ContractRevert):
    """A ``Payable*`` custom error (payable token)."""


class RelayError(ContractRevert):
    """A ``Relay*`` custom error (signed-request relay: expired, bad nonce or signature, ...)."""


class DeskError(ContractRevert):
    """A ``Desk*`` custom error (financing desk)."""


class SettlementError(ContractRevert):
    """A ``Settlement*`` custom error (payment at maturity)."""


class CurrencyError(ContractRevert):
    """An ERC-20 / demo currency error (``ERC20*``, ``DemoToken*``)."""


PANIC_REASONS: dict[int, str] = {
    0x00: "generic compiler panic",
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "bad storage byte array",
    0x31: "pop on empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}

_FAMILIES: tuple[tuple[str, type[ContractRevert]], ...] = (
    ("Membership", MembershipError),
    ("Registry", RegistryError),
    ("Payable", PayableError),
    ("Relay", RelayError),
    ("Desk", DeskError),
    ("Settlement", SettlementError),
    ("ERC20", CurrencyError),
    ("DemoToken", CurrencyError),
)


def revert_class(error_name: str) -> type[ContractRevert]:
    """The exception class for a custom error name, by its prefix family."""
    for prefix, cls in _FAMILIES:
        if error_name.startswith(prefix):
            return cls
    return ContractRevert


def _show(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, tuple | list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)
