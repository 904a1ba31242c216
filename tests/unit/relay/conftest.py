"""Relay fixtures: dev keys (the same accounts brownie uses), the relay's domain, a signing
factory, an ERC-2771 probe target and a contract-wallet member."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from tests.conftest import ROLE_SUPPLIER, h
from tierchain.chain.local import dev_accounts
from tierchain.clients.requests import Domain, Request, sign_request

HOUR = 3_600


@pytest.fixture(scope="session")
def keys() -> list[LocalAccount]:
    """Private keys of brownie's accounts[i] (the dev mnemonic)."""
    return dev_accounts()


@pytest.fixture(scope="session")
def key_of(keys: list[LocalAccount]) -> Callable[[Any], LocalAccount]:
    by_address = {k.address.lower(): k for k in keys}

    def key(account: Any) -> LocalAccount:
        return by_address[str(getattr(account, "address", account)).lower()]

    return key


@pytest.fixture(scope="module")
def domain(relay: Any, chain: Any) -> Domain:
    return Domain(chain_id=chain.id, verifying_contract=relay.address)


@pytest.fixture
def deadline(chain: Any) -> int:
    return chain.time() + HOUR


@pytest.fixture
def sign(domain: Domain, key_of: Callable[[Any], LocalAccount]) -> Callable[..., bytes]:
    """sign(request, by=None, domain=None): the signature of `by` (default: the signer)."""

    def sign_(request: Request, by: Any = None, domain_: Domain | None = None, **kw: Any) -> bytes:
        key = key_of(by if by is not None else request.signer)
        return sign_request(request, domain_ or domain, key, contract_signer=by is not None, **kw).signature

    return sign_


@pytest.fixture(scope="module")
def probe(ForwarderProbe: Any, relay: Any, token: Any, admin: Any) -> Any:
    """An allowed ERC-2771 target that records its `_msgSender()`."""
    p = ForwarderProbe.deploy(relay, {"from": admin})
    relay.setTargetAllowed(p, True, {"from": admin})
    return p


@pytest.fixture(scope="module")
def wallet(ContractWallet: Any, membership: Any, suppliers: list[Any], admin: Any, members: Any) -> Any:
    """A contract-wallet supplier (ERC-1271) whose signatures are suppliers[5]'s key's."""
    w = ContractWallet.deploy(suppliers[5], {"from": admin})
    membership.admit(w, ROLE_SUPPLIER, h("id:contract-wallet"), {"from": admin})
    return w
