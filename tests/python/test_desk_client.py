"""DeskClient end to end through the library (deploy_all wires the desk as the token's agent)."""

from __future__ import annotations

import pytest
from web3 import Web3

from tierchain.clients.desk import DeskClient, Offer
from tierchain.core.errors import DeskError, UsageError

DAY = 86_400


@pytest.fixture
def desk(w3, lib_deployment):
    return DeskClient(w3, lib_deployment.desk)


def _payable(lib, sender, w3, face=1_000_000_00):
    core, supplier = sender(2), sender(3)
    root = Web3.keccak(text=f"desk-client-root-{w3.eth.block_number}")
    lib.registry.register_package(core, root, 10, face, supplier.address, Web3.keccak(text="doc"))
    now = w3.eth.get_block("latest")["timestamp"]
    payable_id, token_id = lib.token.issue(
        core, supplier.address, face, lib.deployment.currency, now + 90 * DAY, root, Web3.keccak(text="conf")
    )
    lib.token.accept(supplier, payable_id)
    return token_id


def test_deploy_all_makes_the_desk_an_agent(lib, desk, lib_deployment):
    assert lib.token._view("agentKinds(address)", lib_deployment.desk) == 1
    assert desk.eip712_domain()["verifyingContract"] == lib_deployment.desk


def test_sign_take_record_and_replay(lib, desk, sender, keys, w3):
    token_id = _payable(lib, sender, w3)
    financier, supplier, operator = sender(9), sender(3), sender(1)
    lib.currency.mint(operator, financier.address, 5_000_000_00)
    desk.approve_currency(financier, lib.deployment.currency, 2**256 - 1)
    now = w3.eth.get_block("latest")["timestamp"]
    offer = Offer.at_rate(financier.address, token_id, 400_000_00, 600, deadline=now + 3600, recourse=True)
    signed = desk.sign(keys[9], offer)
    assert desk.hash_offer(offer) == signed.offer_hash
    result = desk.take(supplier, signed)
    assert result.price == offer.price_at(w3.eth.get_block(result.receipt.block_number)["timestamp"])
    assert lib.currency.balance_of(supplier.address) == result.currency_amount == result.price
    record = desk.financing_of(result.token_id)
    assert record is not None and record.recourse and record.seller == supplier.address
    assert desk.financing_of(token_id) is None
    assert desk.offer_status(signed.offer_hash) == "taken"
    with pytest.raises(DeskError) as info:
        desk.take(supplier, signed)
    assert info.value.error_name == "DeskOfferUsed"


def test_post_cancel_and_nonce_floor(lib, desk, sender, w3):
    token_id = _payable(lib, sender, w3)
    financier = sender(9)
    now = w3.eth.get_block("latest")["timestamp"]
    offer = Offer.fixed(financier.address, token_id, 1000_00, 990_00, deadline=now + 3600, nonce=5)
    h = desk.post(financier, offer)
    assert desk.offer_status(h) == "posted" and desk.price_of(offer) == 990_00
    desk.cancel(financier, h)
    assert desk.is_cancelled(financier.address, h)
    with pytest.raises(DeskError) as info:
        desk.take_posted(sender(3), offer)
    assert info.value.error_name == "DeskOfferCancelled"
    desk.invalidate_nonces(financier, 6)
    assert desk.nonce_floor_of(financier.address) == 6


def test_quote_matches_the_model(desk):
    assert desk.quote(100_000_000, 600, 90 * DAY) == 98_520_548


def test_offer_checks_its_terms():
    with pytest.raises(UsageError):
        Offer.fixed("0x" + "11" * 20, 1, 100, 101, deadline=1)
    with pytest.raises(UsageError):
        Offer.at_rate("0x" + "11" * 20, 1, 100, 10_001, deadline=1)
    with pytest.raises(UsageError):
        Offer.fixed("0x" + "11" * 20, 1, 0, 0, deadline=1)
