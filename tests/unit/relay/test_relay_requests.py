"""Signed requests relayed end to end: each kind, signed by the Python library with the
signer's own dev key and relayed by the operator, who pays the gas."""

from __future__ import annotations

import brownie

from tests.conftest import CENTS, MIN_PIECE, err
from tierchain.chain.abi import call_data
from tierchain.clients.requests import AcceptPayable, Call, MoveValue, PayoutPiece, SplitPiece, TransferPiece


def _th(kind: type) -> str:
    return "0x" + kind.type_hash().hex()


def _relayed(tx, signer, kind, nonce, target):
    ev = tx.events["RequestRelayed"]
    assert ev["signer"] == signer
    assert ev["typeHash"] == _th(kind)
    assert ev["nonce"] == nonce
    assert ev["target"] == target


def test_accept_payable_relayed(relay, token, issue, suppliers, operator, sign, deadline):
    s1 = suppliers[0]
    payable_id, _ = issue(accept=False)
    request = AcceptPayable(s1.address, payable_id, 0, deadline)
    balance = s1.balance()
    tx = relay.acceptPayable(request.abi_tuple(), sign(request), {"from": operator})
    assert token.payableOf(payable_id)[2] == 2  # Accepted
    assert tx.events["PayableAccepted"]["creditor"] == s1
    _relayed(tx, s1, AcceptPayable, 0, token)
    assert relay.nonces(s1) == 1
    assert s1.balance() == balance  # the supplier paid no gas


def test_split_piece_relayed_returns_new_piece(relay, token, issue, suppliers, operator, sign, deadline):
    s1, s2 = suppliers[0], suppliers[1]
    _, first = issue()
    request = SplitPiece(s1.address, first, s2.address, 3_000 * CENTS, 0, deadline)
    tx = relay.splitPiece(request.abi_tuple(), sign(request), {"from": operator})
    new_id = tx.return_value
    assert token.ownerOf(new_id) == s2
    assert token.balanceOf["uint256"](new_id) == 3_000 * CENTS
    assert token.parentOf(new_id) == first
    _relayed(tx, s1, SplitPiece, 0, token)


def test_move_value_relayed(relay, token, issue, suppliers, operator, sign, deadline):
    s1, s2 = suppliers[0], suppliers[1]
    _, first = issue()
    piece = token.transferFrom["uint256,address,uint256"](first, s2, 1_000 * CENTS, {"from": s1}).return_value
    request = MoveValue(s1.address, first, piece, 500 * CENTS, 0, deadline)
    tx = relay.moveValue(request.abi_tuple(), sign(request), {"from": operator})
    assert token.balanceOf["uint256"](piece) == 1_500 * CENTS
    _relayed(tx, s1, MoveValue, 0, token)


def test_transfer_piece_relayed(relay, token, issue, suppliers, operator, sign, deadline):
    s1, s3 = suppliers[0], suppliers[2]
    _, first = issue()
    request = TransferPiece(s1.address, first, s3.address, 0, deadline)
    tx = relay.transferPiece(request.abi_tuple(), sign(request), {"from": operator})
    assert token.ownerOf(first) == s3
    _relayed(tx, s1, TransferPiece, 0, token)


def test_generic_call_to_the_token(relay, token, issue, suppliers, operator, sign, deadline):
    """A token action without a typed request (merge) through the generic Call."""
    s1 = suppliers[0]
    _, first = issue()
    piece = token.transferFrom["uint256,address,uint256"](first, s1, 1_000 * CENTS, {"from": s1}).return_value
    data = call_data("PayableToken", "merge(uint256,uint256)", piece, first)
    request = Call(s1.address, token.address, data, 0, deadline)
    tx = relay.relayCall(request.abi_tuple(), sign(request), {"from": operator})
    assert tx.events["PiecesMerged"]["fromTokenId"] == piece
    _relayed(tx, s1, Call, 0, token)


def test_generic_call_acts_for_the_signer_and_returns_data(relay, probe, suppliers, outsider, sign, deadline):
    s1 = suppliers[0]
    request = Call(s1.address, probe.address, call_data("ForwarderProbe", "record(uint256)", 21), 0, deadline)
    tx = relay.relayCall(request.abi_tuple(), sign(request), {"from": outsider})  # anyone may relay
    assert probe.lastSender() == s1
    assert probe.lastValue() == 21
    assert int(tx.return_value.hex(), 16) == 42
    _relayed(tx, s1, Call, 0, probe)


