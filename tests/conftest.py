"""Shared fixtures: accounts, deployments in dependency order, factories, isolation.

Every test starts from a chain snapshot (fn_isolation), so tests never see each other's state.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from brownie.exceptions import VirtualMachineError
from eth_utils import keccak

DAY = 86_400
ROLE_OPERATOR = 1 << 0
ROLE_CORE = 1 << 1
ROLE_SUPPLIER = 1 << 2
ROLE_FINANCIER = 1 << 3
ROLE_GUARANTOR = 1 << 4
ROLE_AUDITOR = 1 << 5
ROLE_REGULATOR = 1 << 6
MIN_PIECE = 100  # 1.00 in cents
MAX_TENOR = 365 * DAY
CENTS = 100


def h(text: str) -> bytes:
    """A 32-byte test hash with a readable origin."""
    return keccak(text=text)


# ---------------------------------------------------------------------------- isolation


@pytest.fixture(autouse=True)
def isolation(fn_isolation: Any) -> None:
    pass


# ---------------------------------------------------------------------------- accounts


@pytest.fixture(scope="session")
def admin(accounts: Any) -> Any:
    return accounts[0]


@pytest.fixture(scope="session")
def operator(accounts: Any) -> Any:
    return accounts[1]


@pytest.fixture(scope="session")
def core(accounts: Any) -> Any:
    """The core enterprise (debtor)."""
    return accounts[2]


@pytest.fixture(scope="session")
def suppliers(accounts: Any) -> list[Any]:
    """Six suppliers: [0] tier-1, the rest further down."""
    return list(accounts[3:9])


@pytest.fixture(scope="session")
def financiers(accounts: Any) -> list[Any]:
    return [accounts[9], accounts[10]]


@pytest.fixture(scope="session")
def guarantor(accounts: Any) -> Any:
    return accounts[11]


@pytest.fixture(scope="session")
def auditor(accounts: Any) -> Any:
    return accounts[12]


@pytest.fixture(scope="session")
def regulator(accounts: Any) -> Any:
    return accounts[13]


@pytest.fixture(scope="session")
def outsider(accounts: Any) -> Any:
    """Never admitted."""
    return accounts[14]


# ---------------------------------------------------------------------------- deployments


@pytest.fixture(scope="module")
def membership(Membership: Any, admin: Any) -> Any:
    return Membership.deploy(admin, {"from": admin})


@pytest.fixture(scope="module")
def registry(InvoiceRegistry: Any, membership: Any, admin: Any) -> Any:
    return InvoiceRegistry.deploy(membership, {"from": admin})


@pytest.fixture(scope="module")
def relay(RequestRelay: Any, membership: Any, admin: Any) -> Any:
    """The signed-request relay: the token's trusted forwarder (ERC-2771)."""
    return RequestRelay.deploy(membership, {"from": admin})


@pytest.fixture(scope="module")
def token(PayableToken: Any, membership: Any, registry: Any, relay: Any, admin: Any) -> Any:
    tok = PayableToken.deploy(membership, registry, MIN_PIECE, MAX_TENOR, relay, {"from": admin})
    registry.bindToken(tok, {"from": admin})
    membership.addListener(tok, {"from": admin})
    relay.bindToken(tok, {"from": admin})
    return tok


@pytest.fixture(scope="module")
def currency(DemoStableToken: Any, operator: Any) -> Any:
    return DemoStableToken.deploy(operator, {"from": operator})


