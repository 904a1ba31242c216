"""Splits, value moves, whole transfers and merges: value never crosses payables, never below the
minimum, only to members, never while locked, frozen, paused or matured."""

import brownie

from tests.conftest import CENTS, DAY, MIN_PIECE, err, h

SPLIT = "uint256,address,uint256"
MOVE = "uint256,uint256,uint256"
WHOLE = "address,address,uint256"


def test_split_to_new_holder_creates_child_piece(token, issue, suppliers):
    payable_id, root_piece = issue(face=10_000_000 * CENTS)
    s1, s2 = suppliers[0], suppliers[1]
    tx = token.transferFrom[SPLIT](root_piece, s2, 3_000_000 * CENTS, {"from": s1})
    child = tx.return_value
    assert child == (root_piece & ~0xFFFFFFFF) | 2
    assert token.ownerOf(child) == s2
    assert token.balanceOf["uint256"](child) == 3_000_000 * CENTS
    assert token.balanceOf["uint256"](root_piece) == 7_000_000 * CENTS
    assert token.slotOf(child) == payable_id
    assert token.parentOf(child) == root_piece
    piece = token.pieceOf(child)
    assert piece["payableId"] == payable_id and piece["index"] == 2 and piece["parentTokenId"] == root_piece
    assert token.balanceOf["address"](s2) == 1 and token.balanceOf["address"](s1) == 1
    assert tx.events["Transfer"]["from"] == brownie.ZERO_ADDRESS and tx.events["Transfer"]["to"] == s2
    assert tx.events["SlotChanged"]["_tokenId"] == child and tx.events["SlotChanged"]["_newSlot"] == payable_id
    tv = tx.events["TransferValue"]
    assert (tv["_fromTokenId"], tv["_toTokenId"], tv["_value"]) == (root_piece, child, 3_000_000 * CENTS)


def test_split_down_two_tiers_keeps_provenance(token, issue, suppliers):
    _, p1 = issue()
    p2 = token.transferFrom[SPLIT](p1, suppliers[1], 3_000_000 * CENTS, {"from": suppliers[0]}).return_value
    p3 = token.transferFrom[SPLIT](p2, suppliers[3], 1_000_000 * CENTS, {"from": suppliers[1]}).return_value
    assert token.parentOf(p3) == p2 and token.parentOf(p2) == p1 and token.parentOf(p1) == 0
    assert token.ownerOf(p3) == suppliers[3]


def test_split_of_whole_value_burns_source(token, issue, suppliers):
    _, p1 = issue(face=1_000 * CENTS)
    tx = token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS, {"from": suppliers[0]})
    child = tx.return_value
    assert token.ownerOf(child) == suppliers[1]
    assert token.pieceOf(p1)["owner"] == brownie.ZERO_ADDRESS
    assert token.balanceOf["address"](suppliers[0]) == 0
    with brownie.reverts(err("PayableNonexistentToken", p1)):
        token.ownerOf(p1)


def test_split_below_minimum_piece_reverts(token, issue, suppliers):
    _, p1 = issue()
    with brownie.reverts(err("PayableBelowMinimum", 0, MIN_PIECE - 1, MIN_PIECE)):
        token.transferFrom[SPLIT](p1, suppliers[1], MIN_PIECE - 1, {"from": suppliers[0]})


def test_split_leaving_dust_reverts(token, issue, suppliers):
    _, p1 = issue(face=1_000 * CENTS)
    with brownie.reverts(err("PayableBelowMinimum", p1, 1, MIN_PIECE)):
        token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS - 1, {"from": suppliers[0]})


def test_split_more_than_balance_reverts(token, issue, suppliers):
    _, p1 = issue(face=1_000 * CENTS)
    with brownie.reverts(err("PayableInsufficientValue", p1, 1_000 * CENTS, 1_000 * CENTS + 1)):
        token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS + 1, {"from": suppliers[0]})


def test_split_to_outsider_reverts(token, issue, suppliers, outsider, auditor):
    _, p1 = issue()
    for who in (outsider, auditor):  # not a member; a member without a holder role
        with brownie.reverts(err("PayableReceiverNotAllowed", who)):
            token.transferFrom[SPLIT](p1, who, 1000 * CENTS, {"from": suppliers[0]})


