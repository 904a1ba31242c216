"""Month-end payout: pay every supplier listed in a CSV out of one piece, as a resumable job.

    python scripts/month_end_payout.py --rpc URL --piece P3#1 --csv payouts-2026-11.csv \\
        --from 0xYourTreasury --password-file pw.txt [--id month-end-2026-11]

The CSV has a header ``receiver,amount,reference`` (amounts in currency units with at most 2
decimals). Every row is checked before anything is signed; a file with any bad row is refused
whole, listing every bad row. Rows go out in chunks sized to the block gas limit, each chunk
journaled in ``$TIERCHAIN_HOME/journal/journal.sqlite`` before it is sent: if the script dies
(a crash, a kill, a lost node), run the same command again: what was done is skipped, what was in
flight is waited for, nothing is signed twice. The result CSV (each row with its new piece) is
written next to the input.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from eth_account.signers.local import LocalAccount

from tierchain.chain.deployment import load_deployment
from tierchain.chain.local import LOCAL_CHAIN_IDS, connect, dev_accounts
from tierchain.chain.sender import Sender
from tierchain.chain.wallet import read_password_file, unlock
from tierchain.clients.bundle import Contracts
from tierchain.core.errors import TierchainError
from tierchain.core.ids import make_token_id, short_id
from tierchain.core.money import format_cents
from tierchain.workflows.payout import payout


def account(args: argparse.Namespace, chain_id: int) -> LocalAccount:
    """The signer: a keystore (--from, --password-file) or, on a local chain, a dev key."""
    if args.dev_account is not None:
        if chain_id not in LOCAL_CHAIN_IDS:
            raise SystemExit("--dev-account is for local chains only")
        dev: LocalAccount = dev_accounts()[int(args.dev_account)]
        return dev
    if not args.from_address or not args.password_file:
        raise SystemExit("give --from ADDRESS and --password-file FILE (or --dev-account N on a local chain)")
    unlocked: LocalAccount = unlock(args.from_address, read_password_file(args.password_file))
    return unlocked


def piece_id(c: Contracts, text: str) -> int:
    """``P3#1`` or a token id."""
    if text.upper().startswith("P") and "#" in text:
        payable, index = text[1:].split("#")
        info = c.token.payable_of(int(payable))
        return make_token_id(info.maturity_at, info.payable_id, int(index))
    return int(text, 0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rpc", required=True)
    parser.add_argument("--piece", required=True, help="the piece paid out of: P3#1 or its token id")
    parser.add_argument("--csv", required=True, type=Path)
    parser.add_argument("--id", default=None, help="the job's journal id [default: from the piece and the file]")
    parser.add_argument("--from", dest="from_address")
    parser.add_argument("--password-file")
    parser.add_argument("--dev-account", type=int)
    args = parser.parse_args(argv)

    w3 = connect(args.rpc)
    c = Contracts.at(w3, load_deployment(w3))
    by = Sender(w3, account(args, w3.eth.chain_id))
    from_token_id = piece_id(c, args.piece)
    result_csv = args.csv.with_name(args.csv.stem + ".result.csv")

    def progress(done: int, total: int) -> None:
        print(f"  chunk {done}/{total}", file=sys.stderr)

    try:
        result = payout(
            c, by, from_token_id, args.csv.read_text(encoding="utf-8"), source=str(args.csv),
            workflow_id=args.id, result_csv=result_csv, on_chunk=progress,
        )  # fmt: skip
    except TierchainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    print(
        f"paid {len(result.rows)} suppliers {format_cents(result.cents)} out of {short_id(from_token_id)} "
        f"in {result.chunks} transaction(s) (job {result.workflow_id}); result: {result_csv}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
