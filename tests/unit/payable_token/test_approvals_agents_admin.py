"""Approvals and allowances, agents (desk, settlement), regulator freezes, configuration."""

import brownie
import pytest

from tests.conftest import CENTS, DAY, MIN_PIECE, err, h

SPLIT = "uint256,address,uint256"
MOVE = "uint256,uint256,uint256"
WHOLE = "address,address,uint256"
APPROVE_VALUE = "uint256,address,uint256"
APPROVE_721 = "address,uint256"


@pytest.fixture
def desk(accounts, token, admin):
    token.setAgent(accounts[15], 1, {"from": admin})
    return accounts[15]


@pytest.fixture
def settlement(accounts, token, admin):
    token.setAgent(accounts[16], 2, {"from": admin})
    return accounts[16]


# ---------------------------------------------------------------------------- approvals


def test_value_allowance_is_spent(token, issue, suppliers):
    _, p1 = issue()
    tx = token.approve[APPROVE_VALUE](p1, suppliers[5], 1_500 * CENTS, {"from": suppliers[0]})
    assert tx.events["ApprovalValue"]["_value"] == 1_500 * CENTS
    assert token.allowance(p1, suppliers[5]) == 1_500 * CENTS
    token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS, {"from": suppliers[5]})
    assert token.allowance(p1, suppliers[5]) == 500 * CENTS
    with brownie.reverts(err("PayableInsufficientAllowance", p1, suppliers[5], 500 * CENTS, 1_000 * CENTS)):
        token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS, {"from": suppliers[5]})


def test_allowances_die_with_ownership_change(token, issue, suppliers):
    _, p1 = issue()
    token.approve[APPROVE_VALUE](p1, suppliers[5], 1_000 * CENTS, {"from": suppliers[0]})
    token.approve[APPROVE_721](suppliers[4], p1, {"from": suppliers[0]})
    assert token.getApproved(p1) == suppliers[4]
    token.transferFrom[WHOLE](suppliers[0], suppliers[1], p1, {"from": suppliers[0]})
    assert token.allowance(p1, suppliers[5]) == 0
    assert token.getApproved(p1) == brownie.ZERO_ADDRESS
    # And they do not come back when the piece returns to its earlier owner.
    token.transferFrom[WHOLE](suppliers[1], suppliers[0], p1, {"from": suppliers[1]})
    assert token.allowance(p1, suppliers[5]) == 0
    with brownie.reverts(err("PayableNotOwnerNorApproved", p1, suppliers[5])):
        token.transferFrom[SPLIT](p1, suppliers[1], 100 * CENTS, {"from": suppliers[5]})


def test_erc721_approval_allows_whole_and_value_moves(token, issue, suppliers):
    _, p1 = issue()
    tx = token.approve[APPROVE_721](suppliers[4], p1, {"from": suppliers[0]})
    assert tx.events["Approval"]["approved"] == suppliers[4]
    token.transferFrom[SPLIT](p1, suppliers[1], 100 * CENTS, {"from": suppliers[4]})
    token.transferFrom[WHOLE](suppliers[0], suppliers[2], p1, {"from": suppliers[4]})
    assert token.ownerOf(p1) == suppliers[2]


def test_erc721_approval_can_be_cleared(token, issue, suppliers):
    _, p1 = issue()
    token.approve[APPROVE_721](suppliers[4], p1, {"from": suppliers[0]})
    token.approve[APPROVE_721](brownie.ZERO_ADDRESS, p1, {"from": suppliers[0]})
    assert token.getApproved(p1) == brownie.ZERO_ADDRESS


def test_operator_for_all(token, issue, suppliers):
    _, p1 = issue()
    tx = token.setApprovalForAll(suppliers[4], True, {"from": suppliers[0]})
    assert tx.events["ApprovalForAll"]["approved"] is True
    assert token.isApprovedForAll(suppliers[0], suppliers[4])
    token.approve[APPROVE_VALUE](p1, suppliers[5], 7, {"from": suppliers[4]})
    token.transferFrom[SPLIT](p1, suppliers[1], 100 * CENTS, {"from": suppliers[4]})


def test_invalid_operator_reverts(token, suppliers, members):
    with brownie.reverts(err("PayableInvalidOperator", suppliers[0])):
        token.setApprovalForAll(suppliers[0], True, {"from": suppliers[0]})


def test_approvals_by_stranger_revert(token, issue, suppliers):
    _, p1 = issue()
    with brownie.reverts(err("PayableNotOwnerNorApproved", p1, suppliers[3])):
        token.approve[APPROVE_VALUE](p1, suppliers[3], 5, {"from": suppliers[3]})
    with brownie.reverts(err("PayableNotOwnerNorApproved", p1, suppliers[3])):
        token.approve[APPROVE_721](suppliers[3], p1, {"from": suppliers[3]})
    with brownie.reverts(err("PayableZeroAddress")):
        token.approve[APPROVE_VALUE](p1, brownie.ZERO_ADDRESS, 5, {"from": suppliers[0]})


