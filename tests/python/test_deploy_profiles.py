"""Network profiles (issue 15, item 6), each against a local chain started with that network's
settings: a permissioned proof-of-authority chain (Anvil, chain id 4242, zero gas price, zero
base fee: `--profile poa` deploys with legacy zero-price transactions from an account holding no
ether) and a public testnet (Anvil mining a block a second: `--profile testnet` waits for 2
confirmations). Both chain ids are not local, so the keystore signer and --currency are needed."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from web3 import HTTPProvider, Web3

from tierchain.chain.local import dev_accounts, find_node_bin, free_port, rpc_chain_id
from tierchain.chain.wallet import insecure_test_kdf
from tierchain.cli.main import main

PASSWORD = "profile test password"


def _anvil(*extra: str) -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([str(find_node_bin("anvil")), "--port", str(port), "--silent", "--hardfork", "shanghai",
                             "--mnemonic", "test test test test test test test test test test test junk", *extra],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while rpc_chain_id(url, timeout=0.5) is None:
            assert time.monotonic() < deadline and proc.poll() is None, "anvil did not start"
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def poa_chain() -> Iterator[str]:
    yield from _anvil("--chain-id", "4242", "--gas-price", "0", "--base-fee", "0")


@pytest.fixture
def testnet_chain() -> Iterator[str]:
    yield from _anvil("--chain-id", "4243", "--block-time", "1")


@pytest.fixture
def keystore(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    monkeypatch.setenv("TIERCHAIN_HOME", str(tmp_path / "home"))
    for var in ("TIERCHAIN_RPC", "TIERCHAIN_FROM", "TIERCHAIN_PASSWORD_FILE"):
        monkeypatch.delenv(var, raising=False)
    pw, key = tmp_path / "pw", tmp_path / "key"
    pw.write_text(PASSWORD)
    key.write_text(dev_accounts()[15].key.hex())
    with insecure_test_kdf():
        result = CliRunner().invoke(main, ["wallet", "import", "--key-file", str(key), "--password-file", str(pw)])
    assert result.exit_code == 0, result.output
    return dev_accounts()[15].address, pw


def cli(*args: Any, expect: int = 0) -> Any:
    result = CliRunner().invoke(main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == expect, result.output
    assert "Traceback" not in result.output
    return result


def test_poa_profile_deploys_with_zero_gas_price(poa_chain: str, keystore: tuple[str, Path]) -> None:
    deployer, pw = keystore
    w3 = Web3(HTTPProvider(poa_chain))
    w3.provider.make_request("anvil_setBalance", [deployer, "0x0"])  # type: ignore[arg-type]
    base = ["deploy", "--rpc", poa_chain, "--from", deployer, "--password-file", pw, "--operator",
            dev_accounts()[16].address, "--yes"]  # fmt: skip
    # a non-local chain: the demo currency only when asked for by name
    assert "give --currency ADDRESS" in cli(*base, expect=2).output
    # without the profile: EIP-1559 with a 1 gwei tip, which an empty account cannot pay: caught before signing
    refused = cli(*base, "--currency", "demo", expect=6)
    assert "cannot pay" in refused.output and w3.eth.get_transaction_count(deployer) == 0
    # the PoA profile: legacy transactions at price 0; the same deploy resumes and completes
    doc = json.loads(cli(*base, "--currency", "demo", "--profile", "poa", "--json").stdout)
    assert doc["chain_id"] == 4242 and Path(doc["record"]).is_file()
    for tx_hash in doc["tx_hashes"].values():
        tx = w3.eth.get_transaction(tx_hash)
        assert tx["type"] == 0 and tx["gasPrice"] == 0
    assert w3.eth.get_balance(deployer) == 0
    assert len(doc["tx_hashes"]) == 15 and w3.eth.get_transaction_count(deployer) == 15
    status = json.loads(cli("status", "--rpc", poa_chain, "--json").stdout)
    assert status["deployment"]["token"] == doc["token"]


def test_poa_dry_run_costs_nothing(poa_chain: str, keystore: tuple[str, Path]) -> None:
    deployer, _ = keystore
    doc = json.loads(cli("deploy", "--rpc", poa_chain, "--from", deployer, "--operator", dev_accounts()[16].address,
                         "--currency", "demo", "--profile", "poa", "--dry-run", "--json").stdout)  # fmt: skip
    assert doc["fee_mode"] == "legacy" and doc["gas_price_wei"] == "0" and doc["cost_wei"] == "0"
    assert doc["can_pay"] and doc["total_gas"] > 15_000_000 and len(doc["steps"]) == 15


@pytest.mark.slow
def test_testnet_profile_waits_for_confirmations(testnet_chain: str, keystore: tuple[str, Path]) -> None:
    deployer, pw = keystore
    w3 = Web3(HTTPProvider(testnet_chain))
    w3.provider.make_request("anvil_setBalance", [deployer, hex(10**18)])  # type: ignore[arg-type]
    doc = json.loads(cli("deploy", "--rpc", testnet_chain, "--from", deployer, "--password-file", pw,
                         "--operator", dev_accounts()[16].address, "--currency", "demo", "--profile", "testnet",
                         "--yes", "--json").stdout)  # fmt: skip
    head = w3.eth.block_number
    last = max(w3.eth.get_transaction_receipt(h)["blockNumber"] for h in doc["tx_hashes"].values())
    assert head - last + 1 >= 2  # the last step had its 2 confirmations before the record was written
    assert all(w3.eth.get_transaction(h)["type"] == 2 for h in doc["tx_hashes"].values())


def test_brownie_config_documents_the_same_profiles() -> None:
    import yaml

    from tierchain.chain.artifacts import project_root
    from tierchain.chain.local import NETWORK_PROFILES

    config = yaml.safe_load((project_root() / "brownie-config.yaml").read_text())["networks"]
    assert config["tierchain-poa"]["gas_price"] == 0 and NETWORK_PROFILES["poa"].legacy
    assert NETWORK_PROFILES["poa"].confirmations == 1
    assert config["tierchain-testnet"]["priority_fee"] == "auto" and not NETWORK_PROFILES["testnet"].legacy
    assert NETWORK_PROFILES["testnet"].confirmations == 2
