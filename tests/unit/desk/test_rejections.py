"""Every way an offer can fail: it changes nothing and reverts with a named Desk error."""

from __future__ import annotations

from dataclasses import replace

import brownie
import pytest
from desk_support import ZERO, b32
from eth_account import Account

from tests.conftest import CENTS, DAY, err, h, reverts_named
from tierchain.clients.desk import Offer, sign_offer

SECP_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _raw(offer: Offer, **changes):
    """The ABI tuple with fields replaced, bypassing the library's own checks."""
    t = list(offer.as_tuple())
    names = ["financier", "seller", "tokenId", "value", "pricing", "price", "rateBps", "recourse", "nonce", "deadline"]
    for k, v in changes.items():
        t[names.index(k)] = v
    return tuple(t)


@pytest.fixture
def snapshot(token, currency, desk):
    def take(piece, seller, financier):
        return (
            token.ownerOf(piece),
            token.balanceOf["uint256"](piece),
            currency.balanceOf(seller),
            currency.balanceOf(financier),
            token.balanceOf["address"](financier),
        )

    return take


def test_replayed_signed_offer_reverts(desk, piece, offer_for, sign, suppliers):
    offer = offer_for(piece, 1000 * CENTS)
    s = sign(offer)
    desk.take(offer.as_tuple(), s.signature, {"from": suppliers[0]})
    with brownie.reverts(err("DeskOfferUsed", s.offer_hash)):
        desk.take(offer.as_tuple(), s.signature, {"from": suppliers[0]})


def test_expired_offer_reverts(desk, piece, offer_for, sign, suppliers, chain, snapshot, funded):
    offer = offer_for(piece, 1000 * CENTS, deadline=chain.time() + 60)
    s = sign(offer)
    chain.sleep(120)
    chain.mine()
    before = snapshot(piece, suppliers[0], funded[0])
    with reverts_named("DeskOfferExpired"):
        desk.take(offer.as_tuple(), s.signature, {"from": suppliers[0]})
    assert snapshot(piece, suppliers[0], funded[0]) == before


def test_cancelled_by_hash_reverts(desk, piece, offer_for, sign, suppliers, funded):
    offer = offer_for(piece, 1000 * CENTS)
    s = sign(offer)
    tx = desk.cancel(s.offer_hash, {"from": funded[0]})
    assert tx.events["OfferCancelled"]["financier"] == funded[0]
    assert desk.isCancelled(funded[0], s.offer_hash)
    with brownie.reverts(err("DeskOfferCancelled", s.offer_hash)):
        desk.take(offer.as_tuple(), s.signature, {"from": suppliers[0]})
    with brownie.reverts(err("DeskOfferCancelled", s.offer_hash)):
        desk.cancel(s.offer_hash, {"from": funded[0]})


def test_cancel_by_someone_else_does_not_touch_the_offer(
    desk, token, currency, piece, offer_for, sign, suppliers, funded
):
    offer = offer_for(piece, 1000 * CENTS, price=995 * CENTS)
    s = sign(offer)
    tx = desk.cancel(s.offer_hash, {"from": funded[1]})  # only marks funded[1]'s own (non-)offer
    assert dict(tx.events["OfferCancelled"]) == {"offerHash": "0x" + s.offer_hash.hex(), "financier": funded[1]}
    assert desk.isCancelled(funded[1], s.offer_hash) and not desk.isCancelled(funded[0], s.offer_hash)
    assert desk.offerStatus(s.offer_hash) == 0
    tx = desk.take(offer.as_tuple(), s.signature, {"from": suppliers[0]})
    assert tx.events["Financed"]["financier"] == funded[0] and tx.events["Financed"]["price"] == 995 * CENTS
    assert token.ownerOf(tx.return_value) == funded[0] and currency.balanceOf(suppliers[0]) == 995 * CENTS
    assert desk.offerStatus(s.offer_hash) == 2


def test_cancel_after_take_reverts(desk, piece, offer_for, sign, suppliers, funded):
    offer = offer_for(piece, 1000 * CENTS)
    s = sign(offer)
    desk.take(offer.as_tuple(), s.signature, {"from": suppliers[0]})
    with brownie.reverts(err("DeskOfferUsed", s.offer_hash)):
        desk.cancel(s.offer_hash, {"from": funded[0]})


