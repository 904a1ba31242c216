from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tierchain.core.errors import AmountError, TierchainError
from tierchain.core.money import format_cents, format_units, parse_cents, parse_units


@pytest.mark.parametrize(
    ("text", "decimals", "units"),
    [("1", 2, 100), ("1234.5", 2, 123450), ("0.01", 2, 1), ("007.10", 2, 710), ("3", 0, 3),
     ("1.000000000000000001", 18, 10**18 + 1)],
)  # fmt: skip
def test_parse_units_accepts_plain_decimals(text: str, decimals: int, units: int) -> None:
    assert parse_units(text, decimals) == units


@pytest.mark.parametrize(
    "text",
    ["1e3", "1E3", "NaN", "nan", "Infinity", "١٢", "１２", "-1", "+1", " 1", "1 ", "1\n", "1,000",
     "1_000", ".5", "1.", "", "0x10", "1.2.3"],
)  # fmt: skip
def test_parse_units_rejects_anything_else(text: str) -> None:
    with pytest.raises(AmountError, match="not a plain decimal"):
        parse_units(text, 2)


def test_too_many_decimals_is_named() -> None:
    with pytest.raises(AmountError, match="3 decimals; this token allows at most 2"):
        parse_units("1.234", 2)


def test_zero_and_non_strings_and_overflow() -> None:
    with pytest.raises(AmountError, match="greater than zero"):
        parse_units("0.00", 2)
    assert parse_units("0", 2, allow_zero=True) == 0
    with pytest.raises(AmountError, match="not float"):
        parse_units(1.5, 2)
    with pytest.raises(AmountError, match="too large"):
        parse_cents("184467440737095516.16")  # 2**64 cents
    assert issubclass(AmountError, TierchainError) and issubclass(AmountError, ValueError)


def test_format_units() -> None:
    assert format_units(123450, 2) == "1,234.50"
    assert format_units(5, 2) == "0.05"
    assert format_units(-5, 2) == "-0.05"
    assert format_units(1234, 0) == "1,234"
    assert format_cents(123450, grouping=False) == "1234.50"


@given(units=st.integers(min_value=0, max_value=2**256 - 1), decimals=st.integers(0, 36))
def test_format_then_parse_round_trips(units: int, decimals: int) -> None:
    text = format_units(units, decimals, grouping=False)
    assert parse_units(text, decimals, allow_zero=True) == units


@given(text=st.text(max_size=12))
def test_parse_never_crashes_and_agrees_with_the_grammar(text: str) -> None:
    import re

    plain = re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", text, re.ASCII) is not None
    try:
        value = parse_units(text, 2, allow_zero=True)
    except AmountError:
        assert not plain
    else:
        assert plain and value >= 0