def test_split_to_suspended_member_reverts(token, membership, issue, suppliers, operator):
    _, p1 = issue()
    membership.suspend(suppliers[1], h("late filings"), {"from": operator})
    with brownie.reverts(err("PayableReceiverNotAllowed", suppliers[1])):
        token.transferFrom[SPLIT](p1, suppliers[1], 1000 * CENTS, {"from": suppliers[0]})
    membership.reinstate(suppliers[1], {"from": operator})
    token.transferFrom[SPLIT](p1, suppliers[1], 1000 * CENTS, {"from": suppliers[0]})


def test_frozen_member_cannot_send(token, membership, issue, suppliers, regulator):
    _, p1 = issue()
    membership.freeze(suppliers[0], h("court order 1"), {"from": regulator})
    with brownie.reverts(err("PayableSenderFrozen", suppliers[0])):
        token.transferFrom[SPLIT](p1, suppliers[1], 1000 * CENTS, {"from": suppliers[0]})


def test_split_by_stranger_reverts(token, issue, suppliers):
    _, p1 = issue()
    with brownie.reverts(err("PayableNotOwnerNorApproved", p1, suppliers[2])):
        token.transferFrom[SPLIT](p1, suppliers[2], 1000 * CENTS, {"from": suppliers[2]})


def test_split_of_unknown_piece_reverts(token, suppliers, members):
    with brownie.reverts(err("PayableNonexistentToken", 12345)):
        token.transferFrom[SPLIT](12345, suppliers[1], 1000, {"from": suppliers[0]})


def test_moves_stop_at_maturity(token, issue, suppliers, chain):
    payable_id, p1 = issue(tenor=30 * DAY)
    maturity = p1 >> 96
    chain.sleep(maturity - chain.time() - 3)  # maturity - 1 (ish): still tradable
    chain.mine()
    token.transferFrom[SPLIT](p1, suppliers[1], 1000 * CENTS, {"from": suppliers[0]})
    chain.sleep(5)
    chain.mine()
    with brownie.reverts(err("PayableMatured", payable_id, maturity)):
        token.transferFrom[SPLIT](p1, suppliers[1], 1000 * CENTS, {"from": suppliers[0]})


def test_moves_stop_while_trading_paused(token, issue, suppliers, operator):
    _, p1 = issue()
    token.setTradingPaused(True, {"from": operator})
    with brownie.reverts(err("PayableTradingPaused")):
        token.transferFrom[SPLIT](p1, suppliers[1], 1000 * CENTS, {"from": suppliers[0]})
    with brownie.reverts(err("PayableTradingPaused")):
        token.transferFrom[WHOLE](suppliers[0], suppliers[1], p1, {"from": suppliers[0]})
    token.setTradingPaused(False, {"from": operator})
    token.transferFrom[SPLIT](p1, suppliers[1], 1000 * CENTS, {"from": suppliers[0]})


def test_value_into_existing_piece(token, issue, suppliers):
    _, p1 = issue()
    p2 = token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS, {"from": suppliers[0]}).return_value
    tx = token.transferFrom[MOVE](p1, p2, 500 * CENTS, {"from": suppliers[0]})
    assert token.balanceOf["uint256"](p2) == 1_500 * CENTS
    tv = tx.events["TransferValue"]
    assert (tv["_fromTokenId"], tv["_toTokenId"], tv["_value"]) == (p1, p2, 500 * CENTS)
    assert "Transfer" not in tx.events


def test_value_never_crosses_payables(token, issue, suppliers):
    _, a = issue()
    _, b = issue()
    with brownie.reverts(err("PayableSlotMismatch", a, b)):
        token.transferFrom[MOVE](a, b, 1000, {"from": suppliers[0]})


def test_value_into_same_piece_reverts(token, issue, suppliers):
    _, a = issue()
    with brownie.reverts(err("PayableSameToken", a)):
        token.transferFrom[MOVE](a, a, 1000, {"from": suppliers[0]})


