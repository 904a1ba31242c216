"""Overdue after maturity + grace (exact boundaries), and the guarantee: commitment, payment
for the holders, the guarantor's claim against the debtor and its repayment."""

from __future__ import annotations

from typing import Any

import brownie
import pytest

from tests.conftest import CENTS, DAY, err
from tests.unit.settlement.conftest import FACE, GRACE, maturity_of

LIMIT = 600_000 * CENTS


# ---------------------------------------------------------------------------- overdue


def test_overdue_boundary_exact(
    settlement: Any, payable: Any, core: Any, fund: Any, outsider: Any, at_time: Any
) -> None:
    payable_id, ids = payable()
    fund(core, FACE)
    settlement.pay(payable_id, FACE // 2, {"from": core})
    overdue_at = maturity_of(ids[0]) + GRACE
    tx = at_time(overdue_at - 1, settlement.markOverdue, payable_id, sender=outsider)
    assert tx.status == 0
    assert tx.revert_msg == err("SettlementNotOverdueYet", payable_id, overdue_at)
    tx = at_time(overdue_at, settlement.markOverdue, payable_id, sender=outsider)
    assert tx.status == 1
    event = tx.events["MarkedOverdue"]
    assert event["by"] == outsider and event["unpaidCents"] == FACE // 2
    assert settlement.accountOf(payable_id)["overdue"]


def test_overdue_at_maturity_refused(settlement: Any, payable: Any, outsider: Any, at_time: Any) -> None:
    payable_id, ids = payable()
    tx = at_time(maturity_of(ids[0]), settlement.markOverdue, payable_id, sender=outsider)
    assert tx.status == 0
    assert tx.revert_msg == err("SettlementNotOverdueYet", payable_id, maturity_of(ids[0]) + GRACE)


def test_mark_overdue_twice_refused(settlement: Any, payable: Any, outsider: Any, travel: Any) -> None:
    payable_id, ids = payable()
    travel(maturity_of(ids[0]) + GRACE)
    settlement.markOverdue(payable_id, {"from": outsider})  # opens it too
    with brownie.reverts(err("SettlementAlreadyOverdue", payable_id)):
        settlement.markOverdue(payable_id, {"from": outsider})


def test_paid_payable_never_overdue(
    settlement: Any, payable: Any, core: Any, fund: Any, outsider: Any, travel: Any
) -> None:
    payable_id, ids = payable()
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    travel(maturity_of(ids[0]) + GRACE + 1)
    with brownie.reverts(err("SettlementFullyPaid", payable_id)):
        settlement.markOverdue(payable_id, {"from": outsider})


def test_grace_fixed_when_opened(settlement: Any, payable: Any, operator: Any, outsider: Any, travel: Any) -> None:
    payable_id, ids = payable()
    settlement.open(payable_id, {"from": outsider})
    settlement.setGracePeriod(30 * DAY, {"from": operator})
    late_id, late_ids = payable()
    travel(maturity_of(ids[0]) + GRACE)
    settlement.markOverdue(payable_id, {"from": outsider})  # 7 days: opened before the change
    with brownie.reverts(err("SettlementNotOverdueYet", late_id, maturity_of(late_ids[0]) + 30 * DAY)):
        settlement.markOverdue(late_id, {"from": outsider})


# ---------------------------------------------------------------------------- guarantee


@pytest.fixture
def overdue_payable(
    settlement: Any, payable: Any, core: Any, fund: Any, guarantor: Any, outsider: Any,
    suppliers: list[Any], travel: Any,
) -> Any:  # fmt: skip
    """A payable of FACE in two pieces (suppliers[0] 800,000.00, suppliers[1] 200,000.00),
    400,000.00 paid by the debtor, guaranteed up to LIMIT (unless told), marked overdue."""

    def make(guarantee: bool = True) -> tuple[int, list[int]]:
        payable_id, ids = payable(splits=[(suppliers[1], 200_000 * CENTS)])
        fund(core, FACE)
        settlement.pay(payable_id, 400_000 * CENTS, {"from": core})
        if guarantee:
            settlement.registerGuarantee(payable_id, LIMIT, {"from": guarantor})
        fund(guarantor, LIMIT)
        travel(maturity_of(ids[0]) + GRACE)
        settlement.markOverdue(payable_id, {"from": outsider})
        return payable_id, ids

    return make


def test_guarantor_pays_holders_and_holds_claim(
    settlement: Any, overdue_payable: Any, guarantor: Any, core: Any, suppliers: list[Any],
    currency: Any,
) -> None:  # fmt: skip
    payable_id, ids = overdue_payable()
    tx = settlement.guarantorPay(payable_id, LIMIT, {"from": guarantor})
    assert tx.events["GuarantorPaid"]["unpaidCents"] == 0
    g = settlement.guaranteeOf(payable_id)
    assert g["guarantor"] == guarantor and g["paidCents"] == LIMIT and g["repaidCents"] == 0
    # The payable is paid in full: every holder gets exactly its value.
    assert settlement.claim(ids[0], {"from": suppliers[0]}).return_value == 800_000 * CENTS
    assert settlement.claim(ids[1], {"from": suppliers[1]}).return_value == 200_000 * CENTS
    assert currency.balanceOf(settlement) == 0
    # The debtor repays the guarantor in two steps, recorded on chain.
    tx = settlement.repayGuarantor(payable_id, 100_000 * CENTS, {"from": core})
    assert tx.events["GuarantorRepaid"]["stillOwedCents"] == 500_000 * CENTS
    with brownie.reverts(err("SettlementRepaymentExceeded", payable_id, LIMIT, 500_000 * CENTS)):
        settlement.repayGuarantor(payable_id, LIMIT, {"from": core})
    settlement.repayGuarantor(payable_id, 500_000 * CENTS, {"from": core})
    assert settlement.guaranteeOf(payable_id)["repaidCents"] == LIMIT
    assert currency.balanceOf(guarantor) == LIMIT


def test_guarantor_partial_payment_counts_pro_rata(
    settlement: Any, overdue_payable: Any, guarantor: Any, suppliers: list[Any]
) -> None:
    payable_id, ids = overdue_payable()
    settlement.guarantorPay(payable_id, 100_000 * CENTS, {"from": guarantor})
    # paid 500,000.00 of 1,000,000.00: half of each piece
    assert settlement.claim(ids[1], {"from": suppliers[1]}).return_value == 100_000 * CENTS


def test_guarantor_cannot_pay_before_overdue(settlement: Any, payable: Any, guarantor: Any, fund: Any) -> None:
    payable_id, _ = payable()
    settlement.registerGuarantee(payable_id, LIMIT, {"from": guarantor})
    fund(guarantor, LIMIT)
    with brownie.reverts(err("SettlementNotOverdue", payable_id)):
        settlement.guarantorPay(payable_id, 100, {"from": guarantor})


def test_guarantor_limit_and_overpayment(settlement: Any, overdue_payable: Any, guarantor: Any, fund: Any) -> None:
    payable_id, _ = overdue_payable()
    with brownie.reverts(err("SettlementLimitExceeded", payable_id, LIMIT + 1, LIMIT)):
        settlement.guarantorPay(payable_id, LIMIT + 1, {"from": guarantor})
    settlement.registerGuarantee(payable_id, FACE, {"from": guarantor})  # raise the limit
    fund(guarantor, FACE)
    with brownie.reverts(err("SettlementOverpayment", payable_id, LIMIT + 1, LIMIT)):
        settlement.guarantorPay(payable_id, LIMIT + 1, {"from": guarantor})
    with brownie.reverts(err("SettlementZeroAmount")):
        settlement.guarantorPay(payable_id, 0, {"from": guarantor})


def test_only_the_guarantor_pays(settlement: Any, overdue_payable: Any, outsider: Any) -> None:
    payable_id, _ = overdue_payable(guarantee=False)
    with brownie.reverts(err("SettlementNotGuarantor", payable_id, outsider)):
        settlement.guarantorPay(payable_id, 100, {"from": outsider})


def test_register_guarantee_rules(
    settlement: Any, payable: Any, guarantor: Any, membership: Any, operator: Any,
    accounts: Any, core: Any, fund: Any,
) -> None:  # fmt: skip
    payable_id, _ = payable()
    with brownie.reverts(err("SettlementUnauthorized", operator, 16)):
        settlement.registerGuarantee(payable_id, LIMIT, {"from": operator})
    with brownie.reverts(err("SettlementInvalidLimit", payable_id, 0, 0)):
        settlement.registerGuarantee(payable_id, 0, {"from": guarantor})
    with brownie.reverts(err("SettlementInvalidLimit", payable_id, FACE + 1, 0)):
        settlement.registerGuarantee(payable_id, FACE + 1, {"from": guarantor})
    tx = settlement.registerGuarantee(payable_id, LIMIT, {"from": guarantor})
    assert tx.events["GuaranteeRegistered"]["limitCents"] == LIMIT
    with brownie.reverts(err("SettlementInvalidLimit", payable_id, LIMIT, LIMIT)):
        settlement.registerGuarantee(payable_id, LIMIT, {"from": guarantor})  # only rises
    second = accounts[15]
    membership.admit(second, 16, b"\x15" * 32, {"from": operator})
    with brownie.reverts(err("SettlementGuaranteeExists", payable_id, guarantor)):
        settlement.registerGuarantee(payable_id, LIMIT, {"from": second})
    # A debtor that is also a guarantor cannot guarantee its own debt.
    membership.setRoles(core, 2 | 16, {"from": operator})
    other_id, _ = payable()
    with brownie.reverts(err("SettlementUnauthorized", core, 16)):
        settlement.registerGuarantee(other_id, LIMIT, {"from": core})
    # Nothing to guarantee once paid in full.
    fund(core, FACE)
    settlement.pay(other_id, FACE, {"from": core})
    with brownie.reverts(err("SettlementFullyPaid", other_id)):
        settlement.registerGuarantee(other_id, LIMIT, {"from": guarantor})


def test_repay_guarantor_only_debtor_and_nonzero(
    settlement: Any, overdue_payable: Any, guarantor: Any, outsider: Any, core: Any
) -> None:
    payable_id, _ = overdue_payable()
    settlement.guarantorPay(payable_id, 100, {"from": guarantor})
    with brownie.reverts(err("SettlementNotDebtor", payable_id, outsider)):
        settlement.repayGuarantor(payable_id, 100, {"from": outsider})
    with brownie.reverts(err("SettlementZeroAmount")):
        settlement.repayGuarantor(payable_id, 0, {"from": core})
