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
    assert cast.supplier.address[-4:].lower() in m.page.inner_text("#wallet").lower()
    assert m.blocked == [] and m.errors == []
    assert m.wallet.methods()[:3] == ["eth_accounts", "eth_requestAccounts", "eth_chainId"]
    m.context.close()


def test_money_and_time_in_the_browser(browser: Any, service: str, cast: Cast) -> None:
    """Amounts from decimal strings (every cent of 123,456,789,012,345.67; balances rounded
    down), strict input, dates in Beijing time whatever the machine's zone."""
    m = open_member(browser, service, TestWallet(cast.w3, cast.supplier, cast.deployment.chain_id))
    m.goto("holdings")
    got = m.page.evaluate(
        """async () => {
          const money = await import('/js/money.js');
          const time = await import('/js/time.js');
          const refuse = (text) => { try { money.parseAmount(text, 2); return null; } catch (e) { return e.key; } };
          return {
            big: money.formatMoney({units: '12345678901234567', decimals: 2, currency: 'eCNY'}),
            down: money.formatMoney({units: '1999999999999999999', decimals: 18, currency: 'eCNY'}),
            usd: money.formatMoney({units: '100', decimals: 2, currency: 'USDC'}),
            parsed: money.parseAmount('3000.5', 2).toString(),
            max: money.parseAmount('184467440737095516.15', 2).toString(),
            refusals: ['1.234', '1e3', '-1', '1,000', '０1', '', '0', '.5'].map(refuse),
            beijing: time.formatDateTime('1798761600'),
            zone: Intl.DateTimeFormat().resolvedOptions().timeZone,
          };
        }"""
    )
    assert got["big"] == "¥123,456,789,012,345.67"
    assert got["down"] == "¥1.99"  # 1.999999999999999999 shown rounded down, never up
    assert got["usd"] == "1.00 USDC"
    assert got["parsed"] == "300050" and got["max"] == str(2**64 - 1)
    assert got["refusals"] == [
        "err.amount_decimals", "err.amount_format", "err.amount_format", "err.amount_format",
        "err.amount_format", "err.amount_empty", "err.amount_zero", "err.amount_format",
    ]  # fmt: skip
    assert got["beijing"] == "2027-01-01 08:00" and got["zone"] == "Asia/Shanghai"
    m.context.close()


def test_keyboard_only(browser: Any, service: str, cast: Cast) -> None:
    """Connect and move between screens with Tab and Enter alone; focus lands on each screen's
    heading; the skip link leads to the content."""
    m = open_member(browser, service, TestWallet(cast.w3, cast.supplier, cast.deployment.chain_id))
    m.goto("holdings")
    page = m.page

    def tab_to(predicate: str, limit: int = 40) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate(f"() => {{ const e = document.activeElement; return !!e && ({predicate}); }}"):
                return
        raise AssertionError(f"Tab never reached {predicate}")

    tab_to("e.classList.contains('skip')")
    tab_to("e.id === 'connect'")
    page.keyboard.press("Enter")
    page.wait_for_selector("#wallet .account")
    tab_to("e.dataset.screen === 'history'")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.activeElement && document.activeElement.id === 'screen-title'")
    assert page.evaluate("() => document.activeElement.textContent") == "流转记录"
    assert page.get_attribute("nav a[data-screen=history]", "aria-current") == "page"
    m.context.close()
