"""Discount arithmetic: the contract's quote against the Decimal model (tierchain.core.money)."""

from __future__ import annotations

from decimal import Decimal, localcontext

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierchain.core.errors import AmountError
from tierchain.core.money import discount_price

DAY = 86_400

values = st.one_of(st.integers(0, 2**64 - 1), st.integers(0, 10**10))
rates = st.integers(0, 10_000)
seconds = st.one_of(
    st.integers(0, 366 * DAY),
    st.integers(0, 366).map(lambda d: d * DAY),
    st.integers(1, 366).map(lambda d: d * DAY - 1),
)


def test_the_issue_example(desk):
    assert discount_price(100_000_000, 600, 90 * DAY) == 98_520_548
    assert desk.quote(100_000_000, 600, 90 * DAY) == 98_520_548


def test_a_partial_day_does_not_count(desk):
    assert desk.quote(100_000_000, 600, 91 * DAY - 1) == 98_520_548
    assert desk.quote(100_000_000, 600, 91 * DAY) == discount_price(100_000_000, 600, 91 * DAY) < 98_520_548


def test_rounding_is_down_on_the_discount(desk):
    """365.00 at 1 bp for 1 day: discount 0.0001 cent → 0; price stays 365.00 (seller's favour)."""
    assert desk.quote(36_500, 1, DAY) == 36_500
    assert desk.quote(3_650_000, 1, DAY) == 3_650_000 - 1


def test_model_rejects_out_of_range():
    for args in ((2**64, 0, 0), (1, 10_001, 0), (1, 1, -1), (-1, 0, 0)):
        with pytest.raises(AmountError):
            discount_price(*args)


@settings(max_examples=2500, deadline=None)
@given(value=values, rate=rates, secs=seconds)
def test_contract_matches_the_decimal_model(desk, value, rate, secs):
    assert desk.quote(value, rate, secs) == discount_price(value, rate, secs)


@settings(max_examples=2000, deadline=None)
@given(value=values, rate=rates, secs=st.integers(0, 3650 * DAY))
def test_model_properties(value, rate, secs):
    price = discount_price(value, rate, secs)
    days = secs // DAY
    with localcontext() as ctx:
        ctx.prec = 100
        exact = Decimal(value) - Decimal(value) * rate * days / Decimal(3_650_000)
    assert 0 <= price <= value
    assert price >= exact  # the discount is rounded down: the seller never gets less than exact
    assert price - exact < 1 or (price == 0 and exact <= 0)  # ... and by less than a cent
    assert discount_price(value, rate, secs + DAY) <= price  # more time, more discount
