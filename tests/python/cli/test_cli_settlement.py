"""settlement approve|open|pay|claim (direct, relayed)|status|owed|overdue|guarantee|
guarantor-pay|repay-guarantor|recourse exercise|settle|pause|resume."""

# ruff: noqa: F811 (fixtures imported from money_fixtures are parameters here)

from __future__ import annotations

from brownie import chain

from tests.python.cli.conftest import CORE, FINANCIER, SUPPLIER, SUPPLIER2, Run, out_json
from tests.python.cli.money_fixtures import (  # noqa: F401
    DAY,
    GUARANTOR,
    OPERATOR,
    MakeOffer,
    funded,
    make_offer,
    unit,
)
from tierchain.core.ids import short_id


def _sleep_to(w3, when: int) -> None:
    now = int(w3.eth.get_block("latest")["timestamp"])
    chain.sleep(max(when - now, 0) + 1)
    chain.mine()


def _finance(run: Run, make_offer: MakeOffer, pid: int, *terms: str) -> str:
    """The financier buys 2,000.00 of the supplier's piece; returns its new piece."""
    run("financing", "approve", "--dev-account", FINANCIER)
    path, _ = make_offer(f"P{pid}#1", "--value", "2000.00", *terms)
    return str(out_json(run("financing", "take", path, "--dev-account", SUPPLIER, "--json"))["piece"])


def test_pay_and_claim_flow(run: Run, lib, w3, payable, funded, make_offer: MakeOffer, addr, unit: int) -> None:
    pid, token_id = payable
    bought = _finance(run, make_offer, pid, "--price", "1950.00")
    kept = short_id(token_id)
    run("settlement", "approve", "--dev-account", CORE)
    # bad payments, all refused before signing
    assert "only the debtor" in run("settlement", "pay", pid, "100.00", "--dev-account", SUPPLIER, expect=2).output
    assert "decimals" in run("settlement", "pay", pid, "100.001", "--dev-account", CORE, expect=2).output
    assert "more than the unpaid" in run("settlement", "pay", pid, "5000.01", "--dev-account", CORE, expect=2).output
    assert "not a plain decimal" in run("settlement", "pay", pid, "1e3", "--dev-account", CORE, expect=2).output
    doc = out_json(run("settlement", "pay", pid, "1000.00", "--dev-account", CORE, "--json"))
    assert doc["paid_cents"] == 100_000 and doc["unpaid_cents"] == 400_000
    # before maturity nothing is claimable
    assert "matures at" in run("settlement", "claim", kept, "--dev-account", SUPPLIER, expect=2).output
    _sleep_to(w3, token_id >> 96)
    owed = out_json(run("settlement", "owed", kept, "--json"))
    assert owed["owed_cents"] == 60_000  # 1,000.00 × 3,000 / 5,000
    assert "belongs to" in run("settlement", "claim", kept, "--dev-account", SUPPLIER2, expect=2).output
    before = lib.currency.balance_of(addr(SUPPLIER))
    claimed = out_json(run("settlement", "claim", kept, "--dev-account", SUPPLIER, "--json"))
    assert claimed["claimed_cents"] == 60_000
    assert lib.currency.balance_of(addr(SUPPLIER)) - before == 60_000 * unit
    assert "nothing to claim" in run("settlement", "claim", kept, "--dev-account", SUPPLIER, expect=2).output
    run("settlement", "pay", f"P{pid}", "4000.00", "--dev-account", CORE)
    status = out_json(run("settlement", "status", pid, "--json"))
    assert status["state"] == "paid" and status["unpaid_cents"] == 0 and status["paid_cents"] == FACE
    assert "fully paid" in run("settlement", "pay", pid, "0.01", "--dev-account", CORE, expect=2).output
    # the financier claims through the relay: the operator pays the gas
    gas = w3.eth.get_balance(addr(FINANCIER))
    relayed = out_json(run("settlement", "claim", bought, "--relay", "--dev-account", FINANCIER, "--json"))
    assert relayed["claimed_cents"] == 200_000 and relayed["relayed"] is True
    assert w3.eth.get_balance(addr(FINANCIER)) == gas
    rest = out_json(run("settlement", "claim", kept, "--dev-account", SUPPLIER, "--json"))
    assert rest["claimed_cents"] == 240_000  # 3,000.00 - 600.00
    assert "does not exist" in run("settlement", "claim", kept, "--dev-account", SUPPLIER, expect=20).output
    assert f"payable {pid} in settlement" in run("settlement", "status", pid).stdout


FACE = 500_000


