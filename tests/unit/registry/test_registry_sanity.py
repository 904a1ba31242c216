from typing import Any

import brownie
from conftest import err


def test_error_format(registry: Any, outsider: Any, admin: Any) -> None:
    with brownie.reverts(err("RegistryNotAdmin", outsider, admin)):
        registry.bindToken(outsider, {"from": outsider})


def test_error_format_bytes(registry: Any, registered: Any, core: Any, supplier: Any) -> None:
    p = registered
    with brownie.reverts(err("RegistryPackageExists", p.root, core)):
        registry.registerPackage(p.root, 1, 1, supplier, p.document_hash, {"from": core})


def test_error_format_noargs(unbound_registry: Any, admin: Any) -> None:
    with brownie.reverts(err("RegistryZeroAddress")):
        unbound_registry.bindToken(brownie.ZERO_ADDRESS, {"from": admin})