@pytest.fixture(scope="module")
def members(
    token: Any,
    membership: Any,
    admin: Any,
    operator: Any,
    core: Any,
    suppliers: list[Any],
    financiers: list[Any],
    guarantor: Any,
    auditor: Any,
    regulator: Any,
) -> dict[str, Any]:
    """Admit the whole cast (after the token listens, so it learns every membership)."""
    membership.admit(operator, ROLE_OPERATOR, h("id:operator"), {"from": admin})
    membership.admit(regulator, ROLE_REGULATOR, h("id:regulator"), {"from": admin})
    membership.admit(core, ROLE_CORE, h("id:core"), {"from": operator})
    for i, s in enumerate(suppliers):
        membership.admit(s, ROLE_SUPPLIER, h(f"id:supplier{i}"), {"from": operator})
    for i, f in enumerate(financiers):
        membership.admit(f, ROLE_FINANCIER, h(f"id:financier{i}"), {"from": operator})
    membership.admit(guarantor, ROLE_GUARANTOR, h("id:guarantor"), {"from": operator})
    membership.admit(auditor, ROLE_AUDITOR, h("id:auditor"), {"from": operator})
    return {"operator": operator, "core": core, "suppliers": suppliers}


# ---------------------------------------------------------------------------- factories

_roots = itertools.count(1)


@pytest.fixture
def register_package(registry: Any, core: Any, suppliers: list[Any], members: Any) -> Callable[..., bytes]:
    """Register an invoice package (an opaque root) and return its root."""

    def register(total: int = 10_000_000 * CENTS, seller: Any = None, count: int = 100) -> bytes:
        root = h(f"package-root-{next(_roots)}")
        registry.registerPackage(root, count, total, seller or suppliers[0], h("package-doc"), {"from": core})
        return root

    return register


@pytest.fixture
def issue(
    token: Any, currency: Any, core: Any, suppliers: list[Any], register_package: Callable[..., bytes], chain: Any
) -> Callable[..., tuple[int, int]]:
    """Issue a payable (registering a package for it) and return (payableId, tokenId)."""

    def issue_(
        face: int = 10_000_000 * CENTS,
        creditor: Any = None,
        tenor: int = 90 * DAY,
        accept: bool = True,
        root: bytes | None = None,
    ) -> tuple[int, int]:
        creditor = creditor or suppliers[0]
        root = root or register_package(total=face, seller=creditor)
        tx = token.issue(creditor, face, currency, chain.time() + tenor, root, h("confirmation-doc"), {"from": core})
        payable_id, token_id = tx.return_value
        if accept:
            token.accept(payable_id, {"from": creditor})
        return payable_id, token_id

    return issue_


# ---------------------------------------------------------------------------- custom errors


def err(name: str, *args: Any) -> str:
    """A custom error as brownie renders it: `Name: arg, arg` (addresses lower-case hex,
    bytes32 as Python bytes, integers in decimal)."""
    shown: list[str] = []
    for a in args:
        if isinstance(a, bytes):
            shown.append(repr(a))
        elif isinstance(a, bool | int):
            shown.append(str(a))
        else:  # an account, a contract or an address string
            shown.append(str(getattr(a, "address", a)).lower())
    return f"{name}: {', '.join(shown)}"


@contextmanager
def reverts_named(name: str) -> Iterator[None]:
    """Expect a revert with custom error `name`, whatever its (time-dependent) arguments."""
    with pytest.raises(VirtualMachineError) as info:
        yield
    assert str(info.value.revert_msg).startswith(f"{name}:"), info.value.revert_msg


# ---------------------------------------------------------------------------- the fast tier

# Tests that are slow as a group: `make test-fast` skips them (`-m "not slow"`), `make test` runs
# everything. New slow tests are marked where they are written (`@pytest.mark.slow`); these
# patterns cover the suites that predate the marker.
SLOW_NODEID_PARTS = (
    "tests/stateful/",
    "_stateful.py::",
    "test_journal.py::test_sigkill_at_every_step_boundary",
    "test_journal.py::test_rpc_outage",
    "test_quote.py::test_contract_matches_the_decimal_model",
    "test_cli_global.py::test_demo",
    "tests/python/test_workflow.py::",
    "tests/python/test_invoices_parallel.py::",
    "[ReferenceERC3525]",
)


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if any(part in item.nodeid for part in SLOW_NODEID_PARTS):
            item.add_marker(pytest.mark.slow)
