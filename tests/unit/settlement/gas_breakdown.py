"""Gas breakdown of a final claim by a first-time currency holder (run explicitly:
`brownie test tests/unit/settlement/gas_breakdown.py -s --network ...`; not collected by default).
Prints gas per contract and per opcode family from the transaction's trace."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from tests.unit.settlement.conftest import FACE, maturity_of


def _breakdown(tx: Any) -> None:
    steps = tx.trace
    table: dict[tuple[str, str], int] = defaultdict(int)
    for s in steps:
        op = s["op"]
        if op in ("CALL", "STATICCALL"):
            continue  # their cost (cold/warm account, memory) is the remainder below
        family = op if op in ("SLOAD", "SSTORE", "EXTCODESIZE") or op.startswith("LOG") else "other"
        table[(str(s.get("contractName") or s.get("address")), family)] += s["gasCost"]
    intrinsic = tx.gas_limit - steps[0]["gas"]
    last = steps[-1]
    execution = steps[0]["gas"] - (last["gas"] - last["gasCost"])
    table[("(all)", "CALL overhead")] = execution - sum(table.values())
    refund = intrinsic + execution - tx.gas_used
    print(f"\ngas_used {tx.gas_used}  intrinsic {intrinsic}  execution {execution}  refund {refund}")
    for (contract, family), cost in sorted(table.items()):
        print(f"  {contract:20} {family:12} {cost:7}")


def test_breakdown_final_first_time(
    settlement: Any, payable: Any, core: Any, fund: Any, suppliers: list[Any], currency: Any, travel: Any
) -> None:
    payable_id, ids = payable(splits=[(suppliers[1], 100_000_00)])
    fund(core, FACE)
    settlement.pay(payable_id, FACE, {"from": core})
    travel(maturity_of(ids[0]))
    assert currency.balanceOf(suppliers[1]) == 0
    tx = settlement.claim(ids[1], {"from": suppliers[1]})
    _breakdown(tx)
    tx = settlement.claim(ids[0], {"from": suppliers[0]})
    _breakdown(tx)
