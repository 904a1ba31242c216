"""Pauses and administration: the settlement pause stops money movements only; the trading
pause never stops payments or claims; grace period bounds; constructor checks."""

from __future__ import annotations

from typing import Any

import brownie

from tests.conftest import CENTS, DAY, err
from tests.unit.settlement.conftest import FACE, GRACE, SPLIT, maturity_of


def test_pause_only_by_operator_or_admin(settlement: Any, operator: Any, admin: Any, outsider: Any) -> None:
    with brownie.reverts(err("SettlementUnauthorized", outsider, 1)):
        settlement.setSettlementPaused(True, {"from": outsider})
    tx = settlement.setSettlementPaused(True, {"from": operator})
    assert tx.events["SettlementPauseChanged"]["paused"] and settlement.settlementPaused()
    with brownie.reverts(err("SettlementPauseUnchanged", True)):
        settlement.setSettlementPaused(True, {"from": admin})
    settlement.setSettlementPaused(False, {"from": admin})
    assert not settlement.settlementPaused()


def test_settlement_pause_stops_money_movements(
    settlement: Any, token: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any],
    guarantor: Any, operator: Any, outsider: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, ids = payable()
    fund(core, FACE)
    fund(guarantor, FACE)
    settlement.pay(payable_id, FACE // 2, {"from": core})
    settlement.registerGuarantee(payable_id, FACE // 4, {"from": guarantor})
    settlement.setSettlementPaused(True, {"from": operator})
    with brownie.reverts(err("SettlementPaused")):
        settlement.pay(payable_id, 100, {"from": core})
    # Trading is not stopped by the settlement pause.
    token.transferFrom[SPLIT](ids[0], suppliers[1], 100 * CENTS, {"from": suppliers[0]})
    travel(maturity_of(ids[0]) + GRACE)
    with brownie.reverts(err("SettlementPaused")):
        settlement.claim(ids[0], {"from": suppliers[0]})
    settlement.markOverdue(payable_id, {"from": outsider})  # records only: not paused
    with brownie.reverts(err("SettlementPaused")):
        settlement.guarantorPay(payable_id, 100, {"from": guarantor})
    with brownie.reverts(err("SettlementPaused")):
        settlement.repayGuarantor(payable_id, 100, {"from": core})
    with brownie.reverts(err("SettlementPaused")):
        settlement.settleRecourse(ids[0], {"from": suppliers[0]})
    settlement.setSettlementPaused(False, {"from": operator})
    assert settlement.claim(ids[0], {"from": suppliers[0]}).return_value > 0


def test_trading_pause_never_stops_payments(
    settlement: Any, token: Any, payable: Any, core: Any, fund: Any, operator: Any
) -> None:
    payable_id, _ = payable()
    token.setTradingPaused(True, {"from": operator})
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    assert settlement.accountOf(payable_id)["unpaidCents"] == 0


def test_grace_period_bounds(settlement: Any, operator: Any, outsider: Any) -> None:
    assert settlement.gracePeriod() == GRACE
    with brownie.reverts(err("SettlementInvalidGrace", 365 * DAY + 1)):
        settlement.setGracePeriod(365 * DAY + 1, {"from": operator})
    with brownie.reverts(err("SettlementUnauthorized", outsider, 1)):
        settlement.setGracePeriod(DAY, {"from": outsider})
    tx = settlement.setGracePeriod(0, {"from": operator})
    assert tx.events["GracePeriodChanged"]["previousSeconds"] == GRACE
    assert settlement.gracePeriod() == 0


def test_constructor_checks(Settlement: Any, token: Any, admin: Any) -> None:
    with brownie.reverts(err("SettlementZeroAddress")):
        Settlement.deploy(brownie.ZERO_ADDRESS, brownie.ZERO_ADDRESS, GRACE, {"from": admin})
    with brownie.reverts(err("SettlementInvalidGrace", 366 * DAY)):
        Settlement.deploy(token, brownie.ZERO_ADDRESS, 366 * DAY, {"from": admin})
    s = Settlement.deploy(token, brownie.ZERO_ADDRESS, GRACE, {"from": admin})
    assert s.token() == token and s.membership() == token.membership()
    assert s.trustedForwarder() == brownie.ZERO_ADDRESS
    assert s.financingRecords() == brownie.ZERO_ADDRESS and s.DEFAULT_GRACE() == 7 * DAY


def test_settlement_needs_the_agent_role_to_burn(
    Settlement: Any, token: Any, payable: Any, core: Any, suppliers: list[Any], currency: Any,
    operator: Any, admin: Any, travel: Any,
) -> None:  # fmt: skip
    s = Settlement.deploy(token, brownie.ZERO_ADDRESS, GRACE, {"from": admin})  # not an agent
    payable_id, ids = payable()
    currency.mint(core, FACE, {"from": operator})
    currency.approve(s, FACE, {"from": core})
    s.pay(payable_id, FACE, {"from": core})
    travel(maturity_of(ids[0]))
    with brownie.reverts(err("PayableNotAgent", s, 2)):
        s.claim(ids[0], {"from": suppliers[0]})


def test_views_before_anything(settlement: Any, payable: Any) -> None:
    payable_id, ids = payable()
    assert not settlement.accountOf(payable_id)["open"]
    assert settlement.claimableOf(ids[0]) == 0
    assert settlement.guaranteeOf(payable_id)["guarantor"] == brownie.ZERO_ADDRESS
    assert settlement.recourseOf(ids[0])["status"] == 0
