"""Batch payout: one piece split into N new pieces for N receivers in one transaction, all or
nothing, every rule of a single split, the same events per new piece as N single splits."""

from __future__ import annotations

from typing import Any

import brownie
import pytest

from tests.conftest import CENTS, DAY, MIN_PIECE, ROLE_SUPPLIER, err, h

SPLIT = "uint256,address,uint256"
APPROVE_VALUE = "uint256,address,uint256"
INDEX_MASK = 0xFFFFFFFF


def _normalised(tx: Any, payable_id: int) -> list[tuple[Any, ...]]:
    """The token's events of a transaction, token ids reduced to their piece index and the
    payable id to 'P', so two payables with the same history compare equal."""

    def norm(value: Any) -> Any:
        if isinstance(value, int) and value > 2**96:
            return ("piece", value & INDEX_MASK)
        if isinstance(value, int) and value == payable_id:
            return "P"
        return str(value)

    out = []
    for event in tx.events:
        out.append((event.name, tuple(norm(v) for v in event.values())))
    return out


def test_payout_mints_consecutive_pieces_with_provenance(token, issue, suppliers):
    payable_id, source = issue(face=10_000 * CENTS)
    s1 = suppliers[0]
    receivers = [suppliers[1], suppliers[2], suppliers[3]]
    values = [1_000 * CENTS, 2_000 * CENTS, 3_000 * CENTS]
    tx = token.payout(source, receivers, values, {"from": s1})
    first = tx.return_value
    assert first == (source & ~INDEX_MASK) | 2
    for i, (receiver, value) in enumerate(zip(receivers, values, strict=True)):
        piece = token.pieceOf(first + i)
        assert piece["owner"] == receiver and piece["value"] == value
        assert piece["index"] == 2 + i and piece["parentTokenId"] == source and piece["payableId"] == payable_id
        assert token.balanceOf["address"](receiver) == 1
    assert token.balanceOf["uint256"](source) == 4_000 * CENTS
    assert token.payableOf(payable_id)["pieceCount"] == 4
    assert [e["_value"] for e in tx.events["TransferValue"]] == values
    assert [e["_toTokenId"] for e in tx.events["TransferValue"]] == [first, first + 1, first + 2]


def test_payout_events_equal_single_splits(token, issue, suppliers):
    """The audit index and provenance need no new rule: a payout logs exactly what the same
    single splits log, in the same order (also the burn of an emptied source)."""
    s1 = suppliers[0]
    receivers = [suppliers[1], suppliers[2], suppliers[1]]
    values = [1_000 * CENTS, 2_500 * CENTS, 6_500 * CENTS]  # the whole value: the source burns
    pa, a = issue(face=10_000 * CENTS)
    pb, b = issue(face=10_000 * CENTS)
    batch = _normalised(token.payout(a, receivers, values, {"from": s1}), pa)
    singles: list[tuple[Any, ...]] = []
    for receiver, value in zip(receivers, values, strict=True):
        singles += _normalised(token.transferFrom[SPLIT](b, receiver, value, {"from": s1}), pb)
    assert batch == singles
    assert token.pieceOf(a)["owner"] == brownie.ZERO_ADDRESS
    assert token.balanceOf["address"](s1) == 0


def test_payout_to_one_receiver_equals_a_split(token, issue, suppliers):
    _, source = issue(face=1_000 * CENTS)
    tx = token.payout(source, [suppliers[1]], [400 * CENTS], {"from": suppliers[0]})
    assert token.ownerOf(tx.return_value) == suppliers[1]
    assert token.balanceOf["uint256"](source) == 600 * CENTS


@pytest.mark.parametrize(
    ("receivers", "values", "error"),
    [
        (0, [], ("PayableBatchEmpty",)),
        (2, [100 * CENTS], ("PayableBatchLengthMismatch", 2, 1)),
        (1, [0], ("PayableZeroValue",)),
        (1, [MIN_PIECE - 1], ("PayableBelowMinimum", 0, MIN_PIECE - 1, MIN_PIECE)),
    ],
)
def test_payout_rejects_malformed_batches(token, issue, suppliers, receivers, values, error):
    _, source = issue(face=1_000 * CENTS)
    with brownie.reverts(err(*error)):
        token.payout(source, suppliers[1 : 1 + receivers], values, {"from": suppliers[0]})


def test_payout_over_value_carries_the_total(token, issue, suppliers):
    _, source = issue(face=1_000 * CENTS)
    with brownie.reverts(err("PayableBatchOverValue", source, 1_000 * CENTS, 1_100 * CENTS)):
        token.payout(source, suppliers[1:4], [500 * CENTS, 500 * CENTS, 100 * CENTS], {"from": suppliers[0]})


def test_payout_leaving_dust_reverts(token, issue, suppliers):
    _, source = issue(face=1_000 * CENTS)
    with brownie.reverts(err("PayableBelowMinimum", source, 1, MIN_PIECE)):
        token.payout(source, suppliers[1:3], [500 * CENTS, 500 * CENTS - 1], {"from": suppliers[0]})


