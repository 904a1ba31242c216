"""``tierchain request``: typed data (online) → sign (offline) → relay (the operator)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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
    out = runner.invoke(cli, ["request", "typed-data", "split", "--rpc", rpc_url, "--from", keys[3].address])
    assert out.exit_code == 2 and "split needs --piece, --to, --amount" in out.output
    out = runner.invoke(cli, ["request", "typed-data", "accept", "--rpc", rpc_url, "--signer", "0x12",
                              "--payable", "1"])  # fmt: skip
    assert out.exit_code == 2 and "'0x12' is not an address" in out.output
    payable_id, _ = _issue(lib, w3, sender)
    td = tmp_path / "td.json"
    runner.invoke(cli, ["request", "typed-data", "accept", "--rpc", rpc_url, "--signer", keys[3].address,
                        "--payable", str(payable_id), "-o", str(td)])  # fmt: skip
    request, domain = parse_typed_data(td.read_text())
    wrong = "0x" + sign_request(request, domain, keys[4], contract_signer=True).signature.hex()
    out = runner.invoke(cli, ["request", "relay", str(td), "--rpc", rpc_url, "--signature", wrong])
    assert out.exit_code == 2 and "not the signer" in out.output


def _flip_case(address: str) -> str:
    """The same address with one letter's case flipped: a bad EIP-55 checksum."""
    body = list(address[2:])
    i = next(i for i, ch in enumerate(body) if ch.isalpha())
    body[i] = body[i].swapcase()
    return "0x" + "".join(body)


def test_typed_data_checks_like_payables(runner, lib, w3, sender, keys, rpc_url, tmp_path) -> None:
    """Issue 14 item 3: the same checks and words as ``payables``; a summary in every file."""
    payable_id, first = _issue(lib, w3, sender)
    supplier, other = keys[3].address, keys[4].address
    td = tmp_path / "req.json"
    base = ["request", "typed-data", "--rpc", rpc_url]
    # an AcceptPayable shows amount, debtor and maturity
    out = runner.invoke(cli, [*base[:2], "accept", *base[2:], "--from", supplier, "--payable", f"P{payable_id}",
                              "-o", str(td)])  # fmt: skip
    assert out.exit_code == 0, out.output
    doc = json.loads(td.read_text())
    info = lib.token.payable_of(payable_id)
    assert "10,000.00" in doc["summary"] and info.debtor in doc["summary"]
    assert datetime.fromtimestamp(info.maturity_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ") in doc["summary"]
    assert parse_typed_data(doc)[0].payable_id == payable_id  # the summary does not disturb parsing
    # the wallet's uint256 values are decimal strings
    assert isinstance(doc["message"]["nonce"], str)
    # a bad checksum is refused, never silently re-checksummed
    out = runner.invoke(cli, [*base[:2], "split", *base[2:], "--from", supplier, "--piece", f"P{payable_id}#1",
                              "--to", _flip_case(other), "--amount", "100.00"])  # fmt: skip
    assert out.exit_code == 2 and "bad EIP-55 checksum" in out.output
    # not accepted yet: refused as payables refuses it
    out = runner.invoke(cli, [*base[:2], "split", *base[2:], "--from", supplier, "--piece", f"P{payable_id}#1",
                              "--to", other, "--amount", "100.00"])  # fmt: skip
    assert out.exit_code == 2 and "not accepted yet" in out.output
    lib.token.accept(sender(3), payable_id)
    # unknown pieces and payables are refused
    out = runner.invoke(cli, [*base[:2], "split", *base[2:], "--from", supplier, "--piece", f"P{payable_id}#7",
                              "--to", other, "--amount", "100.00"])  # fmt: skip
    assert out.exit_code == 20 and f"payable {payable_id} has pieces 1..1, not 7" in out.output
    out = runner.invoke(cli, [*base[:2], "accept", *base[2:], "--from", supplier, "--payable", "999"])
    assert out.exit_code == 20 and "payable 999 does not exist" in out.output
    # a piece someone else holds: the signer's words from payables
    out = runner.invoke(cli, [*base[:2], "transfer", *base[2:], "--from", other, "--piece", f"P{payable_id}#1",
                              "--to", supplier])  # fmt: skip
    assert out.exit_code == 2 and f"belongs to {supplier}, not to the signer {other}" in out.output
    # P1#1 works, and so does the token id; the file summarises the split
    out = runner.invoke(cli, [*base[:2], "split", *base[2:], "--from", supplier, "--piece", f"P{payable_id}#1",
                              "--to", other, "--amount", "250.00", "-o", str(td)])  # fmt: skip
    assert out.exit_code == 0, out.output
    doc = json.loads(td.read_text())
    assert doc["message"]["fromTokenId"] == str(first)
    assert doc["summary"].startswith(f"split 250.00 off piece P{payable_id}#1") and other in doc["summary"]


def test_relay_with_a_keystore(runner, lib, w3, sender, keys, rpc_url, tmp_path, monkeypatch, lib_home) -> None:
    """Issue 14 item 2: the relayer may be a keystore account (--from + --password-file)."""
    import shutil

    from tierchain.chain.wallet import import_private_key, insecure_test_kdf

    home = tmp_path / "home"  # a home of this test: its keystore does not leak into others
    shutil.copytree(lib_home / "deployments", home / "deployments")
    monkeypatch.setenv("TIERCHAIN_HOME", str(home))

    payable_id, _ = _issue(lib, w3, sender)
    td, signed = tmp_path / "accept.json", tmp_path / "accept.signed.json"
    out = runner.invoke(cli, ["request", "typed-data", "accept", "--rpc", rpc_url, "--from", keys[3].address,
                              "--payable", str(payable_id), "-o", str(td)])  # fmt: skip
    assert out.exit_code == 0, out.output
    password = tmp_path / "pw.txt"
    password.write_text("relayer secret\n")
    with insecure_test_kdf():
        import_private_key(bytes(keys[1].key), "relayer secret")  # the operator's key, in this home's keystore
        out = runner.invoke(cli, ["request", "sign", str(td), "--from", keys[3].address, "-o", str(signed)])
        assert out.exit_code != 0  # keys[3] has no keystore here: refused, nothing signed
        out = runner.invoke(cli, ["request", "sign", str(td), "--dev-account", "3", "-o", str(signed)])
        assert out.exit_code == 0, out.output
        out = runner.invoke(cli, ["request", "relay", str(signed), "--rpc", rpc_url, "--from", keys[1].address,
                                  "--password-file", str(password)])  # fmt: skip
    assert out.exit_code == 0, out.output
    assert lib.token.payable_of(payable_id).status == "accepted"
