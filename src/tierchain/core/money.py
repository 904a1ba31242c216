"""Money as integers: strict decimal text in, integer smallest units out, and back.

Never a float, never ``Decimal`` as a validator (it accepts NaN, exponents and non-ASCII
digits), never ``to_wei`` (it silently truncates). An amount is ASCII ``[0-9]+(.[0-9]+)?`` with
at most ``decimals`` fractional digits.
"""

from __future__ import annotations

import re
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Final, NewType

from tierchain.core.errors import AmountError

Units = NewType("Units", int)
"""An amount in a token's smallest unit (cents for a 2-decimal token)."""

_AMOUNT_RE: Final = re.compile(r"([0-9]+)(?:\.([0-9]+))?", re.ASCII)
MAX_DECIMALS: Final = 77
VALUE_DECIMALS: Final = 2
"""Decimals of every value the token holds: cents (Solidity: contracts/lib/Cents.sol)."""
MIN_CURRENCY_DECIMALS: Final = 2
MAX_CURRENCY_DECIMALS: Final = 36
UINT256_MAX: Final = 2**256 - 1
UINT64_MAX: Final = 2**64 - 1


def parse_units(
    text: object,
    decimals: int,
    *,
    name: str = "amount",
    allow_zero: bool = False,
    maximum: int = UINT256_MAX,
) -> Units:
    """``"1234.5"`` with 2 decimals → ``123450``.

    Raises :class:`AmountError` naming the problem: not a string, not a plain decimal (signs,
    exponents, NaN, spaces, separators, non-ASCII digits), too many decimals, zero (unless
    ``allow_zero``), or above ``maximum`` units.
    """
    if not 0 <= decimals <= MAX_DECIMALS:
        raise AmountError(f"decimals must be 0..{MAX_DECIMALS}, not {decimals}")
    if not isinstance(text, str):
        raise AmountError(f'{name} must be text like "1234.50", not {type(text).__name__}')
    match = _AMOUNT_RE.fullmatch(text)
    if match is None:
        raise AmountError(
            f"{name} {text[:40]!r} is not a plain decimal number like 1234.50 "
            "(digits 0-9 and one optional '.', no sign, exponent, spaces or separators)"
        )
    whole, frac = match.group(1), match.group(2) or ""
    if len(frac) > decimals:
        if decimals == 0:
            raise AmountError(f"{name} {text!r}: this token has no decimals (whole units only)")
        raise AmountError(f"{name} {text!r} has {len(frac)} decimals; this token allows at most {decimals}")
    if len(whole.lstrip("0")) > 80:
        raise AmountError(f"{name} {text[:40]!r}... is far too large")
    units = int(whole) * 10**decimals + (int(frac.ljust(decimals, "0")) if decimals else 0)
    if units == 0 and not allow_zero:
        raise AmountError(f"{name} must be greater than zero")
    if units > maximum:
        raise AmountError(f"{name} {text!r} is too large (at most {format_units(maximum, decimals)})")
    return Units(units)


def parse_cents(text: object, *, name: str = "amount", allow_zero: bool = False) -> Units:
    """A 2-decimal amount (payable values are cents) that fits in uint64."""
    return parse_units(text, 2, name=name, allow_zero=allow_zero, maximum=UINT64_MAX)


def cents_to_units(cents: int, decimals: int) -> Units:
    """Currency units of ``cents``: ``cents * 10**(decimals - 2)``, as the contracts compute it
    (``Cents.toUnits``); ``decimals`` 2..36."""
    if not MIN_CURRENCY_DECIMALS <= decimals <= MAX_CURRENCY_DECIMALS:
        raise AmountError(
            f"a settlement currency has {MIN_CURRENCY_DECIMALS}..{MAX_CURRENCY_DECIMALS} decimals, not {decimals}"
        )
    return Units(cents * 10 ** (decimals - VALUE_DECIMALS))


def format_units(value: int, decimals: int, *, grouping: bool = True) -> str:
    """``123450`` with 2 decimals → ``"1,234.50"`` (``grouping=False`` → ``"1234.50"``)."""
    if not 0 <= decimals <= MAX_DECIMALS:
        raise AmountError(f"decimals must be 0..{MAX_DECIMALS}, not {decimals}")
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 10**decimals)
    head = f"{whole:,}" if grouping else str(whole)
    return f"{sign}{head}.{frac:0{decimals}d}" if decimals else f"{sign}{head}"


def format_cents(value: int, *, grouping: bool = True) -> str:
    """Cents as money text: ``123450`` → ``"1,234.50"``."""
    return format_units(value, 2, grouping=grouping)


# ---------------------------------------------------------------------------- discounting

SECONDS_PER_DAY: Final = 86_400
DAYS_PER_YEAR: Final = 365
MAX_RATE_BPS: Final = 10_000


def discount_price(value_cents: int, rate_bps: int, seconds_left: int) -> int:
    """The price of ``value_cents`` discounted at ``rate_bps`` a year for ``seconds_left``,
    exactly as ``FinancingDesk.quote`` computes it (the Decimal model it is tested against).

    Actual/365 on whole days: ``days = seconds_left // 86400`` (a partial day does not count);
    ``discount = value * rate/10000 * days/365`` rounded DOWN to the cent (in the seller's
    favour); ``price = value - discount``, or 0 when the discount reaches the value.
    1,000,000.00 at 600 bps for 90 days → 985,205.48 (``discount_price(10**8, 600, 90*86400)
    == 98_520_548``). Raises :class:`AmountError` for a value outside 0..2^64-1, a rate outside
    0..10,000 bps or negative seconds.
    """
    if not 0 <= value_cents <= UINT64_MAX:
        raise AmountError(f"value {value_cents} cents is outside 0..2^64-1")
    if not 0 <= rate_bps <= MAX_RATE_BPS:
        raise AmountError(f"rate {rate_bps} bps is outside 0..{MAX_RATE_BPS}")
    if seconds_left < 0:
        raise AmountError(f"seconds left {seconds_left} is negative")
    days = seconds_left // SECONDS_PER_DAY
    with localcontext() as ctx:
        # 200 digits hold every product in range (< 2^100) exactly; the one division rounds
        # toward minus infinity, so the floor below is the floor of the exact quotient.
        ctx.prec = 200
        ctx.rounding = ROUND_FLOOR
        exact_product = Decimal(value_cents) * Decimal(rate_bps) * Decimal(days)
        discount = (exact_product / Decimal(10_000 * DAYS_PER_YEAR)).to_integral_value(rounding=ROUND_FLOOR)
    return max(value_cents - int(discount), 0)


def pro_rata(value_cents: int, paid_cents: int, face_cents: int) -> int:
    """A piece's share of what was paid, as Settlement computes it:
    ``floor(value * paid / face)``, rounded DOWN (the remainder stays in escrow until the payable
    is paid in full; then ``paid == face`` and the share is exactly ``value``)."""
    if face_cents <= 0:
        raise AmountError(f"face value must be positive, not {face_cents}")
    if not 0 <= paid_cents <= face_cents:
        raise AmountError(f"paid {paid_cents} must be within 0..face value {face_cents}")
    if not 0 <= value_cents <= face_cents:
        raise AmountError(f"piece value {value_cents} must be within 0..face value {face_cents}")
    return value_cents * paid_cents // face_cents
