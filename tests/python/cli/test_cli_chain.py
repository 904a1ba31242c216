"""tierchain chain fund|time (local chains only), the recorded port reused after a crash, node
errors in one line (issue 14, item 7 and 8)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account import Account
from web3 import Web3

from tests.python.cli.conftest import OUTSIDER, Run, out_json
from tierchain.chain import local
from tierchain.chain.local import chain_status, dev_accounts, free_port
from tierchain.chain.sender import Sender, TxRequest
from tierchain.cli.main import main
from tierchain.core.errors import NonceError, TransactionError


def test_fund_gives_ether_and_demo_currency(run: Run, w3: Web3, lib, addr) -> None:
    who = addr(OUTSIDER)
    ether, cash = w3.eth.get_balance(who), lib.currency.balance_of(who)
    doc = out_json(run("chain", "fund", who, "--ether", "2.5", "--currency", "100.25", "--json"))
    assert w3.eth.get_balance(who) - ether == 25 * 10**17
    assert lib.currency.balance_of(who) - cash == 10_025
    assert doc["currency_minted"] == "100.25" and int(doc["ether_wei"]) == w3.eth.get_balance(who)


def test_fund_a_fresh_account_that_then_pays_gas(run: Run, w3: Web3) -> None:
    fresh = Account.create()
    run("chain", "fund", fresh.address, "--ether", "1")
    sender = Sender(w3, fresh)
    receipt = sender.send(TxRequest(dev_accounts()[0].address, value=1))
    assert receipt.status == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--ether", "-1"], "not a plain decimal"),
        (["--ether", "1e3"], "not a plain decimal"),
        ([], "say what to give"),
        (["--ether", "0.0000000000000000001"], "at most 18"),
    ],
)
def test_fund_bad_input(run: Run, addr, args: list[str], message: str) -> None:
    assert message in run("chain", "fund", addr(OUTSIDER), *args, expect=2).stderr


def test_fund_and_time_are_refused_on_a_non_local_chain(run: Run, addr, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local, "LOCAL_CHAIN_IDS", frozenset({1}))
    assert "local development chains only" in run("chain", "fund", addr(OUTSIDER), "--ether", "1", expect=4).stderr
    assert "local development chains only" in run("chain", "time", "--advance", "1d", expect=4).stderr
    assert "local development chains only" in run("chain", "time", "--set", "2099-01-01T00:00:00Z",
                                                   expect=4).stderr  # fmt: skip


def test_time_advance_and_set(run: Run, w3: Web3) -> None:
    start = int(w3.eth.get_block("latest")["timestamp"])
    doc = out_json(run("chain", "time", "--advance", "30d", "--json"))
    assert doc["timestamp"] == int(w3.eth.get_block("latest")["timestamp"]) >= start + 30 * 86_400
    target = doc["timestamp"] + 2 * 86_400 + 7
    iso = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(target))
    doc = out_json(run("chain", "time", "--set", iso, "--json"))
    assert doc["timestamp"] == target == int(w3.eth.get_block("latest")["timestamp"])
    assert doc["time"] == iso
    past = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(target - 86_400))
    assert "only moves forward" in run("chain", "time", "--set", past, expect=2).stderr
    assert "is not a duration" in run("chain", "time", "--advance", "soon", expect=2).stderr
    assert "time zone" in run("chain", "time", "--set", "2030-01-01T00:00:00", expect=2).stderr


def test_two_senders_of_one_key_a_nonce_race_is_one_line(w3: Web3) -> None:
    key = dev_accounts()[12]
    mine = Sender(w3, key)  # this process counted its nonce ...
    nonce = mine.next_nonce
    other = {  # ... then "another process" sends from the same key with that nonce
        "to": dev_accounts()[0].address, "value": 1, "gas": 21_000, "gasPrice": w3.eth.gas_price * 2,
        "nonce": nonce, "chainId": w3.eth.chain_id,
    }  # fmt: skip
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(key.sign_transaction(other).raw_transaction))
    # Anvil refuses the stale nonce at once; Ganache 7.9 takes (and mines) that one and refuses
    # the next: either way the race surfaces as one line, and the counter is resynced
    errors: list[NonceError] = []
    for value in (2, 3):
        try:
            mine.send(TxRequest(dev_accounts()[0].address, value=value))
        except NonceError as exc:
            errors.append(exc)
            break
    assert errors, "the nonce race went unnoticed"
    message = str(errors[0])
    assert "another process is sending from the same key" in message
    assert "\n" not in message and "stack" not in message and "{" not in message
    assert mine.next_nonce == w3.eth.get_transaction_count(key.address, "pending")  # resynced
    assert mine.send(TxRequest(dev_accounts()[0].address, value=4)).status == 1


def test_a_node_error_dict_becomes_its_message_without_the_js_stack(w3: Web3) -> None:
    sender = Sender(w3, dev_accounts()[13])
    ganache = ValueError({
        "message": "insufficient funds for gas * price + value",
        "stack": "Error: insufficient funds\n    at TransactionPool.prepareTransaction (/x/ganache/1.js:2:131154)",
        "code": -32003,
    })  # fmt: skip
    error = sender._as_error(ganache, TxRequest(None, label="deploy Membership"), "broadcast")
    assert isinstance(error, TransactionError) and "cannot pay the gas" in str(error)
    other = sender._as_error(ValueError({"message": "boom\nline two", "stack": "Error: at x.js"}),
                             TxRequest(None), "broadcast")  # fmt: skip
    assert "boom" in str(other) and "x.js" not in str(other) and "\n" not in str(other)


def test_a_dead_local_chain_restarts_on_its_recorded_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "auto"
    monkeypatch.setenv("TIERCHAIN_HOME", str(home))
    monkeypatch.delenv("TIERCHAIN_RPC", raising=False)
    runner = CliRunner()
    port = free_port()
    started = runner.invoke(main, ["chain", "start", "--port", str(port), "--json"])
    assert started.exit_code == 0, started.output
    state = home / "chain-ganache"
    first = chain_status(state)
    assert first is not None and first.port == port
    try:
        os.kill(first.pid, signal.SIGKILL)  # the chain dies (no clean stop)
        deadline = time.monotonic() + 10
        while chain_status(state) is not None and time.monotonic() < deadline:
            time.sleep(0.1)
        result = runner.invoke(main, ["status", "--json"])  # a plain command, no --rpc
        assert result.exit_code == 0, result.output
        again = chain_status(state)
        assert again is not None and again.pid != first.pid and again.port == port
        assert f"127.0.0.1:{port}" in result.output
        # and after a clean stop, `chain start` without --port takes the recorded one too
        runner.invoke(main, ["chain", "stop"])
        restarted = runner.invoke(main, ["chain", "start", "--json"])
        assert restarted.exit_code == 0 and f'"port": {port}' in restarted.output
    finally:
        runner.invoke(main, ["chain", "stop"])
    assert chain_status(state) is None