def test_one_nonce_across_kinds(relay, token, issue, suppliers, operator, sign, deadline, probe):
    s1, s2 = suppliers[0], suppliers[1]
    payable_id, first = issue(accept=False)
    accept = AcceptPayable(s1.address, payable_id, 0, deadline)
    relay.acceptPayable(accept.abi_tuple(), sign(accept), {"from": operator})
    split = SplitPiece(s1.address, first, s2.address, 1_000 * CENTS, 1, deadline)
    relay.splitPiece(split.abi_tuple(), sign(split), {"from": operator})
    call = Call(s1.address, probe.address, call_data("ForwarderProbe", "record(uint256)", 1), 2, deadline)
    relay.relayCall(call.abi_tuple(), sign(call), {"from": operator})
    assert relay.nonces(s1) == 3
    assert relay.nonces(s2) == 0


def test_contract_wallet_signer_erc1271(relay, token, issue, wallet, suppliers, operator, sign, deadline):
    """A contract member signs through ERC-1271 (its owner key's signature over the digest)."""
    _, first = issue(creditor=wallet, accept=False)
    # the wallet accepts its payable by a signed request, then splits
    payable_id = token.pieceOf(first)[0]
    accept = AcceptPayable(wallet.address, payable_id, 0, deadline)
    relay.acceptPayable(accept.abi_tuple(), sign(accept, by=suppliers[5]), {"from": operator})
    split = SplitPiece(wallet.address, first, suppliers[1].address, 1_000 * CENTS, 1, deadline)
    tx = relay.splitPiece(split.abi_tuple(), sign(split, by=suppliers[5]), {"from": operator})
    assert token.ownerOf(tx.return_value) == suppliers[1]
    assert relay.nonces(wallet) == 2


def test_contract_wallet_rejects_another_key(relay, issue, wallet, suppliers, operator, sign, deadline):
    payable_id, _ = issue(creditor=wallet, accept=False)
    accept = AcceptPayable(wallet.address, payable_id, 0, deadline)
    with brownie.reverts(err("RelayBadSignature", wallet)):
        relay.acceptPayable(accept.abi_tuple(), sign(accept, by=suppliers[4]), {"from": operator})


def test_inner_revert_bubbles_unchanged_and_keeps_the_nonce(relay, issue, suppliers, operator, sign, deadline):
    s1, s2 = suppliers[0], suppliers[1]
    _, first = issue()
    request = SplitPiece(s1.address, first, s2.address, MIN_PIECE - 1, 0, deadline)
    with brownie.reverts(err("PayableBelowMinimum", 0, MIN_PIECE - 1, MIN_PIECE)):
        relay.splitPiece(request.abi_tuple(), sign(request), {"from": operator})
    assert relay.nonces(s1) == 0


def test_target_custom_error_bubbles(relay, probe, suppliers, operator, sign, deadline):
    s1 = suppliers[0]
    request = Call(s1.address, probe.address, call_data("ForwarderProbe", "fail(uint256)", 7), 0, deadline)
    with brownie.reverts(err("ProbeFailed", s1, 7)):
        relay.relayCall(request.abi_tuple(), sign(request), {"from": operator})
    assert relay.nonces(s1) == 0


def test_starved_inner_call_reverts_the_whole_request(relay, probe, suppliers, operator, sign, deadline):
    """An inner call that runs out of gas (as one starved by a relayer would) reverts the whole
    request: the relayer burns its own gas, the signer's nonce stays unused."""
    s1 = suppliers[0]
    request = Call(s1.address, probe.address, call_data("ForwarderProbe", "spin()"), 0, deadline)
    with brownie.reverts():
        relay.relayCall(request.abi_tuple(), sign(request), {"from": operator, "gas_limit": 200_000})
    assert relay.nonces(s1) == 0
    # a request that would have run is still valid after a starved attempt
    good = Call(s1.address, probe.address, call_data("ForwarderProbe", "record(uint256)", 5), 0, deadline)
    relay.relayCall(good.abi_tuple(), sign(good), {"from": operator})
    assert probe.lastSender() == s1


