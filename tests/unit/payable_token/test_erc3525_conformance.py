"""ERC-3525 conformance of PayableToken: ERC-165 answers, the compiled ABI against the published
IERC3525 and IERC721 ABIs shipped in Solv's npm package, metadata, and no ether accepted."""

import json
from pathlib import Path

import brownie
import pytest
from eth_utils import event_abi_to_log_topic, function_abi_to_4byte_selector

from tests.conftest import CENTS

PUBLISHED = Path(__file__).parents[3] / "node_modules" / "@solvprotocol" / "erc-3525" / "build"
SPLIT = "uint256,address,uint256"
APPROVE_VALUE = "uint256,address,uint256"
MAX_UINT = 2**256 - 1


def _published_abi(name):
    return json.loads((PUBLISHED / f"{name}.json").read_text())["abi"]


def _types(params):
    """Canonical ABI types, tuples expanded (none occur here, but be exact)."""
    out = []
    for p in params:
        if p["type"].startswith("tuple"):
            out.append("(" + ",".join(_types(p["components"])) + ")" + p["type"][5:])
        else:
            out.append(p["type"])
    return out


def _functions(abi):
    return {
        function_abi_to_4byte_selector(e): (e["name"], tuple(_types(e["outputs"])))
        for e in abi
        if e["type"] == "function"
    }


def _events(abi):
    return {
        event_abi_to_log_topic(e): (e["name"], tuple(i["indexed"] for i in e["inputs"]))
        for e in abi
        if e["type"] == "event"
    }


def _interface_id(abi, minus=()):
    selectors = set(_functions(abi)) - set(minus)
    iid = 0
    for s in selectors:
        iid ^= int.from_bytes(s, "big")
    return iid


# ---------------------------------------------------------------------------- ERC-165


@pytest.mark.parametrize(
    "interface_id, supported",
    [
        ("0x01ffc9a7", True),  # ERC-165
        ("0x80ac58cd", True),  # ERC-721
        ("0xd5358140", True),  # ERC-3525
        ("0xffffffff", False),  # ERC-165 says: never
        ("0x5b5e139f", False),  # ERC-721 metadata: no tokenURI here
        ("0x00000000", False),
    ],
)
def test_supports_interface(token, interface_id, supported):
    assert token.supportsInterface(interface_id) is supported


def test_published_interface_ids_match_the_abis():
    erc721 = _published_abi("IERC721")
    erc3525 = _published_abi("IERC3525")
    supports = [e for e in erc721 if e.get("name") == "supportsInterface"]
    skip = {function_abi_to_4byte_selector(supports[0])}
    assert _interface_id(erc721, skip) == 0x80AC58CD
    assert _interface_id(erc3525, set(_functions(erc721))) == 0xD5358140


# ---------------------------------------------------------------------------- ABI


@pytest.mark.parametrize("published", ["IERC3525", "IERC721"])
def test_abi_has_every_published_function(PayableToken, published):
    ours = _functions(PayableToken.abi)
    missing = {sel.hex(): sig for sel, sig in _functions(_published_abi(published)).items() if ours.get(sel) != sig}
    assert missing == {}


@pytest.mark.parametrize("published", ["IERC3525", "IERC721"])
def test_abi_has_every_published_event(PayableToken, published):
    ours = _events(PayableToken.abi)
    missing = {topic.hex(): sig for topic, sig in _events(_published_abi(published)).items() if ours.get(topic) != sig}
    assert missing == {}


def test_no_function_accepts_ether(PayableToken):
    # Deliberate deviation: the published functions are payable; ours are not (invariant 10).
    assert [e["name"] for e in PayableToken.abi if e.get("stateMutability") == "payable"] == []
    assert not any(e["type"] in ("receive", "fallback") for e in PayableToken.abi)


def test_call_with_value_reverts(token, issue, suppliers):
    _, p1 = issue()
    data = token.transferFrom[SPLIT].encode_input(p1, suppliers[1], 1_000 * CENTS)
    before = token.balanceOf["uint256"](p1)
    with brownie.reverts():
        suppliers[0].transfer(token, 1, data=data)
    assert token.balanceOf["uint256"](p1) == before
    assert token.balance() == 0


def test_plain_ether_transfer_reverts(token, suppliers):
    with brownie.reverts():
        suppliers[0].transfer(token, 1)
    assert token.balance() == 0


# ---------------------------------------------------------------------------- metadata


def test_value_decimals_is_two(token):
    assert token.valueDecimals() == 2


def test_name_and_symbol(token):
    assert token.name() == "tierchain payable"
    assert token.symbol() == "TCP"


# ---------------------------------------------------------------------------- deviations


def test_max_allowance_is_spent_like_any_other(token, issue, suppliers):
    # The reference treats type(uint256).max as infinite; here every allowance is spent (T10).
    _, p1 = issue()
    token.approve[APPROVE_VALUE](p1, suppliers[5], MAX_UINT, {"from": suppliers[0]})
    token.transferFrom[SPLIT](p1, suppliers[1], 1_000 * CENTS, {"from": suppliers[5]})
    assert token.allowance(p1, suppliers[5]) == MAX_UINT - 1_000 * CENTS
