"""Global options, networks, deployment checks, the error exit, status and deploy."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web3 import Web3

from tests.python.cli.conftest import CORE, SUPPLIER, Run, out_json
from tierchain.chain.local import dev_accounts
from tierchain.cli import common as cli_common

PASSWORD = "deployer password"


def test_status_without_signer(run: Run, lib, w3: Web3) -> None:
    doc = out_json(run("status", "--json"))
    assert doc["chain"]["chain_id"] == w3.eth.chain_id
    assert doc["deployment"]["token"] == lib.deployment.token
    assert "signer" not in doc
    human = run("status").stdout
    assert lib.deployment.token in human and "deployment" in human


def test_status_with_signer_shows_balances_and_membership(run: Run, addr) -> None:
    doc = out_json(run("--dev-account", CORE, "status", "--json"))
    signer = doc["signer"]
    assert signer["address"] == addr(CORE)
    assert signer["member"]["roles"] == ["core"] and signer["member"]["status"] == "active"
    assert signer["ether_wei"] > 0 and signer["currency_balance"] == "0.00"
    assert "piece(s); member: active (core)" in run("status", "--dev-account", CORE).stdout


def test_status_on_a_chain_without_deployment(run: Run, home: Path) -> None:
    for record in (home / "deployments").iterdir():
        record.unlink()
    doc = out_json(run("status", "--json"))
    assert doc["deployment"] is None
    assert "no deployment recorded" in run("status").stdout


def test_command_needing_a_deployment_without_one_exits_5(run: Run, home: Path) -> None:
    for record in (home / "deployments").iterdir():
        record.unlink()
    result = run("payables", "list", expect=5)
    assert "no deployment recorded" in result.stderr and "tierchain deploy" in result.stderr


def test_stale_record_without_code_exits_5(run: Run, home: Path, w3: Web3) -> None:
    record = next((home / "deployments").iterdir())
    doc = json.loads(record.read_text())
    doc["token"] = "0x" + "12" * 20
    record.write_text(json.dumps(doc))
    assert "no contract code" in run("payables", "list", expect=5).stderr
    assert "no contract code" in run("status", expect=5).stderr


def test_record_of_another_chain_id_exits_4(run: Run, home: Path, tmp_path: Path) -> None:
    record = next((home / "deployments").iterdir())
    doc = json.loads(record.read_text())
    doc["chain_id"] = 5
    other = tmp_path / "other.json"
    other.write_text(json.dumps(doc))
    result = run("--deployment", other, "payables", "list", expect=4)
    assert "the deployment record is for chain 5" in result.stderr


def test_unreachable_rpc_exits_4(run: Run) -> None:
    result = run("--rpc", "http://127.0.0.1:1", "status", rpc=False, expect=4)
    assert result.stderr.startswith("error: no JSON-RPC node answers")


def test_json_mode_errors_are_json_too(run: Run) -> None:
    result = run("payables", "show", "99", "--json", expect=20)
    doc = out_json(result)
    assert doc["error"]["exit_code"] == 20 and "does not exist" in doc["error"]["message"]


def test_signing_command_without_signer(run: Run, addr) -> None:
    result = run("members", "suspend", addr(SUPPLIER), "--reason", "x", expect=2)
    assert result.stderr.startswith("error: ") and "--from" in result.stderr


def test_from_and_dev_account_together_refused(run: Run, addr) -> None:
    result = run("payables", "list", "--mine", "--from", addr(3), "--dev-account", 3, expect=2)
    assert "not both" in result.stderr


def test_dev_account_refused_on_non_dev_chain(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli_common, "LOCAL_CHAIN_IDS", frozenset({1}))
    result = run("payables", "list", "--mine", "--dev-account", 3, expect=2)
    assert "allowed only on local chains" in result.stderr


def test_command_level_option_overrides_group_level(run: Run, rpc_url: str) -> None:
    result = run("--rpc", "http://127.0.0.1:1", "status", "--rpc", rpc_url, "--json", rpc=False)
    assert out_json(result)["chain"]["url"] == rpc_url


def test_legacy_fee_mode_sends_type_0(run: Run, w3: Web3, addr) -> None:
    doc = out_json(run("--legacy", "members", "suspend", addr(6), "--reason", "x", "--dev-account", 1, "--json"))
    tx = w3.eth.get_transaction(doc["tx"])
    assert int(tx["type"]) == 0 and tx["gasPrice"] > 0
    default = out_json(run("members", "reinstate", addr(6), "--dev-account", 1, "--json"))
    assert int(w3.eth.get_transaction(default["tx"])["type"]) == 2  # the chain has a base fee


def test_confirmations_option_is_checked(run: Run) -> None:
    assert run("--confirmations", "0", "status", expect=2).exit_code == 2
    assert out_json(run("--confirmations", "1", "status", "--json"))["chain"]["confirmations"] == 1


def test_deploy_with_a_keystore_signer(run: Run, home: Path, tmp_path: Path, w3: Web3) -> None:
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD)
    key = tmp_path / "k"
    key.write_text(dev_accounts()[16].key.hex())
    run("wallet", "import", "--key-file", key, "--password-file", pw, rpc=False)
    deployer = dev_accounts()[16].address
    doc = out_json(
        run(
            "deploy",
            "--from",
            deployer,
            "--password-file",
            pw,
            "--operator",
            dev_accounts()[17].address,
            "--json",
            "--replace",
        )
    )
    assert doc["admin"] == deployer and doc["operator"] == dev_accounts()[17].address
    assert Path(doc["record"]).is_file()
    assert w3.eth.get_transaction(doc["tx_hashes"]["token"])["from"] == deployer
    status = out_json(run("status", "--json"))
    assert status["deployment"]["token"] == doc["token"]


def test_deploy_bad_operator_address(run: Run) -> None:
    result = run("deploy", "--operator", "0x" + "ab" * 19, expect=2)
    assert "is not an address" in result.stderr


def test_local_chain_started_automatically(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No --rpc: the CLI starts a Ganache under the home, keeps it, and `chain stop` ends it."""
    from click.testing import CliRunner

    from tierchain.cli.main import main

    monkeypatch.setenv("TIERCHAIN_HOME", str(tmp_path / "auto"))
    monkeypatch.delenv("TIERCHAIN_RPC", raising=False)
    runner = CliRunner()
    try:
        first = runner.invoke(main, ["status", "--json"])
        assert first.exit_code == 0, first.output
        assert "started the local ganache chain" in first.stderr
        assert json.loads(first.stdout)["chain"]["chain_id"] == 1337
        second = runner.invoke(main, ["status", "--json"])
        assert second.exit_code == 0 and "started" not in second.stderr  # reused
        running = json.loads(runner.invoke(main, ["chain", "status", "--json"]).stdout)
        assert running["running"] and running["chain_id"] == 1337
    finally:
        stopped = runner.invoke(main, ["chain", "stop", "--json"])
    assert json.loads(stopped.stdout)["stopped"] is True