def test_token_ignores_a_suffix_from_anyone_but_the_relay(token, issue, suppliers):
    """ERC-2771: only the trusted forwarder's appended address counts; a caller appending
    another member's address acts as itself."""
    s1, s2 = suppliers[0], suppliers[1]
    payable_id, _ = issue(accept=False)
    data = call_data("PayableToken", "accept(uint256)", payable_id) + bytes.fromhex(s1.address[2:])
    with brownie.reverts(err("PayableNotCreditor", payable_id, s2)):
        s2.transfer(token, data=data)
    s1.transfer(token, data=data)  # s1 itself: accepted
    assert token.payableOf(payable_id)[2] == 2


def test_governance_is_not_relayable(relay, token, admin, operator, sign, deadline):
    """Settings check msg.sender: through the relay the caller is the relay, never the admin."""
    data = call_data("PayableToken", "setTradingPaused(bool)", True)
    request = Call(admin.address, token.address, data, 0, deadline)
    with brownie.reverts(err("PayableUnauthorized", relay, 1)):
        relay.relayCall(request.abi_tuple(), sign(request), {"from": operator})


def test_core_enterprise_issues_through_a_call(
    relay, token, currency, core, suppliers, register_package, operator, sign, deadline, chain
):
    """The debtor of a relayed issue is the signer (the core enterprise), not the relayer."""
    root = register_package(total=5_000 * CENTS, seller=suppliers[0])
    data = call_data(
        "PayableToken", "issue(address,uint64,address,uint40,bytes32,bytes32)", suppliers[0].address,
        5_000 * CENTS, currency.address, chain.time() + 30 * 86_400, root, b"\x01" * 32,
    )  # fmt: skip
    request = Call(core.address, token.address, data, 0, deadline)
    tx = relay.relayCall(request.abi_tuple(), sign(request), {"from": operator})
    assert tx.events["PayableIssued"]["debtor"] == core
    assert token.payableOf(tx.events["PayableIssued"]["payableId"])[0] == core


def test_payout_piece_relayed_with_one_signature(relay, token, issue, suppliers, operator, sign, deadline):
    """One signature pays a whole batch; the struct hash is EIP-712's (arrays hashed as the
    concatenation of their 32-byte words), so the Python digest and the relay agree."""
    s1 = suppliers[0]
    _, first = issue(face=1_000 * CENTS)
    receivers = [suppliers[1].address, suppliers[2].address, suppliers[3].address]
    values = [100 * CENTS, 200 * CENTS, 300 * CENTS]
    request = PayoutPiece(s1.address, first, receivers, values, 0, deadline)
    assert relay.hashTypedData(request.struct_hash()) == "0x" + request.digest(relay_domain(relay)).hex()
    balance = s1.balance()
    tx = relay.payoutPiece(request.abi_tuple(), sign(request), {"from": operator})
    new_first = tx.return_value
    assert [token.ownerOf(new_first + i) for i in range(3)] == receivers
    assert [token.balanceOf["uint256"](new_first + i) for i in range(3)] == values
    assert token.balanceOf["uint256"](first) == 400 * CENTS
    _relayed(tx, s1, PayoutPiece, 0, token)
    assert relay.nonces(s1) == 1 and s1.balance() == balance


def test_payout_piece_signature_covers_every_receiver_and_value(relay, issue, suppliers, operator, sign, deadline):
    s1 = suppliers[0]
    _, first = issue(face=1_000 * CENTS)
    signed = PayoutPiece(s1.address, first, [suppliers[1].address], [100 * CENTS], 0, deadline)
    changed = PayoutPiece(s1.address, first, [suppliers[2].address], [100 * CENTS], 0, deadline)
    with brownie.reverts(err("RelayBadSignature", s1)):
        relay.payoutPiece(changed.abi_tuple(), sign(signed), {"from": operator})
    more = PayoutPiece(s1.address, first, [suppliers[1].address], [200 * CENTS], 0, deadline)
    with brownie.reverts(err("RelayBadSignature", s1)):
        relay.payoutPiece(more.abi_tuple(), sign(signed), {"from": operator})


def relay_domain(relay):
    from tierchain.clients.requests import Domain

    return Domain(chain_id=brownie.chain.id, verifying_contract=relay.address)
