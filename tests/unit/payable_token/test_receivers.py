"""Receiver hooks and re-entrancy (T6): ERC-3525 hooks for contracts that declare the receiver
interface, ERC-721 safe-transfer hooks, failing receivers, and hostile receivers that try to
re-enter the token from inside a hook. A failed hook reverts the whole move: nothing moves."""

import brownie
import pytest
from eth_utils import keccak, to_checksum_address
from rlp import encode as rlp_encode

from tests.conftest import CENTS, ROLE_SUPPLIER, err, h

SPLIT = "uint256,address,uint256"
MOVE = "uint256,uint256,uint256"
WHOLE = "address,address,uint256"
SAFE = "address,address,uint256"
SAFE_DATA = "address,address,uint256,bytes"
APPROVE_VALUE = "uint256,address,uint256"
REENTRANT = keccak(text="PayableReentrantCall()")[:4]  # the custom error, no arguments

ERC3525_RECEIVER_SELECTOR = "0x009ce20b"  # onERC3525Received(address,uint256,uint256,uint256,bytes)


def _admit(membership, admin, account, label):
    membership.admit(account, ROLE_SUPPLIER, h(f"id:{label}"), {"from": admin})


@pytest.fixture
def recording(RecordingReceiver, membership, admin, members):
    c = RecordingReceiver.deploy({"from": admin})
    _admit(membership, admin, c, "recording")
    return c


@pytest.fixture
def wrong_selector(WrongSelectorReceiver, membership, admin, members):
    c = WrongSelectorReceiver.deploy({"from": admin})
    _admit(membership, admin, c, "wrong-selector")
    return c


@pytest.fixture
def reverting(RevertingReceiver, membership, admin, members):
    c = RevertingReceiver.deploy({"from": admin})
    _admit(membership, admin, c, "reverting")
    return c


@pytest.fixture
def plain(PlainHolder, membership, admin, members):
    c = PlainHolder.deploy({"from": admin})
    _admit(membership, admin, c, "plain")
    return c


@pytest.fixture
def hostile(HostileReceiver, token, membership, admin, members):
    c = HostileReceiver.deploy(token, {"from": admin})
    _admit(membership, admin, c, "hostile")
    return c


def _next_piece(token, payable_id, root_piece):
    """The token id the next split of this payable creates."""
    return (root_piece & ~0xFFFFFFFF) | (token.payableOf(payable_id)["pieceCount"] + 1)


def _snapshot(token, payable_id, pieces, holders):
    return (
        token.payableOf(payable_id)["pieceCount"],
        [token.pieceOf(p) for p in pieces],
        [token.balanceOf["address"](a) for a in holders],
    )


def test_receiver_interface_id_is_the_published_one(RecordingReceiver, admin):
    # The ERC-3525 receiver id is the selector of its one function.
    c = RecordingReceiver.deploy({"from": admin})
    assert c.supportsInterface(ERC3525_RECEIVER_SELECTOR)
    assert not c.supportsInterface("0xffffffff")


# ---------------------------------------------------------------------------- ERC-3525 hooks


def test_split_to_receiver_calls_its_hook(token, issue, suppliers, recording):
    _, p1 = issue()
    tx = token.transferFrom[SPLIT](p1, recording, 1_000 * CENTS, {"from": suppliers[0]})
    child = tx.return_value
    assert token.ownerOf(child) == recording
    assert recording.valueCalls() == 1 and recording.lastCaller() == token
    ev = tx.events["ValueReceived"]
    assert (ev["operator"], ev["fromTokenId"], ev["toTokenId"], ev["value"], ev["data"]) == (
        suppliers[0],
        p1,
        child,
        1_000 * CENTS,
        "0x",
    )


def test_value_into_receivers_piece_calls_its_hook(token, issue, suppliers, recording):
    _, p1 = issue()
    mine = token.transferFrom[SPLIT](p1, recording, 1_000 * CENTS, {"from": suppliers[0]}).return_value
    tx = token.transferFrom[MOVE](p1, mine, 250 * CENTS, {"from": suppliers[0]})
    assert token.balanceOf["uint256"](mine) == 1_250 * CENTS
    assert recording.valueCalls() == 2
    ev = tx.events["ValueReceived"]
    assert (ev["operator"], ev["fromTokenId"], ev["toTokenId"], ev["value"]) == (
        suppliers[0],
        p1,
        mine,
        250 * CENTS,
    )


