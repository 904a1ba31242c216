"""Claims (pull): each holder claims its own piece's share from maturity on; pro rata rounded
down; full payment pays every piece exactly and burns it; non-holders, double claims, frozen
pieces and holders, blocklisted holders, re-entrancy."""

from __future__ import annotations

from typing import Any

import brownie

from tests.conftest import CENTS, err, h
from tests.unit.settlement.conftest import FACE, maturity_of


def test_claim_before_maturity_refused_at_maturity_open(
    settlement: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any], at_time: Any
) -> None:
    payable_id, ids = payable()
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    maturity = maturity_of(ids[0])
    tx = at_time(maturity - 1, settlement.claim, ids[0], sender=suppliers[0])
    assert tx.status == 0
    assert tx.revert_msg == err("SettlementNotMatured", payable_id, maturity)
    tx = at_time(maturity, settlement.claim, ids[0], sender=suppliers[0])
    assert tx.status == 1
    assert tx.events["Claimed"]["cents"] == FACE


def test_full_payment_pays_each_piece_exactly_and_burns(
    settlement: Any, token: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any],
    currency: Any, travel: Any,
) -> None:  # fmt: skip
    values = [333_333_33, 1_01, 250_000_00]
    payable_id, ids = payable(splits=[(suppliers[1], values[0]), (suppliers[2], values[1]), (suppliers[1], values[2])])
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    travel(maturity_of(ids[0]))
    holders = [suppliers[0], suppliers[1], suppliers[2], suppliers[1]]
    expected = [FACE - sum(values), *values]
    for token_id, holder, value in zip(ids, holders, expected, strict=True):
        tx = settlement.claim(token_id, {"from": holder})
        assert tx.return_value == value
        event = tx.events["Claimed"]
        assert event["holder"] == holder and event["cents"] == value and event["settled"]
        assert tx.events["PieceSettled"]["tokenId"] == token_id
        assert token.pieceOf(token_id)["owner"] == brownie.ZERO_ADDRESS
    assert currency.balanceOf(settlement) == 0
    assert currency.balanceOf(suppliers[1]) == values[0] + values[2]


