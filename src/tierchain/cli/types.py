"""The click parameter types of the CLI's one dialect.

Every command names the same things the same way: ``ADDRESS`` (EIP-55: a mixed-case address
with a bad checksum is an error, never re-checksummed), ``AMOUNT`` (a strict decimal checked
against the decimals it is counted in: cents for payable values), ``PIECE`` (``P1#1`` or a
token id; resolved once, against the chain, by :mod:`tierchain.clients.rules`), ``PAYABLE``
(``3`` or ``P3``), ``DATETIME`` (ISO 8601 with a zone) and ``BYTES32``. A bad value is a click
:class:`~tierchain.core.errors.UsageError` naming the option (one line, exit code 2).
"""

from __future__ import annotations

from typing import Any

import click
from eth_typing import ChecksumAddress

from tierchain.clients import rules
from tierchain.core.money import parse_units


class _Type(click.ParamType[Any, Any]):
    def _name(self, param: click.Parameter | None) -> str:
        if param is None:
            return self.name
        opts = getattr(param, "opts", None)
        if opts and str(opts[0]).startswith("-"):
            return str(opts[0])
        return str(param.name or self.name).replace("_", " ")

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if not isinstance(value, str):
            return value  # already converted (a default or a second pass)
        # a TierchainError passes through: the CLI's one error exit prints it (exit code 2)
        return self.parse(value, self._name(param))

    def parse(self, text: str, name: str) -> Any:
        raise NotImplementedError


class AddressType(_Type):
    name = "ADDRESS"

    def parse(self, text: str, name: str) -> ChecksumAddress:
        return rules.parse_address(text, name)


class AmountType(_Type):
    """An amount in smallest units of ``decimals`` decimals (2: cents)."""

    name = "AMOUNT"

    def __init__(self, decimals: int = 2, *, allow_zero: bool = False) -> None:
        self.decimals = decimals
        self.allow_zero = allow_zero

    def parse(self, text: str, name: str) -> int:
        maximum = 2**64 - 1 if self.decimals == 2 else 2**256 - 1
        return int(parse_units(text, self.decimals, name=name, allow_zero=self.allow_zero, maximum=maximum))


class PieceType(_Type):
    name = "PIECE"

    def parse(self, text: str, name: str) -> rules.PieceRef:
        return rules.parse_piece(text, name)


class PayableType(_Type):
    name = "PAYABLE"

    def parse(self, text: str, name: str) -> int:
        return rules.parse_payable_number(text, name)


class InstantType(_Type):
    name = "DATETIME"

    def parse(self, text: str, name: str) -> int:
        from tierchain.cli.common import parse_instant

        return parse_instant(text, name)


class Bytes32Type(_Type):
    name = "BYTES32"

    def parse(self, text: str, name: str) -> bytes:
        from tierchain.cli.common import parse_bytes32

        return parse_bytes32(text, name)


ADDRESS = AddressType()
CENTS = AmountType(2)
PIECE = PieceType()
PAYABLE = PayableType()
INSTANT = InstantType()
BYTES32 = Bytes32Type()
