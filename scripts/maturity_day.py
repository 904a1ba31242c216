"""Maturity day for one payable: the debtor pays in what is unpaid, every holder is paid (claim
all, in chunks), and a report is written; a resumable job.

    python scripts/maturity_day.py --rpc URL --payable 3 --debtor-dev-account 2 \\
        --operator-dev-account 1 --report maturity-P3.json [--id maturity-P3]

Each transaction (the approval, the payment, each chunk of claims) is journaled before it is
sent; what the job depends on (the amount due, the pieces to pay) is remembered on the first run.
Killed anywhere, the same command finishes the job without paying anything twice. Keys: dev
accounts on a local chain here; a treasury would unlock keystores (see month_end_payout.py).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from tierchain.chain.deployment import load_deployment
from tierchain.chain.local import LOCAL_CHAIN_IDS, connect, dev_accounts
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.core.errors import TierchainError
from tierchain.core.money import format_cents
from tierchain.workflows.claims import claim_all
from tierchain.workflows.journal import Script


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rpc", required=True)
    parser.add_argument("--payable", type=int, required=True)
    parser.add_argument("--debtor-dev-account", type=int, required=True)
    parser.add_argument("--operator-dev-account", type=int, required=True)
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--id", default=None)
    args = parser.parse_args(argv)

    w3 = connect(args.rpc)
    if w3.eth.chain_id not in LOCAL_CHAIN_IDS:
        raise SystemExit("this example signs with development keys: local chains only")
    c = Contracts.at(w3, load_deployment(w3))
    debtor = Sender(w3, dev_accounts()[args.debtor_dev_account])
    operator = Sender(w3, dev_accounts()[args.operator_dev_account])
    job = args.id or f"maturity-P{args.payable}"
    try:
        with Script.open(job, w3, kind="maturity-day", params={"payable": args.payable}) as wf:
            info = c.token.payable_of(args.payable)
            due = int(wf.remember("due", lambda: info.face_value - c.settlement.status_of(args.payable).paid_cents))
            units = due * 10 ** (info.currency_decimals - 2)
            if due:
                wf.send("approve", debtor, lambda: c.settlement.approve_request(info.currency, units))
                wf.send("pay", debtor, lambda: c.settlement.pay_request(args.payable, due))
        claims = claim_all(c, operator, args.payable, workflow_id=f"{job}-claims")
    except TierchainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    status = c.settlement.status_of(args.payable)
    report = {
        "payable": args.payable,
        "state": status.state,
        "paid_in_today_cents": str(due),
        "paid_cents": str(status.paid_cents),
        "claims": claims.paid,
        "skipped": claims.skipped,
        "claimed_cents": str(claims.cents),
        "jobs": [job, claims.workflow_id],
    }
    args.report.write_text(json.dumps(report, indent=1) + "\n")
    print(
        f"payable {args.payable}: {status.state}; paid in {format_cents(due)}, paid out {format_cents(claims.cents)} "
        f"to {len(claims.paid)} pieces, {len(claims.skipped)} skipped; report: {args.report}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