def test_payout_is_all_or_nothing(token, issue, suppliers, outsider):
    """One receiver that may not receive (the last) and nothing moves."""
    payable_id, source = issue(face=1_000 * CENTS)
    with brownie.reverts(err("PayableReceiverNotAllowed", outsider)):
        token.payout(source, [suppliers[1], suppliers[2], outsider], [100 * CENTS] * 3, {"from": suppliers[0]})
    assert token.balanceOf["uint256"](source) == 1_000 * CENTS
    assert token.payableOf(payable_id)["pieceCount"] == 1
    assert token.balanceOf["address"](suppliers[1]) == 0


def test_payout_needs_authority(token, issue, suppliers):
    _, source = issue(face=1_000 * CENTS)
    with brownie.reverts(err("PayableNotOwnerNorApproved", source, suppliers[1])):
        token.payout(source, [suppliers[2]], [100 * CENTS], {"from": suppliers[1]})


def test_payout_of_a_pending_piece_reverts(token, issue, suppliers):
    payable_id, source = issue(face=1_000 * CENTS, accept=False)
    with brownie.reverts(err("PayableWrongStatus", payable_id, 1)):
        token.payout(source, [suppliers[1]], [100 * CENTS], {"from": suppliers[0]})


def test_payout_of_a_frozen_piece_reverts(token, issue, suppliers, regulator):
    _, source = issue(face=1_000 * CENTS)
    token.freezePiece(source, h("court order"), {"from": regulator})
    with brownie.reverts(err("PayablePieceFrozen", source)):
        token.payout(source, [suppliers[1]], [100 * CENTS], {"from": suppliers[0]})


def test_payout_while_paused_or_matured_reverts(token, issue, suppliers, operator, chain):
    payable_id, source = issue(face=1_000 * CENTS, tenor=10 * DAY)
    token.setTradingPaused(True, {"from": operator})
    with brownie.reverts(err("PayableTradingPaused")):
        token.payout(source, [suppliers[1]], [100 * CENTS], {"from": suppliers[0]})
    token.setTradingPaused(False, {"from": operator})
    chain.sleep(11 * DAY)
    chain.mine()
    with brownie.reverts(err("PayableMatured", payable_id, source >> 96)):
        token.payout(source, [suppliers[1]], [100 * CENTS], {"from": suppliers[0]})


def test_payout_by_value_operator_spends_the_total(token, issue, suppliers):
    _, source = issue(face=1_000 * CENTS)
    s1, op = suppliers[0], suppliers[4]
    token.approve[APPROVE_VALUE](source, op, 500 * CENTS, {"from": s1})
    with brownie.reverts(err("PayableInsufficientAllowance", source, op, 500 * CENTS, 600 * CENTS)):
        token.payout(source, suppliers[1:3], [300 * CENTS, 300 * CENTS], {"from": op})
    tx = token.payout(source, suppliers[1:3], [200 * CENTS, 250 * CENTS], {"from": op})
    assert token.allowance(source, op) == 50 * CENTS
    assert tx.events["ApprovalValue"]["_value"] == 50 * CENTS
    assert token.ownerOf(tx.return_value + 1) == suppliers[2]


def test_payout_by_operator_for_all(token, issue, suppliers):
    _, source = issue(face=1_000 * CENTS)
    token.setApprovalForAll(suppliers[4], True, {"from": suppliers[0]})
    tx = token.payout(source, [suppliers[1]], [100 * CENTS], {"from": suppliers[4]})
    assert token.ownerOf(tx.return_value) == suppliers[1]


def test_payout_calls_receiver_hooks_after_effects(token, issue, suppliers, RecordingReceiver, membership, admin):
    recording = RecordingReceiver.deploy({"from": admin})
    membership.admit(recording, ROLE_SUPPLIER, h("id:payout-recording"), {"from": admin})
    _, source = issue(face=1_000 * CENTS)
    tx = token.payout(source, [suppliers[1], recording, recording], [100 * CENTS] * 3, {"from": suppliers[0]})
    assert recording.valueCalls() == 2
    calls = tx.events["ValueReceived"]
    assert [c["toTokenId"] for c in calls] == [tx.return_value + 1, tx.return_value + 2]
    assert calls[0]["operator"] == suppliers[0] and calls[0]["fromTokenId"] == source


def test_payout_rejected_by_a_receiver_reverts_everything(
    token, issue, suppliers, RevertingReceiver, membership, admin
):
    bad = RevertingReceiver.deploy({"from": admin})
    membership.admit(bad, ROLE_SUPPLIER, h("id:payout-reverting"), {"from": admin})
    _, source = issue(face=1_000 * CENTS)
    with brownie.reverts(err("PayableReceiverRejected", bad)):
        token.payout(source, [suppliers[1], bad], [100 * CENTS] * 2, {"from": suppliers[0]})
    assert token.balanceOf["uint256"](source) == 1_000 * CENTS
