"""Recourse: a financier that bought a piece with recourse turns to its seller once the payable
is overdue; the seller pays the uncovered part and gets the whole piece back (same token id).
Financing records come from FinancingRecordsStub (contracts/test), set by each test."""

from __future__ import annotations

from typing import Any

import brownie
import pytest

from tests.conftest import CENTS, err
from tests.unit.settlement.conftest import FACE, GRACE, WHOLE, maturity_of

PIECE = 200_000 * CENTS
PRICE = 195_000 * CENTS


@pytest.fixture
def financed(
    settlement: Any, token: Any, records: Any, payable: Any, core: Any, fund: Any,
    suppliers: list[Any], financiers: list[Any], chain: Any,
) -> Any:  # fmt: skip
    """suppliers[1] holds a piece of PIECE, sells it whole to financiers[0] (recorded with or
    without recourse); the debtor pays `paid` cents. Returns (payableId, tokenId)."""

    def make(recourse: bool = True, paid: int = 400_000 * CENTS) -> tuple[int, int]:
        payable_id, ids = payable(splits=[(suppliers[1], PIECE)])
        piece = ids[1]
        token.transferFrom[WHOLE](suppliers[1], financiers[0], piece, {"from": suppliers[1]})
        records.setFinancing(piece, (financiers[0], suppliers[1], PIECE, PRICE, recourse, chain.time()), {"from": core})
        fund(core, FACE)
        if paid:
            settlement.pay(payable_id, paid, {"from": core})
        fund(suppliers[1], PIECE)
        return payable_id, piece

    return make


def _overdue(settlement: Any, token_id: int, travel: Any, by: Any) -> None:
    travel(maturity_of(token_id) + GRACE)
    settlement.markOverdue((token_id >> 32) & (2**64 - 1), {"from": by})