def test_posted_offer_cancelled(desk, piece, offer_for, suppliers, funded):
    offer = offer_for(piece, 1000 * CENTS)
    hh = b32(desk.post(offer.as_tuple(), {"from": funded[0]}).return_value)
    desk.cancel(hh, {"from": funded[0]})
    with brownie.reverts(err("DeskOfferCancelled", hh)):
        desk.takePosted(offer.as_tuple(), {"from": suppliers[0]})


def test_nonce_floor_voids_lower_nonces(desk, piece, offer_for, sign, suppliers, funded):
    low, high = offer_for(piece, 1000 * CENTS, nonce=5), offer_for(piece, 1000 * CENTS, nonce=6)
    tx = desk.invalidateNonces(6, {"from": funded[0]})
    assert tx.events["NoncesInvalidated"]["nonceFloor"] == 6 and desk.nonceFloorOf(funded[0]) == 6
    with brownie.reverts(err("DeskNonceInvalidated", funded[0], 5, 6)):
        desk.take(low.as_tuple(), sign(low).signature, {"from": suppliers[0]})
    desk.take(high.as_tuple(), sign(high).signature, {"from": suppliers[0]})


def test_nonce_floor_only_rises(desk, funded):
    desk.invalidateNonces(10, {"from": funded[0]})
    with brownie.reverts(err("DeskNonceFloorNotRaised", funded[0], 10, 10)):
        desk.invalidateNonces(10, {"from": funded[0]})


def test_wrong_signer_reverts(desk, piece, offer_for, sign, suppliers, funded):
    offer = offer_for(piece, 1000 * CENTS)
    s = sign(offer)
    stranger = Account.from_key(b"\x11" * 32)
    # The stranger signs the very same terms (as if it were the financier): not the financier's.
    forged = sign_offer(stranger, replace(offer, financier=stranger.address), 1337, desk.address)
    with brownie.reverts(err("DeskInvalidSignature", funded[0], s.offer_hash)):
        desk.take(offer.as_tuple(), forged.signature, {"from": suppliers[0]})


@pytest.mark.parametrize("where", ["chain", "contract"])
def test_signature_for_another_domain_reverts(
    desk, FinancingDesk, token, membership, admin, piece, offer_for, sign, suppliers, funded, where
):
    offer = offer_for(piece, 1000 * CENTS)
    if where == "chain":
        s = sign(offer, chain_id=1)
    else:
        other = FinancingDesk.deploy(token, membership, ZERO, {"from": admin})
        s = sign(offer, at=other)
    with brownie.reverts(err("DeskInvalidSignature", funded[0], b32(desk.hashOffer(offer.as_tuple())))):
        desk.take(offer.as_tuple(), s.signature, {"from": suppliers[0]})


def test_malleable_high_s_signature_reverts(desk, piece, offer_for, sign, suppliers, funded):
    offer = offer_for(piece, 1000 * CENTS)
    sig = sign(offer).signature
    r, s, v = sig[:32], int.from_bytes(sig[32:64], "big"), sig[64]
    flipped = r + (SECP_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28
    with brownie.reverts(err("DeskInvalidSignature", funded[0], b32(desk.hashOffer(offer.as_tuple())))):
        desk.take(offer.as_tuple(), flipped, {"from": suppliers[0]})


def test_taker_not_owner_reverts(desk, piece, offer_for, sign, suppliers):
    offer = offer_for(piece, 1000 * CENTS)
    with brownie.reverts(err("DeskNotOwner", piece, suppliers[1], suppliers[0])):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[1]})


def test_offer_to_another_seller_reverts(desk, piece, offer_for, sign, suppliers):
    offer = offer_for(piece, 1000 * CENTS, seller=suppliers[1])
    s = sign(offer)
    with brownie.reverts(err("DeskWrongSeller", s.offer_hash, suppliers[1], suppliers[0])):
        desk.take(offer.as_tuple(), s.signature, {"from": suppliers[0]})


