"""Gas of a batch payout (PayableToken.payout): one piece split into N new pieces for N distinct
receivers in one transaction, at N = 1, 10, 100, 500 and the largest N that fits a 30,000,000
block gas limit.

Run from the worktree root: `python -m bench.bench_payout` (after `make compile`). Runs on the
library alone (no brownie): it starts its own chain (Anvil by default, shanghai, block gas
limit 30,000,000) on BENCH_PORT (default 9637), deploys with tierchain.workflows.deploy and
admits the receivers in pipelined batches. Every receiver is a member that holds no piece yet
(its holder word is written from "known, 0 pieces"), the common case of a month-end payout.

`gas.payout_per_extra_receiver:n=N` is (gas(N) - gas(1)) / (N - 1): what each receiver beyond
the first adds. The floor per receiver is its piece's new storage word (22,100), the receiver's
holder word (cold: 2,100 + 2,900) and the three events a single split logs per new piece
(Transfer 1,875, SlotChanged 1,875, TransferValue 1,756), about 32,600 gas before calldata.
"""

from __future__ import annotations

import argparse
import os
import tempfile

from eth_account import Account

from bench.common import Report, deploy_with_core_and_tier1, full_mode, local_chain_label, pick
from tierchain.chain.local import connect, start_chain, stop_chain
from tierchain.core.ids import Role

DAY = 86_400
PIECE = 100_00  # 100.00 per receiver
BLOCK_GAS_LIMIT = 30_000_000
ADMIT_BATCH = 200
ZERO = "0x" + "00" * 20


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "9637")))
    parser.add_argument("--chain", choices=("ganache", "anvil"), default=os.environ.get("BENCH_CHAIN", "anvil"))
    parser.add_argument(
        "--sizes",
        default=pick("1,10,100", "1,10,100,500"),
        help="receivers per payout (500 and the block maximum: make bench-full)",
    )
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.sizes.split(",")]

    state = tempfile.mkdtemp(prefix="bench-payout-")
    chain = start_chain(args.chain, port=args.port, state_dir=state)
    try:
        w3 = connect(chain.url)
        c, _admin, operator, core, tier1 = deploy_with_core_and_tier1(w3)
        report = Report("payout", local_chain_label(w3, args.port))
        maturity = int(w3.eth.get_block("latest")["timestamp"]) + 60 * DAY

        def receivers(n: int) -> list[str]:
            fresh = [Account.create().address for _ in range(n)]
            for i in range(0, n, ADMIT_BATCH):
                c.membership.admit_many(
                    operator, [(a, Role.SUPPLIER, os.urandom(32)) for a in fresh[i : i + ADMIT_BATCH]]
                )
            return fresh

        def payout_gas(n: int) -> int:
            face = n * PIECE + PIECE  # a remainder stays with the payer: the source is rewritten
            root = os.urandom(32)
            c.registry.register_package(core, root, 10, face, tier1.address, os.urandom(32))
            payable_id, first = c.token.issue(core, tier1.address, face, c.currency.address, maturity, root,
                                              os.urandom(32))  # fmt: skip
            c.token.accept(tier1, payable_id)
            to = receivers(n)
            request = c.token.request("payout(uint256,address[],uint256[])", first, to, [PIECE] * n)
            receipt = tier1.send(request)
            minted = [e for e in receipt.events_named("Transfer") if e.args.get("from") == ZERO]
            assert len(minted) == n, (len(minted), n)
            return int(receipt.gas_used)

        measured: dict[int, int] = {}
        for n in sizes:
            measured[n] = payout_gas(n)
        one = measured.get(1) or payout_gas(1)
        base = measured[max(sizes)]
        per_extra_at_max = (base - one) / (max(sizes) - 1)
        # The largest N under the block gas limit, from the measured slope; then measured.
        largest = 1 + int((BLOCK_GAS_LIMIT - one) // per_extra_at_max)
        while full_mode():
            try:
                gas = payout_gas(largest)
            except Exception:
                largest -= 10
                continue
            if gas <= BLOCK_GAS_LIMIT:
                measured[largest] = gas
                break
            largest -= 10
        for n in sorted(measured):
            report.add(f"gas.payout:n={n}", measured[n], "gas")
            if n > 1:
                report.add(f"gas.payout_per_extra_receiver:n={n}", round((measured[n] - one) / (n - 1)), "gas")
        if full_mode():  # quick runs keep the last full run's figure (carried, marked from_run)
            report.add("count.payout_max_receivers:block_gas=30000000", largest, "receivers")
        report.print()
        print(f"wrote {report.write()}")
    finally:
        stop_chain(state)


if __name__ == "__main__":
    main()
