"""SettlementClient.claim_many: one transaction pays several holders; a frozen piece comes back
as a decoded skip."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from tierchain.clients.bundle import Contracts
from tierchain.core.ids import Role

FACE = 30_000_00


def test_claim_many_pays_holders_and_decodes_skips(w3: Web3, lib: Contracts, sender: Any) -> None:
    operator, core, tier1, tier2, tier3 = (sender(i) for i in range(1, 6))
    regulator = sender(12)
    if not lib.membership.member_of(regulator.address).roles:
        lib.membership.admit(sender(0), regulator.address, Role.REGULATOR, Web3.keccak(text="id:regulator"))
    root = Web3.keccak(text="claim-many-client")
    lib.registry.register_package(core, root, 3, FACE, tier1.address, Web3.keccak(text="doc"))
    maturity = int(w3.eth.get_block("latest")["timestamp"]) + 30 * 86_400
    payable_id, first = lib.token.issue(
        core, tier1.address, FACE, lib.currency.address, maturity, root, Web3.keccak(text="conf")
    )
    lib.token.accept(tier1, payable_id)
    second = lib.token.split(tier1, first, tier2.address, 10_000_00)
    third = lib.token.split(tier1, first, tier3.address, 5_000_00)
    lib.currency.mint(operator, core.address, FACE)
    lib.settlement.approve(core, lib.currency.address)
    lib.settlement.pay(core, payable_id, FACE)
    lib.token._send(regulator, "freezePiece(uint256,bytes32)", third, Web3.keccak(text="hold"))
    w3.provider.make_request("evm_mine", [maturity])  # type: ignore[arg-type]
    before = lib.currency.balance_of(tier2.address)

    result = lib.settlement.claim_many(operator, [first, second, third])
    assert [(p.token_id, p.holder, p.cents, p.settled) for p in result.paid] == [
        (first, tier1.address, 15_000_00, True),
        (second, tier2.address, 10_000_00, True),
    ]
    assert result.cents == 25_000_00
    assert [(s.token_id, s.why, s.reason.args_by_name) for s in result.skipped] == [
        (third, "PayablePieceFrozen", {"tokenId": third})
    ]
    assert lib.currency.balance_of(tier2.address) - before == 10_000_00
    assert lib.settlement.owed_of(third) == 5_000_00
