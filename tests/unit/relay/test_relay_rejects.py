"""What the relay refuses: expired, replayed or out-of-order requests, wrong signers, changed
fields, other domains, one kind's signature used as another, targets not allowed."""

from __future__ import annotations

import dataclasses

import brownie
import pytest
from brownie.exceptions import VirtualMachineError

from tests.conftest import CENTS, err, reverts_named
from tierchain.chain.abi import call_data
from tierchain.clients.requests import AcceptPayable, Call, Domain, MoveValue, SplitPiece, TransferPiece


def test_expired_request(relay, issue, suppliers, operator, sign, chain):
    s1 = suppliers[0]
    payable_id, _ = issue(accept=False)
    deadline = chain.time() + 60
    request = AcceptPayable(s1.address, payable_id, 0, deadline)
    signature = sign(request)
    chain.sleep(120)
    chain.mine()
    with reverts_named("RelayExpired"):
        relay.acceptPayable(request.abi_tuple(), signature, {"from": operator})


def test_expired_error_carries_deadline_and_time(relay, issue, suppliers, operator, sign, chain):
    s1 = suppliers[0]
    payable_id, _ = issue(accept=False)
    request = AcceptPayable(s1.address, payable_id, 0, 1_000)  # long past
    with pytest.raises(VirtualMachineError) as info:
        relay.acceptPayable(request.abi_tuple(), sign(request), {"from": operator})
    name, values = str(info.value.revert_msg).split(": ")
    deadline, now = (int(v) for v in values.split(", "))
    assert (name, deadline) == ("RelayExpired", 1_000)
    assert chain[-1].timestamp <= now <= chain.time() + 5  # the block time it was judged at


def test_request_runs_up_to_its_deadline(relay, issue, suppliers, operator, sign, chain):
    s1 = suppliers[0]
    payable_id, _ = issue(accept=False)
    at = chain.time() + 1_000
    request = AcceptPayable(s1.address, payable_id, 0, at)
    signature = sign(request)
    chain.sleep(at - chain.time() - 3)  # the relayed transaction's block is a few seconds before `at`
    chain.mine()
    tx = relay.acceptPayable(request.abi_tuple(), signature, {"from": operator})
    assert at - 10 <= tx.timestamp <= at


def test_replayed_request(relay, issue, suppliers, operator, sign, deadline):
    s1 = suppliers[0]
    payable_id, _ = issue(accept=False)
    request = AcceptPayable(s1.address, payable_id, 0, deadline)
    signature = sign(request)
    relay.acceptPayable(request.abi_tuple(), signature, {"from": operator})
    with brownie.reverts(err("RelayBadNonce", s1, 1, 0)):
        relay.acceptPayable(request.abi_tuple(), signature, {"from": operator})


def test_out_of_order_nonce(relay, issue, suppliers, operator, sign, deadline):
    s1 = suppliers[0]
    payable_id, _ = issue(accept=False)
    request = AcceptPayable(s1.address, payable_id, 1, deadline)
    with brownie.reverts(err("RelayBadNonce", s1, 0, 1)):
        relay.acceptPayable(request.abi_tuple(), sign(request), {"from": operator})


def test_wrong_signer(relay, issue, suppliers, operator, sign, deadline):
    s1, s2 = suppliers[0], suppliers[1]
    payable_id, _ = issue(accept=False)
    request = AcceptPayable(s1.address, payable_id, 0, deadline)
    with brownie.reverts(err("RelayBadSignature", s1)):
        relay.acceptPayable(request.abi_tuple(), sign(request, by=s2), {"from": operator})


def test_claiming_to_be_another_signer(relay, issue, suppliers, operator, sign, deadline):
    """s2 signs its own request correctly, then swaps in s1 as signer: refused."""
    s1, s2 = suppliers[0], suppliers[1]
    _, first = issue()
    own = SplitPiece(s2.address, first, s2.address, 1_000 * CENTS, 0, deadline)
    forged = dataclasses.replace(own, signer=s1.address)
    with brownie.reverts(err("RelayBadSignature", s1)):
        relay.splitPiece(forged.abi_tuple(), sign(own), {"from": operator})


def test_tampered_fields(relay, issue, suppliers, operator, sign, deadline):
    s1, s2, s3 = suppliers[0], suppliers[1], suppliers[2]
    _, first = issue()
    request = SplitPiece(s1.address, first, s2.address, 1_000 * CENTS, 0, deadline)
    signature = sign(request)
    for change in ({"value": 9_000 * CENTS}, {"to": s3.address}, {"deadline": deadline + 1}):
        tampered = dataclasses.replace(request, **change)
        with brownie.reverts(err("RelayBadSignature", s1)):
            relay.splitPiece(tampered.abi_tuple(), signature, {"from": operator})


