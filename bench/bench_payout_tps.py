"""Payments to sub-suppliers per second: a 1,000-row payout end to end through the payout
workflow (read and check every row, sign, journal, send, confirm, result CSV) against single
splits through the library (`PayableClient.split`, one transaction each, confirmed one by one)
and against raw pre-signed single splits (receipts fetched after), same chain, same run.

Run from the worktree root: `python -m bench.bench_payout_tps` (after `make compile`). Library
only: starts its own Anvil (shanghai) on BENCH_PORT (default 9703).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from eth_account import Account
from web3 import Web3

from bench.common import DAY, Report
from tierchain.chain.local import connect, dev_accounts, start_chain, stop_chain
from tierchain.chain.sender import Sender, TxRequest
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import Role
from tierchain.workflows.deploy import deploy_all
from tierchain.workflows.journal import Journal
from tierchain.workflows.payout import payout

ROWS = 1_000
SINGLES = 200
VALUE = 100_00


def _piece(c: Contracts, core: Sender, tier1: Sender, face: int, maturity: int) -> int:
    root = os.urandom(32)
    c.registry.register_package(core, root, 1, face, tier1.address, os.urandom(32))
    payable_id, first = c.token.issue(core, tier1.address, face, c.currency.address, maturity, root, os.urandom(32))
    c.token.accept(tier1, payable_id)
    return first


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "9703")))
    parser.add_argument("--rows", type=int, default=ROWS)
    parser.add_argument("--singles", type=int, default=SINGLES)
    args = parser.parse_args(argv)
    state = tempfile.mkdtemp(prefix="bench-payout-")
    chain = start_chain("anvil", port=args.port, state_dir=state)
    try:
        w3 = connect(chain.url)
        keys = dev_accounts()
        admin, operator, core, tier1 = (Sender(w3, keys[i]) for i in range(4))
        d = deploy_all(w3, admin, operator.address, record=False)
        c = Contracts.at(w3, d)
        c.membership.admit(admin, operator.address, Role.OPERATOR, os.urandom(32))
        receivers = [Account.create().address for _ in range(args.rows)]
        members = [(core.address, Role.CORE_ENTERPRISE), (tier1.address, Role.SUPPLIER)]
        members += [(a, Role.SUPPLIER) for a in receivers]
        reqs = [
            c.membership.request("admit(address,uint8,bytes32)", a, int(r), os.urandom(32), label="admit")
            for a, r in members
        ]
        for i in range(0, len(reqs), 500):
            operator.send_many(reqs[i : i + 500], estimate="shape")
        maturity = int(w3.eth.get_block("latest")["timestamp"]) + 90 * DAY
        payout_piece = _piece(c, core, tier1, VALUE * (args.rows + 1), maturity)
        single_piece = _piece(c, core, tier1, VALUE * (2 * args.singles + 1), maturity)
        client = w3.client_version.split("/")
        report = Report("payout_tps", f"{client[0].lower()} {client[1].lstrip('v')} (shanghai) [port {args.port}]")

        # 1. the payout workflow, end to end
        text = "receiver,amount,reference\n" + "".join(f"{a},100.00,R-{n}\n" for n, a in enumerate(receivers))
        journal = Journal(Path(state) / "journal.sqlite")
        started = time.perf_counter()
        result = payout(c, tier1, payout_piece, text, journal=journal, result_csv=Path(state) / "result.csv")
        elapsed = time.perf_counter() - started
        assert len(result.new_token_ids) == args.rows
        report.add(f"time.payout_end_to_end:n={args.rows}", round(elapsed, 3), "s")
        report.add("tps.payout_payments", round(args.rows / elapsed, 1), "tx/s")
        report.add(f"payout.transactions:n={args.rows}", result.chunks, "tx")

        # 2. single splits through the library, one after the other
        started = time.perf_counter()
        for a in receivers[: args.singles]:
            c.token.split(tier1, single_piece, a, VALUE)
        single = time.perf_counter() - started
        report.add("tps.single_split_payments", round(args.singles / single, 1), "tx/s")

        # 3. raw: the same splits pre-signed, sent back to back, receipts fetched after
        split_reqs = [
            TxRequest(c.token.address, c.token.request("transferFrom(uint256,address,uint256)", single_piece,
                      Web3.to_checksum_address(a), VALUE).data, gas=300_000)
            for a in receivers[args.singles : 2 * args.singles]
        ]  # fmt: skip
        signed = tier1.sign_many(split_reqs)
        started = time.perf_counter()
        for s in signed:
            w3.eth.send_raw_transaction(s.raw)
        tier1.wait_many(signed)
        raw = time.perf_counter() - started
        report.add("tps.raw_single_split_payments", round(args.singles / raw, 1), "tx/s", subject="raw")
        report.add("ratio.payout_vs_single_split", round((args.rows / elapsed) / (args.singles / single), 1), "x")
        report.print()
        print(f"wrote {report.write()}")
    finally:
        stop_chain(state)


if __name__ == "__main__":
    main()
