"""Behaves like ERC-3525: the behaviours every implementation shares, run against PayableToken
and Solv's reference implementation alike (see conftest.py for the adapters). Membership rules,
minimum pieces and burning of emptied pieces are PayableToken's own and tested elsewhere."""

import brownie

from tests.conftest import CENTS

SPLIT = "uint256,address,uint256"
MOVE = "uint256,uint256,uint256"
WHOLE = "address,address,uint256"
SAFE = "address,address,uint256"
APPROVE_VALUE = "uint256,address,uint256"
APPROVE_721 = "address,uint256"
FACE = 10_000 * CENTS


def _has_event(tx, name, *values):
    """Whether the transaction emitted `name` with these argument values, by position (the
    implementations name event parameters differently: OpenZeppelin's `from`, Solv's `_from`)."""
    return any(tuple(ev.values()) == values for ev in tx.events[name]) if name in tx.events else False


def _only(tx, name):
    return tuple(tx.events[name].values())


# ---------------------------------------------------------------------------- basics


def test_supports_erc165_erc721_erc3525(sft):
    for iid in ("0x01ffc9a7", "0x80ac58cd", "0xd5358140"):
        assert sft.token.supportsInterface(iid)
    assert not sft.token.supportsInterface("0xffffffff")


def test_value_decimals(sft):
    assert sft.token.valueDecimals() == 2


def test_mint_creates_token_with_slot_and_value(sft, suppliers):
    token_id, slot, tx = sft.mint(suppliers[0], FACE)
    t = sft.token
    assert t.ownerOf(token_id) == suppliers[0]
    assert t.balanceOf["uint256"](token_id) == FACE
    assert t.slotOf(token_id) == slot
    assert t.balanceOf["address"](suppliers[0]) == 1
    assert _has_event(tx, "Transfer", brownie.ZERO_ADDRESS, suppliers[0], token_id)
    assert _has_event(tx, "SlotChanged", token_id, 0, slot)
    assert _has_event(tx, "TransferValue", 0, token_id, FACE)


def test_views_of_unknown_token_revert(sft, suppliers):
    with brownie.reverts(sft.error("nonexistent", 999_999)):
        sft.token.ownerOf(999_999)


# ---------------------------------------------------------------------------- value to address


def test_split_to_address_creates_token_in_same_slot(sft, suppliers):
    a, slot, _ = sft.mint(suppliers[0], FACE)
    tx = sft.token.transferFrom[SPLIT](a, suppliers[1], 3_000 * CENTS, {"from": suppliers[0]})
    b = tx.return_value
    t = sft.token
    assert b != a
    assert t.ownerOf(b) == suppliers[1] and t.slotOf(b) == slot
    assert t.balanceOf["uint256"](b) == 3_000 * CENTS
    assert t.balanceOf["uint256"](a) == FACE - 3_000 * CENTS
    assert t.balanceOf["address"](suppliers[1]) == 1
    assert _has_event(tx, "Transfer", brownie.ZERO_ADDRESS, suppliers[1], b)
    assert _has_event(tx, "SlotChanged", b, 0, slot)
    assert _has_event(tx, "TransferValue", a, b, 3_000 * CENTS)


