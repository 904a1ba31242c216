"""Fixtures and helpers of the HTTP tests of `tierchain serve`: a real uvicorn on a free port, the
library's own deployment on the chain brownie started, members whose keys the service never sees (fresh keys, not the
development mnemonic). The service's follower and relayer threads see the chain as it is, so
the per-test snapshot/revert of the root conftest is switched off here."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from tierchain.chain.deployment import DAY, Deployment
from tierchain.chain.local import dev_accounts, free_port
from tierchain.chain.sender import Sender, TxRequest
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import Role
from tierchain.service.app import asgi, create_app
from tierchain.service.core import Service, ServiceConfig
from tierchain.workflows.deploy import deploy_all

FACE = 10_000_00  # cents


@pytest.fixture(autouse=True)
def isolation() -> None:
    """No per-test snapshot: the service's threads follow the real chain."""


@pytest.fixture(scope="session")
def rpc_url() -> str:
    from brownie import web3 as brownie_web3

    return str(brownie_web3.provider.endpoint_uri)  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def w3(rpc_url: str) -> Web3:
    return Web3(HTTPProvider(rpc_url))


@pytest.fixture(scope="session")
def keys() -> list[LocalAccount]:
    return dev_accounts()


@dataclass
class Cast:
    """The members of one deployment; suppliers and the financier have fresh keys."""

    w3: Web3
    deployment: Deployment
    c: Contracts
    home: Path
    admin: Sender
    operator: Sender  # the consortium operator (admits members, mints demo currency)
    core: Sender
    relayer_key: LocalAccount  # the service's key (pays the gas)
    tier1: LocalAccount
    tier2: LocalAccount
    tier3: LocalAccount
    financier: LocalAccount
    auditor: LocalAccount
    outsider: LocalAccount
    issued: int = 0

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def issue(self, creditor: str, face: int = FACE, days: int = 60) -> tuple[int, int]:
        """A payable issued by the core enterprise to ``creditor`` (not yet accepted)."""
        self.issued += 1
        root = Web3.keccak(text=f"service-package-{self.issued}-{creditor}-{time.time_ns()}")
        self.c.registry.register_package(self.core, root, 3, face, creditor, Web3.keccak(text="doc"))
        return self.c.token.issue(
            self.core, creditor, face, self.deployment.currency, self.now() + days * DAY, root,
            Web3.keccak(text=f"conf-{self.issued}"),
        )  # fmt: skip

    def issue_many(self, creditors: list[str], face: int = FACE, days: int = 60) -> None:
        """One payable per creditor, in two batches of transactions (packages, then payables)."""
        roots = [Web3.keccak(text=f"many-{i}-{a}-{time.time_ns()}") for i, a in enumerate(creditors)]
        self.core.send_many([
            self.c.registry.request("registerPackage(bytes32,uint32,uint64,address,bytes32)", r, 3, face, a,
                                    Web3.keccak(text="doc"))
            for r, a in zip(roots, creditors, strict=True)
        ], estimate="shape")  # fmt: skip
        maturity = self.now() + days * DAY
        self.core.send_many([
            self.c.token.request("issue(address,uint64,address,uint40,bytes32,bytes32)", a, face,
                                 self.deployment.currency, maturity, r, Web3.keccak(text="conf"))
            for r, a in zip(roots, creditors, strict=True)
        ], estimate="each")  # fmt: skip


def fresh_keys(n: int, tag: str) -> list[LocalAccount]:
    return [Account.from_key(Web3.keccak(text=f"tierchain-service-test-{tag}-{i}")) for i in range(n)]


def fund(w3: Web3, by: Sender, to: str, wei: int = 10**18) -> None:
    by.send(TxRequest(Web3.to_checksum_address(to), b"", value=wei, gas=21_000, label="fund"))