def test_balance_of_zero_address_reverts(token):
    with brownie.reverts(err("PayableZeroAddress")):
        token.balanceOf["address"](brownie.ZERO_ADDRESS)


# ---------------------------------------------------------------------------- agents


def test_desk_locks_and_delivers_part_of_a_piece(token, issue, suppliers, financiers, desk):
    _, p1 = issue()
    token.approve[APPROVE_VALUE](p1, suppliers[5], 5, {"from": suppliers[0]})
    tx = token.lockPiece(p1, {"from": desk})
    assert tx.events["PieceLocked"]["tokenId"] == p1
    assert token.pieceOf(p1)["locked"] is True
    assert token.allowance(p1, suppliers[5]) == 0  # cleared on lock
    with brownie.reverts(err("PayablePieceLocked", p1)):
        token.transferFrom[SPLIT](p1, suppliers[1], 100 * CENTS, {"from": suppliers[0]})
    with brownie.reverts(err("PayablePieceLocked", p1)):
        token.approve[APPROVE_VALUE](p1, suppliers[5], 5, {"from": suppliers[0]})
    tx = token.agentTransfer(p1, financiers[0], 1_000 * CENTS, {"from": desk})
    bought = tx.return_value
    assert token.ownerOf(bought) == financiers[0] and token.parentOf(bought) == p1
    assert token.pieceOf(p1)["locked"] is False
    assert "PieceUnlocked" in tx.events


def test_desk_delivers_whole_piece(token, issue, suppliers, financiers, desk):
    _, p1 = issue(face=5_000 * CENTS)
    token.lockPiece(p1, {"from": desk})
    tx = token.agentTransfer(p1, financiers[0], 5_000 * CENTS, {"from": desk})
    assert tx.return_value == p1 and token.ownerOf(p1) == financiers[0]


def test_desk_unlock(token, issue, desk):
    _, p1 = issue()
    token.lockPiece(p1, {"from": desk})
    tx = token.unlockPiece(p1, {"from": desk})
    assert tx.events["PieceUnlocked"]["agent"] == desk
    with brownie.reverts(err("PayableFlagUnchanged", p1, 1, False)):
        token.unlockPiece(p1, {"from": desk})


def test_desk_cannot_move_after_maturity_but_settlement_can(token, issue, suppliers, desk, settlement, chain):
    payable_id, p1 = issue(tenor=DAY)
    chain.sleep(DAY + 10)
    chain.mine()
    with brownie.reverts(err("PayableMatured", payable_id, p1 >> 96)):
        token.agentTransfer(p1, suppliers[1], 100 * CENTS, {"from": desk})
    token.agentTransfer(p1, suppliers[1], 100 * CENTS, {"from": settlement})


def test_non_agents_are_refused(token, issue, suppliers):
    _, p1 = issue()
    with brownie.reverts(err("PayableNotAgent", suppliers[0], 1)):
        token.lockPiece(p1, {"from": suppliers[0]})
    with brownie.reverts(err("PayableNotAgent", suppliers[0], 1)):
        token.unlockPiece(p1, {"from": suppliers[0]})
    with brownie.reverts(err("PayableNotAgent", suppliers[0], 3)):
        token.agentTransfer(p1, suppliers[1], 100, {"from": suppliers[0]})
    with brownie.reverts(err("PayableNotAgent", suppliers[0], 2)):
        token.burnSettled(p1, {"from": suppliers[0]})


def test_settlement_burns_at_maturity_only(token, issue, suppliers, settlement, chain):
    payable_id, p1 = issue(face=5_000 * CENTS, tenor=DAY)
    with brownie.reverts(err("PayableNotMatured", payable_id, p1 >> 96)):
        token.burnSettled(p1, {"from": settlement})
    chain.sleep(DAY + 10)
    chain.mine()
    tx = token.burnSettled(p1, {"from": settlement})
    owner, value = tx.return_value
    assert owner == suppliers[0] and value == 5_000 * CENTS
    assert tx.events["PieceSettled"]["value"] == 5_000 * CENTS
    assert tx.events["TransferValue"]["_toTokenId"] == 0
    assert token.balanceOf["address"](suppliers[0]) == 0


def test_settlement_cannot_burn_unaccepted_piece(token, issue, settlement, chain):
    payable_id, p1 = issue(accept=False, tenor=DAY)
    chain.sleep(DAY + 10)
    chain.mine()
    with brownie.reverts(err("PayableWrongStatus", payable_id, 1)):
        token.burnSettled(p1, {"from": settlement})


