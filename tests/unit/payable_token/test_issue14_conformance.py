"""Issue 14 item 9, the token's part: a split of value 0 reverts with PayableZeroValue (as the
interface documents); spending a value allowance emits ApprovalValue with the new allowance
(ERC-3525: MUST whenever an approval value is set or changed); the address approved for a piece
through ERC-721 `approve` may set a value allowance on it (ERC-3525 names it among the callers)."""

from __future__ import annotations

import brownie

from tests.conftest import CENTS, err

SPLIT = "uint256,address,uint256"
MOVE = "uint256,uint256,uint256"
APPROVE_VALUE = "uint256,address,uint256"
APPROVE_721 = "address,uint256"


def test_split_of_zero_reverts_with_zero_value(token, issue, suppliers):
    _, piece = issue()
    with brownie.reverts(err("PayableZeroValue")):
        token.transferFrom[SPLIT](piece, suppliers[1], 0, {"from": suppliers[0]})


def test_spending_an_allowance_on_a_split_emits_the_new_allowance(token, issue, suppliers):
    _, piece = issue()
    owner, op = suppliers[0], suppliers[4]
    token.approve[APPROVE_VALUE](piece, op, 1_000 * CENTS, {"from": owner})
    tx = token.transferFrom[SPLIT](piece, suppliers[1], 300 * CENTS, {"from": op})
    ev = tx.events["ApprovalValue"]
    assert (ev["_tokenId"], ev["_operator"], ev["_value"]) == (piece, op, 700 * CENTS)
    assert token.allowance(piece, op) == 700 * CENTS


def test_spending_an_allowance_on_a_value_move_emits_the_new_allowance(token, issue, suppliers):
    _, piece = issue()
    owner, op = suppliers[0], suppliers[4]
    target = token.transferFrom[SPLIT](piece, suppliers[1], 100 * CENTS, {"from": owner}).return_value
    token.approve[APPROVE_VALUE](piece, op, 500 * CENTS, {"from": owner})
    tx = token.transferFrom[MOVE](piece, target, 500 * CENTS, {"from": op})
    ev = tx.events["ApprovalValue"]
    assert (ev["_tokenId"], ev["_operator"], ev["_value"]) == (piece, op, 0)


def test_owner_moves_emit_no_approval_value(token, issue, suppliers):
    _, piece = issue()
    tx = token.transferFrom[SPLIT](piece, suppliers[1], 100 * CENTS, {"from": suppliers[0]})
    assert "ApprovalValue" not in tx.events


def test_erc721_approved_address_may_set_a_value_allowance(token, issue, suppliers):
    _, piece = issue()
    owner, approved, op = suppliers[0], suppliers[3], suppliers[5]
    token.approve[APPROVE_721](approved, piece, {"from": owner})
    tx = token.approve[APPROVE_VALUE](piece, op, 250 * CENTS, {"from": approved})
    assert tx.events["ApprovalValue"]["_value"] == 250 * CENTS
    assert token.allowance(piece, op) == 250 * CENTS
    token.transferFrom[SPLIT](piece, suppliers[1], 250 * CENTS, {"from": op})
    assert token.allowance(piece, op) == 0


def test_unapproved_address_still_may_not_set_a_value_allowance(token, issue, suppliers):
    _, piece = issue()
    with brownie.reverts(err("PayableNotOwnerNorApproved", piece, suppliers[3])):
        token.approve[APPROVE_VALUE](piece, suppliers[5], 1, {"from": suppliers[3]})
