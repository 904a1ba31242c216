"""Constants and helpers shared by the desk tests (a uniquely named module, importable because
pytest puts this folder on sys.path)."""

from __future__ import annotations

from tests.conftest import CENTS

AGENT_DESK = 1
ZERO = "0x" + "00" * 20
FUNDS = 50_000_000 * CENTS  # each financier's demo currency
OFFER_TUPLE = "(address,address,uint256,uint64,uint8,uint64,uint16,bool,uint256,uint40)"


def b32(value: object) -> bytes:
    """A bytes32 as brownie returns it (hex string or bytes) → bytes, for err(...)."""
    if isinstance(value, bytes):  # brownie's HexString is a bytes subclass with its own repr
        return bytes(value)
    text = str(value)
    return bytes.fromhex(text[2:] if text.startswith("0x") else text)
