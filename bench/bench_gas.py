"""Gas per lifecycle operation of the payable token, beside Solv's ERC-3525 reference.

Run: `python -m bench.bench_gas` (make bench). Measured on Ganache 7.9.2, hardfork shanghai.
Both tokens are measured in the same run, on the same chain, with the same kind of move:
- split_to_new_holder: transferFrom(tokenId, to, value) to an account holding nothing yet
- split_to_existing_holder: the same to an account that already holds pieces
- value_to_existing_piece: transferFrom(tokenId, tokenId, value) into another owner's piece
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.chain import brownie_chain, chain_label
from bench.common import CENTS, DAY, MOVE, ROLE_CORE, ROLE_SUPPLIER, SPLIT, WHOLE, Report
from bench.common import keccak_text as _h


def measure_tierchain(proj: Any, accounts: Any, chain: Any, report: Report) -> None:
    admin, core = accounts[0], accounts[1]
    suppliers = list(accounts[2:12])
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

    face = 10_000_000 * CENTS
    root = _h("package")
    registry.registerPackage(root, 4000, 2 * face, suppliers[0], _h("doc"), {"from": core})
    maturity = chain.time() + 90 * DAY
    tx = token.issue(suppliers[0], face, currency, maturity, root, _h("conf"), {"from": core})
    report.add("gas.issue", tx.gas_used, "gas")
    payable_id, first = tx.return_value
    # The second payable against the same package: the registry's counter is warm now.
    tx2 = token.issue(suppliers[0], face, currency, maturity, root, _h("conf2"), {"from": core})
    report.add("gas.issue:second_from_package", tx2.gas_used, "gas")
    tx = token.accept(payable_id, {"from": suppliers[0]})
    report.add("gas.accept", tx.gas_used, "gas")

    s1, s2, s3 = suppliers[0], suppliers[1], suppliers[2]
    tx = token.transferFrom[SPLIT](first, s2, 3_000_000 * CENTS, {"from": s1})
    report.add("gas.split_to_new_holder", tx.gas_used, "gas")
    piece_s2 = tx.return_value
    tx = token.transferFrom[SPLIT](first, s2, 1_000_000 * CENTS, {"from": s1})
    report.add("gas.split_to_existing_holder", tx.gas_used, "gas")
    piece_s2b = tx.return_value
    tx = token.transferFrom[MOVE](first, piece_s2, 500_000 * CENTS, {"from": s1})
    report.add("gas.value_to_existing_piece", tx.gas_used, "gas")
    tx = token.transferFrom[MOVE](piece_s2b, piece_s2, 100_000 * CENTS, {"from": s2})
    report.add("gas.value_to_existing_piece:same_owner", tx.gas_used, "gas")
    tx = token.merge(piece_s2b, piece_s2, {"from": s2})
    report.add("gas.merge", tx.gas_used, "gas")
    tx = token.transferFrom[WHOLE](s2, s3, piece_s2, {"from": s2})
    report.add("gas.transfer_whole_piece", tx.gas_used, "gas")


def measure_reference(proj: Any, accounts: Any, report: Report) -> None:
    """Solv's ERC-3525 reference (npm @solvprotocol/erc-3525 1.5.0), minted directly."""
    if not hasattr(proj, "ReferenceERC3525"):
        print("ReferenceERC3525 (contracts/test) not compiled: reference figures skipped")
        return
    admin = accounts[0]
    a, b, c = accounts[13], accounts[14], accounts[15]
    ref = proj.ReferenceERC3525.deploy({"from": admin})
    tx = ref.mint(a, 1, 10_000_000 * CENTS, {"from": admin})
    report.add("gas.mint", tx.gas_used, "gas", subject="erc3525-reference")
    first = tx.return_value
    tx = ref.transferFrom[SPLIT](first, b, 3_000_000 * CENTS, {"from": a})
    report.add("gas.split_to_new_holder", tx.gas_used, "gas", subject="erc3525-reference")
    piece_b = tx.return_value
    tx = ref.transferFrom[SPLIT](first, b, 1_000_000 * CENTS, {"from": a})
    report.add("gas.split_to_existing_holder", tx.gas_used, "gas", subject="erc3525-reference")
    tx = ref.transferFrom[MOVE](first, piece_b, 500_000 * CENTS, {"from": a})
    report.add("gas.value_to_existing_piece", tx.gas_used, "gas", subject="erc3525-reference")
    tx = ref.transferFrom[WHOLE](b, c, piece_b, {"from": b})
    report.add("gas.transfer_whole_piece", tx.gas_used, "gas", subject="erc3525-reference")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--network", default="tierchain-ganache")
    args = parser.parse_args(argv)
    with brownie_chain(args.network) as proj:
        from brownie import accounts, chain

        report = Report("gas", chain_label(args.network))
        measure_tierchain(proj, accounts, chain, report)
        measure_reference(proj, accounts, report)
    report.print()
    print(f"written: {report.write()}")


if __name__ == "__main__":
    main()
