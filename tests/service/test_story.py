"""The supplier story through HTTP alone: accept, split down two tiers, take a financier's
offer, claim at maturity. Every signature is made here by the member's own key (fresh keys the
service never sees); the suppliers never hold ether."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from service_helpers import FACE, Cast, Running, fund, wait_indexed

from tierchain.chain.sender import Sender
from tierchain.clients.desk import Offer, typed_data
from tierchain.clients.settlement import SettlementClient


def _piece(running: Running, ref: str) -> dict[str, Any]:
    r = running.http.get(f"/api/v1/pieces/{ref.replace('#', '%23')}")
    assert r.status_code == 200, r.text
    return r.json()


@pytest.mark.slow
def test_supplier_story_through_http_alone(cast: Cast, running: Running, act: Any) -> None:
    http = running.http
    payable_id, first = cast.issue(cast.tier1.address)
    wait_indexed(http, cast.w3.eth.block_number)

    pending = http.get(f"/api/v1/members/{cast.tier1.address}/pending-payables").json()["items"]
    assert [p["payable_id"] for p in pending] == [str(payable_id)]
    assert pending[0]["face_value"] == {"amount": "10000.00", "units": "1000000", "currency": "eCNY", "decimals": 2}

    # accept (签收), split to tier 2, tier 2 splits to tier 3
    act(cast.tier1, "accept", payable=str(payable_id))
    assert http.get(f"/api/v1/members/{cast.tier1.address}/pending-payables").json()["items"] == []
    done = act(cast.tier1, "split", piece=f"P{payable_id}#1", to=cast.tier2.address, value="3000.00")
    tier2_piece = int(done["result"]["new_token_id"])
    done = act(cast.tier2, "split", piece=str(tier2_piece), to=cast.tier3.address, value="1000.00")
    tier3_piece = int(done["result"]["new_token_id"])

    mine = http.get(f"/api/v1/members/{cast.tier3.address}/pieces").json()
    assert [p["token_id"] for p in mine["items"]] == [str(tier3_piece)]
    assert mine["items"][0]["value"]["amount"] == "1000.00"
    assert mine["items"][0]["debtor"] == cast.core.address and mine["items"][0]["state"] == "held"
    detail = _piece(running, str(tier3_piece))
    assert [a["token_id"] for a in detail["ancestors"]] == [str(tier2_piece), str(first)]
    assert detail["package"]["invoice_count"] == 3
    assert [d["token_id"] for d in _piece(running, f"P{payable_id}#1")["descendants"]] == [
        str(tier2_piece), str(tier3_piece)]  # fmt: skip

    # a financier posts a signed offer for tier 3's piece; tier 3 takes it (gasless)
    fund(cast.w3, cast.admin, cast.financier.address)
    financier = Sender(cast.w3, cast.financier, timeout=60)
    cast.c.currency.mint(cast.operator, cast.financier.address, 5_000_00)
    cast.c.desk.approve_currency(financier, cast.deployment.currency, 2**256 - 1)
    offer = Offer.fixed(cast.financier.address, tier3_piece, 1_000_00, 990_00, deadline=cast.now() + 3600,
                        seller=cast.tier3.address)  # fmt: skip
    doc = typed_data(offer, cast.deployment.chain_id, cast.deployment.desk)
    signature = "0x" + bytes(cast.financier.sign_message(encode_typed_data(full_message=doc)).signature).hex()
    posted = http.post("/api/v1/offers", json={"typed_data": doc, "signature": signature})
    assert posted.status_code == 201, posted.text
    offer_hash = posted.json()["offer_hash"]
    assert offer_hash == "0x" + cast.c.desk.hash_offer(offer).hex()
    listed = http.get(f"/api/v1/pieces/{tier3_piece}/offers").json()["items"]
    assert [o["offer_hash"] for o in listed] == [offer_hash]
    assert listed[0]["price_now"]["amount"] == "990.00"

    before = cast.c.currency.balance_of(cast.tier3.address)
    act(cast.tier3, "take", offer=offer_hash)
    assert cast.c.currency.balance_of(cast.tier3.address) - before == 990_00 * 10 ** (cast.c.currency.decimals() - 2)
    assert http.get(f"/api/v1/pieces/{tier3_piece}/offers").json()["items"] == []  # taken: gone from the book
    assert http.get(f"/api/v1/offers/{offer_hash}").json()["live"] is False
    bought = http.get(f"/api/v1/members/{cast.financier.address}/pieces").json()["items"]
    assert [p["value"]["amount"] for p in bought] == ["1000.00"]
    history = http.get(f"/api/v1/members/{cast.tier3.address}/history").json()["items"]
    assert "financed-sold" in [h["kind"] for h in history]

    # the core enterprise pays in full; at maturity tier 2 claims its piece through the relay
    settlement = SettlementClient(cast.w3, cast.deployment.settlement)
    cast.c.currency.mint(cast.operator, cast.core.address, FACE * 10 ** (cast.c.currency.decimals() - 2))
    settlement.approve(cast.core, cast.deployment.currency)
    settlement.pay(cast.core, payable_id, FACE)
    maturity = tier2_piece >> 96
    cast.w3.provider.make_request("evm_mine", [maturity + 1])  # type: ignore[arg-type]
    wait_indexed(http, cast.w3.eth.block_number)
    due = http.get(f"/api/v1/members/{cast.tier2.address}/pieces").json()["items"][0]
    assert due["state"] == "due" and due["claimable"]["amount"] == "2000.00" and due["owed_now"]["amount"] == "2000.00"
    before = cast.c.currency.balance_of(cast.tier2.address)
    act(cast.tier2, "claim", piece=str(tier2_piece))
    assert cast.c.currency.balance_of(cast.tier2.address) - before == 2_000_00 * 10 ** (
        cast.c.currency.decimals() - 2)  # fmt: skip
    assert _piece(running, str(tier2_piece))["piece"]["state"] == "closed"

    # no supplier ever needed gas
    for key in (cast.tier1, cast.tier2, cast.tier3):
        assert cast.w3.eth.get_balance(key.address) == 0