def test_split_more_than_balance_reverts(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    with brownie.reverts(sft.error("insufficient_value", a, FACE, FACE + 1)):
        sft.token.transferFrom[SPLIT](a, suppliers[1], FACE + 1, {"from": suppliers[0]})
    assert sft.token.balanceOf["uint256"](a) == FACE


def test_split_by_stranger_reverts(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    with brownie.reverts(sft.error("stranger_split", a, suppliers[2])):
        sft.token.transferFrom[SPLIT](a, suppliers[2], 1_000 * CENTS, {"from": suppliers[2]})
    assert sft.token.balanceOf["uint256"](a) == FACE


# ---------------------------------------------------------------------------- value to token


def test_value_to_token_of_same_slot(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    b = sft.token.transferFrom[SPLIT](a, suppliers[1], 1_000 * CENTS, {"from": suppliers[0]}).return_value
    tx = sft.token.transferFrom[MOVE](a, b, 500 * CENTS, {"from": suppliers[0]})
    assert sft.token.balanceOf["uint256"](b) == 1_500 * CENTS
    assert sft.token.balanceOf["uint256"](a) == FACE - 1_500 * CENTS
    assert _has_event(tx, "TransferValue", a, b, 500 * CENTS)
    assert "Transfer" not in tx.events and "SlotChanged" not in tx.events


def test_value_to_token_of_other_slot_reverts(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    b, _, _ = sft.mint(suppliers[1], FACE)
    with brownie.reverts(sft.error("slot_mismatch", a, b)):
        sft.token.transferFrom[MOVE](a, b, 100 * CENTS, {"from": suppliers[0]})
    assert sft.token.balanceOf["uint256"](a) == FACE and sft.token.balanceOf["uint256"](b) == FACE


def test_value_to_token_more_than_balance_reverts(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    b = sft.token.transferFrom[SPLIT](a, suppliers[1], 1_000 * CENTS, {"from": suppliers[0]}).return_value
    rest = FACE - 1_000 * CENTS
    with brownie.reverts(sft.error("insufficient_value", a, rest, rest + 1)):
        sft.token.transferFrom[MOVE](a, b, rest + 1, {"from": suppliers[0]})


# ---------------------------------------------------------------------------- value allowances


def test_approve_value_emits_and_sets_allowance(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    tx = sft.token.approve[APPROVE_VALUE](a, suppliers[5], 2_000 * CENTS, {"from": suppliers[0]})
    assert _only(tx, "ApprovalValue") == (a, suppliers[5], 2_000 * CENTS)
    assert sft.token.allowance(a, suppliers[5]) == 2_000 * CENTS


def test_allowance_is_spent_by_split(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    sft.token.approve[APPROVE_VALUE](a, suppliers[5], 2_000 * CENTS, {"from": suppliers[0]})
    b = sft.token.transferFrom[SPLIT](a, suppliers[1], 1_500 * CENTS, {"from": suppliers[5]}).return_value
    assert sft.token.ownerOf(b) == suppliers[1]
    assert sft.token.allowance(a, suppliers[5]) == 500 * CENTS


def test_allowance_is_spent_by_value_to_token(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    b = sft.token.transferFrom[SPLIT](a, suppliers[1], 1_000 * CENTS, {"from": suppliers[0]}).return_value
    sft.token.approve[APPROVE_VALUE](a, suppliers[5], 2_000 * CENTS, {"from": suppliers[0]})
    sft.token.transferFrom[MOVE](a, b, 1_200 * CENTS, {"from": suppliers[5]})
    assert sft.token.allowance(a, suppliers[5]) == 800 * CENTS


def test_spending_beyond_allowance_reverts(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    sft.token.approve[APPROVE_VALUE](a, suppliers[5], 1_000 * CENTS, {"from": suppliers[0]})
    with brownie.reverts(sft.error("insufficient_allowance", a, suppliers[5], 1_000 * CENTS, 1_001 * CENTS)):
        sft.token.transferFrom[SPLIT](a, suppliers[1], 1_001 * CENTS, {"from": suppliers[5]})
    assert sft.token.allowance(a, suppliers[5]) == 1_000 * CENTS


def test_approve_value_by_stranger_reverts(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    with brownie.reverts(sft.error("stranger_approve", a, suppliers[2])):
        sft.token.approve[APPROVE_VALUE](a, suppliers[5], 1_000 * CENTS, {"from": suppliers[2]})


def test_approve_value_to_zero_address_reverts(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    with brownie.reverts(sft.error("approve_zero")):
        sft.token.approve[APPROVE_VALUE](a, brownie.ZERO_ADDRESS, 1_000 * CENTS, {"from": suppliers[0]})


# ---------------------------------------------------------------------------- ERC-721 side


def test_whole_transfer_moves_token_and_value(sft, suppliers):
    a, slot, _ = sft.mint(suppliers[0], FACE)
    tx = sft.token.transferFrom[WHOLE](suppliers[0], suppliers[1], a, {"from": suppliers[0]})
    assert _only(tx, "Transfer") == (suppliers[0], suppliers[1], a)
    assert sft.token.ownerOf(a) == suppliers[1]
    assert sft.token.balanceOf["uint256"](a) == FACE and sft.token.slotOf(a) == slot
    assert sft.token.balanceOf["address"](suppliers[0]) == 0
    assert sft.token.balanceOf["address"](suppliers[1]) == 1


def test_whole_transfer_with_wrong_from_reverts(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    with brownie.reverts(sft.error("wrong_owner", a, suppliers[2], suppliers[0])):
        sft.token.transferFrom[WHOLE](suppliers[2], suppliers[1], a, {"from": suppliers[0]})


def test_whole_transfer_by_stranger_reverts(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    with brownie.reverts(sft.error("stranger_transfer", a, suppliers[2])):
        sft.token.transferFrom[WHOLE](suppliers[0], suppliers[2], a, {"from": suppliers[2]})


def test_approved_account_transfers_whole_token(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    tx = sft.token.approve[APPROVE_721](suppliers[4], a, {"from": suppliers[0]})
    assert _only(tx, "Approval") == (suppliers[0], suppliers[4], a)
    assert sft.token.getApproved(a) == suppliers[4]
    sft.token.transferFrom[WHOLE](suppliers[0], suppliers[1], a, {"from": suppliers[4]})
    assert sft.token.ownerOf(a) == suppliers[1]


def test_approved_account_splits_value(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    sft.token.approve[APPROVE_721](suppliers[4], a, {"from": suppliers[0]})
    b = sft.token.transferFrom[SPLIT](a, suppliers[1], 1_000 * CENTS, {"from": suppliers[4]}).return_value
    assert sft.token.ownerOf(b) == suppliers[1]


def test_approvals_and_allowances_cleared_by_whole_transfer(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    sft.token.approve[APPROVE_721](suppliers[4], a, {"from": suppliers[0]})
    sft.token.approve[APPROVE_VALUE](a, suppliers[5], 1_000 * CENTS, {"from": suppliers[0]})
    sft.token.transferFrom[WHOLE](suppliers[0], suppliers[1], a, {"from": suppliers[0]})
    assert sft.token.getApproved(a) == brownie.ZERO_ADDRESS
    assert sft.token.allowance(a, suppliers[5]) == 0


def test_operator_for_all_moves_value_and_tokens(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    tx = sft.token.setApprovalForAll(suppliers[4], True, {"from": suppliers[0]})
    assert _only(tx, "ApprovalForAll") == (suppliers[0], suppliers[4], True)
    assert sft.token.isApprovedForAll(suppliers[0], suppliers[4])
    b = sft.token.transferFrom[SPLIT](a, suppliers[1], 1_000 * CENTS, {"from": suppliers[4]}).return_value
    sft.token.transferFrom[WHOLE](suppliers[0], suppliers[2], a, {"from": suppliers[4]})
    assert sft.token.ownerOf(b) == suppliers[1] and sft.token.ownerOf(a) == suppliers[2]


def test_revoked_operator_may_not_move(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    sft.token.setApprovalForAll(suppliers[4], True, {"from": suppliers[0]})
    sft.token.setApprovalForAll(suppliers[4], False, {"from": suppliers[0]})
    with brownie.reverts(sft.error("stranger_transfer", a, suppliers[4])):
        sft.token.transferFrom[WHOLE](suppliers[0], suppliers[2], a, {"from": suppliers[4]})


def test_safe_transfer_to_eoa(sft, suppliers):
    a, _, _ = sft.mint(suppliers[0], FACE)
    sft.token.safeTransferFrom[SAFE](suppliers[0], suppliers[1], a, {"from": suppliers[0]})
    assert sft.token.ownerOf(a) == suppliers[1]


# ---------------------------------------------------------------------------- receivers


def test_split_to_receiver_calls_erc3525_hook(sft, suppliers, RecordingReceiver, admin):
    receiver = RecordingReceiver.deploy({"from": admin})
    sft.allow_holder(receiver)
    a, _, _ = sft.mint(suppliers[0], FACE)
    tx = sft.token.transferFrom[SPLIT](a, receiver, 1_000 * CENTS, {"from": suppliers[0]})
    b = tx.return_value
    # operator, fromTokenId, toTokenId, value, data
    assert _has_event(tx, "ValueReceived", suppliers[0], a, b, 1_000 * CENTS, "0x")
    assert receiver.lastCaller() == sft.token


def test_split_to_wrong_selector_receiver_reverts(sft, suppliers, WrongSelectorReceiver, admin):
    receiver = WrongSelectorReceiver.deploy({"from": admin})
    sft.allow_holder(receiver)
    a, _, _ = sft.mint(suppliers[0], FACE)
    with brownie.reverts(sft.error("rejected_3525", receiver)):
        sft.token.transferFrom[SPLIT](a, receiver, 1_000 * CENTS, {"from": suppliers[0]})
    assert sft.token.balanceOf["uint256"](a) == FACE


def test_safe_transfer_to_receiver_calls_erc721_hook(sft, suppliers, RecordingReceiver, admin):
    receiver = RecordingReceiver.deploy({"from": admin})
    sft.allow_holder(receiver)
    a, _, _ = sft.mint(suppliers[0], FACE)
    tx = sft.token.safeTransferFrom[SAFE](suppliers[0], receiver, a, {"from": suppliers[0]})
    # operator, from, tokenId, data
    assert _has_event(tx, "TokenReceived", suppliers[0], suppliers[0], a, "0x")
    assert sft.token.ownerOf(a) == receiver


def test_safe_transfer_to_non_receiver_reverts(sft, suppliers, PlainHolder, admin):
    holder = PlainHolder.deploy({"from": admin})
    sft.allow_holder(holder)
    a, _, _ = sft.mint(suppliers[0], FACE)
    with brownie.reverts(sft.error("rejected_721", holder)):
        sft.token.safeTransferFrom[SAFE](suppliers[0], holder, a, {"from": suppliers[0]})
    assert sft.token.ownerOf(a) == suppliers[0]


def test_contract_without_erc165_receives_value(sft, suppliers, PlainHolder, admin):
    holder = PlainHolder.deploy({"from": admin})
    sft.allow_holder(holder)
    a, _, _ = sft.mint(suppliers[0], FACE)
    b = sft.token.transferFrom[SPLIT](a, holder, 1_000 * CENTS, {"from": suppliers[0]}).return_value
    assert sft.token.ownerOf(b) == holder