def test_zero_value_move_reverts(token, issue, suppliers):
    _, p1 = issue()
    p2 = token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS, {"from": suppliers[0]}).return_value
    with brownie.reverts(err("PayableZeroValue")):
        token.transferFrom[MOVE](p1, p2, 0, {"from": suppliers[0]})


def test_value_into_piece_of_suspended_member_reverts(token, membership, issue, suppliers, operator):
    _, p1 = issue()
    p2 = token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS, {"from": suppliers[0]}).return_value
    membership.suspend(suppliers[1], h("r"), {"from": operator})
    with brownie.reverts(err("PayableReceiverNotAllowed", suppliers[1])):
        token.transferFrom[MOVE](p1, p2, 100 * CENTS, {"from": suppliers[0]})


def test_whole_transfer_moves_ownership(token, issue, suppliers):
    _, p1 = issue()
    tx = token.transferFrom[WHOLE](suppliers[0], suppliers[1], p1, {"from": suppliers[0]})
    assert token.ownerOf(p1) == suppliers[1]
    assert token.balanceOf["address"](suppliers[0]) == 0 and token.balanceOf["address"](suppliers[1]) == 1
    assert tx.events["Transfer"]["from"] == suppliers[0] and tx.events["Transfer"]["to"] == suppliers[1]


def test_whole_transfer_with_wrong_from_reverts(token, issue, suppliers):
    _, p1 = issue()
    with brownie.reverts(err("PayableInvalidOwner", p1, suppliers[2], suppliers[0])):
        token.transferFrom[WHOLE](suppliers[2], suppliers[1], p1, {"from": suppliers[0]})


def test_whole_transfer_by_stranger_reverts(token, issue, suppliers):
    _, p1 = issue()
    with brownie.reverts(err("PayableNotOwnerNorApproved", p1, suppliers[2])):
        token.transferFrom[WHOLE](suppliers[0], suppliers[2], p1, {"from": suppliers[2]})


def test_safe_transfer_to_eoa(token, issue, suppliers):
    _, p1 = issue()
    token.safeTransferFrom["address,address,uint256"](suppliers[0], suppliers[1], p1, {"from": suppliers[0]})
    token.safeTransferFrom["address,address,uint256,bytes"](
        suppliers[1], suppliers[2], p1, b"hi", {"from": suppliers[1]}
    )
    assert token.ownerOf(p1) == suppliers[2]


def test_merge_burns_source(token, issue, suppliers):
    _, p1 = issue()
    p2 = token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS, {"from": suppliers[0]}).return_value
    p3 = token.transferFrom[SPLIT](p1, suppliers[1], 2_000 * CENTS, {"from": suppliers[0]}).return_value
    assert token.balanceOf["address"](suppliers[1]) == 2
    tx = token.merge(p3, p2, {"from": suppliers[1]})
    assert token.balanceOf["uint256"](p2) == 3_000 * CENTS
    assert token.balanceOf["address"](suppliers[1]) == 1
    assert tx.events["PiecesMerged"]["fromTokenId"] == p3 and tx.events["PiecesMerged"]["value"] == 2_000 * CENTS
    assert tx.events["Transfer"]["from"] == suppliers[1] and tx.events["Transfer"]["to"] == brownie.ZERO_ADDRESS


def test_merge_of_different_owners_reverts(token, issue, suppliers):
    _, p1 = issue()
    p2 = token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS, {"from": suppliers[0]}).return_value
    with brownie.reverts(err("PayableNotSameOwner", p1, p2)):
        token.merge(p1, p2, {"from": suppliers[0]})


def test_merge_by_stranger_reverts(token, issue, suppliers):
    _, p1 = issue()
    p2 = token.transferFrom[SPLIT](p1, suppliers[0], 1_000 * CENTS, {"from": suppliers[0]}).return_value
    with brownie.reverts(err("PayableNotOwnerNorApproved", p1, suppliers[3])):
        token.merge(p1, p2, {"from": suppliers[3]})


def test_piece_limit_is_enforced_by_index_width(token):
    assert token.MAX_PIECES() == 2**24 - 1
