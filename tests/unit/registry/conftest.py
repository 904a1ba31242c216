"""Fixtures for the InvoiceRegistry unit tests.

Only this directory's fixtures live here; a project-wide root conftest comes later.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from tierchain.core.merkle import MerkleTree, leaf_hash

ROLE_OPERATOR = 1
ROLE_CORE_ENTERPRISE = 2
ROLE_SUPPLIER = 4
ROLE_FINANCIER = 8

# ------------------------------------------------------------------ isolation


@pytest.fixture(autouse=True)
def isolation(fn_isolation: Any) -> None:
    """Every test starts from the module's snapshot."""


# ------------------------------------------------------------------ accounts


@pytest.fixture(scope="session")
def admin(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="session")
def core(accounts: Any) -> Any:
    return accounts[1]


@pytest.fixture(scope="session")
def core2(accounts: Any) -> Any:
    return accounts[2]


@pytest.fixture(scope="session")
def supplier(accounts: Any) -> Any:
    return accounts[3]


@pytest.fixture(scope="session")
def supplier2(accounts: Any) -> Any:
    return accounts[4]


@pytest.fixture(scope="session")
def outsider(accounts: Any) -> Any:
    """Never admitted."""
    return accounts[5]


@pytest.fixture(scope="session")
def token(accounts: Any) -> Any:
    """Stands in for the payable token: an account bound as the only consumer."""
    return accounts[6]


@pytest.fixture(scope="session")
def financier(accounts: Any) -> Any:
    return accounts[7]


# ------------------------------------------------------------------ deployments


@pytest.fixture(scope="module")
def membership(
    Membership: Any,
    admin: Any,
    core: Any,
    core2: Any,
    supplier: Any,
    supplier2: Any,
    financier: Any,
) -> Any:
    contract = Membership.deploy(admin, {"from": admin})
    for i, (account, roles) in enumerate(
        [
            (core, ROLE_CORE_ENTERPRISE),
            (core2, ROLE_CORE_ENTERPRISE),
            (supplier, ROLE_SUPPLIER),
            (supplier2, ROLE_SUPPLIER),
            (financier, ROLE_FINANCIER),
        ]
    ):
        contract.admit(account, roles, bytes([i + 1]) * 32, {"from": admin})
    return contract


@pytest.fixture
def unbound_registry(InvoiceRegistry: Any, membership: Any, admin: Any) -> Any:
    """A registry of its own, no token bound yet (deployed inside the test's snapshot)."""
    return InvoiceRegistry.deploy(membership, {"from": admin})


@pytest.fixture(scope="module")
def registry(InvoiceRegistry: Any, membership: Any, admin: Any, token: Any) -> Any:
    """The registry with `token` bound as its only consumer."""
    contract = InvoiceRegistry.deploy(membership, {"from": admin})
    contract.bindToken(token, {"from": admin})
    return contract


@pytest.fixture(scope="module")
def probe(InvoiceProofProbe: Any, registry: Any, admin: Any) -> Any:
    return InvoiceProofProbe.deploy(registry, {"from": admin})


# ------------------------------------------------------------------ packages


@dataclass
class Invoice:
    key: bytes
    details: bytes

    @property
    def leaf(self) -> bytes:
        return leaf_hash(self.key, self.details)


@dataclass
class Package:
    invoices: list[Invoice]
    tree: MerkleTree
    total_cents: int
    document_hash: bytes

    @property
    def root(self) -> bytes:
        return self.tree.root

    @property
    def count(self) -> int:
        return len(self.invoices)

    def proof(self, invoice: Invoice) -> list[bytes]:
        return self.tree.proof(invoice.leaf)

    def by_position(self, index: int) -> Invoice:
        """The invoice whose leaf sits at `index` among the sorted leaves."""
        leaf = self.tree.leaf_at(index)
        return next(inv for inv in self.invoices if inv.leaf == leaf)


def random_invoices(n: int) -> list[Invoice]:
    return [Invoice(os.urandom(32), os.urandom(32)) for _ in range(n)]


def build_package(invoices: Sequence[Invoice], total_cents: int = 1_000_000_00) -> Package:
    tree = MerkleTree([inv.leaf for inv in invoices])
    return Package(list(invoices), tree, total_cents, os.urandom(32))


@pytest.fixture
def make_package() -> Callable[..., Package]:
    """Build a package (not registered) of n random invoices, or of the given ones."""

    def make(n: int = 4, invoices: Sequence[Invoice] | None = None, total_cents: int = 1_000_000_00) -> Package:
        return build_package(invoices if invoices is not None else random_invoices(n), total_cents)

    return make


@pytest.fixture
def register(registry: Any, core: Any, supplier: Any) -> Callable[..., Any]:
    """Register a package; returns the transaction."""

    def reg(package: Package, debtor: Any = None, seller: Any = None) -> Any:
        return registry.registerPackage(
            package.root,
            package.count,
            package.total_cents,
            seller or supplier,
            package.document_hash,
            {"from": debtor or core},
        )

    return reg


@pytest.fixture
def registered(make_package: Callable[..., Package], register: Callable[..., Any]) -> Package:
    """A registered package of 5 invoices, 1,000,000.00 in total, core owes supplier."""
    package = make_package(5)
    register(package)
    return package


# ------------------------------------------------------------------ helpers


def err(name: str, *args: object) -> str:
    """The revert message brownie decodes from a custom error: 'Name: arg1, arg2'.

    Brownie joins str() of the decoded values: addresses in lower case, bytes32 as bytes.
    Accounts and contracts may be passed as themselves.
    """
    return f"{name}: {', '.join(_shown(a) for a in args)}"


def _shown(value: object) -> str:
    value = getattr(value, "address", value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 42:
        return value.lower()
    return str(value)


def plain(value: Any) -> Any:
    """A brownie return value as plain Python: ints, '0x..' strings, lists (comparable with ==)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, bytes):
        return "0x" + bytes(value).hex()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return str(value)


def hexed(value: bytes) -> str:
    return "0x" + value.hex()


ZERO_PACKAGE = ["0x" + "00" * 20, 0, 0, "0x" + "00" * 20, 0, 0, 0]


def state_of(registry: Any, *roots: bytes) -> list[Any]:
    """Everything a rejected call must leave unchanged."""
    return plain([registry.token(), *[(registry.packageOf(r), registry.sequenceOf(r)) for r in roots]])
