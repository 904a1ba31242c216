"""The three example scripts in scripts/, each run as a user would (a subprocess on the test
chain with its own TIERCHAIN_HOME), then run again: the second run sends nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.core.money import discount_price

ROOT = Path(__file__).resolve().parents[2]
OPERATOR, CORE, TIER1, TIER2, BANK = 1, 2, 3, 4, 9
DAY = 86_400


@pytest.fixture
def home(tmp_path: Path, lib_home: Path, lib_deployment: Any) -> Path:
    shutil.copytree(lib_home / "deployments", tmp_path / "deployments")
    return tmp_path


def run_script(name: str, home: Path, rpc_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIERCHAIN_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    env.pop("TIERCHAIN_CRASH_AT", None)
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), "--rpc", rpc_url, *args],
        env=env, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc


def issue(w3: Web3, lib: Contracts, keys: list[Any], face: int, days: int) -> tuple[int, int]:
    core, tier1 = Sender(w3, keys[CORE], timeout=30), Sender(w3, keys[TIER1], timeout=30)
    root = os.urandom(32)
    lib.registry.register_package(core, root, 1, face, tier1.address, os.urandom(32))
    maturity = int(w3.eth.get_block("latest")["timestamp"]) + days * DAY
    payable_id, first = lib.token.issue(core, tier1.address, face, lib.currency.address, maturity, root, os.urandom(32))
    lib.token.accept(tier1, payable_id)
    return payable_id, first


def test_month_end_payout_script(w3: Web3, lib: Contracts, keys: list[Any], home: Path, rpc_url: str) -> None:
    payable_id, _ = issue(w3, lib, keys, 50_000_00, 60)
    rows = [(keys[k].address, f"{1_000 + k}.50", f"NOV-{k}") for k in (4, 5, 6, 7, 8)]
    csv_path = home / "payouts-2026-11.csv"
    csv_path.write_text("receiver,amount,reference\n" + "".join(f"{a},{v},{r}\n" for a, v, r in rows))
    args = ("--piece", f"P{payable_id}#1", "--csv", str(csv_path), "--dev-account", str(TIER1), "--id", "nov")
    out = run_script("month_end_payout.py", home, rpc_url, *args)
    assert "paid 5 suppliers 5,032.50" in out.stdout  # 1,004.50 + ... + 1,008.50
    result = (home / "payouts-2026-11.result.csv").read_text().splitlines()
    assert len(result) == 6
    for line, (address, value, reference) in zip(result[1:], rows, strict=True):
        receiver, amount, ref, _piece, token_id, _tx = line.split(",")
        assert (receiver, amount, ref) == (address, value, reference)
        piece = lib.token.piece_of(int(token_id))
        assert piece.owner == address and piece.value == int(value.replace(".", ""))
    nonce = w3.eth.get_transaction_count(keys[TIER1].address)
    run_script("month_end_payout.py", home, rpc_url, *args)  # again: the job is done, nothing is sent
    assert w3.eth.get_transaction_count(keys[TIER1].address) == nonce
    assert lib.token.payable_of(payable_id).piece_count == 6


def test_finance_supplier_script(w3: Web3, lib: Contracts, keys: list[Any], home: Path, rpc_url: str) -> None:
    _, near = issue(w3, lib, keys, 20_000_00, 10)
    _, far = issue(w3, lib, keys, 30_000_00, 90)
    tier1 = Sender(w3, keys[TIER1], timeout=30)
    far_piece = lib.token.split(tier1, far, keys[TIER2].address, 12_000_00)
    near_piece = lib.token.split(tier1, near, keys[TIER2].address, 5_000_00)
    lib.currency.mint(Sender(w3, keys[OPERATOR], timeout=30), keys[BANK].address, 10**12)
    before = lib.currency.balance_of(keys[TIER2].address)
    args = ("--supplier-dev-account", str(TIER2), "--bank-dev-account", str(BANK), "--rate-bps", "600",
            "--min-days", "30", "--id", "fin")  # fmt: skip
    out = run_script("finance_supplier.py", home, rpc_url, *args)
    assert "financed 1 pieces" in out.stdout
    assert lib.token.piece_of(far_piece).owner == keys[BANK].address
    assert lib.token.piece_of(near_piece).owner == keys[TIER2].address  # matures too soon
    financing = lib.desk.financing_of(far_piece)
    assert financing is not None
    paid = lib.currency.balance_of(keys[TIER2].address) - before
    assert paid == financing.price > 0
    nonce = w3.eth.get_transaction_count(keys[TIER2].address)
    run_script("finance_supplier.py", home, rpc_url, *args)
    assert w3.eth.get_transaction_count(keys[TIER2].address) == nonce
    assert lib.currency.balance_of(keys[TIER2].address) - before == paid
    assert paid <= 12_000_00 and paid >= discount_price(12_000_00, 600, 90 * DAY)


def test_maturity_day_script(w3: Web3, lib: Contracts, keys: list[Any], home: Path, rpc_url: str) -> None:
    payable_id, first = issue(w3, lib, keys, 9_000_00, 30)
    tier1 = Sender(w3, keys[TIER1], timeout=30)
    for k in (4, 5):
        lib.token.split(tier1, first, keys[k].address, 3_000_00)
    lib.currency.mint(Sender(w3, keys[OPERATOR], timeout=30), keys[CORE].address, 9_000_00)
    w3.provider.make_request("evm_mine", [(first >> 96) + 1])  # type: ignore[arg-type]
    balances = [lib.currency.balance_of(keys[k].address) for k in (TIER1, 4, 5)]
    report = home / "maturity.json"
    args = ("--payable", str(payable_id), "--debtor-dev-account", str(CORE), "--operator-dev-account",
            str(OPERATOR), "--report", str(report), "--id", "maturity")  # fmt: skip
    run_script("maturity_day.py", home, rpc_url, *args)
    doc = json.loads(report.read_text())
    assert doc["state"] == "paid" and doc["claimed_cents"] == "900000" and not doc["skipped"]
    after = [lib.currency.balance_of(keys[k].address) for k in (TIER1, 4, 5)]
    assert [a - b for a, b in zip(after, balances, strict=True)] == [3_000_00] * 3
    nonce = w3.eth.get_transaction_count(keys[CORE].address)
    run_script("maturity_day.py", home, rpc_url, *args)
    assert w3.eth.get_transaction_count(keys[CORE].address) == nonce
    assert json.loads(report.read_text())["claimed_cents"] == "900000"