def test_recourse_round_trip(
    settlement: Any, token: Any, financed: Any, core: Any, suppliers: list[Any],
    financiers: list[Any], currency: Any, outsider: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, piece = financed()
    _overdue(settlement, piece, travel, outsider)
    # paid 40%: the piece is covered for 80,000.00, uncovered 120,000.00
    tx = settlement.exerciseRecourse(piece, {"from": financiers[0]})
    event = tx.events["RecourseExercised"]
    assert (event["financier"], event["seller"], event["uncoveredCents"]) == (
        financiers[0],
        suppliers[1],
        120_000 * CENTS,
    )
    claim = settlement.recourseOf(piece)
    assert claim["status"] == 1 and claim["amountCents"] == 120_000 * CENTS
    assert settlement.recourseDueOf(piece) == 120_000 * CENTS
    # The seller settles: it pays the uncovered part, the escrow pays the covered part.
    seller_before = currency.balanceOf(suppliers[1])
    tx = settlement.settleRecourse(piece, {"from": suppliers[1]})
    event = tx.events["RecourseSettled"]
    assert event["paidCents"] == 120_000 * CENTS and event["escrowCents"] == 80_000 * CENTS
    assert token.ownerOf(piece) == suppliers[1]  # same token id, whole piece
    assert currency.balanceOf(financiers[0]) == PIECE  # exactly the piece's value
    assert currency.balanceOf(suppliers[1]) == seller_before - 120_000 * CENTS
    assert settlement.recourseOf(piece)["status"] == 2
    assert settlement.recourseDueOf(piece) == 0
    assert settlement.claimedOf(piece) == 80_000 * CENTS
    # The seller now holds the remaining claim against the debtor.
    with brownie.reverts(err("SettlementNothingToClaim", piece)):
        settlement.claim(piece, {"from": suppliers[1]})
    settlement.pay(payable_id, FACE - 400_000 * CENTS, {"from": core})
    assert settlement.claim(piece, {"from": suppliers[1]}).return_value == 120_000 * CENTS
    assert currency.balanceOf(suppliers[1]) == seller_before
    with brownie.reverts(err("SettlementNoRecourseClaim", piece)):
        settlement.settleRecourse(piece, {"from": suppliers[1]})


def test_recourse_after_financier_claimed_and_more_paid(
    settlement: Any, financed: Any, core: Any, suppliers: list[Any], financiers: list[Any],
    currency: Any, outsider: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, piece = financed()
    _overdue(settlement, piece, travel, outsider)
    settlement.claim(piece, {"from": financiers[0]})  # 80,000.00
    settlement.exerciseRecourse(piece, {"from": financiers[0]})
    settlement.pay(payable_id, 100_000 * CENTS, {"from": core})  # now 50% paid
    assert settlement.recourseDueOf(piece) == 100_000 * CENTS
    tx = settlement.settleRecourse(piece, {"from": suppliers[1]})
    assert tx.events["RecourseSettled"]["paidCents"] == 100_000 * CENTS
    assert tx.events["RecourseSettled"]["escrowCents"] == 20_000 * CENTS
    assert currency.balanceOf(financiers[0]) == PIECE
    assert settlement.recourseOf(piece)["amountCents"] == 100_000 * CENTS


def test_recourse_with_nothing_paid(
    settlement: Any, financed: Any, suppliers: list[Any], financiers: list[Any], currency: Any,
    outsider: Any, travel: Any,
) -> None:  # fmt: skip
    _, piece = financed(paid=0)
    _overdue(settlement, piece, travel, outsider)
    settlement.exerciseRecourse(piece, {"from": financiers[0]})
    tx = settlement.settleRecourse(piece, {"from": suppliers[1]})
    assert tx.events["RecourseSettled"]["escrowCents"] == 0
    assert currency.balanceOf(financiers[0]) == PIECE


def test_without_recourse_exercise_refused(
    settlement: Any, financed: Any, financiers: list[Any], outsider: Any, travel: Any
) -> None:
    _, piece = financed(recourse=False)
    _overdue(settlement, piece, travel, outsider)
    with brownie.reverts(err("SettlementNoRecourse", piece)):
        settlement.exerciseRecourse(piece, {"from": financiers[0]})


def test_unfinanced_piece_has_no_recourse(
    settlement: Any, payable: Any, suppliers: list[Any], outsider: Any, travel: Any
) -> None:
    _, ids = payable()
    _overdue(settlement, ids[0], travel, outsider)
    with brownie.reverts(err("SettlementNoRecourse", ids[0])):
        settlement.exerciseRecourse(ids[0], {"from": suppliers[0]})


def test_exercise_before_overdue_refused(settlement: Any, financed: Any, financiers: list[Any], travel: Any) -> None:
    payable_id, piece = financed()
    travel(maturity_of(piece) + GRACE)  # overdue could be marked, but is not yet
    with brownie.reverts(err("SettlementNotOverdue", payable_id)):
        settlement.exerciseRecourse(piece, {"from": financiers[0]})


def test_exercise_only_by_the_financier_holding_the_piece(
    settlement: Any, token: Any, financed: Any, financiers: list[Any], suppliers: list[Any],
    outsider: Any, travel: Any,
) -> None:  # fmt: skip
    _, piece = financed()
    _overdue(settlement, piece, travel, outsider)
    with brownie.reverts(err("SettlementNotFinancier", piece, financiers[1], financiers[0])):
        settlement.exerciseRecourse(piece, {"from": financiers[1]})


def test_exercise_after_selling_the_piece_on_refused(
    settlement: Any, token: Any, financed: Any, financiers: list[Any], outsider: Any, travel: Any
) -> None:
    _, piece = financed()
    token.transferFrom[WHOLE](financiers[0], financiers[1], piece, {"from": financiers[0]})
    _overdue(settlement, piece, travel, outsider)
    with brownie.reverts(err("SettlementNotFinancier", piece, financiers[0], financiers[0])):
        settlement.exerciseRecourse(piece, {"from": financiers[0]})


def test_piece_grown_by_merge_refused(
    settlement: Any, token: Any, financed: Any, financiers: list[Any], suppliers: list[Any],
    outsider: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, piece = financed()
    first = token.tokenIdOf(payable_id, 1)
    extra = token.transferFrom["uint256,address,uint256"](
        first, financiers[0], 1_000 * CENTS, {"from": suppliers[0]}
    ).return_value
    token.merge(extra, piece, {"from": financiers[0]})
    _overdue(settlement, piece, travel, outsider)
    with brownie.reverts(err("SettlementRecourseValueExceeded", piece, PIECE + 1_000 * CENTS, PIECE)):
        settlement.exerciseRecourse(piece, {"from": financiers[0]})


def test_exercise_twice_refused(
    settlement: Any, financed: Any, financiers: list[Any], outsider: Any, travel: Any
) -> None:
    _, piece = financed()
    _overdue(settlement, piece, travel, outsider)
    settlement.exerciseRecourse(piece, {"from": financiers[0]})
    with brownie.reverts(err("SettlementRecourseExists", piece, 1)):
        settlement.exerciseRecourse(piece, {"from": financiers[0]})


def test_exercise_and_settle_refused_once_fully_paid(
    settlement: Any, financed: Any, core: Any, financiers: list[Any], suppliers: list[Any],
    outsider: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, piece = financed()
    _overdue(settlement, piece, travel, outsider)
    settlement.exerciseRecourse(piece, {"from": financiers[0]})
    settlement.pay(payable_id, FACE - 400_000 * CENTS, {"from": core})
    with brownie.reverts(err("SettlementFullyPaid", payable_id)):
        settlement.settleRecourse(piece, {"from": suppliers[1]})
    assert settlement.recourseDueOf(piece) == 0
    with brownie.reverts(err("SettlementFullyPaid", payable_id)):
        settlement.exerciseRecourse(piece, {"from": financiers[0]})
    # The financier is paid by the escrow instead.
    assert settlement.claim(piece, {"from": financiers[0]}).return_value == PIECE


def test_exercise_on_paid_payable_refused(
    settlement: Any, financed: Any, guarantor: Any, financiers: list[Any], fund: Any,
    outsider: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, piece = financed()
    settlement.registerGuarantee(payable_id, 600_000 * CENTS, {"from": guarantor})
    fund(guarantor, 600_000 * CENTS)
    _overdue(settlement, piece, travel, outsider)
    settlement.guarantorPay(payable_id, 600_000 * CENTS, {"from": guarantor})
    with brownie.reverts(err("SettlementFullyPaid", payable_id)):
        settlement.exerciseRecourse(piece, {"from": financiers[0]})


def test_settle_only_by_the_seller(
    settlement: Any, financed: Any, financiers: list[Any], suppliers: list[Any], outsider: Any,
    travel: Any,
) -> None:  # fmt: skip
    _, piece = financed()
    _overdue(settlement, piece, travel, outsider)
    with brownie.reverts(err("SettlementNoRecourseClaim", piece)):
        settlement.settleRecourse(piece, {"from": suppliers[1]})
    settlement.exerciseRecourse(piece, {"from": financiers[0]})
    with brownie.reverts(err("SettlementNotSeller", piece, suppliers[2], suppliers[1])):
        settlement.settleRecourse(piece, {"from": suppliers[2]})


def test_settle_pulls_from_the_seller(
    settlement: Any, currency: Any, financed: Any, financiers: list[Any], suppliers: list[Any],
    outsider: Any, travel: Any,
) -> None:  # fmt: skip
    _, piece = financed()
    _overdue(settlement, piece, travel, outsider)
    settlement.exerciseRecourse(piece, {"from": financiers[0]})
    currency.approve(settlement, 0, {"from": suppliers[1]})
    with brownie.reverts(err("ERC20InsufficientAllowance", settlement, 0, 120_000 * CENTS)):
        settlement.settleRecourse(piece, {"from": suppliers[1]})


def test_financing_records_unset_or_set_twice(
    Settlement: Any, token: Any, records: Any, admin: Any, operator: Any, settlement: Any,
    financed: Any, financiers: list[Any], outsider: Any, travel: Any,
) -> None:  # fmt: skip
    bare = Settlement.deploy(token, brownie.ZERO_ADDRESS, GRACE, {"from": admin})
    with brownie.reverts(err("SettlementNoFinancingRecords")):
        bare.exerciseRecourse(1, {"from": financiers[0]})
    with brownie.reverts(err("SettlementUnauthorized", operator, 0)):
        bare.setFinancingRecords(records, {"from": operator})
    with brownie.reverts(err("SettlementZeroAddress")):
        bare.setFinancingRecords(brownie.ZERO_ADDRESS, {"from": admin})
    tx = bare.setFinancingRecords(records, {"from": admin})
    assert tx.events["FinancingRecordsSet"]["records"] == records
    with brownie.reverts(err("SettlementFinancingRecordsSet", records)):
        bare.setFinancingRecords(records, {"from": admin})
