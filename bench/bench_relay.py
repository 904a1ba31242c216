"""Gas of signed requests relayed through RequestRelay, beside the same operations sent directly.

Run: `python -m bench.bench_relay [--network NAME]` (make bench). Ganache 7.9.2, shanghai.
Subject `tierchain` is the supplier's own transaction; `tierchain-relayed` is the operator's
transaction carrying the supplier's EIP-712 signed request (signature check, nonce, ERC-2771
call). The supplier pays nothing in the relayed case.
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.chain import brownie_chain, chain_label
from bench.common import CENTS, DAY, MOVE, ROLE_CORE, ROLE_SUPPLIER, SPLIT, WHOLE, Report
from bench.common import keccak_text as _h


def measure(proj: Any, accounts: Any, chain: Any, report: Report) -> None:
    from tierchain.chain.abi import call_data
    from tierchain.chain.local import dev_accounts
    from tierchain.clients.requests import (
        AcceptPayable,
        Call,
        Domain,
        MoveValue,
        SplitPiece,
        TransferPiece,
        sign_request,
    )

    admin, core, operator = accounts[0], accounts[1], accounts[2]
    suppliers = list(accounts[3:9])
    keys = {k.address: k for k in dev_accounts()}
    membership = proj.Membership.deploy(admin, {"from": admin})
    registry = proj.InvoiceRegistry.deploy(membership, {"from": admin})
    relay = proj.RequestRelay.deploy(membership, {"from": admin})
    token = proj.PayableToken.deploy(membership, registry, 100, 365 * DAY, relay, {"from": admin})
    registry.bindToken(token, {"from": admin})
    membership.addListener(token, {"from": admin})
    relay.bindToken(token, {"from": admin})
    currency = proj.DemoStableToken.deploy(admin, {"from": admin})
    membership.admit(core, ROLE_CORE, _h("core"), {"from": admin})
    for i, s in enumerate(suppliers):
        membership.admit(s, ROLE_SUPPLIER, _h(f"s{i}"), {"from": admin})
    domain = Domain(chain_id=chain.id, verifying_contract=relay.address)
    deadline = chain.time() + 30 * DAY
    root = _h("package")
    face = 10_000_000 * CENTS
    registry.registerPackage(root, 4000, 4 * face, suppliers[0], _h("doc"), {"from": core})
    maturity = chain.time() + 90 * DAY

    def issue(tag: str) -> tuple[int, int]:
        tx = token.issue(suppliers[0], face, currency, maturity, root, _h(tag), {"from": core})
        return tx.return_value[0], tx.return_value[1]

    def sig(request: Any) -> bytes:
        return sign_request(request, domain, keys[request.signer]).signature

    s1, s2, s3 = suppliers[0], suppliers[1], suppliers[2]
    a, b = s1.address, s2.address
    # Direct: the supplier's own transactions (pieces of payable 1).
    pid, first = issue("direct")
    report.add("gas.accept", token.accept(pid, {"from": s1}).gas_used, "gas")
    tx = token.transferFrom[SPLIT](first, s2, 3_000_000 * CENTS, {"from": s1})
    report.add("gas.split_to_new_holder", tx.gas_used, "gas")
    piece = tx.return_value
    tx = token.transferFrom[MOVE](first, piece, 500_000 * CENTS, {"from": s1})
    report.add("gas.value_to_existing_piece", tx.gas_used, "gas")
    own = token.transferFrom[SPLIT](first, s1, 1_000_000 * CENTS, {"from": s1}).return_value
    report.add("gas.merge", token.merge(own, first, {"from": s1}).gas_used, "gas")
    tx = token.transferFrom[WHOLE](s1, s3, first, {"from": s1})
    report.add("gas.transfer_whole_piece", tx.gas_used, "gas")

    # Relayed: the same operations signed by the supplier, sent by the operator (payable 2,
    # holders in the same state as above: s2 already holds a piece of payable 1).
    pid, first = issue("relayed")
    nonce = 0

    def relayed(metric: str, fn: Any, request: Any) -> Any:
        nonlocal nonce
        tx = fn(request.abi_tuple(), sig(request), {"from": operator})
        report.add(metric, tx.gas_used, "gas", subject="tierchain-relayed")
        nonce += 1
        return tx

    relayed("gas.accept", relay.acceptPayable, AcceptPayable(a, pid, nonce, deadline))
    tx = relayed("gas.split_to_new_holder", relay.splitPiece,
                 SplitPiece(a, first, b, 3_000_000 * CENTS, nonce, deadline))  # fmt: skip
    piece = tx.return_value
    relayed("gas.value_to_existing_piece", relay.moveValue,
            MoveValue(a, first, piece, 500_000 * CENTS, nonce, deadline))  # fmt: skip
    own = token.transferFrom[SPLIT](first, s1, 1_000_000 * CENTS, {"from": s1}).return_value
    merge = call_data("PayableToken", "merge(uint256,uint256)", own, first)
    relayed("gas.merge", relay.relayCall, Call(a, token.address, merge, nonce, deadline))
    relayed("gas.transfer_whole_piece", relay.transferPiece, TransferPiece(a, first, s3.address, nonce, deadline))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="tierchain-ganache")
    args = parser.parse_args(argv)
    with brownie_chain(args.network) as proj:
        from brownie import accounts, chain

        report = Report("relay", chain_label(args.network))
        measure(proj, accounts, chain, report)
    report.print()
    print(f"written: {report.write()}")


if __name__ == "__main__":
    main()
