"""Settlement currencies that misbehave, contract financiers (ERC-1271), relayed callers
(ERC-2771) and the EIP-712 domain."""

from __future__ import annotations

import brownie
import pytest
from desk_support import b32
from eth_utils import keccak

from tests.conftest import CENTS, ROLE_FINANCIER, err, h
from tierchain.clients.desk import OFFER_TYPE, Offer, offer_hash


@pytest.fixture
def paying(desk, funded):
    """Fund and approve the first financier in a test currency."""

    def fund(cur, amount=10**40):
        cur.mint(funded[0], amount, {"from": funded[0]})
        cur.approve(desk, 2**256 - 1, {"from": funded[0]})
        return cur

    return fund


def test_eighteen_decimal_currency_scales_the_price(
    desk, OpenERC20, issue_in, paying, offer_for, sign, suppliers, funded, admin
):
    cur = paying(OpenERC20.deploy("E18", 18, {"from": admin}))
    _, pid = issue_in(cur)
    offer = offer_for(pid, 1000 * CENTS, price=990 * CENTS)
    tx = desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})
    assert cur.balanceOf(suppliers[0]) == 990 * 10**18
    assert tx.events["Financed"]["currencyAmount"] == 990 * 10**18


def test_no_return_currency_works(desk, NoReturnERC20, issue_in, offer_for, sign, suppliers, funded, admin):
    cur = NoReturnERC20.deploy(6, {"from": admin})
    cur.mint(funded[0], 10**20, {"from": admin})
    cur.approve(desk, 2**256 - 1, {"from": funded[0]})
    _, pid = issue_in(cur)
    offer = offer_for(pid, 1000 * CENTS, price=990 * CENTS)
    desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})
    assert cur.balanceOf(suppliers[0]) == 990 * 10**6


def test_returns_false_currency_reverts_everything(
    desk, token, ReturnsFalseERC20, issue_in, paying, offer_for, sign, suppliers, admin
):
    cur = paying(ReturnsFalseERC20.deploy(2, {"from": admin}))
    _, pid = issue_in(cur)
    cur.setFailing(True, {"from": admin})
    offer = offer_for(pid, 1000 * CENTS)
    with brownie.reverts(err("SafeERC20FailedOperation", cur)):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})
    assert token.ownerOf(pid) == suppliers[0] and token.balanceOf["uint256"](pid) == 1_000_000 * CENTS


def test_fee_on_transfer_currency_is_refused(
    desk, token, FeeOnTransferERC20, issue_in, paying, offer_for, sign, suppliers, admin
):
    cur = paying(FeeOnTransferERC20.deploy(2, {"from": admin}))
    _, pid = issue_in(cur)
    offer = offer_for(pid, 1000 * CENTS)  # 1 % fee: the seller would get 990.00
    with brownie.reverts(err("DeskPaymentMismatch", cur, 1000 * CENTS, 990 * CENTS)):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})
    assert token.ownerOf(pid) == suppliers[0] and cur.balanceOf(suppliers[0]) == 0


def test_blocklisted_seller_cannot_be_paid_so_nothing_moves(
    desk, token, BlocklistERC20, issue_in, paying, offer_for, sign, suppliers, admin
):
    cur = paying(BlocklistERC20.deploy(2, {"from": admin}))
    _, pid = issue_in(cur)
    cur.setBlocked(suppliers[0], True, {"from": admin})
    offer = offer_for(pid, 1000 * CENTS)
    with brownie.reverts(err("Blocked", suppliers[0])):
        desk.take(offer.as_tuple(), sign(offer).signature, {"from": suppliers[0]})
    assert token.ownerOf(pid) == suppliers[0] and token.balanceOf["uint256"](pid) == 1_000_000 * CENTS


@pytest.mark.parametrize("entry", ["take", "cancel"])
def test_reentry_during_payment_is_blocked(
    desk, token, CallbackERC20, issue_in, paying, offer_for, sign, suppliers, funded, admin, entry
):
    """The currency calls back into the desk mid-payment: the guard refuses; the take completes."""
    cur = paying(CallbackERC20.deploy(2, {"from": admin}))
    _, pid = issue_in(cur)
    offer = offer_for(pid, 1000 * CENTS)
    s = sign(offer)
    data = (
        desk.take.encode_input(offer.as_tuple(), s.signature)
        if entry == "take"
        else desk.cancel.encode_input(s.offer_hash)
    )
    cur.setHook(desk, data, False, {"from": admin})
    tx = desk.take(offer.as_tuple(), s.signature, {"from": suppliers[0]})
    assert cur.lastCallOk() is False
    assert bytes(cur.lastReturnData())[:4] == keccak(text="ReentrancyGuardReentrantCall()")[:4]
    assert token.balanceOf["uint256"](tx.return_value) == 1000 * CENTS
    assert cur.balanceOf(suppliers[0]) == 1000 * CENTS  # paid once
    assert not desk.isCancelled(funded[0], s.offer_hash)