@pytest.fixture(scope="module")
def cast(module_isolation: Any, w3: Web3, keys: list[LocalAccount], tmp_path_factory: pytest.TempPathFactory) -> Cast:
    home = tmp_path_factory.mktemp("service-home")
    admin = Sender(w3, keys[0], timeout=60)
    deployment = deploy_all(w3, admin, keys[1].address, home=home)
    c = Contracts.at(w3, deployment)
    c.membership.admit(admin, keys[1].address, Role.OPERATOR, Web3.keccak(text="id:operator"))
    operator = Sender(w3, keys[1], timeout=60)
    tier1, tier2, tier3, financier, auditor, outsider = fresh_keys(6, "cast")
    c.membership.admit_many(
        operator,
        [
            (keys[2].address, Role.CORE_ENTERPRISE, Web3.keccak(text="id:core")),
            (tier1.address, Role.SUPPLIER, Web3.keccak(text="id:tier1")),
            (tier2.address, Role.SUPPLIER, Web3.keccak(text="id:tier2")),
            (tier3.address, Role.SUPPLIER, Web3.keccak(text="id:tier3")),
            (financier.address, Role.FINANCIER, Web3.keccak(text="id:financier")),
            (auditor.address, Role.AUDITOR, Web3.keccak(text="id:auditor")),
        ],
    )
    return Cast(
        w3, deployment, c, home, admin, operator, Sender(w3, keys[2], timeout=60), keys[10],
        tier1, tier2, tier3, financier, auditor, outsider,
    )  # fmt: skip


@dataclass
class Running:
    service: Service
    url: str
    http: httpx.Client
    server: uvicorn.Server
    thread: threading.Thread


def start_service(
    cast: Cast, *, w3: Web3 | None = None, config: ServiceConfig | None = None,
    operator: LocalAccount | None = None, home: Path | None = None, db: str | None = None,
) -> Running:  # fmt: skip
    svc = Service(
        w3 or cast.w3, cast.deployment, operator or cast.relayer_key,
        config=config or ServiceConfig(poll_seconds=0.1, receipt_timeout=30), home=home or cast.home, db=db,
    )  # fmt: skip
    svc.start()
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(asgi(create_app(svc)), host="127.0.0.1", port=port, log_level="warning",
                                           access_log=False))  # fmt: skip
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(200):
        if server.started:
            break
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    return Running(svc, url, httpx.Client(base_url=url, timeout=30), server, thread)


def stop_service(r: Running) -> None:
    r.http.close()
    r.server.should_exit = True
    r.thread.join(timeout=10)
    r.service.stop()


@pytest.fixture(scope="module")
def running(cast: Cast) -> Iterator[Running]:
    r = start_service(cast)
    yield r
    stop_service(r)


# ---------------------------------------------------------------------------- client helpers


def sign_typed(key: LocalAccount, typed: dict[str, Any]) -> str:
    """What a browser wallet does with the JSON (uint256 as decimal strings)."""
    return "0x" + bytes(key.sign_message(encode_typed_data(full_message=typed)).signature).hex()


def wait_status(http: httpx.Client, request_id: str, timeout: float = 60.0) -> dict[str, Any]:
    end = time.monotonic() + timeout
    doc: dict[str, Any] = {}
    while time.monotonic() < end:
        doc = http.get(f"/api/v1/requests/{request_id}").json()
        if doc.get("status") in ("confirmed", "failed"):
            return doc
        time.sleep(0.05)
    raise AssertionError(f"request {request_id} still {doc.get('status')} after {timeout} s: {doc}")


def wait_indexed(http: httpx.Client, block: int, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if (http.get("/api/v1/health").json().get("indexed_block") or -1) >= block:
            return
        time.sleep(0.05)
    raise AssertionError(f"the index did not reach block {block}")


@pytest.fixture
def act(running: Running) -> Callable[..., dict[str, Any]]:
    """Draft, sign with the member's own key, post, wait: the member's whole round trip."""

    def act_(key: LocalAccount, kind: str, **fields: Any) -> dict[str, Any]:
        draft = running.http.post("/api/v1/requests/draft", json={"kind": kind, "signer": key.address, **fields})
        assert draft.status_code == 200, draft.text
        typed = draft.json()["typed_data"]
        posted = running.http.post("/api/v1/requests", json={"typed_data": typed, "signature": sign_typed(key, typed)})
        assert posted.status_code == 202, posted.text
        done = wait_status(running.http, posted.json()["id"])
        assert done["status"] == "confirmed", done
        wait_indexed(running.http, int(done["block_number"]))
        return done

    return act_
