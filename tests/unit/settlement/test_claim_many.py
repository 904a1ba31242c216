"""claimMany: anyone pays a list of pieces, each to its holder; a piece that cannot be paid now
(frozen piece or holder, nothing due, not matured, blocklisted by the currency, repeated) is
skipped with ClaimSkipped carrying the decoded reason, the rest are paid; claimPiece is for the
contract itself only; pause and re-entrancy as for claim."""

from __future__ import annotations

from typing import Any

import brownie
from eth_abi import encode
from eth_utils import keccak

from tests.conftest import CENTS, err, h
from tests.unit.settlement.conftest import FACE, maturity_of


def revert_data(signature: str, types: list[str], *args: Any) -> bytes:
    return keccak(text=signature)[:4] + encode(types, list(args))


def paid(tx: Any) -> tuple[int, int]:
    count, cents = tx.return_value
    return int(count), int(cents)


def skipped(tx: Any) -> dict[int, bytes]:
    return {e["tokenId"]: bytes(e["reason"]) for e in tx.events["ClaimSkipped"]} if "ClaimSkipped" in tx.events else {}


def test_pays_every_piece_to_its_holder_and_burns(
    settlement: Any, token: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any],
    currency: Any, operator: Any, travel: Any,
) -> None:  # fmt: skip
    values = [300_000 * CENTS, 1_01, 250_000 * CENTS]
    payable_id, ids = payable(splits=[(suppliers[1], values[0]), (suppliers[2], values[1]), (suppliers[3], values[2])])
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    travel(maturity_of(ids[0]))
    tx = settlement.claimMany(ids, {"from": operator})  # the operator, not a holder
    assert paid(tx) == (4, FACE)
    claimed = [(e["tokenId"], e["holder"], e["cents"], e["settled"]) for e in tx.events["Claimed"]]
    expected_first = FACE - sum(values)
    assert claimed == [
        (ids[0], suppliers[0], expected_first, True),
        (ids[1], suppliers[1], values[0], True),
        (ids[2], suppliers[2], values[1], True),
        (ids[3], suppliers[3], values[2], True),
    ]
    assert [e["tokenId"] for e in tx.events["PieceSettled"]] == ids
    assert skipped(tx) == {}
    for token_id in ids:
        assert token.pieceOf(token_id)["owner"] == brownie.ZERO_ADDRESS
    assert currency.balanceOf(suppliers[0]) == expected_first
    assert currency.balanceOf(suppliers[3]) == values[2]
    assert currency.balanceOf(operator) == 0
    assert currency.balanceOf(settlement) == 0


def test_partial_payment_then_single_claims_still_work(
    settlement: Any, token: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any],
    outsider: Any, travel: Any,
) -> None:  # fmt: skip
    third = 333_333_33
    payable_id, ids = payable(splits=[(suppliers[1], third), (suppliers[2], third)])
    fund(core, FACE)
    settlement.pay(payable_id, 100_00, {"from": core})
    travel(maturity_of(ids[0]))
    tx = settlement.claimMany(ids, {"from": outsider})
    assert paid(tx) == (3, 3 * 33_33)
    assert all(not e["settled"] for e in tx.events["Claimed"])
    assert [settlement.claimedOf(t) for t in ids] == [33_33] * 3
    # nothing more is due: every piece is skipped, with the reason
    tx = settlement.claimMany(ids, {"from": outsider})
    assert paid(tx) == (0, 0)
    assert skipped(tx) == {t: revert_data("SettlementNothingToClaim(uint256)", ["uint256"], t) for t in ids}
    settlement.pay(payable_id, FACE - 100_00, {"from": core})
    assert settlement.claim(ids[1], {"from": suppliers[1]}).return_value == third - 33_33
    tx = settlement.claimMany([ids[0], ids[1], ids[2]], {"from": outsider})
    assert paid(tx)[0] == 2
    # the piece claimed alone was burned: it has no holder any more
    assert list(skipped(tx)) == [ids[1]]