def test_overdue_guarantee_recourse(run: Run, lib, w3, payable, funded, make_offer: MakeOffer, addr, unit: int) -> None:
    pid, token_id = payable
    bought = _finance(run, make_offer, pid, "--price", "1900.00", "--recourse")
    run("settlement", "open", pid, "--dev-account", OPERATOR)
    assert "already open" in run("settlement", "open", pid, "--dev-account", OPERATOR, expect=2).output
    # guarantee: only a guarantor, at most the face value
    assert (
        "not an active guarantor"
        in run("settlement", "guarantee", pid, "2500.00", "--dev-account", SUPPLIER, expect=2).output
    )
    assert (
        "above the face value"
        in run("settlement", "guarantee", pid, "5000.01", "--dev-account", GUARANTOR, expect=2).output
    )
    run("settlement", "guarantee", pid, "2500.00", "--dev-account", GUARANTOR)
    assert (
        "above the current limit"
        in run("settlement", "guarantee", pid, "2000.00", "--dev-account", GUARANTOR, expect=2).output
    )
    assert (
        "not overdue" in run("settlement", "guarantor-pay", pid, "100.00", "--dev-account", GUARANTOR, expect=2).output
    )
    # at maturity, unpaid: still in its grace period
    _sleep_to(w3, token_id >> 96)
    assert "grace period" in run("settlement", "overdue", pid, "--dev-account", OPERATOR, expect=2).output
    grace = out_json(run("settlement", "status", pid, "--json"))
    assert grace["state"] == "open" and grace["grace_seconds"] == 7 * DAY and grace["can_mark_overdue"] is False
    chain.sleep(7 * DAY)
    chain.mine()
    run("settlement", "overdue", pid, "--dev-account", SUPPLIER2)  # anyone may
    assert "already overdue" in run("settlement", "overdue", pid, "--dev-account", OPERATOR, expect=2).output
    assert out_json(run("settlement", "status", pid, "--json"))["state"] == "overdue"
    # the guarantor pays its limit (not more)
    run("settlement", "approve", "--dev-account", GUARANTOR)
    assert (
        "may pay now" in run("settlement", "guarantor-pay", pid, "2500.01", "--dev-account", GUARANTOR, expect=2).output
    )
    run("settlement", "guarantor-pay", pid, "2500.00", "--dev-account", GUARANTOR)
    st = out_json(run("settlement", "status", pid, "--json"))
    assert st["guarantor_paid_cents"] == 250_000 and st["unpaid_cents"] == 250_000
    # recourse: the financier turns to the seller for the uncovered half of its piece
    assert (
        "only the financier"
        in run("settlement", "recourse", "exercise", bought, "--dev-account", SUPPLIER, expect=2).output
    )
    ex = out_json(run("settlement", "recourse", "exercise", bought, "--dev-account", FINANCIER, "--json"))
    assert ex["uncovered_cents"] == 100_000 and ex["seller"] == addr(SUPPLIER)
    assert "only the seller" in run("settlement", "recourse", "settle", bought, "--dev-account", CORE, expect=2).output
    assert (
        "approved settlement"
        in run("settlement", "recourse", "settle", bought, "--dev-account", SUPPLIER, expect=2).output
    )
    run("settlement", "approve", "--dev-account", SUPPLIER)
    before = lib.currency.balance_of(addr(FINANCIER))
    settled = out_json(run("settlement", "recourse", "settle", bought, "--dev-account", SUPPLIER, "--json"))
    assert settled["paid_cents"] == 100_000
    # the financier got the seller's part and its escrow share: the whole 2,000.00
    assert lib.currency.balance_of(addr(FINANCIER)) - before == 200_000 * unit
    # the debtor repays the guarantor
    run("settlement", "approve", "--dev-account", CORE)
    assert (
        "more than owed" in run("settlement", "repay-guarantor", pid, "2500.01", "--dev-account", CORE, expect=2).output
    )
    assert (
        "only the debtor"
        in run("settlement", "repay-guarantor", pid, "1.00", "--dev-account", GUARANTOR, expect=2).output
    )
    run("settlement", "repay-guarantor", pid, "2500.00", "--dev-account", CORE)
    assert out_json(run("settlement", "status", pid, "--json"))["owed_to_guarantor_cents"] == 0


def test_pause_resume(run: Run, payable, funded) -> None:
    pid, _ = payable
    run("settlement", "approve", "--dev-account", CORE)
    # a non-operator passes the CLI's checks and meets the contract's refusal (decoded, exit 7)
    out = run("settlement", "pause", "--dev-account", SUPPLIER, expect=7).output
    assert "SettlementUnauthorized" in out
    run("settlement", "pause", "--dev-account", OPERATOR)
    assert "already paused" in run("settlement", "pause", "--dev-account", OPERATOR, expect=2).output
    assert "paused" in run("settlement", "pay", pid, "1.00", "--dev-account", CORE, expect=2).output
    err = out_json(run("settlement", "pay", pid, "1.00", "--dev-account", CORE, "--json", expect=2))["error"]
    assert err["exit_code"] == 2 and "paused" in err["message"]
    run("settlement", "resume", "--dev-account", OPERATOR)
    run("settlement", "pay", pid, "1.00", "--dev-account", CORE)
    assert "not paused" in run("settlement", "resume", "--dev-account", OPERATOR, expect=2).output


def test_unknown_and_unaccepted(run: Run, lib, registered, sender, keys, w3) -> None:
    assert "does not exist" in run("settlement", "status", 99, expect=20).output
    assert "not a payable number" in run("settlement", "pay", "x1", "1.00", "--dev-account", CORE, expect=20).output
