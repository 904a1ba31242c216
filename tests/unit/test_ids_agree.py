"""One source for each fact, checked: the token-id layout, the role bits and the cents unit as
Python computes them (tierchain.core.ids, tierchain.core.money) equal what the Solidity
libraries compute (contracts/lib, exposed by contracts/test/IdsProbe.sol), on random inputs."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierchain.core import ids, money

MATURITY = st.integers(min_value=0, max_value=2**160 - 1)
PAYABLE = st.integers(min_value=0, max_value=2**64 - 1)
INDEX = st.integers(min_value=0, max_value=2**32 - 1)


@pytest.fixture(scope="module")
def probe(IdsProbe: Any, accounts: Any) -> Any:
    return IdsProbe.deploy({"from": accounts[0]})


@settings(max_examples=60, deadline=None)
@given(maturity=MATURITY, payable_id=PAYABLE, index=INDEX)
def test_token_id_layout_agrees(probe: Any, maturity: int, payable_id: int, index: int) -> None:
    token_id = ids.make_token_id(maturity, payable_id, index)
    assert probe.make(maturity, payable_id, index) == token_id
    parts = ids.split_token_id(token_id)
    assert tuple(probe.parts(token_id)) == (parts.maturity_at, parts.payable_id, parts.index)
    assert (parts.maturity_at, parts.payable_id, parts.index) == (maturity, payable_id, index)


@settings(max_examples=40, deadline=None)
@given(token_id=st.integers(min_value=0, max_value=2**256 - 1), index=INDEX)
def test_any_token_id_splits_alike(probe: Any, token_id: int, index: int) -> None:
    parts = ids.split_token_id(token_id)
    assert tuple(probe.parts(token_id)) == (parts.maturity_at, parts.payable_id, parts.index)
    sibling = ids.make_token_id(parts.maturity_at, parts.payable_id, index)
    assert probe.withIndex(token_id, index) == sibling


def test_role_bits_agree(probe: Any) -> None:
    python = [int(r) for r in ids.Role] + [int(ids.HOLDER_ROLES), int(ids.GOVERNANCE_ROLES), int(ids.ALL_ROLES)]
    assert list(probe.roles()) == python


@settings(max_examples=60, deadline=None)
@given(
    cents=st.integers(min_value=0, max_value=2**64 - 1),
    decimals=st.integers(min_value=money.MIN_CURRENCY_DECIMALS, max_value=money.MAX_CURRENCY_DECIMALS),
)
def test_cents_to_units_agrees(probe: Any, cents: int, decimals: int) -> None:
    assert probe.toUnits(cents, decimals) == money.cents_to_units(cents, decimals)


def test_cents_constants_agree(probe: Any) -> None:
    assert tuple(probe.centsConstants()) == (
        money.VALUE_DECIMALS,
        money.MIN_CURRENCY_DECIMALS,
        money.MAX_CURRENCY_DECIMALS,
    )
