"""The demo story end to end on the test chain, with its money checked to the cent."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from tierchain.clients.bundle import Contracts
from tierchain.core.money import discount_price
from tierchain.workflows.demo import run_demo
from tierchain.workflows.journal import Journal


def test_demo_runs_the_whole_story(w3, keys, tmp_path: Path) -> None:
    out = io.StringIO()
    result = run_demo(w3, keys, Console(file=out, width=120), home=tmp_path, invoice_count=300,
                      report_dir=tmp_path / "report")  # fmt: skip
    c = Contracts.at(w3, result.deployment)
    pid_a, pid_b = result.payables["A"], result.payables["B"]
    face_a, face_b = result.faces[pid_a], result.faces[pid_b]
    assert face_a + face_b == c.registry.package_of(result.package_root).total_cents

    # A: paid in full, every piece claimed its exact value and was burned
    a = result.settlement[pid_a]
    assert a["state"] == "paid" and a["paid_cents"] == face_a
    assert sum(m.cents for m in result.moves if m.kind == "claim" and m.payable_id == pid_a) == face_a
    assert not any(p.live for p in c.token.pieces_of_payable(pid_a))

    # B: 20 % from the debtor + 50 % from the guarantor, overdue, claims never above payments in
    b = result.settlement[pid_b]
    assert b["state"] == "overdue" and b["overdue"]
    assert b["guarantor_paid_cents"] == face_b // 2 and b["guarantor_repaid_cents"] == face_b // 4
    assert b["paid_cents"] == face_b // 5 + face_b // 2
    claimed_b = sum(m.cents for m in result.moves if m.kind == "claim" and m.payable_id == pid_b)
    assert claimed_b <= b["paid_cents"]
    live_b = [p for p in c.token.pieces_of_payable(pid_b) if p.live]
    assert sum(p.value for p in live_b) == face_b

    # financing: the rate offer paid exactly the Decimal model's price; recourse brought the
    # factoring company's piece back to the seller, which paid the uncovered part
    bank_deal, factor_deal = result.financings
    assert bank_deal["price_cents"] == bank_deal["expected_price_cents"]
    assert bank_deal["price_cents"] == discount_price(bank_deal["value_cents"], 600,
                                                      bank_deal["seconds_left"])  # fmt: skip
    assert factor_deal["recourse"] and not bank_deal["recourse"]
    recourse = [m for m in result.moves if m.kind == "recourse"]
    assert len(recourse) == 1 and recourse[0].payer == "tier-2 supplier B"
    returned = [p for p in live_b if p.token_id == recourse[0].token_id]
    assert returned and result.names[returned[0].owner] == "tier-2 supplier B"

    # every cent is accounted for: what left the parties is in escrow or with other parties
    escrow = c.currency.balance_of(result.deployment.settlement) // 10 ** (c.currency.decimals() - 2)
    assert sum(result.balances_before.values()) == sum(result.balances_after.values()) + escrow
    assert escrow == b["paid_cents"] - claimed_b

    # the refused dust split and the written report
    assert "PayableBelowMinimum" in result.rejected
    text = out.getvalue()
    assert "tier-3 workshop A1" in text and "provenance of payable" in text and "overdue" in text
    names = {f.name for f in result.report_files}
    assert names == {"report.json", "provenance-A.svg", "provenance-B.svg", "positions.csv", "ledger.csv"}
    doc = json.loads((tmp_path / "report" / "report.json").read_text())
    assert doc["payables"]["A"]["state"] == "paid" and len(doc["financings"]) == 2
    assert (tmp_path / "report" / "provenance-A.svg").read_text().lstrip().startswith(("<svg", "<?xml"))
    assert (tmp_path / "deployments" / f"{w3.eth.chain_id}.json").is_file()


# ---------------------------------------------------------------------------- the demo as a workflow

SRC = Path(__file__).resolve().parents[2] / "src"


def _demo(home: Path, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TIERCHAIN_HOME": str(home), "PYTHONPATH": str(SRC)}
    env.pop("TIERCHAIN_CRASH_AT", None)
    if crash_at:
        env["TIERCHAIN_CRASH_AT"] = crash_at
    return subprocess.run(
        [sys.executable, "-m", "tierchain.cli.main", "demo", "--chain", "anvil", "--invoices", "200", "--json"],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def _story(report: dict[str, Any]) -> dict[str, Any]:
    """What a report says happened, without what differs between chains (hashes, blocks, times,
    addresses) and without the one amount that depends on the wall clock: the bank's rate offer is
    priced for the seconds left at the block of its take, so its price (and the bank's and the
    workshop's balances) moves by a few cents between any two runs; its consistency is checked
    on its own (:func:`_rate_offer_consistent`)."""
    timed = {"bank", "tier-3 workshop A1"}

    def cents(m: dict[str, Any]) -> Any:
        return None if m["kind"] == "financing price" and m["payer"] == "bank" else m["cents"]

    return {
        "payables": {k: {f: v for f, v in p.items() if f != "overdue_at"} for k, p in report["payables"].items()},
        "ledger": [(m["step"], m["kind"], m["piece"], m["payer"], m["payee"], cents(m)) for m in report["ledger"]],
        "balances": {
            when: {n: v for n, v in b.items() if n not in timed} for when, b in report["balances_cents"].items()
        },
        "pieces": [(p["piece"], p["holder"], p["value_cents"], p["live"]) for p in report["pieces"]],
        "financings": [
            {k: v for k, v in f.items() if k not in ("seconds_left", "price_cents", "expected_price_cents")}
            for f in report["financings"]
        ],
        "refused": report["refused"],
    }


def _rate_offer_consistent(report: dict[str, Any]) -> bool:
    bank = report["financings"][0]
    return bool(bank["price_cents"] == discount_price(bank["value_cents"], 600, bank["seconds_left"]))


@pytest.mark.slow
def test_make_demo_twice_leaves_the_last_runs_report(tmp_path: Path) -> None:
    first = _demo(tmp_path)
    assert first.returncode == 0, first.stderr[-2000:]
    report_path = tmp_path / "demo-report" / "report.json"
    first_report = json.loads(report_path.read_text())
    second = _demo(tmp_path)
    assert second.returncode == 0, second.stderr[-2000:]
    assert "resuming" not in second.stderr  # the first run finished: a fresh chain, a fresh story
    second_report = json.loads(report_path.read_text())
    out = json.loads(second.stdout)
    assert str(Path(out["report_files"][0]).resolve()) == str(report_path.resolve())
    assert second_report != first_report  # written again (the index's events per second differ at least)
    assert _story(second_report) == _story(first_report)
    assert not list(tmp_path.glob(".demo-report.*"))  # no half-built or old report left beside it


@pytest.mark.slow
@pytest.mark.parametrize(
    ("where", "phase"),
    [("first", "after_sign"), ("issue", "after_broadcast"), ("last value", "before_sign"), ("last", "after_receipt")],
)
def test_demo_killed_then_rerun_resumes_to_the_same_report(tmp_path: Path, where: str, phase: str) -> None:
    reference = _demo(tmp_path / "reference")
    assert reference.returncode == 0, reference.stderr[-2000:]
    expected = _story(json.loads((tmp_path / "reference" / "demo-report" / "report.json").read_text()))
    steps = Journal(tmp_path / "reference" / "demo-anvil" / "journal" / "journal.sqlite").steps("demo")
    txs = [s.name for s in steps if s.tx_hash]
    step = {
        "first": txs[0],
        "issue": next(n for n in txs if n.endswith(" issue")),
        "last value": [s.name for s in steps if not s.tx_hash][-1],
        "last": txs[-1],
    }[where]
    home = tmp_path / "killed"
    killed = _demo(home, f"{step}:{phase}")
    if killed.returncode != -signal.SIGKILL:
        pytest.fail(f"no kill at {step}:{phase}: {killed.returncode} {killed.stderr[-1500:]}")
    assert not (home / "demo-report" / "report.json").exists()
    resumed = _demo(home)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "resuming" in resumed.stderr
    resumed_report = json.loads((home / "demo-report" / "report.json").read_text())
    assert _story(resumed_report) == expected
    assert _rate_offer_consistent(resumed_report)
    sent = Journal(home / "demo-anvil" / "journal" / "journal.sqlite").steps("demo")
    assert [s.name for s in sent] == [s.name for s in steps]  # the same story, step for step
    assert all(s.status == "done" for s in sent)


def test_run_demo_twice_with_one_journal_tells_two_stories(w3, keys, tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.sqlite")
    first = run_demo(w3, keys, Console(file=io.StringIO()), home=tmp_path, invoice_count=50, journal=journal)
    second = run_demo(w3, keys, Console(file=io.StringIO()), home=tmp_path, invoice_count=50, journal=journal)
    assert first.deployment.token != second.deployment.token  # a finished demo is not replayed
    assert [w.workflow_id for w in journal.workflows()] == ["demo", "demo-2"]
    assert all(w.status == "done" for w in journal.workflows())
