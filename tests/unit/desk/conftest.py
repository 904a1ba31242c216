"""Desk fixtures: the desk on top of the shared deployments, financiers' keys (derived from the
test mnemonic, so the library signs offers exactly as a financier's wallet would), funded and
approved financiers, offer and payable factories."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from desk_support import AGENT_DESK, FUNDS
from eth_account import Account
from eth_account.signers.local import LocalAccount

from tests.conftest import CENTS, DAY, h
from tierchain.clients.desk import Offer, SignedOffer, sign_offer

MNEMONIC = "test test test test test test test test test test test junk"

Account.enable_unaudited_hdwallet_features()


def key_of(index: int) -> LocalAccount:
    """The private key behind brownie's accounts[index] on the test chains."""
    return Account.from_mnemonic(MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


@pytest.fixture(scope="session")
def keys(accounts: Any) -> dict[str, LocalAccount]:
    """address → key, checked against the chain's accounts."""
    out: dict[str, LocalAccount] = {}
    for i in range(16):
        key = key_of(i)
        assert key.address == accounts[i].address, "the test chain does not use the test mnemonic"
        out[key.address] = key
    return out


@pytest.fixture(scope="module")
def desk(FinancingDesk: Any, token: Any, membership: Any, relay: Any, admin: Any) -> Any:
    """The desk as deployed: an agent of the token, trusting the request relay (ERC-2771)."""
    d = FinancingDesk.deploy(token, membership, relay, {"from": admin})
    token.setAgent(d, AGENT_DESK, {"from": admin})
    relay.setTargetAllowed(d, True, {"from": admin})
    return d


@pytest.fixture(scope="module")
def funded(desk: Any, currency: Any, operator: Any, financiers: list[Any], members: Any) -> list[Any]:
    """Financiers hold demo currency and have approved the desk."""
    for f in financiers:
        currency.mint(f, FUNDS, {"from": operator})
        currency.approve(desk, 2**256 - 1, {"from": f})
    return financiers


@pytest.fixture
def issue_in(
    token: Any, core: Any, suppliers: list[Any], register_package: Callable[..., bytes], chain: Any
) -> Callable[..., tuple[int, int]]:
    """Issue and accept a payable in a given currency; returns (payableId, tokenId)."""

    def issue_(
        currency: Any, face: int = 1_000_000 * CENTS, creditor: Any = None, tenor: int = 90 * DAY
    ) -> tuple[int, int]:
        creditor = creditor or suppliers[0]
        root = register_package(total=face, seller=creditor)
        tx = token.issue(creditor, face, currency, chain.time() + tenor, root, h("doc"), {"from": core})
        payable_id, token_id = tx.return_value
        token.accept(payable_id, {"from": creditor})
        return payable_id, token_id

    return issue_


@pytest.fixture
def piece(issue_in: Callable[..., tuple[int, int]], currency: Any, funded: list[Any]) -> int:
    """An accepted 1,000,000.00 piece held by suppliers[0], 90 days to maturity."""
    return issue_in(currency)[1]


@pytest.fixture
def offer_for(funded: list[Any], chain: Any) -> Callable[..., Offer]:
    """Build an offer: fixed price by default (price=...), or rate pricing (rate_bps=...)."""

    def make(
        token_id: int,
        value: int,
        *,
        price: int | None = None,
        rate_bps: int | None = None,
        financier: Any = None,
        seller: Any = None,
        recourse: bool = False,
        nonce: int = 1,
        deadline: int | None = None,
    ) -> Offer:
        fin = (financier or funded[0]).address
        dl = deadline if deadline is not None else chain.time() + DAY
        sel = getattr(seller, "address", seller)
        if rate_bps is not None:
            return Offer.at_rate(
                fin, token_id, value, rate_bps, deadline=dl, seller=sel, recourse=recourse, nonce=nonce
            )
        return Offer.fixed(
            fin,
            token_id,
            value,
            price if price is not None else value,
            deadline=dl,
            seller=sel,
            recourse=recourse,
            nonce=nonce,
        )

    return make


@pytest.fixture
def sign(desk: Any, keys: dict[str, LocalAccount], chain: Any) -> Callable[..., SignedOffer]:
    """Sign an offer with its financier's key (or `by`) for this desk and chain (or others)."""

    def sign_(offer: Offer, by: Any = None, chain_id: int | None = None, at: Any = None) -> SignedOffer:
        key = keys[by.address] if by is not None else keys[offer.financier]
        return sign_offer(key, offer, chain_id or chain.id, getattr(at, "address", at) or desk.address)

    return sign_
