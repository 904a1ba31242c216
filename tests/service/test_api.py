"""Every endpoint of the API and every refusal, against a real chain and a real uvicorn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from eth_account.messages import encode_typed_data
from service_helpers import Cast, Running, fresh_keys, sign_typed, wait_indexed, wait_status

from tierchain.clients.requests import Addresses, build_request
from tierchain.service.app import CSP, openapi_json
from tierchain.service.core import RateLimiter

ROOT = Path(__file__).resolve().parents[2]
MONEY_KEYS = {"amount", "units", "currency", "decimals"}


def _error(resp: Any, status: int, code: str) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    doc = resp.json()["error"]
    assert doc["code"] == code, doc
    assert doc["message"]
    return dict(doc)


def _draft(running: Running, key: Any, kind: str, **fields: Any) -> dict[str, Any]:
    r = running.http.post("/api/v1/requests/draft", json={"kind": kind, "signer": key.address, **fields})
    assert r.status_code == 200, r.text
    return dict(r.json())


def _post_signed(running: Running, key: Any, typed: dict[str, Any]) -> Any:
    return running.http.post("/api/v1/requests", json={"typed_data": typed, "signature": sign_typed(key, typed)})


def _accepted_piece(cast: Cast, running: Running, key: Any) -> tuple[int, int]:
    """A payable issued to and accepted by ``key`` (through the API); (payable id, token id)."""
    payable_id, first = cast.issue(key.address)
    wait_indexed(running.http, cast.w3.eth.block_number)
    typed = _draft(running, key, "accept", payable=str(payable_id))["typed_data"]
    done = wait_status(running.http, _post_signed(running, key, typed).json()["id"])
    assert done["status"] == "confirmed", done
    wait_indexed(running.http, done["block_number"])
    return payable_id, first


# ---------------------------------------------------------------------------- reads


def test_openapi_committed_equals_the_apps(running: Running) -> None:
    assert (ROOT / "docs" / "openapi.json").read_text() == openapi_json(), (
        "docs/openapi.json is stale: tierchain serve --write-openapi docs/openapi.json"
    )
    served = running.http.get("/api/v1/openapi.json").json()
    assert served == json.loads(openapi_json())


def test_health_reports_lag_operator_balance_and_queue(cast: Cast, running: Running) -> None:
    r = running.http.get("/api/v1/health")
    assert r.status_code == 200
    doc = r.json()
    assert doc["status"] == "ok" and doc["chain_id"] == cast.deployment.chain_id
    assert doc["lag_blocks"] == doc["head_block"] - doc["indexed_block"] >= 0
    assert doc["operator"]["address"] == cast.relayer_key.address
    assert set(doc["operator"]["balance"]) == MONEY_KEYS and doc["operator"]["warning"] is None
    assert set(doc["queue"]) == {"queued", "sent", "confirmed", "failed"}
    for name in ("x-tierchain-head-block", "x-tierchain-indexed-block", "x-tierchain-lag-blocks"):
        assert r.headers[name].isdigit()


def test_health_warns_below_the_minimum_balance(running: Running) -> None:
    config = running.service.config
    object.__setattr__(config, "min_balance_wei", 10**30)
    try:
        doc = running.http.get("/api/v1/health").json()
    finally:
        object.__setattr__(config, "min_balance_wei", 10**17)
    assert doc["status"] == "warning" and "below" in doc["operator"]["warning"]


def test_deployment_has_addresses_currency_and_both_domains(cast: Cast, running: Running) -> None:
    doc = running.http.get("/api/v1/deployment").json()
    d = cast.deployment
    assert doc["chain_id"] == d.chain_id and doc["contracts"]["relay"] == d.relay and doc["contracts"]["desk"] == d.desk
    assert doc["currency"]["code"] == "eCNY" and doc["currency"]["decimals"] == 2
    assert doc["eip712"]["relay"] == {"name": "tierchain", "version": "1", "chainId": str(d.chain_id),
                                      "verifyingContract": d.relay}  # fmt: skip
    assert doc["eip712"]["desk"]["verifyingContract"] == d.desk and doc["eip712"]["desk"]["chainId"] == str(d.chain_id)


def test_member_roles_and_relay_nonce(cast: Cast, running: Running) -> None:
    doc = running.http.get(f"/api/v1/members/{cast.financier.address}").json()
    assert doc["member"] is True and doc["roles"] == ["financier"] and doc["relay_nonce"] == "0"
    assert running.http.get(f"/api/v1/members/{cast.outsider.address}").json()["member"] is False


def test_pieces_pagination_and_payable(cast: Cast, running: Running) -> None:
    (holder,) = fresh_keys(1, "pager")
    cast.c.membership.admit(cast.operator, holder.address, 4, b"\x01" * 32)
    payable_id, _ = _accepted_piece(cast, running, holder)
    for i in range(4):
        typed = _draft(running, holder, "split", piece=f"P{payable_id}#1", to=holder.address, value=f"{i + 1}.00")
        typed = typed["typed_data"]
        done = wait_status(running.http, _post_signed(running, holder, typed).json()["id"])
        assert done["status"] == "confirmed", done
    wait_indexed(running.http, cast.w3.eth.block_number)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        page = running.http.get(f"/api/v1/members/{holder.address}/pieces", params=params).json()
        assert len(page["items"]) <= 2
        seen += [p["token_id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 5
    for p in page["items"]:
        assert set(p["value"]) == MONEY_KEYS and isinstance(p["value"]["units"], str)
        assert isinstance(p["token_id"], str) and int(p["token_id"]) > 2**53
    pay = running.http.get(f"/api/v1/payables/{payable_id}", params={"limit": 3}).json()
    assert pay["status"] == "accepted" and len(pay["items"]) == 3 and pay["next_cursor"]
    assert pay["face_value"]["amount"] == "10000.00"
    hist = running.http.get(f"/api/v1/members/{holder.address}/history").json()["items"]
    assert [h["kind"] for h in hist].count("split") >= 1 or len(hist) >= 4


def test_read_policy_any_member_readable(cast: Cast, running: Running) -> None:
    """Policy: positions are readable by anyone who can reach the service, as the chain they
    come from is readable by every consortium member; the API adds no names or invoices."""
    payable_id, _ = cast.issue(cast.tier2.address)
    wait_indexed(running.http, cast.w3.eth.block_number)
    doc = running.http.get(f"/api/v1/members/{cast.tier2.address}/pending-payables").json()
    assert str(payable_id) in [p["payable_id"] for p in doc["items"]]
    text = json.dumps(doc)
    assert "invoice" not in text.replace("invoice_root", "")  # hashes only, no commercial data


def test_unknown_things_are_404(running: Running) -> None:
    _error(running.http.get("/api/v1/pieces/P999%231"), 404, "NotFound")
    _error(running.http.get("/api/v1/payables/999"), 404, "NotFound")
    _error(running.http.get("/api/v1/requests/0x" + "00" * 32), 404, "NotFound")
    _error(running.http.get("/api/v1/offers/0x" + "00" * 32), 404, "NotFound")
    _error(running.http.get("/api/v1/nothing-here"), 404, "NotFound")


def test_bad_path_and_query_values_are_400(running: Running) -> None:
    _error(running.http.get("/api/v1/members/0x1234/pieces"), 400, "InvalidField")
    bad_checksum = "0x52908400098527886E0F7030069857D2E4169EE7".replace("E0F", "e0F")
    _error(running.http.get(f"/api/v1/members/{bad_checksum}/pieces"), 400, "InvalidField")
    _error(running.http.get("/api/v1/payables/1e3"), 400, "InvalidField")
    _error(running.http.get("/api/v1/pieces/Pabc"), 400, "InvalidField")
    _error(running.http.get("/api/v1/members/0x" + "11" * 20 + "/pieces", params={"limit": 0}), 400, "InvalidField")
    _error(running.http.get("/api/v1/members/0x" + "11" * 20 + "/pieces", params={"cursor": "zz"}), 400, "InvalidField")


# ---------------------------------------------------------------------------- drafts


def test_draft_typed_data_is_wallet_ready(cast: Cast, running: Running) -> None:
    payable_id, first = cast.issue(cast.tier3.address)
    wait_indexed(running.http, cast.w3.eth.block_number)
    doc = _draft(running, cast.tier3, "accept", payable=str(payable_id))
    typed = doc["typed_data"]
    assert typed["primaryType"] == "AcceptPayable"
    assert set(typed["message"]) == {f["name"] for f in typed["types"]["AcceptPayable"]}
    assert all(isinstance(typed["message"][k], str) for k in ("payableId", "nonce", "deadline"))
    assert typed["domain"]["chainId"] == str(cast.deployment.chain_id)
    assert "10,000.00 eCNY" in doc["summary"]["en"] and "签收" in doc["summary"]["zh-CN"]
    assert doc["direct_tx"]["to"] == cast.deployment.token
    assert doc["direct_tx"]["data"].startswith("0x" + cast.w3.keccak(text="accept(uint256)")[:4].hex())
    split = _draft(running, cast.tier3, "split", piece=f"P{payable_id}#1", to=cast.tier1.address, value="1.50")
    assert split["typed_data"]["message"]["value"] == "150" and split["typed_data"]["message"]["fromTokenId"] == str(
        first)  # fmt: skip
    assert "1.50 eCNY" in split["summary"]["en"] and cast.tier1.address in split["summary"]["zh-CN"]


def test_draft_refusals(cast: Cast, running: Running) -> None:
    me = {"signer": cast.tier1.address}
    bodies: list[tuple[dict[str, Any], int, str]] = [
        ({"kind": "steal"}, 400, "InvalidField"),
        ({"kind": "accept"}, 400, "InvalidField"),  # no payable
        ({"kind": "accept", "payable": 1}, 400, "InvalidField"),  # a number, not a decimal string
        ({"kind": "accept", "payable": "1", "valid_for": "3600"}, 400, "InvalidField"),
        ({"kind": "accept", "payable": "1", "extra": True}, 400, "InvalidField"),
        ({"kind": "split", "piece": "P1#1", "to": cast.tier2.address, "value": "1e3"}, 400, "InvalidField"),
        ({"kind": "accept", "payable": "424242"}, 404, "NotFound"),
    ]
    for body, status, code in bodies:
        _error(running.http.post("/api/v1/requests/draft", json=me | body), status, code)


# ---------------------------------------------------------------------------- relay refusals


def test_same_signed_request_twice_is_one_request_one_transaction(cast: Cast, running: Running) -> None:
    (member,) = fresh_keys(1, "twice")
    cast.c.membership.admit(cast.operator, member.address, 4, b"\x02" * 32)
    payable_id, _ = cast.issue(member.address)
    wait_indexed(running.http, cast.w3.eth.block_number)
    typed = _draft(running, member, "accept", payable=str(payable_id))["typed_data"]
    first = _post_signed(running, member, typed)
    assert first.status_code == 202
    again = _post_signed(running, member, typed)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    done = wait_status(running.http, first.json()["id"])
    assert done["status"] == "confirmed" and done["tx_hash"]
    third = _post_signed(running, member, typed)
    assert third.status_code == 200 and third.json()["tx_hash"] == done["tx_hash"]
    assert cast.c.relay.nonce_of(member.address) == 1


def test_replayed_nonce_is_refused(cast: Cast, running: Running) -> None:
    _, first = _accepted_piece(cast, running, cast.tier1)
    typed = _draft(running, cast.tier1, "split", piece=str(first), to=cast.tier2.address, value="5.00")["typed_data"]
    used = str(int(typed["message"]["nonce"]) - 1)
    typed["message"]["nonce"] = used
    err = _error(_post_signed(running, cast.tier1, typed), 409, "NonceUsed")
    assert err["details"]["next_nonce"] == str(int(used) + 1)
    typed["message"]["nonce"] = str(int(used) + 5)
    _error(_post_signed(running, cast.tier1, typed), 409, "NonceTooHigh")


def test_expired_deadline_is_refused(cast: Cast, running: Running) -> None:
    payable_id, _ = cast.issue(cast.tier2.address)
    wait_indexed(running.http, cast.w3.eth.block_number)
    addresses = Addresses(cast.deployment.token, cast.deployment.desk, cast.deployment.settlement)
    request = build_request("accept", cast.tier2.address, nonce=cast.c.relay.nonce_of(cast.tier2.address),
                            deadline=cast.now() - 1, addresses=addresses, payable_id=payable_id)  # fmt: skip
    typed = request.typed_data(running.service.relay_domain, json_safe=True)
    _error(_post_signed(running, cast.tier2, typed), 400, "Expired")


def test_would_revert_is_refused_with_the_decoded_error_and_nothing_sent(cast: Cast, running: Running) -> None:
    _, first = _accepted_piece(cast, running, cast.tier3)
    sent_before = cast.w3.eth.get_transaction_count(cast.relayer_key.address)
    typed = _draft(running, cast.tier3, "split", piece=str(first), to=cast.tier1.address, value="0.50")["typed_data"]
    err = _error(_post_signed(running, cast.tier3, typed), 422, "PayableBelowMinimum")
    assert err["details"]["args"] and all(isinstance(v, str) for v in err["details"]["args"].values())
    assert cast.w3.eth.get_transaction_count(cast.relayer_key.address) == sent_before


def test_non_member_signer_is_refused(cast: Cast, running: Running) -> None:
    payable_id, _ = cast.issue(cast.tier1.address)
    wait_indexed(running.http, cast.w3.eth.block_number)
    typed = _draft(running, cast.outsider, "accept", payable=str(payable_id))["typed_data"]
    _error(_post_signed(running, cast.outsider, typed), 403, "NotMember")
    auditor_typed = _draft(running, cast.auditor, "accept", payable=str(payable_id))["typed_data"]
    _error(_post_signed(running, cast.auditor, auditor_typed), 403, "MissingRole")


def test_signature_and_domain_refusals(cast: Cast, running: Running) -> None:
    payable_id, _ = cast.issue(cast.tier1.address)
    wait_indexed(running.http, cast.w3.eth.block_number)
    typed = _draft(running, cast.tier1, "accept", payable=str(payable_id))["typed_data"]
    forged = running.http.post(
        "/api/v1/requests", json={"typed_data": typed, "signature": sign_typed(cast.tier2, typed)}
    )
    _error(forged, 400, "BadSignature")
    other = json.loads(json.dumps(typed))
    other["domain"]["chainId"] = "1"
    _error(_post_signed(running, cast.tier1, other), 400, "WrongDomain")
    extra = json.loads(json.dumps(typed))
    extra["message"]["note"] = "pay me twice"
    _error(_post_signed(running, cast.tier1, extra), 400, "InvalidField")
    as_number = json.loads(json.dumps(typed))
    as_number["message"]["payableId"] = float(payable_id)
    bad = running.http.post("/api/v1/requests", json={"typed_data": as_number, "signature": "0x" + "11" * 65})
    _error(bad, 400, "InvalidField")
    _error(running.http.post("/api/v1/requests", json={"typed_data": typed, "signature": 12}), 400, "InvalidField")


def test_bad_json_wrong_type_body_too_large(running: Running) -> None:
    headers = {"content-type": "application/json"}
    _error(running.http.post("/api/v1/requests", content=b"{not json", headers=headers), 400, "BadJson")
    _error(running.http.post("/api/v1/requests", content=b"[1, 2]", headers=headers), 400, "InvalidField")
    big = b'{"typed_data": {"x": "' + b"a" * 70_000 + b'"}, "signature": "0x"}'
    _error(running.http.post("/api/v1/requests", content=big, headers=headers), 413, "BodyTooLarge")
    _error(running.http.post("/api/v1/requests", content=b"{}", headers={"content-type": "text/plain"}), 415,
           "UnsupportedMediaType")  # fmt: skip


def test_too_many_requests_per_signer(cast: Cast, running: Running) -> None:
    payable_id, _ = cast.issue(cast.tier2.address)
    wait_indexed(running.http, cast.w3.eth.block_number)
    typed = _draft(running, cast.tier2, "accept", payable=str(payable_id))["typed_data"]
    typed["message"]["nonce"] = str(int(typed["message"]["nonce"]) + 7)  # refused after the limiter
    saved = running.service.signer_limiter
    running.service.signer_limiter = RateLimiter(2)
    try:
        codes = [_post_signed(running, cast.tier2, typed).status_code for _ in range(3)]
        resp = _post_signed(running, cast.tier2, typed)
    finally:
        running.service.signer_limiter = saved
    assert codes == [409, 409, 429]
    _error(resp, 429, "TooManyRequests")
    assert int(resp.headers["retry-after"]) >= 1


def test_security_headers_and_cors(cast: Cast, running: Running) -> None:
    r = running.http.get("/api/v1/health", headers={"origin": "https://evil.example"})
    assert r.headers["content-security-policy"] == CSP and "frame-ancestors 'none'" in CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "access-control-allow-origin" not in r.headers  # no origin configured: no CORS


def test_offer_refusals(cast: Cast, running: Running) -> None:
    from tierchain.clients.desk import Offer, typed_data

    _, first = _accepted_piece(cast, running, cast.tier1)

    def signed(offer: Offer, key: Any) -> dict[str, Any]:
        doc = typed_data(offer, cast.deployment.chain_id, cast.deployment.desk)
        sig = "0x" + bytes(key.sign_message(encode_typed_data(full_message=doc)).signature).hex()
        return {"typed_data": doc, "signature": sig}

    good = Offer.fixed(cast.financier.address, first, 100_00, 99_00, deadline=cast.now() + 3600)
    _error(running.http.post("/api/v1/offers", json=signed(good, cast.tier2)), 400, "BadSignature")
    by_supplier = Offer.fixed(cast.tier2.address, first, 100_00, 99_00, deadline=cast.now() + 3600)
    _error(running.http.post("/api/v1/offers", json=signed(by_supplier, cast.tier2)), 403, "MissingRole")
    expired = Offer.fixed(cast.financier.address, first, 100_00, 99_00, deadline=cast.now() - 10)
    _error(running.http.post("/api/v1/offers", json=signed(expired, cast.financier)), 400, "Expired")
    too_big = Offer.fixed(cast.financier.address, first, 20_000_00, 99_00, deadline=cast.now() + 3600)
    _error(running.http.post("/api/v1/offers", json=signed(too_big, cast.financier)), 400, "OfferExceedsPiece")
    wrong_seller = Offer.fixed(cast.financier.address, first, 100_00, 99_00, deadline=cast.now() + 3600,
                               seller=cast.tier3.address)  # fmt: skip
    _error(running.http.post("/api/v1/offers", json=signed(wrong_seller, cast.financier)), 400, "SellerMismatch")
    numbers = signed(good, cast.financier)
    numbers["typed_data"]["message"]["tokenId"] = first  # a JSON number above 2^53
    numbers["typed_data"]["message"]["value"] = 1.5
    _error(running.http.post("/api/v1/offers", json=numbers), 400, "InvalidField")
    ok = running.http.post("/api/v1/offers", json=signed(good, cast.financier))
    assert ok.status_code == 201, ok.text
    assert running.http.post("/api/v1/offers", json=signed(good, cast.financier)).status_code == 200  # same offer


def test_cors_only_for_configured_origins(running: Running) -> None:
    from starlette.testclient import TestClient

    from tierchain.service.app import asgi, create_app

    app = asgi(create_app(running.service, allow_origins=("https://portal.example",)))
    with TestClient(app) as client:
        preflight = {"access-control-request-method": "POST", "access-control-request-headers": "content-type"}
        ok = client.options("/api/v1/requests", headers={"origin": "https://portal.example", **preflight})
        assert ok.headers["access-control-allow-origin"] == "https://portal.example"
        evil = client.options("/api/v1/requests", headers={"origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in evil.headers
        got = client.get("/api/v1/health", headers={"origin": "https://portal.example"})
        assert got.headers["access-control-allow-origin"] == "https://portal.example"
        assert got.headers["content-security-policy"] == CSP


def test_serve_help_documents_every_option() -> None:
    from click.testing import CliRunner

    from tierchain.cli.main import main

    result = CliRunner().invoke(main, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--rpc", "--from", "--password-file", "--dev-account", "--host", "--port", "--db",
                   "--allow-origin", "--max-body", "--rate-limit", "--read-rate-limit", "--min-balance",
                   "--read-only", "--write-openapi"):  # fmt: skip
        assert option in result.output, option
    assert "Example:" in result.output and "tierchain serve --dev-account 1" in result.output
    refused = CliRunner().invoke(main, ["serve", "--allow-origin", "*", "--read-only"])
    assert refused.exit_code != 0 and "--allow-origin" in refused.output
