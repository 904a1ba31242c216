"""Gas of payment at maturity: claims on payables of 10 and of 10,000 pieces, for a holder that
never held the currency and one that did, partial-payment claims and final claims (burn), and
payments in.

Run from the worktree root: `python -m bench.bench_settlement` (after `make compile`). Runs on
the library alone (no brownie): it starts its own Ganache 7.9.2 (shanghai) on BENCH_PORT (default
9635), deploys with tierchain.chain.deployment and builds the 10,000 pieces with Sender.send_many, signed
and broadcast in batches. Each measured holder is a fresh member account, so "first-time holder"
really holds no currency and no storage of it is warm.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from bench.common import Report, pick
from tierchain.chain.local import connect, dev_accounts, start_chain, stop_chain
from tierchain.chain.sender import Sender, TxRequest
from tierchain.clients.bundle import Contracts
from tierchain.clients.settlement import SettlementClient
from tierchain.core.ids import Role
from tierchain.workflows.deploy import deploy_all

DAY = 86_400
FACE = 10_000_000_00  # 10,000,000.00
PIECE = 100_00  # 100.00 a measured or bulk piece
SPLIT_GAS = 150_000
BATCH = 500


@dataclass
class Built:
    payable_id: int
    first: int
    fresh: list[int]  # pieces held by members that never held the currency
    existing: list[int]  # pieces held by members that already hold some currency


def _member(w3: Web3, c: Contracts, admin: Sender, operator: Sender, funded: list[LocalAccount]) -> Sender:
    account: LocalAccount = Account.create()
    admin.send(TxRequest(account.address, value=10**18, label="gas money"))
    c.membership.admit(operator, account.address, Role.SUPPLIER, os.urandom(32))
    funded.append(account)
    return Sender(w3, account)


def build(
    w3: Web3, c: Contracts, admin: Sender, operator: Sender, core: Sender, tier1: Sender,
    bulk: str, pieces: int, maturity: int, measured: int, funded: list[LocalAccount],
) -> tuple[Built, dict[int, Sender]]:  # fmt: skip
    """A payable of `pieces` pieces: `measured` fresh holders, `measured` holders with currency,
    the rest to `bulk`; the issued piece keeps the remainder."""
    root = os.urandom(32)
    c.registry.register_package(core, root, 10, FACE, tier1.address, os.urandom(32))
    payable_id, first = c.token.issue(core, tier1.address, FACE, c.currency.address, maturity, root, os.urandom(32))
    c.token.accept(tier1, payable_id)
    holders: dict[int, Sender] = {}
    fresh, existing = [], []
    for kind in ("fresh", "existing"):
        for _ in range(measured):
            s = _member(w3, c, admin, operator, funded)
            if kind == "existing":
                c.currency.mint(operator, s.address, 1)
            token_id = c.token.split(tier1, first, s.address, PIECE)
            holders[token_id] = s
            (fresh if kind == "fresh" else existing).append(token_id)
    remaining = pieces - 1 - 2 * measured
    split = c.token.request("transferFrom(uint256,address,uint256)", first, Web3.to_checksum_address(bulk), PIECE)
    split = TxRequest(split.to, split.data, gas=SPLIT_GAS, label="bulk split")
    started = time.perf_counter()
    while remaining > 0:
        n = min(BATCH, remaining)
        tier1.send_many([split] * n)
        remaining -= n
    elapsed = time.perf_counter() - started
    if pieces > 100:
        print(f"built {pieces:,} pieces in {elapsed:.1f} s ({(pieces - 1) / elapsed:.0f} splits/s)")
    return Built(payable_id, first, fresh, existing), holders


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("BENCH_PORT", "9635")))
    parser.add_argument(
        "--large", type=int, default=pick(1_000, 10_000), help="pieces of the large payable (10,000: make bench-full)"
    )
    parser.add_argument(
        "--chain", choices=("ganache", "anvil"), default=os.environ.get("BENCH_CHAIN", "anvil"),
        help="local chain (both shanghai: identical gas; Anvil builds 20,000 pieces far faster)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    sizes = (10, args.large)

    state = tempfile.mkdtemp(prefix="bench-settlement-")
    chain = start_chain(args.chain, port=args.port, state_dir=state)
    try:
        w3 = connect(chain.url)
        keys = dev_accounts()
        admin, operator, core, tier1 = (Sender(w3, keys[i]) for i in range(4))
        bulk = keys[4].address
        d = deploy_all(w3, admin, operator.address, record=False)
        c = Contracts.at(w3, d)
        c.membership.admit(admin, operator.address, Role.OPERATOR, os.urandom(32))
        c.membership.admit_many(
            operator,
            [(core.address, Role.CORE_ENTERPRISE, os.urandom(32)), (tier1.address, Role.SUPPLIER, os.urandom(32)),
             (bulk, Role.SUPPLIER, os.urandom(32))],
        )  # fmt: skip
        settlement = SettlementClient(w3, d.settlement)
        client = w3.client_version.split("/")
        report = Report("settlement", f"{client[0].lower()} {client[1].lstrip('v')} (shanghai) [port {args.port}]")

        maturity = int(w3.eth.get_block("latest")["timestamp"]) + 60 * DAY
        funded: list[LocalAccount] = []
        full: dict[int, tuple[Built, dict[int, Sender]]] = {}
        part: dict[int, tuple[Built, dict[int, Sender]]] = {}
        for n in sizes:
            full[n] = build(w3, c, admin, operator, core, tier1, bulk, n, maturity, 2, funded)
            part[n] = build(w3, c, admin, operator, core, tier1, bulk, n, maturity, 2, funded)
            for built, _ in (full[n], part[n]):
                assert c.token.payable_of(built.payable_id).piece_count == n

        c.currency.mint(operator, core.address, 4 * FACE)
        settlement.approve(core, c.currency.address)
        n_large = sizes[1]
        r = settlement.pay(core, full[n_large][0].payable_id, FACE)
        report.add("gas.pay:first_full_opens", r.gas_used, "gas")
        settlement.pay(core, full[10][0].payable_id, FACE)
        r = settlement.pay(core, part[10][0].payable_id, FACE // 2)
        report.add("gas.pay:first_partial_opens", r.gas_used, "gas")
        r = settlement.pay(core, part[n_large][0].payable_id, FACE // 2)
        r = settlement.pay(core, part[n_large][0].payable_id, FACE // 4)
        report.add("gas.pay:later", r.gas_used, "gas")
        settlement.pay(core, part[10][0].payable_id, FACE // 4)

        w3.provider.make_request("evm_mine", [maturity])  # type: ignore[arg-type]

        for n in sizes:
            built, holders = full[n]
            # paid in full, no partial claim on record: the common case at maturity
            r = settlement.claim_receipt(holders[built.existing[0]], built.existing[0])
            report.add(f"gas.claim:pieces={n}", r.gas_used, "gas")
            r = settlement.claim_receipt(holders[built.fresh[0]], built.fresh[0])
            report.add(f"gas.claim_first_time_holder:pieces={n}", r.gas_used, "gas")
        for n in sizes:
            built, holders = part[n]
            # 75% paid: the first partial claim of the payable records its flag
            r = settlement.claim_receipt(holders[built.fresh[0]], built.fresh[0])
            report.add(f"gas.claim_partial_first_time_holder_first_of_payable:pieces={n}", r.gas_used, "gas")
            r = settlement.claim_receipt(holders[built.fresh[1]], built.fresh[1])
            report.add(f"gas.claim_partial_first_time_holder:pieces={n}", r.gas_used, "gas")
            r = settlement.claim_receipt(holders[built.existing[0]], built.existing[0])
            report.add(f"gas.claim_partial:pieces={n}", r.gas_used, "gas")
        for n in sizes:
            built, holders = part[n]
            settlement.pay(core, built.payable_id, FACE // 4)
            r = settlement.claim_receipt(holders[built.existing[0]], built.existing[0])
            report.add(f"gas.claim_final_after_partial:pieces={n}", r.gas_used, "gas")
            r = settlement.claim_receipt(holders[built.existing[1]], built.existing[1])
            report.add(f"gas.claim_final_after_partials_on_record:pieces={n}", r.gas_used, "gas")
        report.print()
        path = report.write()
        print(f"wrote {path}")
    finally:
        stop_chain(state)


if __name__ == "__main__":
    main()