def test_partial_payment_pro_rata_rounded_down(
    settlement: Any, token: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any],
    currency: Any, travel: Any,
) -> None:  # fmt: skip
    # face 1,000,000.00 in three pieces: 333,333.33 / 333,333.33 / 333,333.34
    third = 333_333_33
    payable_id, ids = payable(splits=[(suppliers[1], third), (suppliers[2], third)])
    fund(core, FACE)
    paid = 100_00  # 100.00: each piece's share is 33.333333... cents
    settlement.pay(payable_id, paid, {"from": core})
    travel(maturity_of(ids[0]))
    for token_id, holder in zip(ids, suppliers[:3], strict=True):
        value = token.pieceOf(token_id)["value"]
        assert settlement.claimableOf(token_id) == value * paid // FACE
        tx = settlement.claim(token_id, {"from": holder})
        assert tx.return_value == value * paid // FACE == 33_33
        assert not tx.events["Claimed"]["settled"]
        assert settlement.claimedOf(token_id) == 33_33
    assert currency.balanceOf(settlement) == 1  # the dust stays in escrow
    # A later payment: each piece gets the difference of floors, never more in total.
    settlement.pay(payable_id, 200_00, {"from": core})
    for token_id, holder in zip(ids, suppliers[:3], strict=True):
        value = token.pieceOf(token_id)["value"]
        tx = settlement.claim(token_id, {"from": holder})
        assert tx.return_value == value * 300_00 // FACE - 33_33
    claimed = [token.pieceOf(t)["value"] * 300_00 // FACE for t in ids]
    assert claimed == [100_00, 99_99, 99_99]  # 333,333.34 rounds to a whole cent more
    assert currency.balanceOf(settlement) == 300_00 - sum(claimed)
    # Full payment: every piece exactly its value, the escrow ends empty.
    settlement.pay(payable_id, FACE - 300_00, {"from": core})
    for token_id, holder, before in zip(ids, suppliers[:3], claimed, strict=True):
        value = token.pieceOf(token_id)["value"]
        tx = settlement.claim(token_id, {"from": holder})
        assert tx.return_value == value - before
        assert settlement.claimedOf(token_id) == 0
    assert currency.balanceOf(settlement) == 0
    assert sum(currency.balanceOf(s) for s in suppliers[:3]) == FACE


def test_double_claim_refused(
    settlement: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any], travel: Any
) -> None:
    payable_id, ids = payable()
    fund(core, FACE)
    settlement.pay(payable_id, FACE // 2, {"from": core})
    travel(maturity_of(ids[0]))
    settlement.claim(ids[0], {"from": suppliers[0]})
    with brownie.reverts(err("SettlementNothingToClaim", ids[0])):
        settlement.claim(ids[0], {"from": suppliers[0]})
    settlement.pay(payable_id, FACE // 2, {"from": core})
    settlement.claim(ids[0], {"from": suppliers[0]})  # final: burned
    with brownie.reverts(err("PayableNonexistentToken", ids[0])):
        settlement.claim(ids[0], {"from": suppliers[0]})


def test_claim_with_nothing_paid_refused(settlement: Any, payable: Any, suppliers: list[Any], travel: Any) -> None:
    _, ids = payable()
    travel(maturity_of(ids[0]))
    with brownie.reverts(err("SettlementNothingToClaim", ids[0])):
        settlement.claim(ids[0], {"from": suppliers[0]})


def test_non_holder_claim_refused(
    settlement: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any], outsider: Any, travel: Any
) -> None:
    payable_id, ids = payable()
    fund(core, FACE)
    settlement.pay(payable_id, FACE // 2, {"from": core})
    travel(maturity_of(ids[0]))
    with brownie.reverts(err("SettlementNotHolder", ids[0], outsider, suppliers[0])):
        settlement.claim(ids[0], {"from": outsider})
    settlement.pay(payable_id, FACE // 2, {"from": core})
    with brownie.reverts(err("SettlementNotHolder", ids[0], suppliers[1], suppliers[0])):
        settlement.claim(ids[0], {"from": suppliers[1]})  # the burn is undone with the revert


def test_relayed_claim_pays_the_signer(
    settlement: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any], forwarder: Any,
    operator: Any, currency: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, ids = payable()
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    travel(maturity_of(ids[0]))
    data = settlement.claim.encode_input(ids[0])
    with brownie.reverts(err("SettlementNotHolder", ids[0], operator, suppliers[0])):
        forwarder.forward(settlement, data, operator, {"from": operator})
    forwarder.forward(settlement, data, suppliers[0], {"from": operator})
    assert currency.balanceOf(suppliers[0]) == FACE
    assert currency.balanceOf(operator) == 0


def test_frozen_piece_waits_until_unfrozen(
    settlement: Any, token: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any],
    regulator: Any, currency: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, ids = payable(splits=[(suppliers[1], 100_000 * CENTS)])
    token.freezePiece(ids[1], h("court order"), {"from": regulator})
    fund(core, FACE)
    settlement.pay(payable_id, FACE // 2, {"from": core})
    travel(maturity_of(ids[0]))
    with brownie.reverts(err("PayablePieceFrozen", ids[1])):
        settlement.claim(ids[1], {"from": suppliers[1]})
    settlement.claim(ids[0], {"from": suppliers[0]})  # others are paid
    settlement.pay(payable_id, FACE // 2, {"from": core})
    with brownie.reverts(err("PayablePieceFrozen", ids[1])):
        settlement.claim(ids[1], {"from": suppliers[1]})
    assert settlement.claimableOf(ids[1]) == 100_000 * CENTS  # it waits in escrow
    assert currency.balanceOf(settlement) >= 100_000 * CENTS
    token.unfreezePiece(ids[1], h("lifted"), {"from": regulator})
    tx = settlement.claim(ids[1], {"from": suppliers[1]})
    assert tx.return_value == 100_000 * CENTS


def test_frozen_holder_waits(
    settlement: Any, membership: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any],
    regulator: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, ids = payable()
    fund(core, FACE)
    settlement.pay(payable_id, FACE // 2, {"from": core})
    travel(maturity_of(ids[0]))
    membership.freeze(suppliers[0], h("order"), {"from": regulator})
    with brownie.reverts(err("SettlementHolderFrozen", suppliers[0])):
        settlement.claim(ids[0], {"from": suppliers[0]})
    settlement.pay(payable_id, FACE // 2, {"from": core})
    # Paid in full: the token refuses to burn a frozen holder's piece (checked in burnSettled).
    with brownie.reverts(err("PayableSenderFrozen", suppliers[0])):
        settlement.claim(ids[0], {"from": suppliers[0]})
    membership.unfreeze(suppliers[0], h("lifted"), {"from": regulator})
    assert settlement.claim(ids[0], {"from": suppliers[0]}).return_value == FACE


def test_suspended_holder_is_still_paid(
    settlement: Any, membership: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any],
    operator: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, ids = payable()
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    travel(maturity_of(ids[0]))
    membership.suspend(suppliers[0], h("late filing"), {"from": operator})
    assert settlement.claim(ids[0], {"from": suppliers[0]}).return_value == FACE


def test_blocklisted_holder_fails_others_paid(
    BlocklistERC20: Any, settlement: Any, token: Any, register_package: Any, core: Any,
    suppliers: list[Any], chain: Any, fund: Any, travel: Any,
) -> None:  # fmt: skip
    cur = BlocklistERC20.deploy(2, {"from": core})
    face = 10_000 * CENTS
    root = register_package(total=face, seller=suppliers[0])
    tx = token.issue(suppliers[0], face, cur, chain.time() + 30 * 86_400, root, h("bl"), {"from": core})
    payable_id, first = tx.return_value
    token.accept(payable_id, {"from": suppliers[0]})
    second = token.transferFrom["uint256,address,uint256"](
        first, suppliers[1], 4_000 * CENTS, {"from": suppliers[0]}
    ).return_value
    fund(core, face, cur)
    settlement.pay(payable_id, face, {"from": core})
    travel(maturity_of(first))
    cur.setBlocked(suppliers[0], True, {"from": core})
    with brownie.reverts(err("Blocked", suppliers[0])):
        settlement.claim(first, {"from": suppliers[0]})
    settlement.claim(second, {"from": suppliers[1]})
    assert cur.balanceOf(suppliers[1]) == 4_000 * CENTS
    assert cur.balanceOf(settlement) == 6_000 * CENTS  # the blocked holder's money waits
    cur.setBlocked(suppliers[0], False, {"from": core})
    settlement.claim(first, {"from": suppliers[0]})
    assert cur.balanceOf(settlement) == 0


def test_callback_currency_cannot_reenter_claim(
    CallbackERC20: Any, settlement: Any, token: Any, register_package: Any, core: Any,
    suppliers: list[Any], chain: Any, fund: Any, travel: Any,
) -> None:  # fmt: skip
    cur = CallbackERC20.deploy(2, {"from": core})
    face = 10_000 * CENTS
    root = register_package(total=face, seller=suppliers[0])
    tx = token.issue(suppliers[0], face, cur, chain.time() + 30 * 86_400, root, h("cb"), {"from": core})
    payable_id, first = tx.return_value
    token.accept(payable_id, {"from": suppliers[0]})
    fund(core, face, cur)
    settlement.pay(payable_id, face // 2, {"from": core})
    travel(maturity_of(first))
    cur.setHook(settlement, settlement.claim.encode_input(first), True, {"from": core})
    with brownie.reverts(err("SettlementReentrantCall")):
        settlement.claim(first, {"from": suppliers[0]})
    cur.setHook(settlement, settlement.claim.encode_input(first), False, {"from": core})
    assert settlement.claim(first, {"from": suppliers[0]}).return_value == face // 2
    assert not cur.lastCallOk()
    assert cur.balanceOf(suppliers[0]) == face // 2  # paid once


def test_claim_ignores_the_trading_pause(
    settlement: Any, token: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any],
    operator: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, ids = payable()
    token.setTradingPaused(True, {"from": operator})
    fund(core, FACE)
    settlement.pay(payable_id, FACE // 2, {"from": core})
    travel(maturity_of(ids[0]))
    settlement.claim(ids[0], {"from": suppliers[0]})
    settlement.pay(payable_id, FACE // 2, {"from": core})
    assert settlement.claim(ids[0], {"from": suppliers[0]}).return_value == FACE // 2
    assert token.tradingPaused()


def test_splits_before_maturity_never_increase_payouts(
    settlement: Any, token: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any],
    currency: Any, travel: Any,
) -> None:  # fmt: skip
    """Paying part before maturity then splitting: claims start at maturity, so every piece's
    claimed is zero while pieces can still change, and the total paid out stays <= paid in."""
    payable_id, ids = payable(face=1_000)
    fund(core, 1_000)
    settlement.pay(payable_id, 999, {"from": core})
    for i in range(1, 6):
        token.transferFrom["uint256,address,uint256"](ids[0], suppliers[i], 101 + i, {"from": suppliers[0]})
    travel(maturity_of(ids[0]))
    total = 0
    for index in range(1, 7):
        token_id = token.tokenIdOf(payable_id, index)
        owner = token.ownerOf(token_id)
        total += settlement.claim(token_id, {"from": owner}).return_value
    assert total <= 999
    assert currency.balanceOf(settlement) == 999 - total
