"""Stateful property test of the payable token against a Python model.

Random sequences of issue, accept, split, batch payouts, value moves, whole transfers, merges,
suspensions and reinstatements; after every step:
1. per payable, the values of its live pieces add up to its face value (value is conserved);
2. value never crosses payables (every piece's slot is its payable, and 1 holds per payable);
3. only a member that can receive gets a piece: active, and holding a holder role (supplier,
   financier or guarantor; an auditor or a core enterprise cannot), checked against the model at
   every issue, split, value move and whole transfer, while a rule changes members' roles; the
   registry takes only an active supplier as seller; and the membership's roles and the token's
   cached receive right of every person match the model after every step;
4. nothing moves before acceptance (a pending payable has exactly its issued piece).

The cast has real role differences (three suppliers, a financier, a guarantor, an auditor) and
roles change during a run, so invariant 3 can fail. Mutation tried (then reverted): dropping
``_notify(account)`` from ``Membership.setRoles``, so the token keeps a stale receive right. The
machine failed in two steps: issue to the guarantor, set the guarantor's roles to auditor, and the
token still counted the auditor as able to receive. The old machine (all suppliers, no role
changes) never calls ``setRoles``, so it could not catch that.
"""

from __future__ import annotations

from typing import Any

import pytest
from brownie.exceptions import VirtualMachineError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.conftest import (
    CENTS,
    DAY,
    ROLE_AUDITOR,
    ROLE_CORE,
    ROLE_FINANCIER,
    ROLE_GUARANTOR,
    ROLE_SUPPLIER,
    h,
)

SPLIT = "uint256,address,uint256"
MOVE = "uint256,uint256,uint256"
WHOLE = "address,address,uint256"


face = st.integers(min_value=1, max_value=50_000)  # whole yuan
pick = st.integers(min_value=0, max_value=10_000)
who = st.integers(min_value=0, max_value=5)
amount = st.integers(min_value=1, max_value=60_000 * CENTS)
flag = st.booleans()
HOLDER_ROLES = ROLE_SUPPLIER | ROLE_FINANCIER | ROLE_GUARANTOR
# Roles an operator may set (governance roles are the admin's alone); some hold, some cannot.
ROLE_SETS = (
    ROLE_SUPPLIER,
    ROLE_FINANCIER,
    ROLE_GUARANTOR,
    ROLE_AUDITOR,
    ROLE_CORE,
    ROLE_SUPPLIER | ROLE_FINANCIER,
    ROLE_AUDITOR | ROLE_GUARANTOR,
)
INITIAL_ROLES = (ROLE_SUPPLIER, ROLE_SUPPLIER, ROLE_SUPPLIER, ROLE_FINANCIER, ROLE_GUARANTOR, ROLE_AUDITOR)
role_set = st.integers(min_value=0, max_value=len(ROLE_SETS) - 1)