def test_unknown_piece_reverts(desk, piece, offer_for, sign, suppliers):
    ghost = piece + 7
    offer = offer_for(ghost, 1000 * CENTS)
    with brownie.reverts(err("DeskUnknownPiece", ghost)):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})


def test_value_above_piece_reverts(desk, piece, offer_for, sign, suppliers):
    offer = offer_for(piece, 1_000_001 * CENTS, price=1000 * CENTS)
    with brownie.reverts(err("DeskInvalidValue", piece, 1_000_001 * CENTS, 1_000_000 * CENTS)):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})


def test_zero_value_reverts(desk, piece, offer_for, suppliers, funded):
    raw = _raw(offer_for(piece, 1000 * CENTS, rate_bps=100), value=0)
    desk.post(raw, {"from": funded[0]})
    with brownie.reverts(err("DeskInvalidValue", piece, 0, 1_000_000 * CENTS)):
        desk.takePosted(raw, {"from": suppliers[0]})


@pytest.mark.parametrize("pricing,price,rate", [(0, 0, 0), (0, 100, 5), (1, 100, 600), (1, 0, 10_001)])
def test_inconsistent_pricing_reverts(desk, piece, offer_for, funded, pricing, price, rate):
    raw = _raw(offer_for(piece, 1000 * CENTS), pricing=pricing, price=price, rateBps=rate)
    with brownie.reverts(err("DeskInvalidPricing", pricing, price, rate)):
        desk.post(raw, {"from": funded[0]})
    with brownie.reverts(err("DeskInvalidPricing", pricing, price, rate)):
        desk.priceOf(raw)


def test_fixed_price_above_value_reverts(desk, piece, offer_for, funded, suppliers, keys, chain):
    raw = _raw(offer_for(piece, 1000 * CENTS), price=1001 * CENTS)
    with brownie.reverts(err("DeskPriceAboveValue", 1001 * CENTS, 1000 * CENTS)):
        desk.post(raw, {"from": funded[0]})


def test_rate_that_eats_the_value_reverts(desk, token, currency, issue_in, offer_for, sign, suppliers, operator):
    """100 % a year with more than 365 days left (tenor cap raised to 400 days): price 0."""
    token.setMaxTenor(400 * DAY, {"from": operator})
    _, pid = issue_in(currency, tenor=380 * DAY)
    offer = offer_for(pid, 1000 * CENTS, rate_bps=10_000)
    with reverts_named("DeskZeroPrice"):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})


def test_trading_pause_stops_financing(desk, token, piece, offer_for, sign, suppliers, operator):
    offer = offer_for(piece, 1000 * CENTS)
    token.setTradingPaused(True, {"from": operator})
    with brownie.reverts(err("DeskTradingPaused")):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})


def test_matured_piece_is_not_financed(desk, piece, offer_for, sign, suppliers, chain):
    maturity = piece >> 96
    offer = offer_for(piece, 1000 * CENTS, deadline=maturity + DAY)
    later = offer_for(piece, 1000 * CENTS, deadline=maturity + DAY, nonce=2)
    chain.sleep(maturity - chain.time() - 3)  # maturity - 1 (ish): still financed
    chain.mine()
    tx = desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})
    assert tx.timestamp < maturity
    chain.sleep(5)
    chain.mine()
    with reverts_named("DeskMatured"):
        desk.take(later.as_tuple(), sign(later).signature, {"from": suppliers[0]})


def test_financier_without_role_or_suspended_is_refused(
    desk, piece, offer_for, sign, suppliers, funded, membership, operator, keys
):
    membership.suspend(funded[0], h("kyc lapsed"), {"from": operator})
    offer = offer_for(piece, 1000 * CENTS)
    with brownie.reverts(err("DeskNotFinancier", funded[0])):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})
    with brownie.reverts(err("DeskNotFinancier", funded[0])):
        desk.post(offer.as_tuple(), {"from": funded[0]})
    # A supplier posing as a financier.
    fake = offer_for(piece, 1000 * CENTS, financier=suppliers[2])
    with brownie.reverts(err("DeskNotFinancier", suppliers[2])):
        desk.take(fake.as_tuple(), sign(fake).signature, {"from": suppliers[0]})


