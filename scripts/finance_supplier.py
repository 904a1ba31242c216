"""Finance every piece a supplier holds that matures in at least N days, at an annual rate: the
bank signs one offer per piece and the supplier takes each (piece and payment move together); a
resumable job.

    python scripts/finance_supplier.py --rpc URL --supplier-dev-account 4 --bank-dev-account 9 \\
        --rate-bps 600 --min-days 30 [--id finance-2026-11-tier2]

The list of pieces is taken on the first run and remembered; each approval and each take is
journaled before it is sent. Killed anywhere, the same command finishes the job: a piece is never
financed twice (the recorded take is waited for or re-sent as the same bytes). Keys: dev accounts
on a local chain here; a bank would unlock keystores (see month_end_payout.py).
"""

from __future__ import annotations

import argparse
import sys

from tierchain.chain.deployment import load_deployment
from tierchain.chain.local import LOCAL_CHAIN_IDS, connect, dev_accounts
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.clients.desk import Offer
from tierchain.core.errors import TierchainError
from tierchain.core.ids import short_id
from tierchain.core.money import format_cents
from tierchain.workflows.journal import Script

DAY = 86_400


def pieces_of(c: Contracts, holder: str, min_maturity: int) -> list[int]:
    """Live, unlocked, unfrozen pieces of ``holder`` maturing at or after ``min_maturity``."""
    found = []
    for payable_id in range(1, c.token.payable_count() + 1):
        info = c.token.payable_of(payable_id)
        if info.status != "accepted" or info.maturity_at < min_maturity:
            continue
        for p in c.token.pieces_of_payable(payable_id):
            if p.live and p.owner == holder and not p.locked and not p.frozen:
                found.append(p.token_id)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rpc", required=True)
    parser.add_argument("--supplier-dev-account", type=int, required=True)
    parser.add_argument("--bank-dev-account", type=int, required=True)
    parser.add_argument("--rate-bps", type=int, required=True, help="annual discount rate, basis points")
    parser.add_argument("--min-days", type=int, required=True, help="finance only pieces maturing in >= this")
    parser.add_argument("--id", default=None)
    args = parser.parse_args(argv)

    w3 = connect(args.rpc)
    if w3.eth.chain_id not in LOCAL_CHAIN_IDS:
        raise SystemExit("this example signs with development keys: local chains only")
    c = Contracts.at(w3, load_deployment(w3))
    supplier = Sender(w3, dev_accounts()[args.supplier_dev_account])
    bank_key = dev_accounts()[args.bank_dev_account]
    bank = Sender(w3, bank_key)
    job = args.id or f"finance-{supplier.address[:10]}-{args.rate_bps}bps-{args.min_days}d"
    params = {"supplier": supplier.address, "bank": bank.address, "rate_bps": args.rate_bps, "min_days": args.min_days}
    paid = 0
    try:
        with Script.open(job, w3, kind="finance-supplier", params=params) as wf:
            now = int(wf.remember("now", lambda: w3.eth.get_block("latest")["timestamp"]))
            horizon = now + args.min_days * DAY
            chosen = wf.remember("pieces", lambda: [str(t) for t in pieces_of(c, supplier.address, horizon)])
            pieces = [int(t) for t in chosen]
            if pieces:
                currency = c.token.payable_of(c.token.piece_of(pieces[0]).payable_id).currency
                c.desk.approve_currency(wf.journaled(bank), currency, 2**256 - 1)  # a journaled step
            take = wf.journaled(supplier)  # each take below is one journaled step
            for token_id in pieces:
                value = c.token.balance_of(token_id)
                offer = Offer.at_rate(bank.address, token_id, value, args.rate_bps, deadline=now + 7 * DAY,
                                      seller=supplier.address, nonce=token_id % 2**64)  # fmt: skip
                result = c.desk.take(take, c.desk.sign(bank_key, offer))
                paid += result.price
                print(f"  {short_id(token_id)}: value {format_cents(value)}, paid {format_cents(result.price)}")
    except TierchainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(f"financed {len(pieces)} pieces of {supplier.address} at {args.rate_bps / 100:.2f} % a year: "
          f"{format_cents(paid)} paid to the supplier (job {job})")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