class PayableMachine(RuleBasedStateMachine):
    """Brownie 1.22.2's own state_machine helper fails under mypyc, so this is plain hypothesis;
    every example starts from the chain snapshot taken by the test (reverted in teardown)."""

    token: Any
    registry: Any
    membership: Any
    currency: Any
    core: Any
    operator: Any
    people: list[Any]
    chain: Any

    def __init__(self) -> None:
        super().__init__()
        self.pieces: dict[int, tuple[int, Any]] = {}  # live token id -> (payable id, owner)
        self.faces: dict[int, int] = {}
        self.pending: set[int] = set()
        self.suspended: set[str] = set()
        self.roles: dict[str, int] = {p.address: r for p, r in zip(self.people, INITIAL_ROLES, strict=True)}
        self.count = 0

    def teardown(self) -> None:
        self.chain.revert()

    # ------------------------------------------------------------------ helpers

    def _piece(self, pick: int) -> int | None:
        if not self.pieces:
            return None
        ids = sorted(self.pieces)
        return ids[pick % len(ids)]

    def _can_receive(self, account: Any) -> bool:
        return account.address not in self.suspended and bool(self.roles[account.address] & HOLDER_ROLES)

    def _can_sell(self, account: Any) -> bool:
        return account.address not in self.suspended and bool(self.roles[account.address] & ROLE_SUPPLIER)

    def _try(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except VirtualMachineError as e:
            return e

    # ------------------------------------------------------------------ rules

    @rule(face=face, who=who)
    def rule_issue(self, face: int, who: int) -> None:
        self.count += 1
        creditor = self.people[who]
        root = h(f"stateful-root-{self.count}-{self.chain.height}")
        cents = face * CENTS
        registered = self._try(self.registry.registerPackage, root, 1, cents, creditor, h("doc"), {"from": self.core})
        # the registry takes only an active supplier as seller
        assert isinstance(registered, VirtualMachineError) != self._can_sell(creditor), getattr(
            registered, "revert_msg", registered
        )
        if isinstance(registered, VirtualMachineError):
            return
        tx = self._try(
            self.token.issue,
            creditor,
            cents,
            self.currency,
            self.chain.time() + 300 * DAY,
            root,
            h("conf"),
            {"from": self.core},
        )
        if isinstance(tx, VirtualMachineError):
            assert not self._can_receive(creditor), tx.revert_msg
            return
        assert self._can_receive(creditor)
        payable_id, token_id = tx.return_value
        self.pieces[token_id] = (payable_id, creditor)
        self.faces[payable_id] = cents
        self.pending.add(payable_id)

    @rule(pick=pick)
    def rule_accept(self, pick: int) -> None:
        token_id = self._piece(pick)
        if token_id is None:
            return
        payable_id, owner = self.pieces[token_id]
        result = self._try(self.token.accept, payable_id, {"from": owner})
        if payable_id in self.pending:
            assert not isinstance(result, VirtualMachineError), result.revert_msg
            self.pending.discard(payable_id)
        else:
            assert isinstance(result, VirtualMachineError)

    @rule(pick=pick, who=who, amount=amount)
    def rule_split(self, pick: int, who: int, amount: int) -> None:
        token_id = self._piece(pick)
        if token_id is None:
            return
        payable_id, owner = self.pieces[token_id]
        to = self.people[who]
        balance = self.token.balanceOf["uint256"](token_id)
        tx = self._try(self.token.transferFrom[SPLIT], token_id, to, amount, {"from": owner})
        ok = (
            payable_id not in self.pending
            and self._can_receive(to)
            and amount >= 100
            and amount <= balance
            and (balance - amount == 0 or balance - amount >= 100)
        )
        assert isinstance(tx, VirtualMachineError) != ok, getattr(tx, "revert_msg", tx)
        if ok:
            self.pieces[tx.return_value] = (payable_id, to)
            if amount == balance:
                del self.pieces[token_id]

    @rule(pick=pick, receivers=st.lists(st.tuples(who, amount), min_size=1, max_size=4))
    def rule_payout(self, pick: int, receivers: list[tuple[int, int]]) -> None:
        """A batch payout is all or nothing and ends as the same splits one by one would."""
        token_id = self._piece(pick)
        if token_id is None:
            return
        payable_id, owner = self.pieces[token_id]
        to = [self.people[w] for w, _ in receivers]
        values = [v for _, v in receivers]
        balance = self.token.balanceOf["uint256"](token_id)
        tx = self._try(self.token.payout, token_id, to, values, {"from": owner})
        total = sum(values)
        ok = (
            payable_id not in self.pending
            and all(self._can_receive(t) for t in to)
            and all(v >= 100 for v in values)
            and total <= balance
            and (balance - total == 0 or balance - total >= 100)
        )
        assert isinstance(tx, VirtualMachineError) != ok, getattr(tx, "revert_msg", tx)
        if ok:
            first = tx.return_value
            for i, receiver in enumerate(to):
                self.pieces[first + i] = (payable_id, receiver)
            if total == balance:
                del self.pieces[token_id]

    @rule(pick=pick, who=who, amount=amount)
    def rule_move_value(self, pick: int, who: int, amount: int) -> None:
        source = self._piece(pick)
        target = self._piece(pick + who + 1)
        if source is None or target is None:
            return
        payable_id, owner = self.pieces[source]
        target_payable, target_owner = self.pieces[target]
        balance = self.token.balanceOf["uint256"](source)
        tx = self._try(self.token.transferFrom[MOVE], source, target, amount, {"from": owner})
        ok = (
            source != target
            and payable_id == target_payable
            and payable_id not in self.pending
            and (target_owner == owner or self._can_receive(target_owner))
            and amount <= balance
            and (balance - amount == 0 or balance - amount >= 100)
        )
        assert isinstance(tx, VirtualMachineError) != ok, getattr(tx, "revert_msg", tx)
        if ok and amount == balance:
            del self.pieces[source]

    @rule(pick=pick, who=who)
    def rule_transfer_whole(self, pick: int, who: int) -> None:
        token_id = self._piece(pick)
        if token_id is None:
            return
        payable_id, owner = self.pieces[token_id]
        to = self.people[who]
        tx = self._try(self.token.transferFrom[WHOLE], owner, to, token_id, {"from": owner})
        ok = payable_id not in self.pending and self._can_receive(to)
        assert isinstance(tx, VirtualMachineError) != ok, getattr(tx, "revert_msg", tx)
        if ok:
            self.pieces[token_id] = (payable_id, to)

    @rule(pick=pick, who=who)
    def rule_merge(self, pick: int, who: int) -> None:
        source = self._piece(pick)
        target = self._piece(pick + who + 1)
        if source is None or target is None:
            return
        payable_id, owner = self.pieces[source]
        target_payable, target_owner = self.pieces[target]
        tx = self._try(self.token.merge, source, target, {"from": owner})
        ok = source != target and payable_id == target_payable and owner == target_owner
        ok = ok and payable_id not in self.pending
        assert isinstance(tx, VirtualMachineError) != ok, getattr(tx, "revert_msg", tx)
        if ok:
            del self.pieces[source]

    @rule(who=who, flag=flag)
    def rule_suspend_or_reinstate(self, who: int, flag: bool) -> None:
        account = self.people[who]
        if flag and account.address not in self.suspended:
            self.membership.suspend(account, h("reason"), {"from": self.operator})
            self.suspended.add(account.address)
        elif not flag and account.address in self.suspended:
            self.membership.reinstate(account, {"from": self.operator})
            self.suspended.discard(account.address)

    @rule(who=who, choice=role_set)
    def rule_set_roles(self, who: int, choice: int) -> None:
        account = self.people[who]
        roles = ROLE_SETS[choice]
        self.membership.setRoles(account, roles, {"from": self.operator})
        self.roles[account.address] = roles

    # ------------------------------------------------------------------ invariants

    @invariant()
    def invariant_value_is_conserved_per_payable(self) -> None:
        totals: dict[int, int] = dict.fromkeys(self.faces, 0)
        for token_id, (payable_id, owner) in self.pieces.items():
            assert self.token.ownerOf(token_id) == owner
            assert self.token.slotOf(token_id) == payable_id  # value never crosses payables
            totals[payable_id] += self.token.balanceOf["uint256"](token_id)
        assert totals == self.faces

    @invariant()
    def invariant_roles_and_receive_rights_match_the_model(self) -> None:
        for person in self.people:
            assert self.membership.memberOf(person)["roles"] == self.roles[person.address]
            can = self._can_receive(person)
            assert self.membership.canReceive(person) == can
            assert self.token.holderOf(person)[1] == can  # the right the token caches

    @invariant()
    def invariant_nothing_moves_before_acceptance(self) -> None:
        for payable_id in self.pending:
            p = self.token.payableOf(payable_id)
            assert p["status"] == 1 and p["pieceCount"] == 1


@pytest.mark.slow
def test_payable_invariants(
    token, registry, membership, currency, core, operator, suppliers, financiers, guarantor, auditor, chain, members
):
    PayableMachine.token, PayableMachine.registry, PayableMachine.membership = token, registry, membership
    PayableMachine.currency, PayableMachine.core, PayableMachine.operator = currency, core, operator
    PayableMachine.people = [*suppliers[:3], financiers[0], guarantor, auditor]
    PayableMachine.chain = chain
    chain.snapshot()
    run_state_machine_as_test(
        PayableMachine,
        settings=settings(
            max_examples=15, stateful_step_count=25, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
