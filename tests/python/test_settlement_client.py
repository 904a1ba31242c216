"""SettlementClient over the library's own deployment (deploy_all wires Settlement as the token's
settlement agent), and money.pro_rata against an exact model."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from web3 import Web3

from tierchain.chain.deployment import Deployment
from tierchain.clients.bundle import Contracts
from tierchain.clients.settlement import SettlementClient
from tierchain.core.errors import AmountError, SettlementError
from tierchain.core.money import pro_rata

FACE = 50_000_00


def _travel_to(w3: Web3, timestamp: int) -> None:
    w3.provider.make_request("evm_mine", [timestamp])  # type: ignore[arg-type]


def test_pay_claim_status_through_the_library(
    w3: Web3, lib: Contracts, lib_deployment: Deployment, sender: Any
) -> None:
    operator, core, tier1, tier2 = (sender(i) for i in range(1, 5))
    settlement = SettlementClient(w3, lib_deployment.settlement)
    root = Web3.keccak(text="settlement-client-package")
    lib.registry.register_package(core, root, 10, FACE, tier1.address, Web3.keccak(text="doc"))
    maturity = int(w3.eth.get_block("latest")["timestamp"]) + 30 * 86_400
    payable_id, first = lib.token.issue(
        core, tier1.address, FACE, lib.currency.address, maturity, root, Web3.keccak(text="conf")
    )
    lib.token.accept(tier1, payable_id)
    second = lib.token.split(tier1, first, tier2.address, 20_000_00)
    assert settlement.status_of(payable_id).state == "unopened"

    lib.currency.mint(operator, core.address, FACE)
    settlement.approve(core, lib.currency.address)
    settlement.pay(core, payable_id, 10_000_00)
    status = settlement.status_of(payable_id)
    assert (status.state, status.paid_cents, status.unpaid_cents) == ("open", 10_000_00, 40_000_00)
    assert status.debtor == core.address and status.grace_seconds == 7 * 86_400
    assert settlement.owed_of(second) == 0  # before maturity

    _travel_to(w3, maturity)
    assert settlement.owed_of(second) == pro_rata(20_000_00, 10_000_00, FACE) == 4_000_00
    assert settlement.claim(tier2, second) == 4_000_00
    with pytest.raises(SettlementError) as info:
        settlement.claim(tier1, second)
    assert info.value.error_name == "SettlementNotHolder"
    with pytest.raises(SettlementError) as info:
        settlement.pay(core, payable_id, FACE)
    assert info.value.error_name == "SettlementOverpayment"

    settlement.pay(core, payable_id, 40_000_00)
    assert settlement.status_of(payable_id).state == "paid"
    assert settlement.claim(tier2, second) == 16_000_00
    assert settlement.claim(tier1, first) == 30_000_00
    assert lib.currency.balance_of(settlement.address) == 0
    assert settlement.units_of(payable_id, 1) == 1


def test_pause_needs_the_operator(w3: Web3, lib_deployment: Deployment, sender: Any) -> None:
    settlement = SettlementClient(w3, lib_deployment.settlement)
    with pytest.raises(SettlementError) as info:
        settlement.pause(sender(5))
    assert info.value.error_name == "SettlementUnauthorized"
    settlement.pause(sender(0))
    assert settlement.paused()
    settlement.pause(sender(0), False)
    assert not settlement.paused()
    assert settlement.financing_records() == lib_deployment.desk  # deploy_all wires the desk's records


@given(
    face=st.integers(min_value=1, max_value=2**64 - 1),
    data=st.data(),
)
def test_pro_rata_rounds_down_like_the_contract(face: int, data: Any) -> None:
    value = data.draw(st.integers(min_value=0, max_value=face))
    paid = data.draw(st.integers(min_value=0, max_value=face))
    share = pro_rata(value, paid, face)
    exact = Fraction(value * paid, face)
    assert share <= exact < share + 1
    if paid == face:
        assert share == value


def test_pro_rata_rejects_nonsense() -> None:
    with pytest.raises(AmountError):
        pro_rata(1, 1, 0)
    with pytest.raises(AmountError):
        pro_rata(1, 2, 1)
    with pytest.raises(AmountError):
        pro_rata(2, 1, 1)
