"""Pay-in: the debtor pays the face value in one or several payments, before or after maturity;
over-payment refused; currency units; only accepted payables; misbehaving currencies."""

from __future__ import annotations

from typing import Any

import brownie
import pytest

from tests.conftest import CENTS, DAY, err, h
from tests.unit.settlement.conftest import FACE, GRACE, maturity_of


def test_partial_then_full_payment(settlement: Any, payable: Any, core: Any, fund: Any, currency: Any) -> None:
    payable_id, _ = payable()
    fund(core, FACE)
    tx = settlement.pay(payable_id, 400_000 * CENTS, {"from": core})
    assert tx.events["Paid"]["cents"] == 400_000 * CENTS
    assert tx.events["Paid"]["unpaidCents"] == 600_000 * CENTS
    assert "PayableOpened" in tx.events
    tx = settlement.pay(payable_id, 600_000 * CENTS, {"from": core})
    assert tx.events["Paid"]["unpaidCents"] == 0
    assert "PayableOpened" not in tx.events
    account = settlement.accountOf(payable_id)
    assert account["open"] and account["paidCents"] == FACE and account["unpaidCents"] == 0
    assert currency.balanceOf(settlement) == FACE
    assert currency.balanceOf(core) == 0


def test_open_fixes_terms_and_grace(settlement: Any, payable: Any, core: Any, operator: Any) -> None:
    payable_id, ids = payable()
    tx = settlement.open(payable_id, {"from": operator})
    event = tx.events["PayableOpened"]
    assert event["debtor"] == core and event["faceValue"] == FACE
    assert event["overdueAt"] == maturity_of(ids[0]) + GRACE
    settlement.setGracePeriod(DAY, {"from": operator})
    settlement.open(payable_id, {"from": operator})  # idempotent, grace unchanged
    account = settlement.accountOf(payable_id)
    assert account["graceSeconds"] == GRACE and account["overdueAt"] == maturity_of(ids[0]) + GRACE


def test_overpayment_refused(settlement: Any, payable: Any, core: Any, fund: Any) -> None:
    payable_id, _ = payable()
    fund(core, 2 * FACE)
    settlement.pay(payable_id, FACE - 1, {"from": core})
    with brownie.reverts(err("SettlementOverpayment", payable_id, 2, 1)):
        settlement.pay(payable_id, 2, {"from": core})
    settlement.pay(payable_id, 1, {"from": core})
    with brownie.reverts(err("SettlementFullyPaid", payable_id)):
        settlement.pay(payable_id, 1, {"from": core})


def test_zero_payment_refused(settlement: Any, payable: Any, core: Any, fund: Any) -> None:
    payable_id, _ = payable()
    with brownie.reverts(err("SettlementZeroAmount")):
        settlement.pay(payable_id, 0, {"from": core})


def test_only_the_debtor_pays(settlement: Any, payable: Any, suppliers: list[Any], fund: Any) -> None:
    payable_id, _ = payable()
    fund(suppliers[0], FACE)
    with brownie.reverts(err("SettlementNotDebtor", payable_id, suppliers[0])):
        settlement.pay(payable_id, 100, {"from": suppliers[0]})


def test_unaccepted_and_unknown_payables_refused(settlement: Any, issue: Any, core: Any, fund: Any) -> None:
    payable_id, _ = issue(face=FACE, accept=False)
    fund(core, FACE)
    with brownie.reverts(err("SettlementNotAccepted", payable_id, 1)):
        settlement.pay(payable_id, 100, {"from": core})
    with brownie.reverts(err("SettlementNotAccepted", 999, 0)):
        settlement.pay(999, 100, {"from": core})


def test_payment_after_maturity_and_after_overdue(
    settlement: Any, payable: Any, core: Any, fund: Any, travel: Any, outsider: Any
) -> None:
    payable_id, ids = payable()
    fund(core, FACE)
    travel(maturity_of(ids[0]) + GRACE + DAY)
    settlement.markOverdue(payable_id, {"from": outsider})
    settlement.pay(payable_id, FACE, {"from": core})
    assert settlement.accountOf(payable_id)["unpaidCents"] == 0
    assert settlement.accountOf(payable_id)["overdue"]  # history stays


