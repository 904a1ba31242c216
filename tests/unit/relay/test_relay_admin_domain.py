"""The relay's domain (ERC-5267), type hashes, allow-list and token binding."""

from __future__ import annotations

import brownie

from tests.conftest import MAX_TENOR, MIN_PIECE, err
from tierchain.clients.requests import KINDS, AcceptPayable, Call, MoveValue, SplitPiece, TransferPiece


def test_erc5267_domain(relay, chain):
    fields, name, version, chain_id, contract, salt, extensions = relay.eip712Domain()
    assert fields == "0x0f"
    assert (name, version, chain_id, contract) == ("tierchain", "1", chain.id, relay.address)
    assert salt == "0x" + "00" * 32
    assert list(extensions) == []


def test_domain_separator_and_digest_match_the_library(relay, domain, suppliers):
    assert relay.domainSeparator() == "0x" + domain.separator.hex()
    request = SplitPiece(suppliers[0].address, 5, suppliers[1].address, 100, 0, 10**10)
    assert relay.hashTypedData(request.struct_hash()) == "0x" + request.digest(domain).hex()


def test_type_hashes_are_the_published_type_strings(relay):
    assert relay.ACCEPT_PAYABLE_TYPEHASH() == "0x" + AcceptPayable.type_hash().hex()
    assert relay.SPLIT_PIECE_TYPEHASH() == "0x" + SplitPiece.type_hash().hex()
    assert relay.MOVE_VALUE_TYPEHASH() == "0x" + MoveValue.type_hash().hex()
    assert relay.TRANSFER_PIECE_TYPEHASH() == "0x" + TransferPiece.type_hash().hex()
    assert relay.CALL_TYPEHASH() == "0x" + Call.type_hash().hex()
    assert len({k.type_hash() for k in KINDS.values()}) == len(KINDS)


def test_wiring(relay, token, membership):
    assert relay.token() == token
    assert relay.membership() == membership
    assert relay.isTargetAllowed(token)
    assert token.trustedForwarder() == relay
    assert token.isTrustedForwarder(relay)


def test_constructor_rejects_zero_membership(RequestRelay, admin):
    with brownie.reverts(err("RelayZeroAddress")):
        RequestRelay.deploy(brownie.ZERO_ADDRESS, {"from": admin})


def test_only_the_admin_administers(relay, token, probe, operator):
    with brownie.reverts(err("RelayNotAdmin", operator)):
        relay.setTargetAllowed(probe, False, {"from": operator})
    with brownie.reverts(err("RelayNotAdmin", operator)):
        relay.bindToken(token, {"from": operator})


def test_allow_list_events_and_checks(relay, probe, registry, suppliers, admin):
    tx = relay.setTargetAllowed(probe, False, {"from": admin})
    assert tx.events["TargetAllowed"]["target"] == probe
    assert not relay.isTargetAllowed(probe)
    with brownie.reverts(err("RelayZeroAddress")):
        relay.setTargetAllowed(brownie.ZERO_ADDRESS, True, {"from": admin})
    for untrusting in (registry, suppliers[0], relay):  # no 2771, no code, the relay itself
        with brownie.reverts(err("RelayNotTrustedForwarder", untrusting)):
            relay.setTargetAllowed(untrusting, True, {"from": admin})


def test_allow_list_rejects_a_target_trusting_another_forwarder(ForwarderProbe, relay, admin, operator):
    other = ForwarderProbe.deploy(operator, {"from": admin})
    with brownie.reverts(err("RelayNotTrustedForwarder", other)):
        relay.setTargetAllowed(other, True, {"from": admin})


def test_token_binds_once(relay, token, admin):
    with brownie.reverts(err("RelayTokenAlreadyBound", token)):
        relay.bindToken(token, {"from": admin})


def test_unbound_relay(
    RequestRelay, PayableToken, membership, registry, suppliers, admin, operator, sign, deadline, domain
):
    fresh = RequestRelay.deploy(membership, {"from": admin})
    with brownie.reverts(err("RelayTokenNotBound")):
        fresh.acceptPayable((suppliers[0].address, 1, 0, deadline), b"", {"from": operator})
    with brownie.reverts(err("RelayZeroAddress")):
        fresh.bindToken(brownie.ZERO_ADDRESS, {"from": admin})
    other = PayableToken.deploy(membership, registry, MIN_PIECE, MAX_TENOR, operator, {"from": admin})
    with brownie.reverts(err("RelayNotTrustedForwarder", other)):
        fresh.bindToken(other, {"from": admin})
    own = PayableToken.deploy(membership, registry, MIN_PIECE, MAX_TENOR, fresh, {"from": admin})
    tx = fresh.bindToken(own, {"from": admin})
    assert tx.events["TokenBound"]["token"] == own
    assert fresh.isTargetAllowed(own)


def test_relay_never_takes_ether(RequestRelay):
    assert [e["name"] for e in RequestRelay.abi if e.get("stateMutability") == "payable"] == []
    assert not any(e["type"] in ("receive", "fallback") for e in RequestRelay.abi)
