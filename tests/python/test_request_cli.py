"""``tierchain request``: typed data (online) → sign (offline) → relay (the operator)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from web3 import Web3

from tierchain.chain.deployment import DAY
from tierchain.cli.main import cli
from tierchain.clients.bundle import Contracts
from tierchain.clients.requests import parse_typed_data, sign_request


@pytest.fixture
def runner(lib_home: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TIERCHAIN_HOME", str(lib_home))  # where lib_deployment was recorded
    return CliRunner()


def _issue(lib: Contracts, w3: Web3, sender) -> tuple[int, int]:
    root = Web3.keccak(text=f"cli-root-{w3.eth.block_number}")
    lib.registry.register_package(sender(2), root, 10, 1_000_000, sender(3).address, Web3.keccak(text="doc"))
    now = int(w3.eth.get_block("latest")["timestamp"])
    return lib.token.issue(
        sender(2), sender(3).address, 1_000_000, lib.deployment.currency, now + 30 * DAY, root,
        Web3.keccak(text="confirmation"),
    )  # fmt: skip


def test_typed_data_sign_relay(runner, lib, w3, sender, keys, rpc_url, tmp_path) -> None:
    payable_id, first = _issue(lib, w3, sender)
    supplier = keys[3].address
    td, signed = tmp_path / "accept.json", tmp_path / "accept.signed.json"
    out = runner.invoke(cli, ["request", "typed-data", "accept", "--rpc", rpc_url, "--signer", supplier,
                              "--payable", str(payable_id), "-o", str(td)])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert json.loads(td.read_text())["primaryType"] == "AcceptPayable"
    out = runner.invoke(cli, ["request", "sign", str(td), "--dev-account", "3", "-o", str(signed)])
    assert out.exit_code == 0, out.output
    out = runner.invoke(cli, ["request", "relay", str(signed), "--rpc", rpc_url])
    assert out.exit_code == 0, out.output
    assert "relayed AcceptPayable" in out.output
    assert lib.token.payable_of(payable_id).status == "accepted"

    # relaying the same signed request again: the relay's decoded error and its exit code
    out = runner.invoke(cli, ["request", "relay", str(signed), "--rpc", rpc_url])
    assert out.exit_code == 7 and "RelayBadNonce" in out.output and "Traceback" not in out.output

    # a split, signed "in a browser" (here: eth-account over the same JSON), relayed with --signature
    out = runner.invoke(cli, ["request", "typed-data", "split", "--rpc", rpc_url, "--signer", supplier,
                              "--piece", str(first), "--to", keys[4].address, "--value", "2500.00",
                              "-o", str(td)])  # fmt: skip
    assert out.exit_code == 0, out.output
    request, domain = parse_typed_data(td.read_text())
    assert request.value == 250_000  # cents
    signature = "0x" + sign_request(request, domain, keys[3]).signature.hex()
    out = runner.invoke(cli, ["request", "relay", str(td), "--rpc", rpc_url, "--signature", signature])
    assert out.exit_code == 0, out.output
    new_id = int(out.output.rsplit("new piece ", 1)[1])
    assert lib.token.owner_of(new_id) == keys[4].address


def test_usage_errors(runner, lib, w3, sender, keys, rpc_url, tmp_path) -> None:
    out = runner.invoke(cli, ["request", "typed-data", "split", "--rpc", rpc_url, "--signer", keys[3].address])
    assert out.exit_code == 2 and "split needs --piece, --to, --value" in out.output
    out = runner.invoke(cli, ["request", "typed-data", "accept", "--rpc", rpc_url, "--signer", "0x12",
                              "--payable", "1"])  # fmt: skip
    assert out.exit_code == 2 and "--signer: not an address" in out.output
    payable_id, _ = _issue(lib, w3, sender)
    td = tmp_path / "td.json"
    runner.invoke(cli, ["request", "typed-data", "accept", "--rpc", rpc_url, "--signer", keys[3].address,
                        "--payable", str(payable_id), "-o", str(td)])  # fmt: skip
    request, domain = parse_typed_data(td.read_text())
    wrong = "0x" + sign_request(request, domain, keys[4], contract_signer=True).signature.hex()
    out = runner.invoke(cli, ["request", "relay", str(td), "--rpc", rpc_url, "--signature", wrong])
    assert out.exit_code == 2 and "not the signer" in out.output
