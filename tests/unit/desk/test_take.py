"""Taking offers: the piece and the price move together; the terms are recorded."""

from __future__ import annotations

import brownie
import pytest
from desk_support import FUNDS, b32

from tests.conftest import CENTS, DAY, err
from tierchain.core.money import discount_price


def _state(token, currency, token_id, seller, financier):
    return (
        token.ownerOf(token_id),
        token.balanceOf["uint256"](token_id),
        currency.balanceOf(seller),
        currency.balanceOf(financier),
    )


def test_signed_fixed_price_whole_piece_moves_piece_and_price(
    desk, token, currency, piece, offer_for, sign, suppliers, funded
):
    seller, financier = suppliers[0], funded[0]
    value = token.balanceOf["uint256"](piece)
    offer = offer_for(piece, value, price=985_000 * CENTS, recourse=True)
    signed = sign(offer)
    tx = desk.take(offer.as_tuple(), signed.signature, {"from": seller})

    assert tx.return_value == piece  # whole piece: same id
    assert token.ownerOf(piece) == financier
    assert currency.balanceOf(seller) == 985_000 * CENTS
    assert currency.balanceOf(financier) == FUNDS - 985_000 * CENTS
    rec = desk.financingOf(piece)
    assert rec["financier"] == financier and rec["seller"] == seller
    assert rec["value"] == value and rec["price"] == 985_000 * CENTS
    assert rec["recourse"] is True and rec["financedAt"] == tx.timestamp
    ev = tx.events["Financed"]
    assert ev["offerHash"] == "0x" + signed.offer_hash.hex()
    assert ev["fromTokenId"] == piece and ev["tokenId"] == piece
    assert ev["financier"] == financier and ev["seller"] == seller
    assert ev["value"] == value and ev["price"] == 985_000 * CENTS
    assert ev["currencyAmount"] == 985_000 * CENTS and ev["recourse"] is True
    assert desk.offerStatus(signed.offer_hash) == 2  # taken


def test_signed_rate_part_piece_splits_and_prices_on_days_left(
    desk, token, currency, piece, offer_for, sign, suppliers, funded
):
    seller, financier = suppliers[0], funded[0]
    offer = offer_for(piece, 400_000 * CENTS, rate_bps=600)
    tx = desk.take(offer.as_tuple(), sign(offer).signature, {"from": seller})

    new_id = tx.return_value
    assert new_id != piece and token.ownerOf(new_id) == financier
    assert token.balanceOf["uint256"](new_id) == 400_000 * CENTS
    assert token.balanceOf["uint256"](piece) == 600_000 * CENTS and token.ownerOf(piece) == seller
    expected = discount_price(400_000 * CENTS, 600, (piece >> 96) - tx.timestamp)
    assert tx.events["Financed"]["price"] == expected
    assert currency.balanceOf(seller) == expected
    rec = desk.financingOf(new_id)
    assert rec["recourse"] is False and rec["price"] == expected and rec["value"] == 400_000 * CENTS
    assert desk.financingOf(piece)["financier"] == brownie.ZERO_ADDRESS  # the seller's rest: none


def test_issue_example_price_at_90_days(desk, token, currency, issue_in, funded, offer_for, sign, suppliers, chain):
    """1,000,000.00 at 6 % a year, 90 whole days (plus part of a day) left: 985,205.48."""
    _, pid = issue_in(currency, tenor=90 * DAY + 3600)
    offer = offer_for(pid, 1_000_000 * CENTS, rate_bps=600)
    tx = desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})
    assert (pid >> 96) - tx.timestamp >= 90 * DAY  # 90 days and a bit: the part day does not count
    assert tx.events["Financed"]["price"] == 98_520_548
    assert currency.balanceOf(suppliers[0]) == 98_520_548


def test_named_seller_may_take(desk, token, currency, piece, offer_for, sign, suppliers, funded):
    seller, financier = suppliers[0], funded[0]
    before = token.balanceOf["uint256"](piece)
    offer = offer_for(piece, 1000 * CENTS, price=990 * CENTS, seller=seller)
    signed = sign(offer)
    tx = desk.take(offer.as_tuple(), signed.signature, {"from": seller})
    part = tx.return_value
    assert part != piece  # a part: split off to the financier
    assert token.ownerOf(part) == financier and token.balanceOf["uint256"](part) == 1000 * CENTS
    assert token.ownerOf(piece) == seller and token.balanceOf["uint256"](piece) == before - 1000 * CENTS
    assert currency.balanceOf(seller) == 990 * CENTS and currency.balanceOf(financier) == FUNDS - 990 * CENTS
    ev = tx.events["Financed"]
    assert ev["offerHash"] == "0x" + signed.offer_hash.hex() and ev["fromTokenId"] == piece
    assert (ev["tokenId"], ev["financier"], ev["seller"]) == (part, financier, seller)
    assert (ev["value"], ev["price"], ev["currencyAmount"]) == (1000 * CENTS, 990 * CENTS, 990 * CENTS)
    rec = desk.financingOf(part)
    assert rec["seller"] == seller and rec["financier"] == financier and rec["price"] == 990 * CENTS
    assert desk.offerStatus(signed.offer_hash) == 2  # used: it cannot be taken again


def test_posted_offer_taken_once(desk, token, currency, piece, offer_for, suppliers, funded):
    offer = offer_for(piece, 1000 * CENTS, price=990 * CENTS, recourse=True)
    tx = desk.post(offer.as_tuple(), {"from": funded[0]})
    h = tx.return_value
    assert tx.events["OfferPosted"]["offerHash"] == h and desk.offerStatus(h) == 1
    tx = desk.takePosted(offer.as_tuple(), {"from": suppliers[0]})
    assert currency.balanceOf(suppliers[0]) == 990 * CENTS
    assert desk.financingOf(tx.return_value)["recourse"] is True
    with brownie.reverts(err("DeskOfferUsed", b32(h))):
        desk.takePosted(offer.as_tuple(), {"from": suppliers[0]})


def test_take_posted_needs_a_posted_offer(desk, piece, offer_for, suppliers, funded):
    offer = offer_for(piece, 1000 * CENTS)
    h = desk.hashOffer(offer.as_tuple())
    with brownie.reverts(err("DeskOfferNotPosted", b32(h))):
        desk.takePosted(offer.as_tuple(), {"from": suppliers[0]})


def test_a_failed_take_moves_nothing(desk, token, currency, piece, offer_for, sign, suppliers, funded):
    """Allowance too small: the token moved first inside the transaction, and is moved back."""
    currency.approve(desk, 10 * CENTS, {"from": funded[0]})
    before = _state(token, currency, piece, suppliers[0], funded[0])
    offer = offer_for(piece, 1000 * CENTS)
    signed = sign(offer)
    with brownie.reverts():
        desk.take(offer.as_tuple(), signed.signature, {"from": suppliers[0]})
    assert _state(token, currency, piece, suppliers[0], funded[0]) == before
    assert desk.offerStatus(signed.offer_hash) == 0
    assert token.payableOf(piece >> 32 & (2**64 - 1))["pieceCount"] == 1


@pytest.mark.parametrize("recourse", [True, False])
def test_recourse_flag_is_recorded(desk, piece, offer_for, sign, suppliers, recourse):
    offer = offer_for(piece, 2000 * CENTS, recourse=recourse)
    tx = desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})
    assert desk.financingOf(tx.return_value)["recourse"] is recourse
