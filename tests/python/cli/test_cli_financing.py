"""financing approve|offer|show|take (direct, relayed)|cancel|invalidate-nonces|list."""

# ruff: noqa: F811 (fixtures imported from money_fixtures are parameters here)

from __future__ import annotations

import json

from brownie import chain

from tests.python.cli.conftest import FINANCIER, SUPPLIER, SUPPLIER2, Run, out_json
from tests.python.cli.money_fixtures import OPERATOR, MakeOffer, funded, make_offer, unit  # noqa: F401
from tierchain.core.ids import short_id
from tierchain.core.money import discount_price


def test_offer_show_take_direct(run: Run, lib, payable, funded, make_offer: MakeOffer, addr, unit: int, w3) -> None:
    pid, token_id = payable
    run("financing", "approve", "--dev-account", FINANCIER)
    path, doc = make_offer(f"P{pid}#1", "--value", "2000.00", "--rate", "6%", "--deadline", "2d", "--recourse")
    assert doc["offer"]["rate_bps"] == 600 and doc["offer"]["recourse"] is True and doc["warning"] is None
    shown = out_json(run("financing", "show", path, "--json"))
    assert shown["status"] == "open" and shown["signed"] is True and shown["funding_problem"] is None
    now = int(w3.eth.get_block("latest")["timestamp"])
    assert shown["quote_cents"] == discount_price(200_000, 600, (token_id >> 96) - now)
    before = lib.currency.balance_of(addr(SUPPLIER))
    taken = out_json(run("financing", "take", path, "--dev-account", SUPPLIER, "--json"))
    new_id = int(taken["token_id"])
    assert lib.token.owner_of(new_id) == addr(FINANCIER) and lib.token.balance_of(new_id) == 200_000
    assert lib.currency.balance_of(addr(SUPPLIER)) - before == taken["price_cents"] * unit
    assert out_json(run("financing", "show", path, "--json"))["status"] == "taken"
    # taken twice: refused before signing
    again = run("financing", "take", path, "--dev-account", SUPPLIER, expect=2)
    assert "is taken" in again.output
    listed = out_json(run("financing", "list", f"P{pid}", "--json"))["financings"]
    assert [r["piece"] for r in listed] == [short_id(new_id)] and listed[0]["recourse"] is True
    assert listed[0]["seller"] == addr(SUPPLIER)
    assert short_id(new_id) in run("financing", "list", short_id(new_id)).stdout


def test_take_relayed_supplier_pays_no_gas(
    run: Run, lib, payable, funded, make_offer: MakeOffer, addr, unit: int, w3, tmp_path
) -> None:
    _, token_id = payable
    run("financing", "approve", "--dev-account", FINANCIER)
    path, _ = make_offer(short_id(token_id), "--price", "4900.00", "--deadline", "3h", "--seller", addr(SUPPLIER))
    gas_before = w3.eth.get_balance(addr(SUPPLIER))
    cash_before = lib.currency.balance_of(addr(SUPPLIER))
    relayed = ("--relay", "--relayer-dev-account", OPERATOR)
    done = out_json(run("financing", "take", path, *relayed, "--dev-account", SUPPLIER, "--json"))
    assert done["relayed"] is True and done["price_cents"] == 490_000
    assert lib.token.owner_of(token_id) == addr(FINANCIER)  # the whole piece keeps its id
    assert w3.eth.get_balance(addr(SUPPLIER)) == gas_before
    assert lib.currency.balance_of(addr(SUPPLIER)) - cash_before == 490_000 * unit


def test_take_relayed_via_request_file(
    run: Run, lib, payable, funded, make_offer: MakeOffer, addr, tmp_path, rpc_url: str
) -> None:
    pid, token_id = payable
    run("financing", "approve", "--dev-account", FINANCIER)
    path, _ = make_offer(f"P{pid}#1", "--rate", "450bps")
    signed = tmp_path / "take.signed.json"
    run("financing", "take", path, "--relay", "--signed-output", signed, "--dev-account", SUPPLIER)
    assert json.loads(signed.read_text())["typedData"]["message"]["target"] == lib.desk.address
    result = run("request", "relay", signed, "--rpc", rpc_url, rpc=False)
    assert "relayed Call" in result.output
    assert lib.token.owner_of(token_id) == addr(FINANCIER)


def test_take_refusals(run: Run, lib, sender, payable, funded, make_offer: MakeOffer, addr, tmp_path) -> None:
    pid, token_id = payable
    piece = f"P{pid}#1"
    # the financier has not approved the desk yet: the offer warns, take refuses
    path, doc = make_offer(piece, "--price", "4000.00")
    assert "approved the desk" in doc["warning"]
    assert "approved the desk" in run("financing", "take", path, "--dev-account", SUPPLIER, expect=2).output
    run("financing", "approve", "--dev-account", FINANCIER)
    # not the owner
    out = run("financing", "take", path, "--dev-account", SUPPLIER2, expect=2).output
    assert "belongs to" in out
    # tampered terms: the signature is no longer the financier's
    tampered = tmp_path / "tampered.json"
    d = json.loads(path.read_text())
    d["offer"]["price_cents"] = 490_000
    tampered.write_text(json.dumps(d))
    assert "not by the financier" in run("financing", "take", tampered, "--dev-account", SUPPLIER, expect=2).output
    # cancelled (by file), then by hash again: already cancelled
    run("financing", "cancel", path, "--dev-account", FINANCIER)
    assert "is cancelled" in run("financing", "take", path, "--dev-account", SUPPLIER, expect=2).output
    out = run("financing", "cancel", doc["offer_hash"], "--dev-account", FINANCIER, expect=2).output
    assert "already cancelled" in out
    # only the financier cancels its offer
    path2, _ = make_offer(piece, "--price", "4000.00")
    assert "not the signer" in run("financing", "cancel", path2, "--dev-account", SUPPLIER, expect=2).output
    # nonce floor
    path3, _ = make_offer(piece, "--price", "4000.00", "--nonce", 5)
    run("financing", "invalidate-nonces", 6, "--dev-account", FINANCIER)
    assert "nonce-invalidated" in run("financing", "take", path3, "--dev-account", SUPPLIER, expect=2).output
    assert "already 6" in run("financing", "invalidate-nonces", 6, "--dev-account", FINANCIER, expect=2).output
    # expired
    path4, _ = make_offer(piece, "--price", "4000.00", "--deadline", "1h")
    chain.sleep(7_200)
    chain.mine()
    assert "is expired" in run("financing", "take", path4, "--dev-account", SUPPLIER, expect=2).output
    assert out_json(run("financing", "show", path4, "--json"))["status"] == "expired"
    # trading paused
    path5, _ = make_offer(piece, "--price", "4000.00")
    lib.token._send(sender(0), "setTradingPaused(bool)", True)
    assert "paused" in run("financing", "take", path5, "--dev-account", SUPPLIER, expect=2).output
    assert lib.token.owner_of(token_id) == addr(SUPPLIER)


