"""Gas of claimMany: one transaction pays N pieces (N = 1, 10, 100, 500), each to a distinct
holder, of a payable paid in full; for holders that already hold the currency and for first-time
holders (whose currency balance slot is created: +17,100 gas each). Beside it: one single claim
per piece, the way holders claim today.

Run from the worktree root: `python -m bench.bench_claim_many` (after `make compile`). Library
only (no brownie): starts its own Anvil (shanghai) on BENCH_PORT (default 9702), deploys with
tierchain.workflows.deploy, admits the holders and builds the pieces with Sender.send_many.

Per extra piece = (gas(N) - gas(1)) / (N - 1).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

from eth_account import Account

from bench.common import DAY, Report, deploy_with_core_and_tier1, local_chain_label, pick
from tierchain.chain.local import connect, start_chain, stop_chain
from tierchain.chain.sender import Sender, TxRequest
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import Role

PIECE = 100_00  # 100.00 each
SIZES = pick((1, 10, 100), (1, 10, 100, 500))  # 500: make bench-full
BATCH = 500


def _admit(c: Contracts, operator: Sender, addresses: list[str]) -> None:
    reqs = [
        c.membership.request("admit(address,uint8,bytes32)", a, int(Role.SUPPLIER), os.urandom(32), label="admit")
        for a in addresses
    ]
    for i in range(0, len(reqs), BATCH):
        operator.send_many(reqs[i : i + BATCH], estimate="shape")


def _payable(c: Contracts, core: Sender, tier1: Sender, holders: list[str], maturity: int) -> list[int]:
    """A payable of len(holders) pieces of PIECE, one per holder (tier1 keeps none), paid in full."""
    face = PIECE * (len(holders) + 1)
    root = os.urandom(32)
    c.registry.register_package(core, root, 1, face, tier1.address, os.urandom(32))
    payable_id, first = c.token.issue(core, tier1.address, face, c.currency.address, maturity, root, os.urandom(32))
    c.token.accept(tier1, payable_id)
    reqs = [
        TxRequest(c.token.address, c.token.request("transferFrom(uint256,address,uint256)", first, h, PIECE).data,
                  gas=300_000, label="split")
        for h in holders
    ]  # fmt: skip
    ids: list[int] = []
    for i in range(0, len(reqs), BATCH):
        for r in tier1.send_many(reqs[i : i + BATCH]):
            ids.extend(int(e.args["tokenId"]) for e in r.events_named("Transfer") if "tokenId" in e.args)
    c.settlement.pay(core, payable_id, face)
    return ids


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "9702")))
    parser.add_argument(
        "--chain", choices=("ganache", "anvil"), default=os.environ.get("BENCH_CHAIN", "anvil"),
        help="local chain (both shanghai: identical gas)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    state = tempfile.mkdtemp(prefix="bench-claim-many-")
    chain = start_chain(args.chain, port=args.port, state_dir=state)
    try:
        w3 = connect(chain.url)
        c, _admin, operator, core, tier1 = deploy_with_core_and_tier1(w3)
        report = Report("claim_many", local_chain_label(w3, args.port))

        started = time.perf_counter()
        existing = [Account.create().address for _ in range(max(SIZES))]
        fresh = [Account.create().address for _ in range(sum(SIZES) + 2)]
        _admit(c, operator, existing + fresh)
        mints = [c.currency.request("mint(address,uint256)", a, 1, label="mint") for a in existing]
        for i in range(0, len(mints), BATCH):
            operator.send_many(mints[i : i + BATCH], estimate="shape")
        c.currency.mint(operator, core.address, 10**15)
        c.settlement.approve(core, c.currency.address)
        maturity = int(w3.eth.get_block("latest")["timestamp"]) + 30 * DAY
        batches: dict[tuple[str, int], list[int]] = {}
        offset = 0
        for n in SIZES:
            batches["existing", n] = _payable(c, core, tier1, existing[:n], maturity)
            batches["fresh", n] = _payable(c, core, tier1, fresh[offset : offset + n], maturity)
            offset += n
        print(f"built {sum(len(v) for v in batches.values()):,} pieces in {time.perf_counter() - started:.1f} s")
        w3.provider.make_request("evm_mine", [maturity])  # type: ignore[arg-type]

        gas: dict[tuple[str, int], int] = {}
        for (kind, n), ids in batches.items():
            result = c.settlement.claim_many(operator, ids)
            assert len(result.paid) == n and not result.skipped, (kind, n, result.skipped)
            gas[kind, n] = result.receipt.gas_used
        for kind, label in (("existing", ""), ("fresh", "_first_time_holders")):
            for n in SIZES:
                report.add(f"gas.claim_many{label}:n={n}", gas[kind, n], "gas")
            for n in SIZES[1:]:
                per = round((gas[kind, n] - gas[kind, 1]) / (n - 1))
                report.add(f"gas.claim_many{label}_per_extra_piece:n={n}", per, "gas")
        report.print()
        print(f"wrote {report.write()}")
    finally:
        stop_chain(state)


if __name__ == "__main__":
    main()
