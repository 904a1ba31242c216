"""Batch workflows on the library: the Script journal API, claim-all (kill at every step, then
resume: each piece paid exactly once) and the payout file checks."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.core.errors import ContractRevert
from tierchain.core.ids import Role
from tierchain.workflows.claims import claim_all
from tierchain.workflows.journal import PHASES, Journal, JournalError, Script
from tierchain.workflows.payout import PayoutRejected, check_against_chain, payout, read_rows

SRC = Path(__file__).resolve().parents[2] / "src"
OPERATOR, CORE, TIER1 = 1, 2, 3
HOLDERS = (4, 5, 6, 7)
PIECE = 1_000_00


@pytest.fixture
def home(tmp_path: Path, lib_home: Path, lib_deployment: Any) -> Path:
    shutil.copytree(lib_home / "deployments", tmp_path / "deployments")
    return tmp_path


def matured_payable(w3: Web3, lib: Contracts, keys: list[Any], paid: bool = True) -> tuple[int, list[int]]:
    """A payable split into 5 pieces (tier-1 keeps the first, HOLDERS one each), paid in full,
    at maturity."""
    core, tier1 = Sender(w3, keys[CORE], timeout=30), Sender(w3, keys[TIER1], timeout=30)
    operator = Sender(w3, keys[OPERATOR], timeout=30)
    face = PIECE * (len(HOLDERS) + 1)
    root = os.urandom(32)
    lib.registry.register_package(core, root, 1, face, tier1.address, os.urandom(32))
    maturity = int(w3.eth.get_block("latest")["timestamp"]) + 30 * 86_400
    payable_id, first = lib.token.issue(core, tier1.address, face, lib.currency.address, maturity, root, os.urandom(32))
    lib.token.accept(tier1, payable_id)
    ids = [first] + [lib.token.split(tier1, first, keys[i].address, PIECE) for i in HOLDERS]
    if paid:
        lib.currency.mint(operator, core.address, face)
        lib.settlement.approve(core, lib.currency.address)
        lib.settlement.pay(core, payable_id, face)
    w3.provider.make_request("evm_mine", [maturity])  # type: ignore[arg-type]
    return payable_id, ids


# ---------------------------------------------------------------------------- Script


def test_script_rerun_skips_done_steps_and_returns_the_same_outputs(
    w3: Web3, lib: Contracts, keys: list[Any], home: Path
) -> None:
    journal = Journal(home / "j.sqlite")
    operator = Sender(w3, keys[OPERATOR], timeout=30)
    target = keys[8].address
    calls = []

    def job() -> tuple[Any, Any]:
        with Script.open("mint-twice", w3, journal=journal, params={"to": target}) as wf:
            amount = wf.remember("amount", lambda: calls.append(1) or 7_00)
            first = wf.send("mint-1", operator, lambda: lib.currency.request("mint(address,uint256)", target, amount),
                            output=lambda r: r.block_number)  # fmt: skip
            wf.send("mint-2", operator, lib.currency.request("mint(address,uint256)", target, amount))
            return amount, first

    before = lib.currency.balance_of(target)
    nonce = w3.eth.get_transaction_count(operator.address)
    assert job() == job() == (7_00, job()[1])
    assert calls == [1]  # remembered once
    assert lib.currency.balance_of(target) - before == 14_00  # two mints, not six
    assert w3.eth.get_transaction_count(operator.address) - nonce == 2
    assert journal.workflow("mint-twice").status == "done"
    with pytest.raises(JournalError, match="other parameters"):
        Script.open("mint-twice", w3, journal=journal, params={"to": keys[9].address})
    with (
        pytest.raises(JournalError, match="script changed"),
        Script.open("mint-twice", w3, journal=journal, params={"to": target}) as wf,
    ):
        wf.remember("something else", lambda: 1)


def test_journaled_sender_makes_library_code_resumable(w3: Web3, lib: Contracts, keys: list[Any], home: Path) -> None:
    journal = Journal(home / "j.sqlite")
    operator = Sender(w3, keys[OPERATOR], timeout=30)
    target = keys[8].address
    before = lib.currency.balance_of(target)
    for _ in range(2):
        with Script.open("journaled-sender", w3, journal=journal) as wf:
            by = wf.journaled(operator)
            lib.currency.mint(by, target, 1_00)
            lib.currency.mint(by, target, 2_00)
            with pytest.raises(ContractRevert):  # refused by the simulation: takes no step
                lib.token.merge(by, 1, 2)
            lib.currency.mint(by, target, 3_00)
    assert lib.currency.balance_of(target) - before == 6_00
    names = [s.name for s in journal.steps("journaled-sender")]
    assert [n[:4] for n in names] == ["001 ", "002 ", "004 "]  # the refused merge took no step
    assert len(journal.steps("journaled-sender")) == 3


# ---------------------------------------------------------------------------- claim-all


def test_claim_all_pays_every_piece_once_and_reports_skips(
    w3: Web3, lib: Contracts, keys: list[Any], home: Path
) -> None:
    payable_id, ids = matured_payable(w3, lib, keys)
    operator = Sender(w3, keys[OPERATOR], timeout=30)
    regulator = Sender(w3, keys[12], timeout=30)
    if not lib.membership.member_of(regulator.address).roles:
        lib.membership.admit(Sender(w3, keys[0]), regulator.address, Role.REGULATOR, os.urandom(32))
    lib.token._send(regulator, "freezePiece(uint256,bytes32)", ids[2], os.urandom(32))
    journal = Journal(home / "j.sqlite")
    balances = [lib.currency.balance_of(keys[i].address) for i in (TIER1, *HOLDERS)]
    result = claim_all(lib, operator, payable_id, journal=journal, chunk_size=2, workflow_id="claims")
    assert result.chunks == 3 and result.cents == 4 * PIECE
    assert [p["token_id"] for p in result.paid] == [str(t) for t in ids if t != ids[2]]
    assert [(s["token_id"], s["reason"]) for s in result.skipped] == [(str(ids[2]), "PayablePieceFrozen")]
    after = [lib.currency.balance_of(keys[i].address) for i in (TIER1, *HOLDERS)]
    assert [a - b for a, b in zip(after, balances, strict=True)] == [PIECE, PIECE, 0, PIECE, PIECE]
    nonce = w3.eth.get_transaction_count(operator.address)
    again = claim_all(lib, operator, payable_id, journal=journal, chunk_size=2, workflow_id="claims")
    assert again.paid == result.paid and again.skipped == result.skipped
    assert w3.eth.get_transaction_count(operator.address) == nonce  # nothing sent again


def run_cli_killed(rpc_url: str, home: Path, args: list[str], crash_at: str) -> None:
    env = {**os.environ, "TIERCHAIN_HOME": str(home), "TIERCHAIN_CRASH_AT": crash_at, "PYTHONPATH": str(SRC)}
    proc = subprocess.run(
        [sys.executable, "-m", "tierchain.cli.main", "--rpc", rpc_url, *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL, (proc.returncode, proc.stdout, proc.stderr)


@pytest.mark.slow
@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("step", ["claim-0", "claim-1", "claim-2"])
def test_claim_all_killed_at_every_step_then_rerun_pays_each_piece_once(
    step: str, phase: str, w3: Web3, lib: Contracts, keys: list[Any], home: Path, rpc_url: str
) -> None:
    payable_id, _ids = matured_payable(w3, lib, keys)
    operator = Sender(w3, keys[OPERATOR], timeout=30)
    holders = [keys[i].address for i in (TIER1, *HOLDERS)]
    balances = [lib.currency.balance_of(a) for a in holders]
    escrow = lib.currency.balance_of(lib.settlement.address)
    nonce, first_block = w3.eth.get_transaction_count(operator.address), w3.eth.block_number + 1
    wid = f"claim-kill-{step}-{phase}"
    args = ["settlement", "claim-all", f"P{payable_id}", "--dev-account", str(OPERATOR), "--chunk", "2", "--id", wid]
    run_cli_killed(rpc_url, home, args, f"{step}:{phase}")

    journal = Journal(home / "journal" / "journal.sqlite")
    signed_before = {s.name: s.tx_hash for s in journal.steps(wid) if s.tx_hash}
    operator = Sender(w3, keys[OPERATOR], timeout=30)  # a fresh process's view of the nonce
    result = claim_all(lib, operator, payable_id, journal=journal, workflow_id=wid, chunk_size=2)

    assert result.cents == 5 * PIECE and not result.skipped
    assert [a - b for a, b in zip([lib.currency.balance_of(a) for a in holders], balances, strict=True)] == [PIECE] * 5
    assert escrow - lib.currency.balance_of(lib.settlement.address) == 5 * PIECE
    assert not any(p.live for p in lib.token.pieces_of_payable(payable_id))
    steps = [s for s in journal.steps(wid) if s.tx_hash]
    assert [s.name for s in steps] == ["claim-0", "claim-1", "claim-2"]
    assert all(signed_before[n] == s.tx_hash for s in steps for n in signed_before if n == s.name)
    assert w3.eth.get_transaction_count(operator.address) - nonce == 3
    mined = [
        "0x" + bytes(tx["hash"]).hex()
        for number in range(first_block, w3.eth.block_number + 1)
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]
        if tx["from"] == operator.address
    ]
    assert sorted(mined) == sorted(s.tx_hash for s in steps)


# ---------------------------------------------------------------------------- payout checks


def test_payout_file_refused_whole_with_every_bad_row(w3: Web3, lib: Contracts, keys: list[Any]) -> None:
    good = keys[4].address
    text = "\n".join([
        "receiver,amount,reference",
        f"{good},100.00,INV-1",
        f"{good.lower()},50,INV-2",
        f"{good[:-1] + ('A' if good[-1] != 'A' else 'B')},10.00,INV-3",  # mistyped: bad checksum
        "0x1234,10.00,INV-4",
        f"{good},10.001,INV-5",
        f"{good},-5,INV-6",
        f"{good},10.00,INV-1",
        f"{good},10.00,",
        f"{good},10.00",
    ])  # fmt: skip
    rows, problems = read_rows(text)
    assert [r.line for r in rows] == [2, 3]
    by_line = {p.line: p.problem for p in problems}
    assert sorted(by_line) == [4, 5, 6, 7, 8, 9, 10]
    assert "checksum" in by_line[4] and "not an address" in by_line[5]
    assert "decimals" in by_line[6] and "plain decimal" in by_line[7]
    assert "repeats line 2" in by_line[8] and "empty" in by_line[9] and "3 cells" in by_line[10]
    assert "refused, nothing was signed (7 problem(s))" in str(PayoutRejected("payouts.csv", problems))
    _, header_problem = read_rows("to,value\n")
    assert header_problem[0].line == 1


def test_payout_checked_against_the_chain(w3: Web3, lib: Contracts, keys: list[Any]) -> None:
    _payable_id, ids = matured_payable(w3, lib, keys, paid=False)
    piece = lib.token.piece_of(ids[0])
    rows, _ = read_rows(
        "receiver,amount,reference\n"
        f"{keys[4].address},0.50,A\n"  # below the minimum piece
        f"{keys[15].address},10.00,B\n"  # not a member
        f"{keys[5].address},{PIECE // 100 + 1}.00,C\n"
    )
    found = check_against_chain(lib, piece, keys[OPERATOR].address, rows)
    by_line = {p.line: p.problem for p in found if p.line}
    assert "below the minimum piece" in by_line[2]
    assert "not a member" in by_line[3]
    file_level = [p.problem for p in found if p.line == 0]
    assert any("not the signer" in p for p in file_level)
    assert any("more than the piece's value" in p for p in file_level)
    assert any("matured" in p for p in file_level)


# ---------------------------------------------------------------------------- payout on chain

RECEIVERS = (4, 5, 6, 7, 8, 9, 4)


def payout_csv(keys: list[Any]) -> str:
    lines = ["receiver,amount,reference"]
    lines += [f"{keys[k].address},{100 + n}.25,INV-{n}" for n, k in enumerate(RECEIVERS)]
    return "\n".join(lines) + "\n"


def fresh_piece(w3: Web3, lib: Contracts, keys: list[Any]) -> int:
    core, tier1 = Sender(w3, keys[CORE], timeout=30), Sender(w3, keys[TIER1], timeout=30)
    face = 10_000_00
    root = os.urandom(32)
    lib.registry.register_package(core, root, 1, face, tier1.address, os.urandom(32))
    maturity = int(w3.eth.get_block("latest")["timestamp"]) + 60 * 86_400
    payable_id, first = lib.token.issue(core, tier1.address, face, lib.currency.address, maturity, root, os.urandom(32))
    lib.token.accept(tier1, payable_id)
    return first


def assert_paid_once(lib: Contracts, keys: list[Any], first: int, new_ids: list[int]) -> None:
    assert len(new_ids) == len(set(new_ids)) == len(RECEIVERS)
    for n, (k, token_id) in enumerate(zip(RECEIVERS, new_ids, strict=True)):
        piece = lib.token.piece_of(token_id)
        assert (piece.owner, piece.value, piece.parent_token_id) == (keys[k].address, (100 + n) * 100 + 25, first)
    info = lib.token.payable_of(lib.token.piece_of(first).payable_id)
    assert info.piece_count == 1 + len(RECEIVERS)  # no piece minted twice
    assert lib.token.piece_of(first).value == 10_000_00 - sum((100 + n) * 100 + 25 for n in range(len(RECEIVERS)))


def test_payout_pays_every_row_in_chunks_and_writes_the_result(
    w3: Web3, lib: Contracts, keys: list[Any], home: Path
) -> None:
    first = fresh_piece(w3, lib, keys)
    tier1 = Sender(w3, keys[TIER1], timeout=30)
    journal = Journal(home / "j.sqlite")
    out = home / "result.csv"
    result = payout(lib, tier1, first, payout_csv(keys), journal=journal, chunk_size=3, result_csv=out)
    assert result.chunks == 3
    assert_paid_once(lib, keys, first, result.new_token_ids)
    lines = out.read_text().splitlines()
    assert lines[0] == "receiver,amount,reference,piece,token_id,tx_hash"
    assert lines[1].startswith(f"{keys[4].address},100.25,INV-0,P") and str(result.new_token_ids[0]) in lines[1]
    nonce = w3.eth.get_transaction_count(tier1.address)
    again = payout(lib, tier1, first, payout_csv(keys), journal=journal, chunk_size=3, result_csv=out)
    assert again.new_token_ids == result.new_token_ids
    assert w3.eth.get_transaction_count(tier1.address) == nonce  # nothing signed again
    with pytest.raises(PayoutRejected, match="refused, nothing was signed"):  # a changed file, same piece
        payout(lib, tier1, first, payout_csv(keys).replace("INV-3", "INV-3b").replace("103.25", "99999.00"),
               journal=journal)  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("phase", PHASES)
@pytest.mark.parametrize("step", ["chunk-0", "chunk-1", "chunk-2"])
def test_payout_killed_at_every_step_then_rerun_pays_each_row_once(
    step: str, phase: str, w3: Web3, lib: Contracts, keys: list[Any], home: Path, rpc_url: str
) -> None:
    first = fresh_piece(w3, lib, keys)
    csv_path = home / "payouts.csv"
    csv_path.write_text(payout_csv(keys))
    wid = f"payout-kill-{step}-{phase}"
    nonce = w3.eth.get_transaction_count(keys[TIER1].address)
    args = ["payables", "payout", str(first), "--csv", str(csv_path), "--dev-account", str(TIER1), "--chunk", "3",
            "--id", wid]  # fmt: skip
    run_cli_killed(rpc_url, home, args, f"{step}:{phase}")
    assert not (home / "payouts.result.csv").exists()

    env = {**os.environ, "TIERCHAIN_HOME": str(home), "PYTHONPATH": str(SRC)}
    env.pop("TIERCHAIN_CRASH_AT", None)
    proc = subprocess.run(
        [sys.executable, "-m", "tierchain.cli.main", "--rpc", rpc_url, "--json", *args],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    new_ids = [int(p["token_id"]) for p in doc["pieces"]]
    assert_paid_once(lib, keys, first, new_ids)
    assert w3.eth.get_transaction_count(keys[TIER1].address) - nonce == 3
    rows = (home / "payouts.result.csv").read_text().splitlines()[1:]
    assert [int(r.split(",")[4]) for r in rows] == new_ids


def test_resume_of_a_script_says_to_run_it_again(w3: Web3, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from tierchain.cli.main import main

    monkeypatch.setenv("TIERCHAIN_HOME", str(home))
    with Script.open("nightly-claims", w3, journal=Journal(home / "journal" / "journal.sqlite"), kind="claim-all"):
        pass
    result = CliRunner().invoke(main, ["resume", "nightly-claims"])
    assert result.exit_code == 2
    assert "run the same `tierchain settlement claim-all` command again" in result.output
