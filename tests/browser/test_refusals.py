"""Refusals in the browser, each shown in words with nothing signed or sent; the wallet paths
(EIP-6963 or window.ethereum, account and chain changes, a wallet that only sends
transactions); a whole-piece transfer. Another supplier's accepted piece is used here."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.conftest import FACE, Cast
from tests.browser.portal import Member, axe_check, confirm_and_sign, connect, open_member, shoot, wait_screen_text
from tests.browser.wallet import TestWallet

OTHER_VALUE = FACE // 10  # the other supplier's piece: 100,000.00


def nothing_sent(m: Member) -> None:
    assert m.wallet.sends() == [], m.wallet.sends()
    assert m.api_posts("/api/v1/requests") == []
    assert m.api_posts("/api/v1/offers") == []


def split_form(m: Member, cast: Cast, amount: str) -> None:
    m.goto(f"transfer/{cast.other_piece}")
    m.page.fill("#to-0", cast.receiver.address)
    m.page.fill("#amount-0", amount)
    m.page.click("#submit-transfer")


@pytest.fixture
def other(browser: Any, service: str, cast: Cast) -> Any:
    m = open_member(browser, service, TestWallet(cast.w3, cast.other, cast.deployment.chain_id))
    m.goto("holdings")
    connect(m)
    wait_screen_text(m, "holdings", "P2#1")  # the piece it holds (its value changes along the file)
    yield m
    assert m.blocked == []
    m.context.close()


def test_amount_with_too_many_decimals_is_refused_in_words(other: Member, cast: Cast) -> None:
    split_form(other, cast, "1.234")
    error = other.page.inner_text(".form-error")
    assert "小数位太多" in error and "1.234" in error and "最多 2 位" in error
    shoot(other.page, "refusal-decimals")
    assert axe_check(other.page) == []
    assert other.api_posts("/api/v1/requests/draft") == []
    nothing_sent(other)


def test_more_than_the_piece_holds_is_refused_in_words(other: Member, cast: Cast) -> None:
    split_form(other, cast, "100000.01")
    error = other.page.inner_text(".form-error")
    assert "超过凭证" in error and "¥100,000.01" in error and "¥100,000.00" in error
    assert other.api_posts("/api/v1/requests/draft") == []
    nothing_sent(other)


def test_a_rejected_signature_is_shown_and_nothing_is_relayed(other: Member, cast: Cast) -> None:
    other.wallet.refuse.add("eth_signTypedData_v4")
    split_form(other, cast, "10.00")
    other.page.wait_for_selector(".confirm")
    other.page.click(".confirm #sign")
    other.page.wait_for_selector(".request[data-state=failed]")
    text = other.page.inner_text(".request")
    assert "拒绝" in text and "未发送任何内容" in text
    assert "eth_signTypedData_v4" in other.wallet.methods()
    assert other.api_posts("/api/v1/requests") == []
    assert cast.c.token.balance_of(cast.other_piece) == OTHER_VALUE


def test_the_service_down_is_shown_in_words(other: Member, cast: Cast) -> None:
    other.goto(f"transfer/{cast.other_piece}")
    other.context.route("**/api/v1/**", lambda route: route.abort("connectionrefused"))
    other.page.fill("#to-0", cast.receiver.address)
    other.page.fill("#amount-0", "10.00")
    other.page.click("#submit-transfer")
    other.page.wait_for_selector(".step-area .error")
    assert "无法连接服务" in other.page.inner_text(".step-area")
    nothing_sent(other)
    other.page.reload()
    other.page.wait_for_selector("body[data-booted]")
    assert "无法连接服务" in other.page.inner_text("#main")
    shoot(other.page, "refusal-service-down")
    other.context.unroute("**/api/v1/**")


def test_wrong_chain_switch_refused_is_shown_and_nothing_is_signed(browser: Any, service: str, cast: Cast) -> None:
    wallet = TestWallet(cast.w3, cast.other, chain_id=1, known_chains={1, cast.deployment.chain_id})
    wallet.refuse.add("wallet_switchEthereumChain")
    m = open_member(browser, service, wallet)
    m.goto("holdings")
    connect(m)
    m.page.wait_for_selector("#switch-chain")
    header = m.page.inner_text("#wallet")
    assert "链 1 上" in header and str(cast.deployment.chain_id) in header
    shoot(m.page, "refusal-wrong-chain")
    split_form(m, cast, "10.00")
    m.page.wait_for_selector(".step-area .error")
    assert "没有切换到本服务的链" in m.page.inner_text(".step-area")
    assert m.wallet.methods().count("wallet_switchEthereumChain") >= 2
    nothing_sent(m)
    # the wallet agrees the second time: the page follows the chain change and works
    wallet.refuse.clear()
    m.page.click("#switch-chain")
    m.page.wait_for_function("() => !document.querySelector('#switch-chain')")
    assert "✓" in m.page.inner_text("#wallet")
    m.context.close()


def test_an_unknown_chain_is_added_or_explained(browser: Any, service: str, cast: Cast) -> None:
    wallet = TestWallet(cast.w3, cast.other, chain_id=1, known_chains={1})
    m = open_member(browser, service, wallet)
    m.goto("holdings")
    connect(m)
    m.page.wait_for_selector("#switch-chain")
    assert "wallet_switchEthereumChain" in wallet.methods()
    if "wallet_addEthereumChain" in wallet.methods():  # the service published an RPC address
        assert wallet.chain_id == cast.deployment.chain_id
    else:
        assert "钱包不认识本服务的链" in m.page.inner_text("#wallet")
    nothing_sent(m)
    m.context.close()


def test_window_ethereum_fallback_and_account_change(browser: Any, service: str, cast: Cast) -> None:
    wallet = TestWallet(cast.w3, cast.other, cast.deployment.chain_id, eip6963=False)
    m = open_member(browser, service, wallet)
    m.goto("holdings")
    connect(m)
    assert cast.other.address[-4:].lower() in m.page.inner_text("#wallet").lower()
    m.page.evaluate("(a) => window.__tierchainWalletEmit('accountsChanged', [a])", cast.receiver.address)
    tail = cast.receiver.address[-4:].lower()
    m.page.wait_for_function("(t) => document.querySelector('#wallet').innerText.toLowerCase().includes(t)", arg=tail)
    m.page.wait_for_function("() => document.querySelector('#live').innerText.includes('已切换')")
    m.page.evaluate("() => window.__tierchainWalletEmit('accountsChanged', [])")
    m.page.wait_for_selector("#connect")
    assert "尚未连接钱包" in m.page.inner_text("#main")
    m.context.close()


def test_direct_transaction_path_for_wallets_without_typed_data(other: Member, cast: Cast) -> None:
    """The member sends the same split as its own transaction (paying gas); the summary still
    comes from the typed data, and the transaction is checked to do the same."""
    other.wallet.refuse.add("eth_signTypedData_v4")
    split_form(other, cast, "10.00")
    other.page.wait_for_selector(".confirm #direct")
    other.page.click(".confirm #direct")
    other.page.wait_for_selector(".request[data-state=confirmed]", timeout=60_000)
    assert other.wallet.methods().count("eth_sendTransaction") == 1
    assert "eth_signTypedData_v4" not in other.wallet.methods()
    tx = other.page.inner_text(".request .tx-hash")
    receipt = cast.w3.eth.get_transaction_receipt(tx)
    assert receipt["status"] == 1 and receipt["from"] == cast.other.address
    assert cast.c.token.balance_of(cast.other_piece) == OTHER_VALUE - 1000


def test_transfer_whole_piece(browser: Any, service: str, cast: Cast) -> None:
    """The receiver of the direct split passes its whole 10.00 piece on, by signature."""
    m = open_member(browser, service, TestWallet(cast.w3, cast.receiver, cast.deployment.chain_id))
    m.goto("holdings")
    connect(m)
    wait_screen_text(m, "holdings", "¥10.00")
    m.goto("transfer")
    m.page.check("#mode-whole")
    m.page.fill("#whole-to", cast.tier2a.address)
    m.page.click("#submit-transfer")
    td = confirm_and_sign(m, ".step-area")
    assert td["primaryType"] == "TransferPiece" and td["message"]["to"] == cast.tier2a.address
    assert cast.c.token.owner_of(int(td["message"]["tokenId"])) == cast.tier2a.address
    m.context.close()


@pytest.mark.parametrize(
    ("tamper", "words"),
    [
        (lambda td: td["message"].update(memo="pay me twice"), "未声明的字段"),
        (lambda td: td["domain"].update(chainId="1"), "不是本服务的链"),
        (lambda td: td["types"].update(Extra=[{"name": "x", "type": "uint256"}]), "多余的类型"),
        (lambda td: td["message"].update(signer="0x000000000000000000000000000000000000dEaD"), "签名人不是当前账户"),
    ],
    ids=["undeclared-field", "other-chain", "extra-type", "other-signer"],
)
def test_typed_data_that_is_not_exactly_what_is_shown_is_never_signed(
    other: Member, cast: Cast, tamper: Any, words: str
) -> None:
    """The draft answered by the real service is altered on its way to the page: the page refuses
    it before any summary or signature."""

    def alter(route: Any) -> None:
        response = route.fetch()
        doc = response.json()
        tamper(doc["typed_data"])
        route.fulfill(response=response, json=doc)

    other.context.route("**/api/v1/requests/draft", alter)
    split_form(other, cast, "10.00")
    other.page.wait_for_selector(".step-area .error")
    assert words in other.page.inner_text(".step-area")
    assert other.page.query_selector(".confirm") is None
    nothing_sent(other)
    other.context.unroute("**/api/v1/requests/draft")


def test_no_wallet_at_all_says_what_to_install(browser: Any, service: str, cast: Cast) -> None:
    m = open_member(browser, service, TestWallet(cast.w3, cast.other, cast.deployment.chain_id, eip6963=False,
                                                 window_ethereum=False))  # fmt: skip
    m.goto("holdings")
    assert "未检测到浏览器钱包" in m.page.inner_text("#main")
    assert m.wallet.calls == []
    m.context.close()
