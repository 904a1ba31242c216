"""wallet create|import|list, keystore unlock and signing with a keystore."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from tests.python.cli.conftest import SUPPLIER, Run, out_json
from tierchain.chain import wallet
from tierchain.chain.local import dev_accounts

PASSWORD = "correct horse battery"


@pytest.fixture
def pw_file(tmp_path: Path) -> Path:
    path = tmp_path / "password.txt"
    path.write_text(PASSWORD + "\n")
    return path


def test_create_with_prompt_then_list(run: Run, home: Path) -> None:
    created = out_json(run("wallet", "create", "--json", rpc=False, input=f"{PASSWORD}\n{PASSWORD}\n"))
    path = Path(created["path"])
    assert path.parent == home / "keystore"
    assert created["kdf"] == "scrypt" and created["scrypt_n"] == 2**10  # test-only cheap KDF
    listed = out_json(run("wallet", "list", "--json", rpc=False))
    assert [a["address"] for a in listed["accounts"]] == [created["address"]]
    human = run("wallet", "list", rpc=False).stdout
    assert created["address"] in human and "scrypt" in human


def test_create_prompt_asks_again_after_a_mismatch(run: Run, home: Path) -> None:
    result = run("wallet", "create", rpc=False, input=f"{PASSWORD}\nsomething else\n{PASSWORD}\n{PASSWORD}\n")
    assert "do not match" in result.stderr  # the first pair differs: asked again, the second pair matches
    assert len(list((home / "keystore").iterdir())) == 1
    assert PASSWORD not in result.output  # hidden input is not echoed


def test_keystore_file_format_modes_and_name(run: Run, home: Path, pw_file: Path) -> None:
    created = out_json(run("wallet", "create", "--password-file", pw_file, "--json", rpc=False))
    path = Path(created["path"])
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    address = created["address"]
    assert path.name.startswith("UTC--") and path.name.endswith("--" + address[2:].lower())
    doc = json.loads(path.read_text())
    assert doc["version"] == 3 and doc["crypto"]["kdf"] == "scrypt"
    key = Account.decrypt(doc, PASSWORD)  # eth-account (and so geth/MetaMask) can read it
    assert Account.from_key(key).address == address


def test_short_password_is_refused(run: Run, home: Path, tmp_path: Path) -> None:
    short = tmp_path / "short.txt"
    short.write_text("abc\n")
    result = run("wallet", "create", "--password-file", short, rpc=False, expect=8)
    assert "at least 8 characters" in result.stderr
    assert not (home / "keystore").exists() or not list((home / "keystore").iterdir())


def test_empty_or_missing_password_file(run: Run, tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    assert "is empty" in run("wallet", "create", "--password-file", empty, rpc=False, expect=8).stderr
    missing = run("wallet", "create", "--password-file", tmp_path / "nope", rpc=False, expect=8)
    assert "cannot read password file" in missing.stderr


def test_import_key_file_never_prints_the_key(run: Run, tmp_path: Path, pw_file: Path) -> None:
    key = dev_accounts()[SUPPLIER].key.hex()
    key_file = tmp_path / "key.txt"
    key_file.write_text("0x" + key + "\n")
    result = run("wallet", "import", "--key-file", key_file, "--password-file", pw_file, rpc=False)
    assert dev_accounts()[SUPPLIER].address in result.stdout
    assert key not in result.output and key.upper() not in result.output
    again = run("wallet", "import", "--key-file", key_file, "--password-file", pw_file, rpc=False, expect=8)
    assert "already has a keystore" in again.stderr


def test_import_key_from_hidden_prompt(run: Run, pw_file: Path) -> None:
    key = dev_accounts()[12].key.hex()
    result = run("wallet", "import", "--password-file", pw_file, "--json", rpc=False, input=key + "\n")
    assert out_json(result)["address"] == dev_accounts()[12].address
    assert key not in result.output


def test_import_bad_key_is_one_message_without_the_key(run: Run, tmp_path: Path, pw_file: Path) -> None:
    bad = tmp_path / "bad.txt"
    secretish = "ab" * 31 + "zz"
    bad.write_text(secretish)
    result = run("wallet", "import", "--key-file", bad, "--password-file", pw_file, rpc=False, expect=8)
    assert "not a private key" in result.stderr and secretish not in result.output
    zero = tmp_path / "zero.txt"
    zero.write_text("00" * 32)
    result = run("wallet", "import", "--key-file", zero, "--password-file", pw_file, rpc=False, expect=8)
    assert "secp256k1 range" in result.stderr


def test_import_existing_keystore_pbkdf2_is_restored_as_scrypt(run: Run, tmp_path: Path, pw_file: Path) -> None:
    account = Account.create()
    source = tmp_path / "metamask-export.json"
    source.write_text(json.dumps(Account.encrypt(account.key, PASSWORD, kdf="pbkdf2", iterations=1000)))
    result = out_json(run("wallet", "import", "--keystore", source, "--password-file", pw_file, "--json", rpc=False))
    assert result["address"] == account.address and result["kdf"] == "scrypt"
    assert Account.decrypt(json.loads(Path(result["path"]).read_text()), PASSWORD) == account.key


def test_import_keystore_wrong_password(run: Run, tmp_path: Path, pw_file: Path) -> None:
    source = tmp_path / "ks.json"
    source.write_text(
        json.dumps(Account.encrypt(Account.create().key, "another password", kdf="scrypt", iterations=1024))
    )
    result = run("wallet", "import", "--keystore", source, "--password-file", pw_file, rpc=False, expect=8)
    assert result.stderr.strip() == "error: wrong password for keystore ks.json"


def test_import_something_that_is_not_a_keystore(run: Run, tmp_path: Path, pw_file: Path) -> None:
    source = tmp_path / "x.json"
    source.write_text('{"hello": 1}')
    result = run("wallet", "import", "--keystore", source, "--password-file", pw_file, rpc=False, expect=8)
    assert "not a Web3 Secret Storage v3 keystore" in result.stderr


def test_no_secret_flags_exist(run: Run) -> None:
    for flag in ("--password", "--private-key", "--key"):
        assert run("wallet", "import", flag, "x", rpc=False, expect=2).exit_code == 2


def test_list_empty(run: Run) -> None:
    assert "no keystores" in run("wallet", "list", rpc=False).stdout
    assert out_json(run("wallet", "list", "--json", rpc=False))["accounts"] == []


def test_keystore_signs_a_real_transaction(run: Run, w3: Web3, lib, pw_file: Path, addr) -> None:
    """create → list → unlock → sign: a fresh keystore account is funded, made an operator by
    the admin, and then signs a suspension itself."""
    created = out_json(run("wallet", "create", "--password-file", pw_file, "--json", rpc=False))
    new = created["address"]
    assert new in run("wallet", "list", rpc=False).stdout
    funder = dev_accounts()[0]
    tx = {
        "to": new,
        "value": 10**18,
        "gas": 21_000,
        "gasPrice": w3.eth.gas_price * 2,
        "nonce": w3.eth.get_transaction_count(funder.address, "pending"),
        "chainId": w3.eth.chain_id,
    }
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(funder.sign_transaction(tx).raw_transaction))
    run("members", "admit", new, "--role", "operator", "--identity", "platform operator 2", "--dev-account", 0)
    done = run("members", "suspend", addr(4), "--reason", "audit finding 7", "--from", new,
               "--password-file", pw_file, "--json")  # fmt: skip
    tx_hash = out_json(done)["tx"]
    assert w3.eth.get_transaction(tx_hash)["from"] == new
    assert w3.eth.get_transaction_receipt(tx_hash)["status"] == 1
    assert lib.membership.member_of(addr(4)).status == "suspended"
    # signing a refused action: simulated, decoded, nothing sent (exit 7)
    nonce = w3.eth.get_transaction_count(new)
    refused = run("members", "admit", addr(15), "--role", "regulator", "--identity", "x", "--from", new,
                  "--password-file", pw_file, expect=7)  # fmt: skip
    assert "MembershipRoleNotGrantable" in refused.stderr
    assert w3.eth.get_transaction_count(new) == nonce


def test_wrong_password_for_from_is_one_clear_message(run: Run, tmp_path: Path, pw_file: Path, addr) -> None:
    created = out_json(run("wallet", "create", "--password-file", pw_file, "--json", rpc=False))
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the password\n")
    result = run(
        "members", "suspend", addr(4), "--reason", "x", "--from", created["address"], "--password-file", wrong, expect=8
    )
    assert result.stderr.strip().startswith("error: wrong password for keystore UTC--")


def test_password_prompt_for_from(run: Run, pw_file: Path, tmp_path: Path, addr, lib) -> None:
    op_key = tmp_path / "op.key"
    op_key.write_text(dev_accounts()[1].key.hex())
    run("wallet", "import", "--key-file", op_key, "--password-file", pw_file, rpc=False)
    run(
        "members",
        "suspend",
        addr(5),
        "--reason",
        "late filings",
        "--from",
        dev_accounts()[1].address,
        input=PASSWORD + "\n",
    )
    assert lib.membership.member_of(addr(5)).status == "suspended"


def test_password_file_from_environment(
    run: Run, pw_file: Path, tmp_path: Path, addr, lib, monkeypatch: pytest.MonkeyPatch
) -> None:
    op_key = tmp_path / "op.key"
    op_key.write_text(dev_accounts()[1].key.hex())
    run("wallet", "import", "--key-file", op_key, "--password-file", pw_file, rpc=False)
    monkeypatch.setenv("TIERCHAIN_PASSWORD_FILE", str(pw_file))
    monkeypatch.setenv("TIERCHAIN_FROM", dev_accounts()[1].address)
    run("members", "suspend", addr(6), "--reason", "env")
    assert lib.membership.member_of(addr(6)).status == "suspended"


def test_unknown_from_account(run: Run, pw_file: Path, addr) -> None:
    result = run(
        "members", "suspend", addr(4), "--reason", "x", "--from", addr(15), "--password-file", pw_file, expect=8
    )
    assert "no keystore for" in result.stderr


def test_unlock_library_level(home: Path) -> None:
    entry = wallet.create_account(PASSWORD)
    account = wallet.unlock(entry.address.lower(), PASSWORD)
    assert account.address == entry.address
    with pytest.raises(wallet.WalletError, match="wrong password"):
        wallet.unlock(entry.address, PASSWORD + "x")


def test_default_kdf_is_the_geth_standard(home: Path) -> None:
    assert wallet.STANDARD_SCRYPT_N == 2**18
    with wallet.insecure_test_kdf(2**4):
        assert wallet._scrypt_n == 2**4
    # outside the block the (autouse) test setting is back, and outside tests the standard
    assert wallet._scrypt_n == 2**10


# ---------------------------------------------------------------------------- issue 14.8: fragile local state


def _two_keystores(run: Run, pw_file: Path) -> tuple[dict[str, str], dict[str, str]]:
    good = out_json(run("wallet", "create", "--password-file", pw_file, "--json", rpc=False))
    bad = out_json(run("wallet", "create", "--password-file", pw_file, "--json", rpc=False))
    return good, bad


def test_a_truncated_keystore_affects_only_its_own_address(run: Run, pw_file: Path) -> None:
    good, bad = _two_keystores(run, pw_file)
    path = Path(bad["path"])
    path.write_text(path.read_text()[:57])  # cut off mid-file
    listed = out_json(run("wallet", "list", "--json", rpc=False))
    state = {a["address"]: a["problem"] for a in listed["accounts"]}
    assert state[good["address"]] is None
    assert "not a readable keystore file" in state[bad["address"]]
    human = run("wallet", "list", rpc=False).stdout
    assert "UNUSABLE" in human and good["address"] in human
    assert wallet.unlock(good["address"], PASSWORD).address == good["address"]  # others still sign
    with pytest.raises(wallet.WalletError, match="is unusable") as err:
        wallet.unlock(bad["address"], PASSWORD)
    assert "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [("n", "262144x"), ("n", 3), ("r", -1), ("salt", None), ("dklen", "32")],
)
def test_a_malformed_scrypt_parameter_is_one_line_without_traceback(
    run: Run, pw_file: Path, addr, field: str, value: object
) -> None:
    good, bad = _two_keystores(run, pw_file)
    path = Path(bad["path"])
    doc = json.loads(path.read_text())
    doc["crypto"]["kdfparams"][field] = value
    path.write_text(json.dumps(doc))
    result = run("members", "suspend", addr(4), "--reason", "x", "--from", bad["address"],
                 "--password-file", pw_file, expect=8)  # fmt: skip
    assert result.stderr.count("\n") == 1 and "malformed keystore" in result.stderr
    assert "Traceback" not in result.output
    listed = out_json(run("wallet", "list", "--json", rpc=False))
    assert {a["address"]: bool(a["problem"]) for a in listed["accounts"]} == {
        good["address"]: False, bad["address"]: True,
    }  # fmt: skip


def test_a_malformed_parameter_the_checks_let_through_is_still_one_line(home: Path, monkeypatch) -> None:
    entry = wallet.create_account(PASSWORD)

    def explode(*_a: object, **_k: object) -> bytes:
        raise TypeError("unsupported operand type(s) for ** or pow(): 'str' and 'int'")

    monkeypatch.setattr(wallet.Account, "decrypt", explode)
    with pytest.raises(wallet.WalletError, match="malformed keystore") as err:
        wallet.unlock(entry.address, PASSWORD)
    assert "\n" not in str(err.value)


def test_a_wallet_without_gas_is_caught_before_signing_in_one_line(run: Run, w3: Web3, pw_file: Path, addr) -> None:
    created = out_json(run("wallet", "create", "--password-file", pw_file, "--json", rpc=False))
    new = created["address"]
    run("members", "admit", new, "--role", "operator", "--identity", "operator without gas", "--dev-account", 0)
    assert w3.eth.get_balance(new) == 0
    result = run("members", "suspend", addr(4), "--reason", "audit", "--from", new, "--password-file", pw_file,
                 expect=6)  # fmt: skip
    assert result.stderr.count("\n") == 1
    assert f"{new} cannot pay" in result.stderr and "nothing was signed" in result.stderr
    assert f"tierchain chain fund {new} --ether" in result.stderr
    assert "stack" not in result.stderr and "{" not in result.stderr
    assert w3.eth.get_transaction_count(new, "pending") == 0