def test_units_for_an_18_decimal_currency(
    OpenERC20: Any, settlement: Any, token: Any, register_package: Any, core: Any,
    suppliers: list[Any], chain: Any, fund: Any, travel: Any,
) -> None:  # fmt: skip
    cur = OpenERC20.deploy("E18", 18, {"from": core})
    face = 1_234_56  # 1,234.56
    root = register_package(total=face, seller=suppliers[0])
    tx = token.issue(suppliers[0], face, cur, chain.time() + 30 * DAY, root, h("d18"), {"from": core})
    payable_id, token_id = tx.return_value
    token.accept(payable_id, {"from": suppliers[0]})
    fund(core, face, cur)
    settlement.pay(payable_id, face, {"from": core})
    assert cur.balanceOf(settlement) == face * 10**16
    travel(maturity_of(token_id))
    settlement.claim(token_id, {"from": suppliers[0]})
    assert cur.balanceOf(suppliers[0]) == face * 10**16
    assert cur.balanceOf(settlement) == 0


def test_relayed_payment_uses_the_signer(
    settlement: Any, payable: Any, core: Any, fund: Any, forwarder: Any, operator: Any
) -> None:
    payable_id, _ = payable()
    fund(core, FACE)
    data = settlement.pay.encode_input(payable_id, 500)
    tx = forwarder.forward(settlement, data, core, {"from": operator})
    assert tx.events["Paid"]["payer"] == core
    with brownie.reverts(err("SettlementNotDebtor", payable_id, operator)):
        forwarder.forward(settlement, data, operator, {"from": operator})


# ---------------------------------------------------------------------------- odd currencies


@pytest.fixture
def odd_payable(token: Any, register_package: Any, core: Any, suppliers: list[Any], chain: Any) -> Any:
    """Issue and accept a payable in an arbitrary currency; returns (payableId, tokenId)."""

    def make(cur: Any, face: int = 10_000 * CENTS) -> tuple[int, int]:
        root = register_package(total=face, seller=suppliers[0])
        tx = token.issue(suppliers[0], face, cur, chain.time() + 30 * DAY, root, h("odd"), {"from": core})
        payable_id, token_id = tx.return_value
        token.accept(payable_id, {"from": suppliers[0]})
        return payable_id, token_id

    return make


def test_fee_on_transfer_currency_refused(
    FeeOnTransferERC20: Any, settlement: Any, odd_payable: Any, core: Any, fund: Any
) -> None:
    cur = FeeOnTransferERC20.deploy(2, {"from": core})
    payable_id, _ = odd_payable(cur)
    fund(core, 10_000 * CENTS, cur)
    with brownie.reverts(err("SettlementTransferShortfall", cur, 100_000, 99_000)):
        settlement.pay(payable_id, 100_000, {"from": core})
    assert settlement.accountOf(payable_id)["paidCents"] == 0


def test_returns_false_currency_refused(
    ReturnsFalseERC20: Any, settlement: Any, odd_payable: Any, core: Any, fund: Any
) -> None:
    cur = ReturnsFalseERC20.deploy(2, {"from": core})
    payable_id, _ = odd_payable(cur)
    fund(core, 10_000 * CENTS, cur)
    cur.setFailing(True, {"from": core})
    with brownie.reverts(err("SafeERC20FailedOperation", cur)):
        settlement.pay(payable_id, 100, {"from": core})
    cur.setFailing(False, {"from": core})
    settlement.pay(payable_id, 100, {"from": core})
    assert cur.balanceOf(settlement) == 100


def test_no_return_currency_works(
    NoReturnERC20: Any, settlement: Any, odd_payable: Any, core: Any, suppliers: list[Any],
    travel: Any,
) -> None:  # fmt: skip
    cur = NoReturnERC20.deploy(6, {"from": core})
    payable_id, token_id = odd_payable(cur)
    cur.mint(core, 10_000 * CENTS * 10**4, {"from": core})
    cur.approve(settlement, 2**256 - 1, {"from": core})
    settlement.pay(payable_id, 10_000 * CENTS, {"from": core})
    travel(maturity_of(token_id))
    settlement.claim(token_id, {"from": suppliers[0]})
    assert cur.balanceOf(suppliers[0]) == 10_000 * CENTS * 10**4


def test_callback_currency_cannot_reenter_pay(
    CallbackERC20: Any, settlement: Any, odd_payable: Any, core: Any, fund: Any
) -> None:
    cur = CallbackERC20.deploy(2, {"from": core})
    payable_id, _ = odd_payable(cur)
    fund(core, 10_000 * CENTS, cur)
    reenter = settlement.pay.encode_input(payable_id, 100)
    cur.setHook(settlement, reenter, True, {"from": core})
    with brownie.reverts(err("SettlementReentrantCall")):
        settlement.pay(payable_id, 100, {"from": core})
    cur.setHook(settlement, reenter, False, {"from": core})  # swallow: the outer call completes
    settlement.pay(payable_id, 100, {"from": core})
    assert not cur.lastCallOk()
    assert settlement.accountOf(payable_id)["paidCents"] == 100
