"""Issue 14 item 2: every relayed action can be signed by a keystore or a browser wallet.

``financing take --relay`` and ``settlement claim --relay`` take a keystore relayer
(``--relayer-from`` + ``--relayer-password-file``) and can write the UNSIGNED typed data of their
``Call`` for a browser wallet (``--typed-data-out``): nothing is signed, a summary says what the
wallet would commit to, and the wallet's signature is relayed with ``request relay --signature``.
"""

# ruff: noqa: F811 (fixtures imported from money_fixtures are parameters here)

from __future__ import annotations

import json

from tests.python.cli.conftest import FINANCIER, SUPPLIER, Run, out_json
from tests.python.cli.money_fixtures import OPERATOR, MakeOffer, funded, make_offer, unit  # noqa: F401
from tierchain.chain.local import dev_accounts
from tierchain.clients.requests import parse_typed_data, sign_request


def test_take_typed_data_for_a_browser_wallet(
    run: Run, lib, payable, funded, make_offer: MakeOffer, addr, tmp_path, rpc_url: str, w3
) -> None:
    pid, token_id = payable
    run("financing", "approve", "--dev-account", FINANCIER)
    path, _ = make_offer(f"P{pid}#1", "--price", "4900.00", "--deadline", "3h", "--seller", addr(SUPPLIER))
    td = tmp_path / "take.typed.json"
    # --from only: the holder's wallet is a browser wallet, no keystore, no password asked
    done = out_json(run("financing", "take", path, "--relay", "--typed-data-out", td, "--from", addr(SUPPLIER),
                        "--json"))  # fmt: skip
    doc = json.loads(td.read_text())
    assert doc["primaryType"] == "Call" and doc["message"]["target"] == lib.desk.address
    assert "4,900.00" in doc["summary"] and f"P{pid}#1" in doc["summary"] and done["summary"] == doc["summary"]
    assert isinstance(doc["message"]["nonce"], str)  # uint256 as a decimal string for JavaScript
    assert lib.token.owner_of(token_id) == addr(SUPPLIER)  # nothing happened yet
    request, domain = parse_typed_data(doc)
    signature = "0x" + sign_request(request, domain, dev_accounts()[SUPPLIER]).signature.hex()  # "the wallet"
    gas = w3.eth.get_balance(addr(SUPPLIER))
    run("request", "relay", td, "--signature", signature, "--dev-account", OPERATOR)
    assert lib.token.owner_of(token_id) == addr(FINANCIER)
    assert w3.eth.get_balance(addr(SUPPLIER)) == gas


def test_take_relayed_by_a_keystore_relayer(
    run: Run, lib, payable, funded, make_offer: MakeOffer, addr, tmp_path
) -> None:
    pid, token_id = payable
    pw = tmp_path / "pw.txt"
    pw.write_text("operator passphrase\n")
    key_file = tmp_path / "key.txt"
    key_file.write_text("0x" + dev_accounts()[OPERATOR].key.hex() + "\n")
    run("wallet", "import", "--key-file", key_file, "--password-file", pw, rpc=False)
    run("financing", "approve", "--dev-account", FINANCIER)
    path, _ = make_offer(f"P{pid}#1", "--price", "4900.00", "--deadline", "3h", "--seller", addr(SUPPLIER))
    both = run("financing", "take", path, "--relay", "--relayer-from", addr(OPERATOR), "--relayer-dev-account",
               OPERATOR, "--dev-account", SUPPLIER, expect=2)  # fmt: skip
    assert "exactly one of" in both.output
    stray = run("financing", "take", path, "--relayer-from", addr(OPERATOR), "--dev-account", SUPPLIER, expect=2)
    assert "go with --relay" in stray.output
    done = out_json(run("financing", "take", path, "--relay", "--relayer-from", addr(OPERATOR),
                        "--relayer-password-file", pw, "--dev-account", SUPPLIER, "--json"))  # fmt: skip
    assert done["relayed"] is True
    assert lib.token.owner_of(token_id) == addr(FINANCIER)