def test_hook_reports_the_operator_not_the_owner(token, issue, suppliers, recording):
    _, p1 = issue()
    token.approve[APPROVE_VALUE](p1, suppliers[5], 1_000 * CENTS, {"from": suppliers[0]})
    tx = token.transferFrom[SPLIT](p1, recording, 1_000 * CENTS, {"from": suppliers[5]})
    assert tx.events["ValueReceived"]["operator"] == suppliers[5]


def test_split_to_receiver_with_wrong_selector_reverts_and_nothing_moves(token, issue, suppliers, wrong_selector):
    payable_id, p1 = issue()
    before = _snapshot(token, payable_id, [p1], [suppliers[0], wrong_selector])
    with brownie.reverts(err("PayableReceiverRejected", wrong_selector)):
        token.transferFrom[SPLIT](p1, wrong_selector, 1_000 * CENTS, {"from": suppliers[0]})
    assert _snapshot(token, payable_id, [p1], [suppliers[0], wrong_selector]) == before


def test_split_to_reverting_receiver_reverts_and_nothing_moves(token, issue, suppliers, reverting):
    payable_id, p1 = issue()
    before = _snapshot(token, payable_id, [p1], [suppliers[0], reverting])
    with brownie.reverts(err("PayableReceiverRejected", reverting)):
        token.transferFrom[SPLIT](p1, reverting, 1_000 * CENTS, {"from": suppliers[0]})
    assert _snapshot(token, payable_id, [p1], [suppliers[0], reverting]) == before


def test_contract_without_erc165_still_receives_value(token, issue, suppliers, plain):
    _, p1 = issue()
    child = token.transferFrom[SPLIT](p1, plain, 1_000 * CENTS, {"from": suppliers[0]}).return_value
    assert token.ownerOf(child) == plain
    assert token.balanceOf["uint256"](child) == 1_000 * CENTS
    token.transferFrom[MOVE](p1, child, 500 * CENTS, {"from": suppliers[0]})
    assert token.balanceOf["uint256"](child) == 1_500 * CENTS


def test_plain_whole_transfer_to_contract_calls_no_hook(token, issue, suppliers, recording, reverting):
    # transferFrom(address,address,uint256) is the unsafe ERC-721 transfer: no hook at all.
    _, p1 = issue()
    p2 = token.transferFrom[SPLIT](p1, suppliers[0], 1_000 * CENTS, {"from": suppliers[0]}).return_value
    token.transferFrom[WHOLE](suppliers[0], reverting, p2, {"from": suppliers[0]})
    assert token.ownerOf(p2) == reverting
    token.transferFrom[WHOLE](suppliers[0], recording, p1, {"from": suppliers[0]})
    assert recording.valueCalls() == 0 and recording.tokenCalls() == 0


# ---------------------------------------------------------------------------- ERC-721 hooks


def test_safe_transfer_to_erc721_receiver_calls_its_hook(token, issue, suppliers, recording):
    _, p1 = issue()
    tx = token.safeTransferFrom[SAFE_DATA](suppliers[0], recording, p1, b"note", {"from": suppliers[0]})
    assert token.ownerOf(p1) == recording
    assert recording.tokenCalls() == 1
    ev = tx.events["TokenReceived"]
    assert (ev["operator"], ev["from"], ev["tokenId"], ev["data"]) == (
        suppliers[0],
        suppliers[0],
        p1,
        "0x" + b"note".hex(),
    )


def test_safe_transfer_without_data_passes_empty_data(token, issue, suppliers, recording):
    _, p1 = issue()
    tx = token.safeTransferFrom[SAFE](suppliers[0], recording, p1, {"from": suppliers[0]})
    assert token.ownerOf(p1) == recording
    assert tx.events["TokenReceived"]["data"] == "0x"