def test_offer_bad_inputs(run: Run, payable, funded, addr) -> None:
    pid, _ = payable
    piece = f"P{pid}#1"
    base = ("financing", "offer", piece, "--dev-account", FINANCIER)
    assert "exactly one of --price" in run(*base, expect=2).output
    assert "exactly one of --price" in run(*base, "--price", "1.00", "--rate", "5%", expect=2).output
    assert "decimals" in run(*base, "--price", "100.001", expect=2).output
    assert "decimals" in run(*base, "--rate", "6.555%", expect=2).output
    assert "650bps" in run(*base, "--rate", "6", expect=2).output
    assert "above 10000" in run(*base, "--rate", "10001bps", expect=2).output
    assert "above the value" in run(*base, "--value", "100.00", "--price", "200.00", expect=2).output
    assert "exceeds the piece" in run(*base, "--value", "5000.01", "--price", "200.00", expect=2).output
    assert "not in the future" in run(*base, "--price", "1.00", "--deadline", "2020-01-01T00:00:00Z", expect=2).output
    assert "time zone" in run(*base, "--price", "1.00", "--deadline", "2030-01-01T00:00:00", expect=2).output
    out = run("financing", "offer", piece, "--price", "1.00", "--dev-account", SUPPLIER2, expect=2).output
    assert "not an active financier" in out
    out = run("financing", "offer", f"P{pid}#9", "--price", "1.00", "--dev-account", FINANCIER, expect=20).output
    assert "has pieces 1..1" in out


def test_keystore_signs_offer_take_and_request(
    run: Run, lib, payable, funded, make_offer: MakeOffer, addr, tmp_path, rpc_url: str
) -> None:
    """The holder's key lives in a keystore: it takes an offer with --from, and `request sign`
    signs a relayed split with --from + --password-file (the dev-key path stays for local chains)."""
    from tierchain.chain.local import dev_accounts

    pid, token_id = payable
    pw = tmp_path / "pw.txt"
    pw.write_text("correct horse battery\n")
    key_file = tmp_path / "key.txt"
    key_file.write_text("0x" + dev_accounts()[SUPPLIER].key.hex() + "\n")
    run("wallet", "import", "--key-file", key_file, "--password-file", pw, rpc=False)
    run("financing", "approve", "--dev-account", FINANCIER)
    path, _ = make_offer(f"P{pid}#1", "--value", "1000.00", "--price", "990.00")
    keystore = ("--from", addr(SUPPLIER), "--password-file", pw)
    taken = out_json(run("financing", "take", path, *keystore, "--json"))
    assert lib.token.owner_of(int(taken["token_id"])) == addr(FINANCIER)
    # request sign with the keystore
    td, signed = tmp_path / "split.json", tmp_path / "split.signed.json"
    run("request", "typed-data", "split", "--rpc", rpc_url, "--signer", addr(SUPPLIER), "--piece", token_id,
        "--to", addr(SUPPLIER2), "--value", "100.00", "-o", td, rpc=False)  # fmt: skip
    wrong = run("request", "sign", td, "--dev-account", SUPPLIER2, rpc=False, expect=2)
    assert "to sign, not development account" in wrong.output
    assert "exactly one of" in run("request", "sign", td, rpc=False, expect=2).output
    run("request", "sign", td, *keystore, "-o", signed, rpc=False)
    assert "relayed SplitPiece" in run("request", "relay", signed, "--rpc", rpc_url, rpc=False).output
    assert lib.token.balance_of(token_id) == 500_000 - 100_000 - 10_000


def test_posted_offer_taken_from_its_terms_file(run: Run, lib, payable, funded, make_offer: MakeOffer, addr) -> None:
    pid, _ = payable
    run("financing", "approve", "--dev-account", FINANCIER)
    assert "no financed pieces" in run("financing", "list", f"P{pid}").stdout
    path, doc = make_offer(f"P{pid}#1", "--value", "1500.00", "--rate", "5.25%", "--post")
    assert doc["posted"] is True and json.loads(path.read_text())["signature"] is None
    shown = out_json(run("financing", "show", path, "--json"))
    assert shown["status"] == "posted" and shown["signed"] is False
    taken = out_json(run("financing", "take", path, "--dev-account", SUPPLIER, "--json"))
    assert lib.token.owner_of(int(taken["token_id"])) == addr(FINANCIER)
    assert lib.desk.financing_of(int(taken["token_id"])).value == 150_000