def test_reentry_that_bubbles_undoes_the_take(
    desk, token, CallbackERC20, issue_in, paying, offer_for, sign, suppliers, admin
):
    cur = paying(CallbackERC20.deploy(2, {"from": admin}))
    _, pid = issue_in(cur)
    offer = offer_for(pid, 1000 * CENTS)
    s = sign(offer)
    cur.setHook(desk, desk.take.encode_input(offer.as_tuple(), s.signature), True, {"from": admin})
    with brownie.reverts(err("ReentrancyGuardReentrantCall")):
        desk.take(offer.as_tuple(), s.signature, {"from": suppliers[0]})
    assert token.ownerOf(pid) == suppliers[0] and desk.offerStatus(s.offer_hash) == 0


def test_contract_financier_signs_through_erc1271(
    desk, token, currency, ERC1271Financier, membership, operator, piece, suppliers, keys, chain, accounts
):
    owner = accounts[15]
    wallet = ERC1271Financier.deploy(owner, {"from": owner})
    membership.admit(wallet, ROLE_FINANCIER, h("id:bank-wallet"), {"from": operator})
    currency.mint(wallet, 10_000 * CENTS, {"from": operator})
    wallet.approve(currency, desk, 2**256 - 1, {"from": owner})
    offer = Offer.fixed(wallet.address, piece, 1000 * CENTS, 995 * CENTS, deadline=chain.time() + 3600, nonce=1)
    digest = offer_hash(offer, chain.id, desk.address)
    sig = keys[owner.address].unsafe_sign_hash(digest).signature
    tx = desk.take(offer.as_tuple(), sig, {"from": suppliers[0]})
    assert token.ownerOf(tx.return_value) == wallet and currency.balanceOf(suppliers[0]) == 995 * CENTS
    other = Offer.fixed(wallet.address, piece, 1000 * CENTS, 995 * CENTS, deadline=chain.time() + 3600, nonce=2)
    bad = keys[suppliers[0].address].unsafe_sign_hash(offer_hash(other, chain.id, desk.address)).signature
    with brownie.reverts(err("DeskInvalidSignature", wallet, offer_hash(other, chain.id, desk.address))):
        desk.take(other.as_tuple(), bad, {"from": suppliers[0]})


def test_trusted_forwarder_relays_the_signer(FinancingDesk, token, membership, admin, accounts, funded):
    forwarder = accounts[16]
    relayed = FinancingDesk.deploy(token, membership, forwarder, {"from": admin})
    assert relayed.isTrustedForwarder(forwarder)
    data = relayed.invalidateNonces.encode_input(7) + funded[0].address[2:].lower()
    tx = forwarder.transfer(relayed, 0, data=data)
    assert tx.events["NoncesInvalidated"]["financier"] == funded[0]
    assert relayed.nonceFloorOf(funded[0]) == 7 and relayed.nonceFloorOf(forwarder) == 0
    # Anyone else appending an address acts as itself.
    accounts[17].transfer(relayed, 0, data=relayed.invalidateNonces.encode_input(3) + funded[1].address[2:].lower())
    assert relayed.nonceFloorOf(accounts[17]) == 3 and relayed.nonceFloorOf(funded[1]) == 0


def test_eip712_domain_and_type_match_the_library(desk, chain, piece, offer_for):
    _fields, name, version, chain_id, contract, _salt, _extensions = desk.eip712Domain()
    assert (name, version, chain_id, contract) == ("TierchainFinancingDesk", "1", chain.id, desk.address)
    assert desk.OFFER_TYPEHASH() == "0x" + keccak(text=OFFER_TYPE).hex()
    offer = offer_for(piece, 1234 * CENTS, rate_bps=725, recourse=True, nonce=2**200)
    assert b32(desk.hashOffer(offer.as_tuple())) == offer_hash(offer, chain.id, desk.address)


def test_quote_rejects_out_of_range_inputs(desk):
    with brownie.reverts(err("DeskQuoteOutOfRange", 2**64, 0)):
        desk.quote(2**64, 0, 0)
    with brownie.reverts(err("DeskQuoteOutOfRange", 1, 10_001)):
        desk.quote(1, 10_001, 0)
    assert desk.quote(2**64 - 1, 10_000, 2**256 - 1) == 0
    assert desk.quote(2**64 - 1, 0, 2**256 - 1) == 2**64 - 1
