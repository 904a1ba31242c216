"""Stateful property test of Settlement against a Python model (plain hypothesis; brownie's
state_machine helper fails under mypyc). Random sequences of payments (some over-payments),
splits before maturity, time travel, claims, overdue marks, a guarantee and guarantor payments.
After every step:
1. the escrow holds exactly what was paid in minus what was paid out, and at least what the
   live pieces can still claim (sum of claimableOf);
2. total paid out <= total paid in; each piece's claimed amount equals the model's
   floor(value * paid / face) at its last claim, and never exceeds its value;
3. once paid in full and every piece claimed, the escrow holds nothing for the payable.
"""

from __future__ import annotations

import itertools
from typing import Any

from brownie.exceptions import VirtualMachineError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import CENTS, DAY, h
from tests.unit.settlement.conftest import mine_at

SPLIT = "uint256,address,uint256"
FACE = 10_000 * CENTS
TENOR = 20 * DAY
GRACE = 7 * DAY

_roots = itertools.count(1)
pick = st.integers(min_value=0, max_value=10_000)
who = st.integers(min_value=0, max_value=5)
cents = st.integers(min_value=1, max_value=FACE)
small = st.integers(min_value=100, max_value=FACE // 7)  # >= the minimum piece
seconds = st.integers(min_value=1, max_value=12 * DAY)


class SettlementMachine(RuleBasedStateMachine):
    settlement: Any
    token: Any
    registry: Any
    currency: Any
    core: Any
    operator: Any
    guarantor: Any
    outsider: Any
    people: list[Any]
    chain: Any

    def __init__(self) -> None:
        super().__init__()
        root = h(f"stateful-root-{next(_roots)}")
        holder = self.people[0]
        self.registry.registerPackage(root, 10, FACE, holder, h("doc"), {"from": self.core})
        self.maturity = self.chain.time() + TENOR
        tx = self.token.issue(holder, FACE, self.currency, self.maturity, root, h("conf"), {"from": self.core})
        self.payable_id, first = tx.return_value
        self.token.accept(self.payable_id, {"from": holder})
        for payer in (self.core, self.guarantor):
            self.currency.mint(payer, FACE, {"from": self.operator})
            self.currency.approve(self.settlement, 2**256 - 1, {"from": payer})
        self.escrow_start = self.currency.balanceOf(self.settlement)
        self.paid_in = 0
        self.paid_out = 0
        self.claimed: dict[int, int] = {}  # token id -> model's claimed cents
        self.values: dict[int, int] = {first: FACE}  # live pieces -> value (from the token)
        self.overdue = False
        self.guaranteed = False

    def teardown(self) -> None:
        self.chain.revert()

    # ------------------------------------------------------------------ helpers

    def _now(self) -> int:
        return int(self.chain[-1].timestamp)

    def _matured(self) -> bool:
        return self._now() >= self.maturity

    def _piece(self, n: int) -> int | None:
        if not self.values:
            return None
        ids = sorted(self.values)
        return ids[n % len(ids)]

    def _covered(self, value: int) -> int:
        return value * self.paid_in // FACE

    # ------------------------------------------------------------------ rules

    @initialize(
        splits=st.lists(st.tuples(pick, who, small), min_size=1, max_size=6),
        first=st.integers(min_value=1, max_value=FACE),
    )
    def start(self, splits: list[tuple[int, int, int]], first: int) -> None:
        """Every example starts with a few pieces and (usually) a first payment."""
        for n, to, amount in splits:
            self.split(n, to, amount)
        self.pay(first)

    @rule(amount=cents)
    def pay(self, amount: int) -> None:
        unpaid = FACE - self.paid_in
        try:
            self.settlement.pay(self.payable_id, amount, {"from": self.core})
        except VirtualMachineError as e:
            assert amount > unpaid, e.revert_msg  # refused only as an over-payment
            assert str(e.revert_msg).startswith(("SettlementOverpayment", "SettlementFullyPaid"))
            return
        assert amount <= unpaid
        self.paid_in += amount

    @rule(amount=small)
    def pay_small(self, amount: int) -> None:
        self.pay(amount)

    @rule()
    def pay_rest(self) -> None:
        if self.paid_in < FACE:
            self.pay(FACE - self.paid_in)

    @precondition(lambda self: not self._matured())
    @rule(n=pick, to=who, amount=small)
    def split_piece(self, n: int, to: int, amount: int) -> None:
        self.split(n, to, amount)

    def split(self, n: int, to: int, amount: int) -> None:
        token_id = self._piece(n)
        if token_id is None:
            return
        owner = self.token.ownerOf(token_id)
        try:
            tx = self.token.transferFrom[SPLIT](token_id, self.people[to], amount, {"from": owner})
        except VirtualMachineError as e:
            ok = ("PayableMatured", "PayableBelowMinimum", "PayableInsufficientValue")
            assert str(e.revert_msg).startswith(ok), e.revert_msg
            return
        assert not self._matured()
        new_id = tx.return_value
        self.values[new_id] = amount
        if amount == self.values[token_id]:
            del self.values[token_id]
        else:
            self.values[token_id] -= amount

    @rule(dt=seconds)
    def travel(self, dt: int) -> None:
        self.chain.sleep(dt)
        self.chain.mine()

    @precondition(lambda self: not self._matured())
    @rule()
    def jump_to_maturity(self) -> None:
        if self._now() < self.maturity:
            mine_at(self.chain, self.maturity)

    @rule()
    def jump_past_grace(self) -> None:
        """Also marks the payable overdue when it may be."""
        if self._now() < self.maturity + GRACE:
            mine_at(self.chain, self.maturity + GRACE)
        self.mark_overdue()

    @precondition(lambda self: self._matured())
    @rule(n=pick)
    def claim(self, n: int) -> None:
        token_id = self._piece(n)
        if token_id is not None:
            self._claim(token_id)

    @precondition(lambda self: self._matured())
    @rule(n=pick)
    def claim_again(self, n: int) -> None:
        self.claim(n)

    def _claim(self, token_id: int) -> None:
        owner = self.token.ownerOf(token_id)
        value = self.values[token_id]
        due = self._covered(value) - self.claimed.get(token_id, 0)
        try:
            tx = self.settlement.claim(token_id, {"from": owner})
        except VirtualMachineError as e:
            msg = str(e.revert_msg)
            if msg.startswith("SettlementNotMatured"):
                assert not self._matured()
            else:
                assert msg.startswith("SettlementNothingToClaim"), msg
                assert due == 0
            return
        got = tx.return_value
        assert got == due
        self.paid_out += got
        if self.paid_in == FACE:
            del self.values[token_id]  # burned
            self.claimed.pop(token_id, None)
        else:
            self.claimed[token_id] = self._covered(value)

    @rule(n=pick)
    def non_holder_claim(self, n: int) -> None:
        token_id = self._piece(n)
        if token_id is None:
            return
        try:
            self.settlement.claim(token_id, {"from": self.outsider})
        except VirtualMachineError as e:
            assert str(e.revert_msg).startswith(
                ("SettlementNotHolder", "SettlementNotMatured", "SettlementNothingToClaim")
            )
        else:
            raise AssertionError("a non-holder's claim succeeded")

    @precondition(lambda self: self._matured())
    @rule()
    def mark_overdue(self) -> None:
        try:
            self.settlement.markOverdue(self.payable_id, {"from": self.outsider})
        except VirtualMachineError as e:
            msg = str(e.revert_msg)
            assert msg.startswith(("SettlementNotOverdueYet", "SettlementAlreadyOverdue", "SettlementFullyPaid")), msg
            return
        assert self.paid_in < FACE and not self.overdue
        self.overdue = True

    @precondition(lambda self: not self.guaranteed)
    @rule(limit=cents)
    def guarantee(self, limit: int) -> None:
        try:
            self.settlement.registerGuarantee(self.payable_id, limit, {"from": self.guarantor})
        except VirtualMachineError as e:
            assert str(e.revert_msg).startswith("SettlementFullyPaid"), e.revert_msg
            return
        self.guaranteed = True

    @precondition(lambda self: self.guaranteed)
    @rule(amount=small)
    def guarantor_pay(self, amount: int) -> None:
        try:
            self.settlement.guarantorPay(self.payable_id, amount, {"from": self.guarantor})
        except VirtualMachineError as e:
            ok = ("SettlementNotGuarantor", "SettlementNotOverdue", "SettlementLimitExceeded",
                  "SettlementOverpayment", "SettlementFullyPaid")  # fmt: skip
            assert str(e.revert_msg).startswith(ok), e.revert_msg
            return
        assert self.guaranteed and self.overdue
        self.paid_in += amount

    @precondition(lambda self: self._matured() and self.paid_in == FACE)
    @rule()
    def claim_everything(self) -> None:
        """If paid in full and matured: every holder claims; the escrow ends empty."""
        if self.paid_in != FACE or not self._matured():
            return
        for token_id in sorted(self.values):
            self._claim(token_id)
        assert not self.values
        assert self.currency.balanceOf(self.settlement) == self.escrow_start

    # ------------------------------------------------------------------ invariants

    @invariant()
    def escrow_covers_what_holders_can_claim(self) -> None:
        escrow = self.currency.balanceOf(self.settlement) - self.escrow_start
        assert escrow == self.paid_in - self.paid_out
        assert self.paid_out <= self.paid_in
        claimable = sum(self.settlement.claimableOf(t) for t in self.values)
        assert escrow >= claimable
        account = self.settlement.accountOf(self.payable_id)
        if account["open"]:
            assert account["paidCents"] == self.paid_in

    @invariant()
    def claimed_matches_model(self) -> None:
        for token_id, value in self.values.items():
            on_chain = self.settlement.claimedOf(token_id)
            assert on_chain == self.claimed.get(token_id, 0) <= value

    @invariant()
    def empty_once_all_paid_and_claimed(self) -> None:
        if self.paid_in == FACE and not self.values:
            assert self.currency.balanceOf(self.settlement) == self.escrow_start


def test_settlement_invariants(
    settlement: Any, token: Any, registry: Any, currency: Any, core: Any, operator: Any,
    guarantor: Any, outsider: Any, suppliers: list[Any], chain: Any, members: Any,
) -> None:  # fmt: skip
    m = SettlementMachine
    m.settlement, m.token, m.registry, m.currency = settlement, token, registry, currency
    m.core, m.operator, m.guarantor, m.outsider = core, operator, guarantor, outsider
    m.people, m.chain = suppliers, chain
    chain.snapshot()
    run_state_machine_as_test(
        SettlementMachine,
        settings=settings(
            max_examples=15, stateful_step_count=30, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