@pytest.mark.parametrize("receiver_name", ["plain", "wrong_selector", "reverting"])
def test_safe_transfer_to_non_receiver_reverts_and_nothing_moves(token, issue, suppliers, receiver_name, request):
    receiver = request.getfixturevalue(receiver_name)
    payable_id, p1 = issue()
    before = _snapshot(token, payable_id, [p1], [suppliers[0], receiver])
    for signature, args in ((SAFE, ()), (SAFE_DATA, (b"x",))):
        with brownie.reverts(err("PayableReceiverRejected", receiver)):
            token.safeTransferFrom[signature](suppliers[0], receiver, p1, *args, {"from": suppliers[0]})
    assert _snapshot(token, payable_id, [p1], [suppliers[0], receiver]) == before


# ---------------------------------------------------------------------------- re-entrancy (T6)


def _assert_reentry_refused(hostile):
    assert hostile.attempted()
    assert not hostile.attackSucceeded()
    assert bytes(hostile.attackResult()) == REENTRANT


def test_reentrant_split_from_erc3525_hook_is_refused(token, issue, suppliers, hostile):
    payable_id, p1 = issue()
    incoming = _next_piece(token, payable_id, p1)
    # From inside the hook, split the piece it just received off to another supplier.
    hostile.arm(token.transferFrom[SPLIT].encode_input(incoming, suppliers[2], 500 * CENTS), True)
    token.transferFrom[SPLIT](p1, hostile, 1_000 * CENTS, {"from": suppliers[0]})
    _assert_reentry_refused(hostile)
    assert token.balanceOf["uint256"](incoming) == 1_000 * CENTS
    assert token.balanceOf["address"](suppliers[2]) == 0
    assert token.payableOf(payable_id)["pieceCount"] == 2


def test_reentrant_split_that_bubbles_fails_the_delivery_and_nothing_moves(token, issue, suppliers, hostile):
    payable_id, p1 = issue()
    incoming = _next_piece(token, payable_id, p1)
    hostile.arm(token.transferFrom[SPLIT].encode_input(incoming, suppliers[2], 500 * CENTS), False)
    before = _snapshot(token, payable_id, [p1], [suppliers[0], suppliers[2], hostile])
    with brownie.reverts(err("PayableReceiverRejected", hostile)):
        token.transferFrom[SPLIT](p1, hostile, 1_000 * CENTS, {"from": suppliers[0]})
    assert _snapshot(token, payable_id, [p1], [suppliers[0], suppliers[2], hostile]) == before
    assert not hostile.attempted()  # rolled back with everything else


def test_reentrant_value_move_from_erc3525_hook_is_refused(token, issue, suppliers, hostile):
    payable_id, p1 = issue()
    side = token.transferFrom[SPLIT](p1, suppliers[2], 1_000 * CENTS, {"from": suppliers[0]}).return_value
    incoming = _next_piece(token, payable_id, p1)
    hostile.arm(token.transferFrom[MOVE].encode_input(incoming, side, 500 * CENTS), True)
    token.transferFrom[SPLIT](p1, hostile, 1_000 * CENTS, {"from": suppliers[0]})
    _assert_reentry_refused(hostile)
    assert token.balanceOf["uint256"](side) == 1_000 * CENTS


def test_reentrant_whole_transfer_from_erc3525_hook_is_refused(token, issue, suppliers, hostile):
    payable_id, p1 = issue()
    incoming = _next_piece(token, payable_id, p1)
    hostile.arm(token.transferFrom[WHOLE].encode_input(hostile, suppliers[2], incoming), True)
    token.transferFrom[SPLIT](p1, hostile, 1_000 * CENTS, {"from": suppliers[0]})
    _assert_reentry_refused(hostile)
    assert token.ownerOf(incoming) == hostile


