"""Issue 14 item 1: every kind of typed data the project writes for a wallet survives
JavaScript. Each document goes through Node's JSON.parse and ethers 6's TypedDataEncoder; the
digest must equal the contract's own (FinancingDesk.hashOffer, RequestRelay.hashTypedData), and
a signature made over ethers' digest is accepted by the relay."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from service_helpers import Cast, Running, fresh_keys, wait_indexed, wait_status

from tierchain.clients.desk import Offer, typed_data
from tierchain.clients.requests import Addresses, Call, build_request, claim_data, take_offer_data
from tierchain.core.ids import Role
from tierchain.core.jsonsafe import MAX_SAFE_INTEGER, js_safe

ROOT = Path(__file__).resolve().parents[2]
ETHERS = ROOT / "node_modules" / "ethers"

_SCRIPT = """
const { TypedDataEncoder } = require(process.argv[2]);
const fs = require("fs");
const docs = JSON.parse(fs.readFileSync(0, "utf8"));  // JSON.parse, as a browser reads it
const out = docs.map((doc) => {
  const types = Object.assign({}, doc.types);
  delete types.EIP712Domain;
  return TypedDataEncoder.hash(doc.domain, types, doc.message);
});
process.stdout.write(JSON.stringify(out));
"""


def _ethers_digests(texts: list[str], tmp_path: Path) -> list[str]:
    if shutil.which("node") is None or not (ETHERS / "package.json").is_file():
        pytest.fail("node and node_modules/ethers (package.json pins ethers 6.17.0) are needed")
    script = tmp_path / "digest.js"
    script.write_text(_SCRIPT)
    joined = "[" + ",".join(texts) + "]"  # the files' own text, not re-serialised by Python
    done = subprocess.run(["node", str(script), str(ETHERS)], input=joined.encode(), capture_output=True,
                          check=False, timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr.decode()
    return [str(d) for d in json.loads(done.stdout)]


def _no_unsafe_numbers(value: Any) -> None:
    if isinstance(value, dict):
        for v in value.values():
            _no_unsafe_numbers(v)
    elif isinstance(value, list):
        for v in value:
            _no_unsafe_numbers(v)
    elif isinstance(value, int) and not isinstance(value, bool):
        assert abs(value) <= MAX_SAFE_INTEGER, value


def test_every_typed_data_kind_hashes_the_same_in_ethers_and_the_contracts(
    cast: Cast, running: Running, tmp_path: Path
) -> None:
    (signer,) = fresh_keys(1, "ethers")
    cast.c.membership.admit(cast.operator, signer.address, Role.SUPPLIER, b"\x03" * 32)
    payable_id, first = cast.issue(signer.address)
    wait_indexed(running.http, cast.w3.eth.block_number)
    domain = running.service.relay_domain
    addresses = Addresses(cast.deployment.token, cast.deployment.desk, cast.deployment.settlement)
    deadline = cast.now() + 3600
    offer = Offer.at_rate(cast.financier.address, first, 123_45, 600, deadline=deadline, recourse=True,
                          nonce=2**200 + 12345)  # fmt: skip
    requests = {
        "accept": build_request("accept", signer.address, nonce=0, deadline=deadline, addresses=addresses,
                                payable_id=payable_id),
        "split": build_request("split", signer.address, nonce=1, deadline=deadline, addresses=addresses,
                               token_id=first, to=cast.tier1.address, value=2**60 + 1),
        "move": build_request("move", signer.address, nonce=2, deadline=deadline, addresses=addresses,
                              token_id=first, to_token_id=first + 1, value=5),
        "transfer": build_request("transfer", signer.address, nonce=3, deadline=deadline, addresses=addresses,
                                  token_id=first, to=cast.tier2.address),
        "take": build_request("take", signer.address, nonce=4, deadline=deadline, addresses=addresses,
                              take_call_data=take_offer_data(offer.as_tuple(), b"\x01" * 65)),
        "claim": build_request("claim", signer.address, nonce=5, deadline=deadline, addresses=addresses,
                               token_id=first),
        "call": Call(signer.address, cast.deployment.token, claim_data(first)[:4] + b"\x00" * 64, 6, deadline),
    }  # fmt: skip
    texts = [json.dumps(r.typed_data(domain, json_safe=True), indent=1) for r in requests.values()]
    offer_text = json.dumps(typed_data(offer, cast.deployment.chain_id, cast.deployment.desk), indent=1)
    texts.append(offer_text)
    for text in texts:
        _no_unsafe_numbers(json.loads(text))  # every uint256 above 2^53 is a string
    digests = _ethers_digests(texts, tmp_path)
    relay = cast.c.relay.contract.functions
    for (kind, request), digest in zip(requests.items(), digests, strict=False):
        on_chain = "0x" + bytes(relay.hashTypedData(request.struct_hash()).call()).hex()
        assert digest == on_chain == "0x" + request.digest(domain).hex(), kind
    assert digests[-1] == "0x" + cast.c.desk.hash_offer(offer).hex()

    # a signature over ethers' digest is what the relay checks: accepted end to end
    fresh = build_request("accept", signer.address, nonce=0, deadline=deadline, addresses=addresses,
                          payable_id=payable_id)  # fmt: skip
    fresh_text = json.dumps(fresh.typed_data(domain, json_safe=True))
    (digest,) = _ethers_digests([fresh_text], tmp_path)
    signature = Account._sign_hash(bytes.fromhex(digest[2:]), signer.key).signature  # type: ignore[attr-defined]
    posted = running.http.post("/api/v1/requests", json={"typed_data": json.loads(fresh_text),
                                                         "signature": "0x" + bytes(signature).hex()})  # fmt: skip
    assert posted.status_code == 202, posted.text
    assert wait_status(running.http, posted.json()["id"])["status"] == "confirmed"


def test_js_safe_turns_unsafe_integers_into_strings() -> None:
    token_id = 1_900_000_000 << 96 | 7 << 32 | 2
    doc = {"token_id": token_id, "value_cents": 12_345, "live": True, "nested": [{"id": 2**53}], "n": 2**53 - 1}
    safe = js_safe(doc)
    assert safe == {"token_id": str(token_id), "value_cents": 12_345, "live": True, "nested": [{"id": str(2**53)}],
                    "n": 2**53 - 1}  # fmt: skip
    _no_unsafe_numbers(safe)