def test_tampered_call_data(relay, probe, suppliers, operator, sign, deadline):
    s1 = suppliers[0]
    request = Call(s1.address, probe.address, call_data("ForwarderProbe", "record(uint256)", 1), 0, deadline)
    tampered = dataclasses.replace(request, data=call_data("ForwarderProbe", "record(uint256)", 2))
    with brownie.reverts(err("RelayBadSignature", s1)):
        relay.relayCall(tampered.abi_tuple(), sign(request), {"from": operator})


def test_other_chain_id_in_the_domain(relay, issue, suppliers, operator, sign, domain, deadline):
    s1 = suppliers[0]
    payable_id, _ = issue(accept=False)
    request = AcceptPayable(s1.address, payable_id, 0, deadline)
    other = dataclasses.replace(domain, chain_id=domain.chain_id + 1)
    with brownie.reverts(err("RelayBadSignature", s1)):
        relay.acceptPayable(request.abi_tuple(), sign(request, domain_=other), {"from": operator})


def test_other_contract_in_the_domain(
    RequestRelay, relay, token, membership, issue, suppliers, operator, sign, domain, deadline, admin
):
    """A request signed for one relay does not run on another (cross-contract replay)."""
    s1 = suppliers[0]
    payable_id, _ = issue(accept=False)
    request = AcceptPayable(s1.address, payable_id, 0, deadline)
    for other in (
        dataclasses.replace(domain, verifying_contract=token.address),
        Domain(chain_id=domain.chain_id, verifying_contract=RequestRelay.deploy(membership, {"from": admin}).address),
        dataclasses.replace(domain, name="tierchain-test"),
        dataclasses.replace(domain, version="2"),
    ):
        with brownie.reverts(err("RelayBadSignature", s1)):
            relay.acceptPayable(request.abi_tuple(), sign(request, domain_=other), {"from": operator})


def test_signature_for_one_kind_is_not_another(relay, token, issue, suppliers, operator, sign, deadline):
    """SplitPiece and MoveValue encode to the same words when `to` is read as a token id: only
    the type hashes tell them apart."""
    s1, s2 = suppliers[0], suppliers[1]
    _, first = issue()
    split = SplitPiece(s1.address, first, s2.address, 1_000 * CENTS, 0, deadline)
    as_move = MoveValue(s1.address, first, int(s2.address, 16), 1_000 * CENTS, 0, deadline)
    assert split.abi_tuple()[2] != as_move.abi_tuple()[2] and split.struct_hash() != as_move.struct_hash()
    with brownie.reverts(err("RelayBadSignature", s1)):
        relay.moveValue(as_move.abi_tuple(), sign(split), {"from": operator})
    transfer = TransferPiece(s1.address, first, s2.address, 0, deadline)
    accept = AcceptPayable(s1.address, first, 0, deadline)
    with brownie.reverts(err("RelayBadSignature", s1)):
        relay.acceptPayable(accept.abi_tuple(), sign(transfer), {"from": operator})


def test_malformed_signatures(relay, issue, suppliers, operator, sign, deadline):
    s1 = suppliers[0]
    payable_id, _ = issue(accept=False)
    request = AcceptPayable(s1.address, payable_id, 0, deadline)
    good = sign(request)
    n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
    s = int.from_bytes(good[32:64], "big")
    high_s = good[:32] + (n - s).to_bytes(32, "big") + bytes([28 if good[64] == 27 else 27])  # same key, malleated
    for bad in (b"", good[:64], good + b"\x00", high_s):
        with brownie.reverts(err("RelayBadSignature", s1)):
            relay.acceptPayable(request.abi_tuple(), bad, {"from": operator})


def test_zero_signer(relay, issue, operator, deadline):
    payable_id, _ = issue(accept=False)
    request = (brownie.ZERO_ADDRESS, payable_id, 0, deadline)
    with brownie.reverts(err("RelayZeroAddress")):
        relay.acceptPayable(request, b"\x00" * 65, {"from": operator})


def test_target_not_allowed(relay, registry, suppliers, operator, sign, deadline):
    s1 = suppliers[0]
    data = call_data("InvoiceRegistry", "bindToken(address)", s1.address)
    request = Call(s1.address, registry.address, data, 0, deadline)
    with brownie.reverts(err("RelayTargetNotAllowed", registry)):
        relay.relayCall(request.abi_tuple(), sign(request), {"from": operator})


def test_disallowed_token_stops_typed_requests(relay, token, issue, suppliers, operator, admin, sign, deadline):
    s1 = suppliers[0]
    payable_id, _ = issue(accept=False)
    tx = relay.setTargetAllowed(token, False, {"from": admin})
    assert tx.events["TargetAllowed"]["allowed"] is False
    request = AcceptPayable(s1.address, payable_id, 0, deadline)
    with brownie.reverts(err("RelayTargetNotAllowed", token)):
        relay.acceptPayable(request.abi_tuple(), sign(request), {"from": operator})
    relay.setTargetAllowed(token, True, {"from": admin})
    relay.acceptPayable(request.abi_tuple(), sign(request), {"from": operator})
