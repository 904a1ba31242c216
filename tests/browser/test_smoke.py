"""The page loads from `tierchain serve` with nothing from any other host."""

from __future__ import annotations

from typing import Any

from tests.browser.conftest import Cast
from tests.browser.portal import axe_check, connect, open_member, shoot
from tests.browser.wallet import TestWallet


def test_page_without_a_connection_says_what_to_do(browser: Any, service: str, cast: Cast) -> None:
    m = open_member(browser, service, TestWallet(cast.w3, cast.supplier, cast.deployment.chain_id))
    m.goto("holdings")
    text = m.page.inner_text("#main")
    assert "尚未连接钱包" in text and "连接钱包" in text
    shoot(m.page, "connect")
    assert axe_check(m.page) == []
    connect(m)
    assert cast.supplier.address[-4:] in m.page.inner_text("#wallet")
    assert m.blocked == [] and m.errors == []
    assert m.wallet.methods()[:3] == ["eth_accounts", "eth_requestAccounts", "eth_chainId"]
    m.context.close()
