"""The supplier story in the browser, end to end, against `tierchain serve` on the test chain:
connect, accept, split to two tier-2 suppliers, take a financier's offer made in a second
browser context, open the piece's trace, claim at maturity. Every action's summary is checked
field by field against the typed data the wallet signs; axe-core runs on every screen."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import FACE, Cast
from tests.browser.portal import (
    axe_check,
    confirm_and_sign,
    connect,
    open_member,
    shoot,
    wait_screen_text,
)
from tests.browser.wallet import TestWallet
from tierchain.chain.local import advance_time
from tierchain.clients.bundle import Contracts
from tierchain.core.money import discount_price
from tierchain.invoices import packages as invoices


def api_get(base: str, path: str) -> Any:
    with urllib.request.urlopen(f"{base}/api/v1{path}", timeout=10) as res:
        return json.loads(res.read())


def assert_accessible(page: Any) -> None:
    violations = axe_check(page)
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)


@pytest.mark.slow
def test_supplier_story(browser: Any, service: str, cast: Cast, tmp_path: Path) -> None:
    c: Contracts = cast.c
    sup = open_member(browser, service, TestWallet(cast.w3, cast.supplier, cast.deployment.chain_id))
    page = sup.page

    # connect and accept ------------------------------------------------------------------
    sup.goto("pending")
    connect(sup)
    wait_screen_text(sup, "pending", "¥1,000,000.00")
    shoot(page, "pending")
    assert_accessible(page)
    page.click(f"button[data-action=accept][data-payable='{cast.payable_id}']")
    td = confirm_and_sign(sup)
    assert td["primaryType"] == "AcceptPayable" and td["message"]["payableId"] == str(cast.payable_id)
    tx = page.inner_text(".request .tx-hash")
    assert tx.startswith("0x") and len(tx) == 66
    assert cast.w3.eth.get_transaction_receipt(tx)["status"] == 1
    assert c.token.owner_of(cast.first_piece) == cast.supplier.address
    assert str(c.token.payable_of(cast.payable_id).status).lower().endswith("accepted")

    # holdings ----------------------------------------------------------------------------
    wait_screen_text(sup, "holdings", "¥1,250,000.00")  # the total of the two pieces held
    assert "¥1,000,000.00" in page.inner_text("#main") and "¥250,000.00" in page.inner_text("#main")
    assert "2 张凭证" in page.inner_text("#main")
    shoot(page, "holdings")
    assert_accessible(page)

    # split to two tier-2 suppliers -------------------------------------------------------
    sup.goto(f"transfer/{cast.first_piece}")
    page.fill("#to-0", cast.tier2a.address)
    page.fill("#amount-0", "300000.00")
    page.click("#add-recipient")
    page.fill("#to-1", cast.tier2b.address)
    page.fill("#amount-1", "200000.5")
    shoot(page, "transfer")
    assert_accessible(page)
    page.click("#submit-transfer")
    td1 = confirm_and_sign(sup, ".step-area[data-step='0']")
    assert_accessible(page)
    shoot(page, "transfer-signed")
    td2 = confirm_and_sign(sup, ".step-area[data-step='1']")
    assert (td1["message"]["to"], td1["message"]["value"]) == (cast.tier2a.address, "30000000")
    assert (td2["message"]["to"], td2["message"]["value"]) == (cast.tier2b.address, "20000050")
    assert c.token.balance_of(cast.first_piece) == FACE - 30000000 - 20000050
    tier2a_pieces = c.token.pieces_of_payable(cast.payable_id)
    owners = {p.owner: p.value for p in tier2a_pieces if p.value}
    assert owners[cast.tier2a.address] == 30000000 and owners[cast.tier2b.address] == 20000050

    # a financier makes an offer in its own browser ---------------------------------------
    fin = open_member(browser, service, TestWallet(cast.w3, cast.financier, cast.deployment.chain_id))
    fin.goto(f"finance/{cast.first_piece}")
    connect(fin)
    fin.goto(f"finance/{cast.first_piece}")
    fin.page.fill("#offer-value", "100000.00")
    fin.page.fill("#offer-rate", "6.00")
    fin.page.click("#submit-offer")
    offer_td = confirm_and_sign(fin, "#offer-form + .action-area")
    assert offer_td["primaryType"] == "Offer" and offer_td["message"]["rateBps"] == "600"
    assert fin.page.inner_text(".offer-hash").startswith("0x")
    fin.page.click("#approve")
    fin.page.wait_for_selector(".allowance .request[data-state=confirmed]", timeout=60_000)
    assert [m for m in fin.wallet.methods() if m == "eth_sendTransaction"] == ["eth_sendTransaction"]
    shoot(fin.page, "offer")
    assert_accessible(fin.page)
    assert fin.blocked == [] and fin.errors == [] and fin.console_errors == [], fin.console_errors
    fin.context.close()

    # the supplier takes it: piece and price move together --------------------------------
    unit = 10 ** (c.currency.decimals() - 2)
    before = c.currency.balance_of(cast.supplier.address)
    wait_screen_text(sup, "finance", "接受报价")
    shoot(page, "finance")
    assert_accessible(page)
    page.click("button[data-action=take]")
    take_td = confirm_and_sign(sup, ".action-area")
    assert take_td["primaryType"] == "Call" and take_td["message"]["target"] == cast.deployment.desk
    tx = page.inner_text(".request .tx-hash")
    took_at = cast.w3.eth.get_block(cast.w3.eth.get_transaction_receipt(tx)["blockNumber"])["timestamp"]
    maturity = c.token.payable_of(cast.payable_id).maturity_at
    price = discount_price(10000000, 600, maturity - took_at)
    assert c.currency.balance_of(cast.supplier.address) - before == price * unit
    assert c.token.balance_of(cast.first_piece) == FACE - 30000000 - 20000050 - 10000000

    # the trace of the piece, and the history ---------------------------------------------
    wait_screen_text(sup, f"piece/{cast.first_piece}", "P1#4")  # the index has the financing's split
    page.wait_for_selector("svg.trace")
    trace_text = page.inner_text(".trace-list")
    assert "数据包" in trace_text and "应付账款" in trace_text and "本凭证" in trace_text
    assert trace_text.count("凭证 P") >= 4, json.dumps(api_get(service, "/health"), ensure_ascii=False)[:3000]
    entry = cast.package.entry(0).invoice
    proof = invoices.prove(cast.package, entry.invoice_code, entry.invoice_number)
    proof_file = tmp_path / "invoice-proof.json"
    proof_file.write_text(json.dumps({
        "invoice_code": entry.invoice_code, "invoice_number": entry.invoice_number,
        "root": "0x" + proof.root.hex(), "key": "0x" + proof.key.hex(), "details_hash": "0x" + proof.details_hash.hex(),
        "leaf": "0x" + proof.leaf.hex(), "proof": ["0x" + p.hex() for p in proof.proof],
    }))  # fmt: skip
    page.set_input_files("#proof-file", str(proof_file))
    page.click("#submit-proof")
    page.wait_for_selector("#proof-ok")
    assert f"{entry.invoice_code}/{entry.invoice_number}" in page.inner_text(".trace-list")
    assert "已在登记合约中验证" in page.inner_text(".trace-list")
    assert sup.wallet.methods()[-1] == "eth_call"  # the registry was asked through the wallet's node
    shoot(page, "trace")
    assert_accessible(page)
    wait_screen_text(sup, "history", "拆分")
    shoot(page, "history")
    assert_accessible(page)

    # maturity: the core enterprise pays, the supplier claims -----------------------------
    advance_time(cast.w3, maturity - int(cast.w3.eth.get_block("latest")["timestamp"]) + 60)
    c.settlement.pay(cast.sender(cast.core), cast.payable_id, FACE)
    left = c.token.balance_of(cast.first_piece)
    before = c.currency.balance_of(cast.supplier.address)
    wait_screen_text(sup, "claims", "兑付 P")
    shoot(page, "claims")
    assert_accessible(page)
    page.click(f"button[data-action=claim][data-piece='{cast.first_piece}']")
    claim_td = confirm_and_sign(sup, ".action-area")
    assert claim_td["message"]["target"] == cast.deployment.settlement
    assert c.currency.balance_of(cast.supplier.address) - before == left * unit

    # English, on the same data -----------------------------------------------------------
    page.click("#lang")
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    sup.goto("holdings")
    assert "Holdings" in page.inner_text("nav")
    shoot(page, "holdings-en")
    assert_accessible(page)

    assert sup.blocked == [] and sup.errors == []
    assert sup.console_errors == [], sup.console_errors  # a CSP violation would be one
    sent = [m for m in sup.wallet.methods() if m in ("eth_sendTransaction", "personal_sign")]
    assert sent == [], "the supplier paid no gas: every action was a signed request"
    sup.context.close()
