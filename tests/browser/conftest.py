"""The browser suite: Debian's Chromium driven by Playwright against the real `tierchain serve`
on the chain the test run started, with wallets whose keys stay in Python.

Sections: the cast and its chain (session scope: one story, no snapshots — the service indexes
the chain and a revert would read as a reorg), the service process, the browser.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from tests.browser.portal import CHROMIUM, CHROMIUM_ARGS, start_service, stop_service
from tierchain.chain.deployment import DAY, Deployment
from tierchain.chain.local import dev_accounts
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import Role
from tierchain.invoices import packages as invoices
from tierchain.workflows.demo import credit_code, synthetic_invoices
from tierchain.workflows.deploy import deploy_all
from toolchain import build_web

MAX_UINT256 = 2**256 - 1
FACE = 1_000_000_00  # 1,000,000.00 in cents
TENOR = 90 * DAY


@pytest.fixture(autouse=True)
def isolation() -> None:
    """No per-test snapshot here (overrides the root conftest's fn_isolation): the service
    follows the chain, and the story's steps build on each other."""


# ---------------------------------------------------------------------------- the cast


@dataclass
class Cast:
    w3: Web3
    rpc_url: str
    home: Path
    deployment: Deployment
    c: Contracts
    admin: LocalAccount
    operator: LocalAccount
    core: LocalAccount
    supplier: LocalAccount  # tier 1: the story's hero
    tier2a: LocalAccount
    tier2b: LocalAccount
    other: LocalAccount  # a second tier-1 supplier, for the refusals
    receiver: LocalAccount
    financier: LocalAccount
    package: Any = None
    payable_id: int = 0
    first_piece: int = 0
    other_piece: int = 0
    held_piece: int = 0

    def sender(self, account: LocalAccount) -> Sender:
        return Sender(self.w3, account, timeout=60)


@pytest.fixture(scope="session")
def cast(tmp_path_factory: pytest.TempPathFactory) -> Cast:
    """Deploy, admit, register a small invoice package and issue: one payable waiting for the
    supplier's acceptance (the story), one already accepted by another supplier (refusals)."""
    from brownie import web3 as brownie_web3

    rpc_url = str(brownie_web3.provider.endpoint_uri)  # type: ignore[attr-defined]
    w3 = Web3(HTTPProvider(rpc_url))
    keys = dev_accounts()
    home = tmp_path_factory.mktemp("portal-home")
    admin = Sender(w3, keys[0])
    deployment = deploy_all(w3, admin, keys[1].address, home=home)
    c = Contracts.at(w3, deployment)
    c.membership.admit(admin, keys[1].address, Role.OPERATOR, Web3.keccak(text="id:operator"))
    op = Sender(w3, keys[1])
    members = [(keys[2].address, Role.CORE_ENTERPRISE, Web3.keccak(text="id:core"))]
    members += [(keys[i].address, Role.SUPPLIER, Web3.keccak(text=f"id:supplier{i}")) for i in range(3, 9)]
    members += [(keys[9].address, Role.FINANCIER, Web3.keccak(text="id:financier"))]
    c.membership.admit_many(op, members)
    k = Cast(w3=w3, rpc_url=rpc_url, home=home, deployment=deployment, c=c, admin=keys[0], operator=keys[1],
             core=keys[2], supplier=keys[3], tier2a=keys[4], tier2b=keys[5], other=keys[6], receiver=keys[7],
             financier=keys[9])  # fmt: skip
    core = k.sender(k.core)
    package = invoices.build_package(synthetic_invoices(3, seller=credit_code(3), buyer=credit_code(2)))
    k.package = package
    c.registry.register_package(
        core, package.root, package.count, FACE * 2, k.supplier.address, Web3.keccak(text="doc")
    )
    now = int(w3.eth.get_block("latest")["timestamp"])
    k.payable_id, k.first_piece = c.token.issue(
        core, k.supplier.address, FACE, deployment.currency, now + TENOR, package.root, Web3.keccak(text="conf-1")
    )
    package2 = invoices.build_package(synthetic_invoices(3, seller=credit_code(6), buyer=credit_code(2), seed=9))
    c.registry.register_package(core, package2.root, package2.count, FACE, k.other.address, Web3.keccak(text="doc2"))
    pid2, k.other_piece = c.token.issue(
        core,
        k.other.address,
        FACE // 10,
        deployment.currency,
        now + 300 * DAY,
        package2.root,
        Web3.keccak(text="conf-2"),
    )
    c.token.accept(k.sender(k.other), pid2)
    # a second payable the supplier already holds (accepted before the story), due earlier
    package3 = invoices.build_package(synthetic_invoices(3, seller=credit_code(3), buyer=credit_code(2), seed=11))
    c.registry.register_package(core, package3.root, package3.count, FACE, k.supplier.address, Web3.keccak(text="d3"))
    pid3, k.held_piece = c.token.issue(
        core, k.supplier.address, FACE // 4, deployment.currency, now + 60 * DAY, package3.root, Web3.keccak(text="c3")
    )
    c.token.accept(k.sender(k.supplier), pid3)
    unit = 10 ** (c.currency.decimals() - 2)
    c.currency.mint(op, k.financier.address, FACE * unit)
    c.currency.mint(op, k.core.address, FACE * 2 * unit)
    c.settlement.approve(core, deployment.currency)
    return k


# ---------------------------------------------------------------------------- the service


_leaving: list[Callable[[], None]] = []


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After the browser suite's last test, stop its service at once: the rest of a full run
    must not share the machine with a service polling a chain it no longer needs."""
    here = Path(__file__).parent
    if nextitem is None or Path(str(nextitem.path)).parent != here:
        while _leaving:
            _leaving.pop()()


@pytest.fixture(scope="session")
def service(cast: Cast, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`tierchain serve` on a free loopback port, the operator a dev key; stopped by its pid."""
    build_web.build()  # the served copies of ethers and the glossary (make compile makes them too)
    proc, base = start_service(cast.rpc_url, cast.home, tmp_path_factory.mktemp("serve") / "serve.log")
    _leaving.append(lambda: stop_service(proc))
    try:
        yield base
    finally:
        stop_service(proc)


# ---------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is missing: run `make system` (never `playwright install`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()