def test_frozen_piece_and_frozen_holder_skipped_others_paid(
    settlement: Any, token: Any, membership: Any, payable: Any, core: Any, fund: Any,
    suppliers: list[Any], regulator: Any, operator: Any, currency: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, ids = payable(splits=[(suppliers[1], 100_000 * CENTS), (suppliers[2], 200_000 * CENTS)])
    token.freezePiece(ids[1], h("court order"), {"from": regulator})
    membership.freeze(suppliers[2], h("order"), {"from": regulator})
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    travel(maturity_of(ids[0]))
    tx = settlement.claimMany(ids, {"from": operator})
    assert paid(tx) == (1, FACE - 300_000 * CENTS)
    assert skipped(tx) == {
        ids[1]: revert_data("PayablePieceFrozen(uint256)", ["uint256"], ids[1]),
        ids[2]: revert_data("PayableSenderFrozen(address)", ["address"], suppliers[2].address),
    }
    assert token.pieceOf(ids[1])["owner"] == suppliers[1]  # undone: still live, still waiting
    assert settlement.claimableOf(ids[1]) == 100_000 * CENTS
    assert currency.balanceOf(settlement) == 300_000 * CENTS
    token.unfreezePiece(ids[1], h("lifted"), {"from": regulator})
    membership.unfreeze(suppliers[2], h("lifted"), {"from": regulator})
    tx = settlement.claimMany(ids, {"from": operator})
    assert paid(tx) == (2, 300_000 * CENTS)
    assert currency.balanceOf(settlement) == 0


def test_blocklisted_holder_skipped_others_paid(
    BlocklistERC20: Any, settlement: Any, token: Any, register_package: Any, core: Any,
    suppliers: list[Any], chain: Any, fund: Any, operator: Any, travel: Any,
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
    tx = settlement.claimMany([first, second], {"from": operator})
    assert paid(tx) == (1, 4_000 * CENTS)
    assert skipped(tx) == {first: revert_data("Blocked(address)", ["address"], suppliers[0].address)}
    assert token.pieceOf(first)["owner"] == suppliers[0]  # the burn was undone with the transfer
    assert cur.balanceOf(suppliers[1]) == 4_000 * CENTS
    assert cur.balanceOf(settlement) == 6_000 * CENTS
    cur.setBlocked(suppliers[0], False, {"from": core})
    assert paid(settlement.claimMany([first], {"from": operator})) == (1, 6_000 * CENTS)
    assert cur.balanceOf(settlement) == 0


def test_not_matured_unopened_and_repeated_ids_skipped(
    settlement: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any], operator: Any,
    travel: Any,
) -> None:  # fmt: skip
    early_id, early = payable(tenor=200 * 86_400)
    _, unopened = payable(tenor=30 * 86_400)
    payable_id, ids = payable(tenor=30 * 86_400)
    fund(core, 2 * FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    settlement.pay(early_id, FACE, {"from": core})
    travel(maturity_of(ids[0]))
    tx = settlement.claimMany([early[0], unopened[0], ids[0], ids[0]], {"from": operator})
    assert paid(tx) == (1, FACE)
    assert [e["tokenId"] for e in tx.events["ClaimSkipped"]] == [early[0], unopened[0], ids[0]]
    reasons = [bytes(e["reason"]) for e in tx.events["ClaimSkipped"]]
    assert reasons[0] == revert_data(
        "SettlementNotMatured(uint256,uint256)", ["uint256", "uint256"], early_id, maturity_of(early[0])
    )
    assert reasons[1] == revert_data("SettlementNothingToClaim(uint256)", ["uint256"], unopened[0])
    assert reasons[2][:4] == keccak(text="PayableNonexistentToken(uint256)")[:4]  # burned just before


def test_empty_list_and_pause(settlement: Any, payable: Any, core: Any, fund: Any, operator: Any, travel: Any) -> None:
    assert paid(settlement.claimMany([], {"from": operator})) == (0, 0)
    payable_id, ids = payable()
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    travel(maturity_of(ids[0]))
    settlement.setSettlementPaused(True, {"from": operator})
    with brownie.reverts(err("SettlementPaused")):
        settlement.claimMany(ids, {"from": operator})


def test_claim_piece_only_by_the_contract(
    settlement: Any, payable: Any, core: Any, fund: Any, outsider: Any, suppliers: list[Any], travel: Any
) -> None:
    payable_id, ids = payable()
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    travel(maturity_of(ids[0]))
    for caller in (outsider, suppliers[0]):
        with brownie.reverts(err("SettlementOnlySelf", caller)):
            settlement.claimPiece(ids[0], {"from": caller})
    assert settlement.claimableOf(ids[0]) == FACE


def test_callback_currency_cannot_reenter_claim_many(
    CallbackERC20: Any, settlement: Any, token: Any, register_package: Any, core: Any,
    suppliers: list[Any], chain: Any, fund: Any, operator: Any, travel: Any,
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
    # The currency tries, during the payout, to call claimPiece and claimMany again.
    due = face // 2
    for data in (settlement.claimPiece.encode_input(first), settlement.claimMany.encode_input([first])):
        cur.setHook(settlement, data, False, {"from": core})  # the failure is recorded, not raised
        tx = settlement.claimMany([first], {"from": operator})
        assert paid(tx) == (1, due)
        assert not cur.lastCallOk()
        cur.setHook(brownie.ZERO_ADDRESS, b"", False, {"from": core})
        settlement.pay(payable_id, face // 4, {"from": core})
        due = face // 4
    assert cur.balanceOf(suppliers[0]) == face // 2 + face // 4  # each share paid once


def test_too_little_gas_reverts_the_batch_never_skips(
    settlement: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any], operator: Any,
    currency: Any, travel: Any,
) -> None:  # fmt: skip
    payable_id, ids = payable(splits=[(suppliers[1], 100 * CENTS), (suppliers[2], 100 * CENTS)])
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    travel(maturity_of(ids[0]))
    needed = settlement.claimMany.estimate_gas(ids, {"from": operator})
    for gas in (needed // 2, needed * 3 // 4):
        with brownie.reverts():
            settlement.claimMany(ids, {"from": operator, "gas_limit": gas, "allow_revert": True})
    assert currency.balanceOf(settlement) == FACE
    tx = settlement.claimMany(ids, {"from": operator, "gas_limit": needed})
    assert paid(tx) == (3, FACE)
