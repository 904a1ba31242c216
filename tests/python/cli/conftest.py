"""CLI tests: click's CliRunner on the chain brownie started (``--rpc``), a fresh
TIERCHAIN_HOME per test holding the module's deployment record, cheap scrypt for keystores.

The cast (tests/python/conftest.py ``lib_deployment``): 0 admin, 1 operator, 2 core enterprise,
3..8 suppliers, 9 financier; 10..19 are not members.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from eth_account.signers.local import LocalAccount
from web3 import Web3

from tierchain.chain.deployment import Deployment
from tierchain.chain.wallet import insecure_test_kdf
from tierchain.cli.main import main
from tierchain.clients.bundle import Contracts
from tierchain.invoices import packages as invoices
from tierchain.workflows.demo import credit_code, synthetic_invoices

CORE, SUPPLIER, SUPPLIER2, SUPPLIER3, FINANCIER, OUTSIDER = 2, 3, 4, 5, 9, 14
FACE_CENTS = 500_000  # 5,000.00


@pytest.fixture(autouse=True)
def cheap_kdf() -> Iterator[None]:
    """TEST ONLY: scrypt n=2**10 instead of 2**18 for keystores written by these tests."""
    with insecure_test_kdf():
        yield


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, lib_deployment: Deployment, lib_home: Path) -> Path:
    """A tierchain home of this test, with the module's deployment record."""
    target = tmp_path / "home"
    shutil.copytree(lib_home / "deployments", target / "deployments")
    monkeypatch.setenv("TIERCHAIN_HOME", str(target))
    for var in ("TIERCHAIN_RPC", "TIERCHAIN_FROM", "TIERCHAIN_PASSWORD_FILE"):
        monkeypatch.delenv(var, raising=False)
    return target


Run = Callable[..., Result]


@pytest.fixture
def run(rpc_url: str, home: Path) -> Run:
    """``run(*args, expect=0, rpc=True, input=None)``: invoke the CLI, check the exit code and
    that no traceback escaped."""
    runner = CliRunner()

    def invoke(*args: Any, expect: int | None = 0, rpc: bool = True, input: str | None = None) -> Result:
        argv = (["--rpc", rpc_url] if rpc else []) + [str(a) for a in args]
        result = runner.invoke(main, argv, input=input)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        assert "Traceback" not in result.output
        if expect is not None:
            assert result.exit_code == expect, result.output
        return result

    return invoke


def out_json(result: Result) -> Any:
    return json.loads(result.stdout)


@pytest.fixture
def addr(keys: list[LocalAccount]) -> Callable[[int], str]:
    return lambda i: str(keys[i].address)


@pytest.fixture
def package_file(tmp_path: Path) -> tuple[Path, invoices.Package]:
    """A 5-invoice package of supplier 3's invoices to the core enterprise, written to a file."""
    pkg = invoices.build_package(synthetic_invoices(5, seller=credit_code(3), buyer=credit_code(2)))
    path = invoices.save_package(pkg, tmp_path / "package.json")
    return path, pkg


@pytest.fixture
def registered(
    lib: Contracts, sender: Any, keys: list[LocalAccount], package_file: tuple[Path, invoices.Package]
) -> tuple[Path, invoices.Package]:
    path, pkg = package_file
    lib.registry.register_package(
        sender(CORE), pkg.root, pkg.count, pkg.total_cents, keys[SUPPLIER].address,
        bytes(Web3.keccak(text="doc")),
    )  # fmt: skip
    return path, pkg


@pytest.fixture
def payable(
    lib: Contracts, sender: Any, keys: list[LocalAccount], w3: Web3, registered: tuple[Path, invoices.Package]
) -> tuple[int, int]:
    """An accepted payable of 5,000.00 held by supplier 3: (payable id, token id)."""
    _, pkg = registered
    now = int(w3.eth.get_block("latest")["timestamp"])
    payable_id, token_id = lib.token.issue(
        sender(CORE), keys[SUPPLIER].address, FACE_CENTS, lib.deployment.currency, now + 90 * 86_400,
        pkg.root, bytes(Web3.keccak(text="confirmation")),
    )  # fmt: skip
    lib.token.accept(sender(SUPPLIER), payable_id)
    return payable_id, token_id