class _StubEth:
    def __init__(self, gas_price: int, base_fee: int | None) -> None:
        self.gas_price = gas_price
        self._block = {} if base_fee is None else {"baseFeePerGas": base_fee}

    def get_block(self, _which: str) -> dict[str, int]:
        return self._block


class _StubW3:
    def __init__(self, gas_price: int, base_fee: int | None) -> None:
        self.eth = _StubEth(gas_price, base_fee)


@pytest.mark.parametrize(
    ("gas_price", "base_fee", "expected"),
    [
        (0, None, 0),  # a proof-of-authority chain without fees: price 0 stays 0
        (0, 0, 0),  # EIP-1559 fields but a zero base fee
        (5, None, 5),  # no base fee: the node's price
        (1, 7 * 10**9, 15 * 10**9),  # a base fee: at least 2 x base + 1 gwei tip
        (20 * 10**9, 7 * 10**9, 20 * 10**9),
    ],
)
def test_legacy_fees(gas_price: int, base_fee: int | None, expected: int) -> None:
    assert cli_common.legacy_fees(_StubW3(gas_price, base_fee)) == {"gasPrice": expected}  # type: ignore[arg-type]


def test_demo_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tierchain demo --json`: the story on stderr, one JSON summary on stdout."""
    from click.testing import CliRunner

    from tierchain.cli.main import main

    monkeypatch.setenv("TIERCHAIN_HOME", str(tmp_path))
    result = CliRunner().invoke(main, ["demo", "--invoices", "40", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    a, b = doc["payables"]["A"], doc["payables"]["B"]
    assert a["state"] == "paid" and b["state"] == "overdue"
    assert sum(p["value_cents"] for p in doc["pieces"]) == b["face_value_cents"]  # A is settled
    assert doc["invoice_count"] == 40 and "PayableBelowMinimum" in doc["refused"]
    assert len(doc["financings"]) == 2 and all(Path(f).is_file() for f in doc["report_files"])
    assert "tierchain demo" in result.stderr


def test_json_error_with_options_only_on_the_command(run: Run, rpc_url: str) -> None:
    result = run("payables", "show", "7", "--rpc", rpc_url, "--json", rpc=False, expect=20)
    assert out_json(result)["error"]["message"].startswith("payable 7 does not exist")
    assert result.stderr.startswith("error: payable 7 does not exist")


def test_deploy_on_a_non_local_chain_needs_operator_keystore_and_consent(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, w3: Web3
) -> None:
    from tierchain.cli import deploy as cli

    monkeypatch.setattr(cli, "LOCAL_CHAIN_IDS", frozenset({1}))
    monkeypatch.setattr(cli_common, "LOCAL_CHAIN_IDS", frozenset({1}))
    assert "give --operator ADDRESS" in run("deploy", expect=2).stderr
    operator = dev_accounts()[17].address
    assert "give the deployer: --from" in run("deploy", "--operator", operator, expect=2).stderr
    assert "allowed only on local chains" in run("deploy", "--operator", operator, "--dev-account", 0,
                                                 expect=2).stderr  # fmt: skip
    pw = tmp_path / "pw"
    pw.write_text(PASSWORD)
    key = tmp_path / "k"
    key.write_text(dev_accounts()[18].key.hex())
    run("wallet", "import", "--key-file", key, "--password-file", pw, rpc=False)
    block = w3.eth.block_number
    declined = run("deploy", "--operator", operator, "--from", dev_accounts()[18].address, "--password-file", pw,
                   "--currency", "demo", "--replace", input="n\n", expect=1)  # fmt: skip
    assert "Aborted" in declined.output and "deploy on chain" in declined.output
    assert w3.eth.block_number == block