def test_reentrant_approval_from_erc3525_hook_is_refused(token, issue, suppliers, hostile):
    payable_id, p1 = issue()
    incoming = _next_piece(token, payable_id, p1)
    hostile.arm(token.approve[APPROVE_VALUE].encode_input(incoming, suppliers[2], 10**30), True)
    token.transferFrom[SPLIT](p1, hostile, 1_000 * CENTS, {"from": suppliers[0]})
    _assert_reentry_refused(hostile)
    assert token.allowance(incoming, suppliers[2]) == 0


def test_reentrant_transfer_from_erc721_hook_is_refused(token, issue, suppliers, hostile):
    _, p1 = issue()
    hostile.arm(token.transferFrom[WHOLE].encode_input(hostile, suppliers[2], p1), True)
    token.safeTransferFrom[SAFE](suppliers[0], hostile, p1, {"from": suppliers[0]})
    _assert_reentry_refused(hostile)
    assert token.ownerOf(p1) == hostile


def test_reentrant_split_from_erc721_hook_that_bubbles_fails_the_transfer(token, issue, suppliers, hostile):
    payable_id, p1 = issue()
    hostile.arm(token.transferFrom[SPLIT].encode_input(p1, suppliers[2], 500 * CENTS), False)
    before = _snapshot(token, payable_id, [p1], [suppliers[0], suppliers[2], hostile])
    with brownie.reverts(err("PayableReceiverRejected", hostile)):
        token.safeTransferFrom[SAFE](suppliers[0], hostile, p1, {"from": suppliers[0]})
    assert _snapshot(token, payable_id, [p1], [suppliers[0], suppliers[2], hostile]) == before


def test_lock_is_released_after_a_hook(token, issue, suppliers, recording):
    # The guard is cleared at the end of a hooked move: the next call goes through.
    _, p1 = issue()
    token.transferFrom[SPLIT](p1, recording, 1_000 * CENTS, {"from": suppliers[0]})
    token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS, {"from": suppliers[0]})
    assert token.balanceOf["address"](suppliers[1]) == 1


# ---------------------------------------------------------------------------- isContract sampling


def _future_address(deployer):
    """The address of the next contract `deployer` creates: keccak(rlp([sender, nonce]))[12:]."""
    preimage = rlp_encode([bytes.fromhex(deployer.address[2:]), deployer.nonce])
    return to_checksum_address(keccak(preimage)[-20:])


def test_contract_admitted_before_it_had_code_gets_no_hook_until_refreshed(
    RecordingReceiver, token, membership, issue, suppliers, admin, accounts, members
):
    deployer = accounts[17]
    future = _future_address(deployer)
    _admit(membership, admin, future, "future-contract")  # no code yet: sampled as an EOA
    receiver = RecordingReceiver.deploy({"from": deployer})
    assert receiver.address == future

    _, p1 = issue()
    token.transferFrom[SPLIT](p1, receiver, 1_000 * CENTS, {"from": suppliers[0]})
    assert receiver.valueCalls() == 0  # holder record still says "no code"

    membership.refresh(receiver, {"from": suppliers[3]})  # anyone may re-sample
    token.transferFrom[SPLIT](p1, receiver, 1_000 * CENTS, {"from": suppliers[0]})
    assert receiver.valueCalls() == 1


def test_contract_admitted_after_deployment_gets_hooks(token, issue, suppliers, recording):
    _, p1 = issue()
    token.transferFrom[SPLIT](p1, recording, 1_000 * CENTS, {"from": suppliers[0]})
    assert recording.valueCalls() == 1


def test_refresh_after_code_appears_lets_a_rejecting_receiver_refuse(
    RevertingReceiver, token, membership, issue, suppliers, admin, accounts, members
):
    deployer = accounts[17]
    future = _future_address(deployer)
    _admit(membership, admin, future, "future-reverting")
    receiver = RevertingReceiver.deploy({"from": deployer})
    _, p1 = issue()
    token.transferFrom[SPLIT](p1, receiver, 1_000 * CENTS, {"from": suppliers[0]})  # no hook yet
    membership.refresh(receiver, {"from": suppliers[3]})
    with brownie.reverts(err("PayableReceiverRejected", receiver)):
        token.transferFrom[SPLIT](p1, receiver, 1_000 * CENTS, {"from": suppliers[0]})
