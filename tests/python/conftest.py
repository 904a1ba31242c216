"""Library tests: the library's own Web3 on the chain brownie started, dev keys from the
mnemonic (the same accounts brownie uses), deployments made by the library itself."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from tierchain.chain.deployment import Deployment
from tierchain.chain.local import dev_accounts
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import Role
from tierchain.workflows.deploy import deploy_all


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


@pytest.fixture
def sender(w3: Web3, keys: list[LocalAccount]) -> Any:
    """A fresh Sender per test (its nonce resynced after the previous test's revert)."""

    def make(index: int) -> Sender:
        return Sender(w3, keys[index], timeout=30)

    return make


@pytest.fixture(scope="module")
def lib_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("tierchain-home")


@pytest.fixture(scope="module")
def lib_deployment(module_isolation: Any, w3: Web3, keys: list[LocalAccount], lib_home: Path) -> Deployment:
    """The set deployed by the library, with the cast admitted (accounts as in ../conftest)."""
    admin = Sender(w3, keys[0])
    deployment = deploy_all(w3, admin, keys[1].address, home=lib_home)
    c = Contracts.at(w3, deployment)
    c.membership.admit(admin, keys[1].address, Role.OPERATOR, Web3.keccak(text="id:operator"))
    operator = Sender(w3, keys[1])
    cast = [(keys[2].address, Role.CORE_ENTERPRISE, Web3.keccak(text="id:core"))]
    cast += [(keys[i].address, Role.SUPPLIER, Web3.keccak(text=f"id:supplier{i}")) for i in range(3, 9)]
    cast += [(keys[9].address, Role.FINANCIER, Web3.keccak(text="id:financier"))]
    c.membership.admit_many(operator, cast)
    return deployment


@pytest.fixture
def lib(w3: Web3, lib_deployment: Deployment) -> Contracts:
    return Contracts.at(w3, lib_deployment)