def test_set_agent_admin_only(token, admin, suppliers, members):
    with brownie.reverts(err("PayableNotAdmin", suppliers[0])):
        token.setAgent(suppliers[1], 1, {"from": suppliers[0]})
    with brownie.reverts(err("PayableZeroAddress")):
        token.setAgent(brownie.ZERO_ADDRESS, 1, {"from": admin})
    with brownie.reverts(err("PayableInvalidConfig", 4)):
        token.setAgent(suppliers[1], 4, {"from": admin})
    tx = token.setAgent(suppliers[1], 3, {"from": admin})
    assert tx.events["AgentSet"]["kinds"] == 3 and token.agentKinds(suppliers[1]) == 3


# ---------------------------------------------------------------------------- freezes


def test_regulator_freezes_and_unfreezes_a_piece(token, issue, suppliers, regulator, settlement, chain):
    _, p1 = issue(tenor=DAY)
    tx = token.freezePiece(p1, h("court order"), {"from": regulator})
    assert tx.events["PieceFrozen"]["reasonHash"] == "0x" + h("court order").hex()
    assert token.pieceOf(p1)["frozen"] is True
    with brownie.reverts(err("PayablePieceFrozen", p1)):
        token.transferFrom[SPLIT](p1, suppliers[1], 100 * CENTS, {"from": suppliers[0]})
    with brownie.reverts(err("PayableFlagUnchanged", p1, 2, True)):
        token.freezePiece(p1, h("again"), {"from": regulator})
    chain.sleep(DAY + 10)
    chain.mine()
    with brownie.reverts(err("PayablePieceFrozen", p1)):
        token.burnSettled(p1, {"from": settlement})  # what it is owed waits for it
    tx = token.unfreezePiece(p1, h("order lifted"), {"from": regulator})
    assert "PieceUnfrozen" in tx.events
    token.burnSettled(p1, {"from": settlement})


def test_freeze_needs_regulator_and_reason(token, issue, suppliers, regulator):
    _, p1 = issue()
    with brownie.reverts(err("PayableUnauthorized", suppliers[0], 64)):
        token.freezePiece(p1, h("x"), {"from": suppliers[0]})
    with brownie.reverts(err("PayableReasonRequired")):
        token.freezePiece(p1, b"\x00" * 32, {"from": regulator})


def test_frozen_pending_piece_cannot_be_accepted(token, issue, suppliers, regulator):
    payable_id, p1 = issue(accept=False)
    token.freezePiece(p1, h("x"), {"from": regulator})
    with brownie.reverts(err("PayablePieceFrozen", p1)):
        token.accept(payable_id, {"from": suppliers[0]})


# ---------------------------------------------------------------------------- configuration


def test_operator_configures(token, operator, members):
    tx = token.setMinPieceValue(500, {"from": operator})
    assert tx.events["MinPieceValueChanged"]["newValue"] == 500 and token.minPieceValue() == 500
    tx = token.setMaxTenor(180 * DAY, {"from": operator})
    assert tx.events["MaxTenorChanged"]["newSeconds"] == 180 * DAY and token.maxTenor() == 180 * DAY
    tx = token.setTradingPaused(True, {"from": operator})
    assert tx.events["TradingPauseChanged"]["paused"] is True and token.tradingPaused()


def test_configuration_is_checked(token, operator, suppliers, members):
    with brownie.reverts(err("PayableUnauthorized", suppliers[0], 1)):
        token.setMinPieceValue(500, {"from": suppliers[0]})
    with brownie.reverts(err("PayableInvalidConfig", 0)):
        token.setMinPieceValue(0, {"from": operator})
    with brownie.reverts(err("PayableInvalidConfig", 3600)):
        token.setMaxTenor(3600, {"from": operator})
    with brownie.reverts(err("PayableInvalidConfig", 0)):
        token.setTradingPaused(False, {"from": operator})


def test_constructor_rejects_bad_settings(PayableToken, membership, registry, relay, admin):
    with brownie.reverts(err("PayableZeroAddress")):
        PayableToken.deploy(brownie.ZERO_ADDRESS, registry, MIN_PIECE, 30 * DAY, relay, {"from": admin})
    with brownie.reverts(err("PayableZeroAddress")):
        PayableToken.deploy(membership, registry, MIN_PIECE, 30 * DAY, brownie.ZERO_ADDRESS, {"from": admin})
    with brownie.reverts(err("PayableInvalidConfig", 0)):
        PayableToken.deploy(membership, registry, 0, 30 * DAY, relay, {"from": admin})


def test_membership_push_only_from_membership(token, suppliers):
    with brownie.reverts(err("PayableNotMembership", suppliers[0])):
        token.onMembershipChanged(suppliers[0], True, True, {"from": suppliers[0]})


def test_holder_view_follows_membership(token, membership, suppliers, regulator, members):
    assert list(token.holderOf(suppliers[0])) == [0, True, True]
    membership.freeze(suppliers[0], h("r"), {"from": regulator})
    assert list(token.holderOf(suppliers[0])) == [0, False, False]
