"""Narrow views for the agents (termsOf, claimViewOf) and burnSettled's frozen-owner check."""

from __future__ import annotations

from typing import Any

import brownie
import pytest

from tests.conftest import CENTS, DAY, err, h


@pytest.fixture
def settlement(accounts: Any, token: Any, admin: Any) -> Any:
    token.setAgent(accounts[16], 2, {"from": admin})
    return accounts[16]


def test_terms_of_matches_payable_of(token: Any, issue: Any, core: Any, currency: Any) -> None:
    payable_id, _ = issue(face=5_000 * CENTS)
    full = token.payableOf(payable_id)
    terms = token.termsOf(payable_id)
    assert terms["debtor"] == core == full["debtor"]
    assert terms["currency"] == currency == full["currency"]
    for field in ("maturityAt", "status", "faceValue", "currencyDecimals"):
        assert terms[field] == full[field]
    assert terms["faceValue"] == 5_000 * CENTS and terms["status"] == 2


def test_terms_of_unknown_is_zero(token: Any) -> None:
    terms = token.termsOf(12345)
    assert terms["debtor"] == brownie.ZERO_ADDRESS and terms["status"] == 0 and terms["faceValue"] == 0


def test_claim_view_of(
    token: Any, issue: Any, suppliers: list[Any], regulator: Any, membership: Any, settlement: Any, chain: Any
) -> None:
    _, p1 = issue(face=5_000 * CENTS, tenor=DAY)
    owner, value, frozen, can_send = token.claimViewOf(p1)
    assert owner == suppliers[0] and value == 5_000 * CENTS and not frozen and can_send
    token.freezePiece(p1, h("order"), {"from": regulator})
    assert token.claimViewOf(p1)[2] is True
    token.unfreezePiece(p1, h("lifted"), {"from": regulator})
    membership.freeze(suppliers[0], h("order"), {"from": regulator})
    assert token.claimViewOf(p1)[3] is False
    membership.unfreeze(suppliers[0], h("lifted"), {"from": regulator})
    chain.sleep(DAY + 10)
    chain.mine()
    token.burnSettled(p1, {"from": settlement})
    owner, value, frozen, can_send = token.claimViewOf(p1)
    assert owner == brownie.ZERO_ADDRESS and value == 0 and not frozen and not can_send


def test_burn_settled_refuses_frozen_owner(
    token: Any, issue: Any, suppliers: list[Any], regulator: Any, membership: Any, settlement: Any, chain: Any
) -> None:
    _, p1 = issue(face=5_000 * CENTS, tenor=DAY)
    chain.sleep(DAY + 10)
    chain.mine()
    membership.freeze(suppliers[0], h("order"), {"from": regulator})
    with brownie.reverts(err("PayableSenderFrozen", suppliers[0])):
        token.burnSettled(p1, {"from": settlement})  # what it is owed waits in escrow
    membership.unfreeze(suppliers[0], h("lifted"), {"from": regulator})
    assert token.burnSettled(p1, {"from": settlement}).return_value[0] == suppliers[0]