def test_frozen_financier_is_refused(desk, piece, offer_for, sign, suppliers, funded, membership, regulator):
    membership.freeze(funded[0], h("court order"), {"from": regulator})
    offer = offer_for(piece, 1000 * CENTS)
    with brownie.reverts(err("DeskNotFinancier", funded[0])):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})


def test_suspended_seller_is_refused(desk, piece, offer_for, sign, suppliers, membership, operator):
    membership.suspend(suppliers[0], h("reason"), {"from": operator})
    offer = offer_for(piece, 1000 * CENTS)
    with brownie.reverts(err("DeskNotMember", suppliers[0])):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})


def test_financier_cannot_buy_from_itself(desk, piece, offer_for, sign, suppliers, funded):
    first = offer_for(piece, 1000 * CENTS)
    bought = desk.take(first.as_tuple(), sign(first).signature, {"from": suppliers[0]}).return_value
    own = offer_for(bought, 1000 * CENTS, nonce=9)
    with brownie.reverts(err("DeskSelfDealing", funded[0])):
        desk.take(own.as_tuple(), sign(own).signature, {"from": funded[0]})


def test_financier_may_sell_on_to_another_financier(desk, piece, offer_for, sign, suppliers, funded):
    first = offer_for(piece, 1000 * CENTS)
    bought = desk.take(first.as_tuple(), sign(first).signature, {"from": suppliers[0]}).return_value
    resale = offer_for(bought, 1000 * CENTS, price=999 * CENTS, financier=funded[1], nonce=3)
    tx = desk.take(resale.as_tuple(), sign(resale).signature, {"from": funded[0]})
    assert tx.return_value == bought
    rec = desk.financingOf(bought)
    assert rec["financier"] == funded[1] and rec["seller"] == funded[0] and rec["price"] == 999 * CENTS


def test_post_by_someone_else_reverts(desk, piece, offer_for, suppliers, funded):
    offer = offer_for(piece, 1000 * CENTS)
    with brownie.reverts(err("DeskNotOfferFinancier", funded[1], funded[0])):
        desk.post(offer.as_tuple(), {"from": funded[1]})


def test_post_twice_reverts(desk, piece, offer_for, funded):
    offer = offer_for(piece, 1000 * CENTS)
    hh = b32(desk.post(offer.as_tuple(), {"from": funded[0]}).return_value)
    with brownie.reverts(err("DeskOfferAlreadyPosted", hh)):
        desk.post(offer.as_tuple(), {"from": funded[0]})


def test_part_leaving_dust_is_refused_by_the_token(desk, piece, offer_for, sign, suppliers):
    offer = offer_for(piece, 1_000_000 * CENTS - 50, price=1000 * CENTS)
    with brownie.reverts(err("PayableBelowMinimum", piece, 50, 100)):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})


def test_frozen_piece_is_refused_by_the_token(desk, token, piece, offer_for, sign, suppliers, regulator):
    token.freezePiece(piece, h("order"), {"from": regulator})
    offer = offer_for(piece, 1_000_000 * CENTS, price=1000 * CENTS)
    with brownie.reverts(err("PayablePieceFrozen", piece)):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})


def test_desk_without_agent_rights_cannot_move_pieces(
    FinancingDesk, token, membership, admin, piece, offer_for, suppliers, keys, chain
):
    rogue = FinancingDesk.deploy(token, membership, ZERO, {"from": admin})
    offer = offer_for(piece, 1000 * CENTS)
    s = sign_offer(keys[offer.financier], offer, chain.id, rogue.address)
    with brownie.reverts(err("PayableNotAgent", rogue, 3)):
        rogue.take(offer.as_tuple(), s.signature, {"from": suppliers[0]})


def test_constructor_rejects_zero_addresses(FinancingDesk, membership, admin):
    with brownie.reverts(err("DeskZeroAddress")):
        FinancingDesk.deploy(ZERO, membership, ZERO, {"from": admin})
