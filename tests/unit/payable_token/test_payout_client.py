"""The Python side of the batch payout: PayableClient.payout through the library's Sender, and
the PayoutPiece request (typed data for a wallet, JSON round trip, uint256 as decimal strings)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import CENTS
from tierchain.chain.local import dev_accounts
from tierchain.chain.sender import Sender
from tierchain.clients.contracts import PayableClient
from tierchain.clients.requests import Domain, PayoutPiece, parse_typed_data, sign_request, wallet_json
from tierchain.core.errors import SignatureError, TransactionError


def _key(account: Any) -> Any:
    return next(k for k in dev_accounts() if k.address.lower() == account.address.lower())


def test_client_payout_returns_the_new_pieces_in_order(token, issue, suppliers, web3):
    _, source = issue(face=1_000 * CENTS)
    client = PayableClient(web3, token.address)
    by = Sender(web3, _key(suppliers[0]))
    receivers = [suppliers[1].address, suppliers[2].address]
    pieces = client.payout(by, source, receivers, [100 * CENTS, 250 * CENTS])
    assert pieces == [(source & ~0xFFFFFFFF) | 2, (source & ~0xFFFFFFFF) | 3]
    assert [token.ownerOf(p) for p in pieces] == receivers
    assert [client.balance_of(p) for p in pieces] == [100 * CENTS, 250 * CENTS]


def test_client_payout_checks_lengths_before_signing(token, web3, suppliers):
    client = PayableClient(web3, token.address)
    by = Sender(web3, _key(suppliers[0]))
    with pytest.raises(TransactionError, match="2 receivers but 1 values"):
        client.payout(by, 1, [suppliers[1].address, suppliers[2].address], [1])
    with pytest.raises(TransactionError, match="at least one receiver"):
        client.payout(by, 1, [], [])


def test_payout_piece_typed_data_round_trip(suppliers):
    domain = Domain(chain_id=1337, verifying_contract="0x" + "11" * 20)
    big = 2**200 + 7
    request = PayoutPiece(suppliers[0].address, big, [suppliers[1].address], [123], 0, 2**40)
    doc = json.loads(wallet_json(request, domain))
    assert doc["types"]["PayoutPiece"][2] == {"name": "to", "type": "address[]"}
    assert doc["message"]["values"] == ["123"] and doc["message"]["fromTokenId"] == str(big)
    parsed, parsed_domain = parse_typed_data(doc)
    assert parsed == request and parsed_domain == domain
    # The eth-account digest (what a wallet signs) is the one the library computes.
    signed = sign_request(request, domain, _key(suppliers[0]))
    assert signed.request.digest(domain) == request.digest(domain)


@pytest.mark.parametrize(
    ("to", "values", "message"),
    [([], [], "no receiver"), (["0x" + "22" * 20], [1, 2], "1 receivers but 2 values"),
     (["not an address"], [1], "not an address"), (["0x" + "22" * 20], [-1], "not a uint256")],
)  # fmt: skip
def test_payout_piece_rejects_malformed_requests(suppliers, to, values, message):
    with pytest.raises(SignatureError, match=message):
        PayoutPiece(suppliers[0].address, 1, to, values, 0, 1)
