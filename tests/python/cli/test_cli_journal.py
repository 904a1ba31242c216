"""Issue 14 item 2: ``journal run`` and ``resume`` sign with keystores, not only dev keys;
they take the chain options of every command (no --rpc of their own needed)."""

from __future__ import annotations

import json

from tests.python.cli.conftest import SUPPLIER, Run
from tierchain.chain.local import dev_accounts
from tierchain.chain.wallet import list_keystores


def test_journal_run_with_a_keystore_supplier(run: Run, lib, addr, tmp_path, w3) -> None:
    pw = tmp_path / "pw.txt"
    pw.write_text("supplier passphrase\n")
    key_file = tmp_path / "key.txt"
    key_file.write_text("0x" + dev_accounts()[SUPPLIER].key.hex() + "\n")
    run("wallet", "import", "--key-file", key_file, "--password-file", pw, rpc=False)
    assert [e.address for e in list_keystores()] == [addr(SUPPLIER)]
    before = w3.eth.get_transaction_count(addr(SUPPLIER))
    # no password file and no terminal: the keystore's prompt gets nothing and the run stops
    refused = run("journal", "run", "lifecycle", "--id", "ks-0", "--supplier", addr(SUPPLIER), "--json", expect=None)
    assert refused.exit_code != 0 and "Traceback" not in refused.output
    out = run("journal", "run", "lifecycle", "--id", "ks-1", "--supplier", addr(SUPPLIER),
              "--password-file", pw, "--json")  # fmt: skip
    outputs = json.loads(out.stdout.strip().splitlines()[-1])
    assert outputs["split-a"] is not None
    assert w3.eth.get_transaction_count(addr(SUPPLIER)) > before  # the supplier's steps were signed by its keystore
    again = run("resume", "ks-1", "--password-file", pw, "--json")
    assert '"split-a"' in again.stdout
    bad = run("journal", "run", "lifecycle", "--id", "ks-2", "--supplier", "0x" + "ab" * 20, expect=2)
    assert "no keystore" in bad.output and "no development account" in bad.output
