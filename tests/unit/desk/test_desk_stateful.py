"""Stateful property: a financing moves the piece if and only if the price moved (invariant 6).

Random sequences of offers (signed or posted; whole or part; fixed or rate; valid or broken in
one way: expired, wrong taker, too little allowance, value above the piece, cancelled, replayed,
nonce below the floor), trading pauses and time passing. Around every take attempt the pieces,
owners and currency balances are read before and after: either nothing changed, or the piece
(or part) reached the financier AND exactly the price reached the seller from the financier.
"""

from __future__ import annotations

from typing import Any

from brownie.exceptions import VirtualMachineError
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test

from tests.conftest import CENTS, DAY, h
from tierchain.clients.desk import Offer, sign_offer

FAULTS = ["none", "none", "none", "expired", "wrong_taker", "allowance", "too_much", "cancelled", "replay", "nonce"]


class DeskMachine(RuleBasedStateMachine):
    desk: Any
    token: Any
    currency: Any
    registry: Any
    core: Any
    operator: Any
    suppliers: list[Any]
    financiers: list[Any]
    keys: dict[str, Any]
    chain: Any
    total_money: int
    successes = 0

    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[int] = []
        self.count = 0
        self.nonce = 10
        self.used: list[tuple[Offer, bytes]] = []
        self.paused = False
        self.financed_value = 0
        self.paid = 0

    def teardown(self) -> None:
        self.chain.revert()

    def _snapshot(self, ids: list[int], people: list[Any]) -> tuple[Any, ...]:
        return (
            tuple(
                (
                    self.token.ownerOf(i) if self.token.pieceOf(i)["owner"] != "0x" + "00" * 20 else None,
                    self.token.balanceOf["uint256"](i) if self.token.pieceOf(i)["owner"] != "0x" + "00" * 20 else 0,
                )
                for i in ids
            ),
            tuple(self.currency.balanceOf(p) for p in people),
        )

    @initialize()
    def one_plain_financing(self) -> None:
        """Every example starts with one valid take, so the property always meets a success."""
        self.issue(1_000_000, 0)
        self.take(0, 0, 50, 600, 0, False, True, "none")

    @rule(face=st.integers(1_000, 2_000_000), who=st.integers(0, 2))
    def issue(self, face: int, who: int) -> None:
        if self.paused:
            return
        self.count += 1
        creditor = self.suppliers[who]
        root = h(f"desk-stateful-{self.count}-{self.chain.height}")
        self.registry.registerPackage(root, 1, face * CENTS, creditor, h("doc"), {"from": self.core})
        tx = self.token.issue(
            creditor, face * CENTS, self.currency, self.chain.time() + 60 * DAY, root, h("c"), {"from": self.core}
        )
        payable_id, token_id = tx.return_value
        self.token.accept(payable_id, {"from": creditor})
        self.pieces.append(token_id)

    @rule(
        pick=st.integers(0, 1000),
        fin=st.integers(0, 1),
        share=st.integers(1, 100),
        rate=st.one_of(st.none(), st.integers(0, 10_000)),
        discount=st.integers(0, 30),
        posted=st.booleans(),
        recourse=st.booleans(),
        fault=st.sampled_from(FAULTS),
    )
    def take(
        self, pick: int, fin: int, share: int, rate: int | None, discount: int, posted: bool, recourse: bool, fault: str
    ) -> None:
        if not self.pieces:
            return
        live = [i for i in self.pieces if self.token.pieceOf(i)["owner"] != "0x" + "00" * 20]
        if not live:
            return
        token_id = live[pick % len(live)]
        seller = self.token.ownerOf(token_id)
        financier = self.financiers[fin]
        if seller == financier.address:
            financier = self.financiers[1 - fin]
        balance = self.token.balanceOf["uint256"](token_id)
        value = max(balance * share // 100, 100)
        if balance - value < 100:
            value = balance
        if fault == "too_much":
            value = balance + 1
        self.nonce += 1
        deadline = self.chain.time() + (-10 if fault == "expired" else DAY)
        if rate is None:
            offer = Offer.fixed(
                financier.address,
                token_id,
                value,
                max(value * (100 - discount) // 100, 1),
                deadline=max(deadline, 0),
                recourse=recourse,
                nonce=self.nonce,
            )
        else:
            offer = Offer.at_rate(
                financier.address, token_id, value, rate, deadline=max(deadline, 0), recourse=recourse, nonce=self.nonce
            )
        replayed = fault == "replay" and bool(self.used)
        if replayed:
            offer, sig = self.used[pick % len(self.used)]
            posted = False
        else:
            sig = sign_offer(self.keys[financier.address], offer, self.chain.id, self.desk.address).signature
        if fault == "cancelled":
            self.desk.cancel(self.desk.hashOffer(offer.as_tuple()), {"from": financier})
        if fault == "nonce":
            self.desk.invalidateNonces(self.nonce + 1, {"from": financier})
        if fault == "allowance":
            self.currency.approve(self.desk, 1, {"from": financier})
        if posted and fault not in ("expired",):
            try:
                self.desk.post(offer.as_tuple(), {"from": financier})
            except VirtualMachineError:
                posted = False
        taker = (
            self.suppliers[(self.suppliers.index(seller) + 1) % 3]
            if (fault == "wrong_taker" and seller in self.suppliers)
            else seller
        )
        people = [*self.suppliers, *self.financiers]
        watched = [token_id]
        count_before = self.token.payableOf((token_id >> 32) & (2**64 - 1))["pieceCount"]
        before = self._snapshot(watched, people)
        seller_cur, fin_cur = self.currency.balanceOf(seller), self.currency.balanceOf(financier)
        try:
            if posted:
                tx = self.desk.takePosted(offer.as_tuple(), {"from": taker})
            else:
                tx = self.desk.take(offer.as_tuple(), sig, {"from": taker})
        except VirtualMachineError:
            tx = None
        if fault == "allowance":
            self.currency.approve(self.desk, 2**256 - 1, {"from": financier})
        count_after = self.token.payableOf((token_id >> 32) & (2**64 - 1))["pieceCount"]
        if tx is None:
            assert self._snapshot(watched, people) == before  # nothing moved
            assert count_after == count_before  # no piece split off
            return
        # It went through: the piece (or part) reached the financier and exactly the price was paid.
        harmless = fault == "none" or (fault == "replay" and not replayed)
        harmless = harmless or (fault == "wrong_taker" and taker == seller)
        assert harmless and not self.paused, fault
        DeskMachine.successes += 1
        received = tx.return_value
        price = tx.events["Financed"]["price"]
        assert self.token.ownerOf(received) == financier
        assert self.token.balanceOf["uint256"](received) == offer.value
        assert self.currency.balanceOf(seller) - seller_cur == price
        assert fin_cur - self.currency.balanceOf(financier) == price
        assert 0 < price <= offer.value
        assert price == offer.price_at(tx.timestamp)
        rec = self.desk.financingOf(received)
        assert (rec["financier"], rec["seller"], rec["value"], rec["price"], rec["recourse"]) == (
            financier.address,
            seller,
            offer.value,
            price,
            offer.recourse,
        )
        if received != token_id:
            self.pieces.append(received)
        self.used.append((offer, sig))
        self.financed_value += offer.value
        self.paid += price

    @rule(flag=st.booleans())
    def pause(self, flag: bool) -> None:
        if flag != self.paused:
            self.token.setTradingPaused(flag, {"from": self.operator})
            self.paused = flag

    @rule(days=st.integers(1, 20))
    def time_passes(self, days: int) -> None:
        self.chain.sleep(days * DAY)
        self.chain.mine()

    @invariant()
    def money_only_moves_between_financiers_and_sellers(self) -> None:
        total = sum(self.currency.balanceOf(p) for p in [*self.suppliers, *self.financiers])
        assert total == self.total_money


def test_financing_moves_piece_iff_price_moved(
    desk, token, currency, registry, core, operator, suppliers, funded, keys, chain
):
    M = DeskMachine
    M.desk, M.token, M.currency, M.registry, M.core, M.operator = desk, token, currency, registry, core, operator
    M.suppliers, M.financiers, M.keys, M.chain = suppliers[:3], funded, keys, chain
    M.total_money = sum(currency.balanceOf(p) for p in [*suppliers[:3], *funded])
    chain.snapshot()
    run_state_machine_as_test(
        DeskMachine,
        settings=settings(
            max_examples=12, stateful_step_count=20, deadline=None, suppress_health_check=list(HealthCheck)
        ),
    )
    assert DeskMachine.successes > 0  # the property was exercised on real financings too
