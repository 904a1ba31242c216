"""Binding the payable token; construction; no ether."""

from typing import Any

import brownie
import pytest
from brownie import web3
from conftest import err
from web3.exceptions import ContractLogicError


def test_constructor_rejects_zero_membership(InvoiceRegistry: Any, admin: Any) -> None:
    with brownie.reverts(err("RegistryZeroAddress")):
        InvoiceRegistry.deploy(brownie.ZERO_ADDRESS, {"from": admin})


def test_constructor_records_membership(unbound_registry: Any, membership: Any) -> None:
    assert unbound_registry.membership() == membership.address
    assert unbound_registry.token() == brownie.ZERO_ADDRESS


def test_bind_token_by_admin(unbound_registry: Any, admin: Any, token: Any) -> None:
    tx = unbound_registry.bindToken(token, {"from": admin})
    assert unbound_registry.token() == token.address
    assert tx.events["TokenBound"] == {"token": token.address, "by": admin.address}


def test_bind_token_by_non_admin_reverts(unbound_registry: Any, core: Any, token: Any, admin: Any) -> None:
    with brownie.reverts(err("RegistryNotAdmin", core, admin)):
        unbound_registry.bindToken(token, {"from": core})
    assert unbound_registry.token() == brownie.ZERO_ADDRESS


def test_bind_zero_token_reverts(unbound_registry: Any, admin: Any) -> None:
    with brownie.reverts(err("RegistryZeroAddress")):
        unbound_registry.bindToken(brownie.ZERO_ADDRESS, {"from": admin})
    assert unbound_registry.token() == brownie.ZERO_ADDRESS


def test_bind_token_twice_reverts(registry: Any, admin: Any, token: Any, outsider: Any) -> None:
    with brownie.reverts(err("RegistryTokenAlreadyBound", token)):
        registry.bindToken(outsider, {"from": admin})
    assert registry.token() == token.address


def test_bind_follows_admin_handover(unbound_registry: Any, membership: Any, admin: Any, outsider: Any) -> None:
    membership.transferAdmin(outsider, {"from": admin})
    membership.acceptAdmin({"from": outsider})
    with brownie.reverts(err("RegistryNotAdmin", admin, outsider)):
        unbound_registry.bindToken(admin, {"from": admin})
    unbound_registry.bindToken(admin, {"from": outsider})
    assert unbound_registry.token() == admin.address


def test_ether_is_refused(registry: Any, outsider: Any) -> None:
    # No receive or fallback: the call reverts (Ganache surfaces it as ValueError, Anvil as
    # ContractLogicError).
    with pytest.raises((ContractLogicError, ValueError)):
        web3.eth.call({"from": outsider.address, "to": registry.address, "value": 1})
    assert registry.balance() == 0


def test_abi_covers_the_interface(InvoiceRegistry: Any, interface: Any) -> None:
    published = {
        (f["name"], tuple(i["type"] for i in f["inputs"]))
        for f in interface.IInvoiceRegistry.abi
        if f["type"] in ("function", "event", "error")
    }
    compiled = {
        (f["name"], tuple(i["type"] for i in f["inputs"]))
        for f in InvoiceRegistry.abi
        if f["type"] in ("function", "event", "error")
    }
    assert published <= compiled
    assert all(f.get("stateMutability") != "payable" for f in InvoiceRegistry.abi)
    assert not any(f["type"] in ("receive", "fallback") for f in InvoiceRegistry.abi)
