"""The admin hand-over to a contract account (a test multisig) and the calldata the CLI prints
for such an admin to execute (issue 15, item 4)."""

from __future__ import annotations

from typing import Any

import pytest
from web3 import Web3

from tests.python.cli.conftest import OUTSIDER, Run, out_json


def _read(w3: Web3, to: str, signature: str, *types: str, args: bytes = b"") -> Any:
    from eth_abi.abi import decode

    raw = w3.eth.call({"to": to, "data": bytes(Web3.keccak(text=signature)[:4]) + args})
    return decode(list(types), bytes(raw))[0]


@pytest.fixture
def multisig(accounts: Any) -> Any:
    from brownie import TestMultisig

    return TestMultisig.deploy([accounts[10], accounts[11], accounts[12]], 2, {"from": accounts[10]})


def _execute(multisig: Any, accounts: Any, call: dict[str, str]) -> None:
    """Two of three owners approve the printed call; the second confirmation executes it."""
    tx = multisig.propose(call["to"], int(call["value"]), call["data"], {"from": accounts[10]})
    proposal = tx.return_value
    multisig.confirm(proposal, {"from": accounts[11]})
    assert multisig.executed(proposal)


def test_two_step_hand_over_to_a_multisig_then_admin_actions_by_calldata(
    run: Run, w3: Web3, lib, multisig: Any, accounts: Any, addr
) -> None:
    d = lib.deployment
    ms = multisig.address
    # step 1, by the current (key) admin
    run("admin", "transfer", ms, "--dev-account", 0)
    status = out_json(run("admin", "status", "--json"))
    assert status["admin"] == addr(0) and status["pending_admin"] == ms
    # step 2, by the multisig: the CLI prints what it must execute, simulated as the multisig
    block = w3.eth.block_number
    call = out_json(run("admin", "accept", "--calldata-only", "--json"))
    assert w3.eth.block_number == block  # printing sent nothing
    assert call["to"] == d.membership and call["data"] == "0x" + Web3.keccak(text="acceptAdmin()")[:4].hex()
    assert call["simulation"] == "ok" and call["simulated_from"] == ms
    _execute(multisig, accounts, call)
    status = out_json(run("admin", "status", "--json"))
    assert status["admin"] == ms and status["admin_is_contract"] and status["pending_admin"] is None

    # the old key is no longer the admin: refused before signing
    assert "only the admin" in run("admin", "transfer", addr(0), "--dev-account", 0, expect=2).stderr

    # any admin action as calldata for the multisig, checked against the deployment's ABI
    desk = d.desk
    word = bytes(12) + bytes.fromhex(desk[2:])
    assert _read(w3, d.relay, "isTargetAllowed(address)", "bool", args=word)
    deny = out_json(run("admin", "calldata", "relay", "setTargetAllowed(address,bool)", desk, "false", "--json"))
    assert deny["to"] == d.relay and deny["simulation"] == "ok" and deny["simulated_from"] == ms
    _execute(multisig, accounts, deny)
    assert not _read(w3, d.relay, "isTargetAllowed(address)", "bool", args=word)
    # a call the contract refuses is shown as its decoded revert, before anyone approves it
    eoa = out_json(run("admin", "calldata", "relay", "setTargetAllowed(address,bool)", addr(OUTSIDER), "true",
                       "--json"))  # fmt: skip
    assert eoa["simulation"].startswith("reverts: RelayNotTrustedForwarder")

    pause = out_json(run("admin", "calldata", "settlement", "setSettlementPaused(bool)", "true", "--json"))
    assert pause["to"] == d.settlement and pause["simulation"] == "ok"
    _execute(multisig, accounts, pause)
    assert _read(w3, d.settlement, "settlementPaused()", "bool")

    # and the hand-over back, printed for the multisig, accepted by the key
    back = out_json(run("admin", "transfer", addr(0), "--calldata-only", "--json"))
    _execute(multisig, accounts, back)
    run("admin", "accept", "--dev-account", 0)
    assert out_json(run("admin", "status", "--json"))["admin"] == addr(0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["relay", "noSuchFunction(address)", "0x" + "11" * 20], "has no function"),
        (["relay", "setTargetAllowed(address,bool)", "0x" + "11" * 20], "takes 2 argument(s), 1 given"),
        (["relay", "setTargetAllowed(address,bool)", "0x" + "11" * 20, "maybe"], "is not true or false"),
        (["relay", "setTargetAllowed(address bool", "x"], "is not a function signature"),
    ],
)
def test_calldata_input_checks(run: Run, args: list[str], message: str) -> None:
    assert message in run("admin", "calldata", *args, expect=2).stderr


def test_accept_without_pending_hand_over(run: Run) -> None:
    assert "no admin hand-over is pending" in run("admin", "accept", "--calldata-only", expect=2).stderr
