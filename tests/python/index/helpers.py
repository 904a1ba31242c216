"""Helpers of the index tests: a small lifecycle and a table dump for comparing indexes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from tierchain.chain.local import advance_time
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.clients.desk import Offer
from tierchain.core.ids import Role

CENTS = 100
FACE = 10_000_000 * CENTS
DERIVED = (
    "pieces",
    "payables",
    "members",
    "packages",
    "moves",
    "freezes",
    "financings",
    "accounts",
    "payments",
    "claims",
    "overdue_marks",
    "guarantees",
    "recourses",
)


@dataclass
class Story:
    """Ids of a small lifecycle: issue → accept → splits down three tiers → value move →
    merge → whole transfer."""

    payable_id: int
    root: int  # P#1, held by supplier keys[3]
    a: int  # P#2 tier 2, keys[4]
    b: int  # P#3 tier 2, keys[5]
    c: int  # P#4 tier 3 (from a), keys[4] then transferred to keys[7]
    d: int  # P#5 tier 3 (from b), merged back into b (burned)
    package_root: bytes


def run_story(lib: Contracts, sender: Callable[[int], Sender], keys: list[LocalAccount], tag: str = "a") -> Story:
    core, s3, s4, s5 = sender(2), sender(3), sender(4), sender(5)
    w3 = lib.token.w3
    root_hash = Web3.keccak(text=f"package-{tag}-{w3.eth.block_number}")
    lib.registry.register_package(core, root_hash, 40, FACE, s3.address, Web3.keccak(text="doc"))
    maturity = int(w3.eth.get_block("latest")["timestamp"]) + 90 * 86_400
    pid, root = lib.token.issue(
        core, s3.address, FACE, lib.deployment.currency, maturity, root_hash,
        Web3.keccak(text="confirmation"),
    )  # fmt: skip
    lib.token.accept(s3, pid)
    a = lib.token.split(s3, root, s4.address, 3_000_000 * CENTS)
    b = lib.token.split(s3, root, s5.address, 2_000_000 * CENTS)
    c = lib.token.split(s4, a, s4.address, 1_000_000 * CENTS)
    lib.token.move_value(s3, root, a, 500_000 * CENTS)
    d = lib.token.split(s5, b, s5.address, 500_000 * CENTS)
    lib.token.merge(s5, d, b)
    lib.token.transfer_whole(s4, c, keys[7].address)
    return Story(pid, root, a, b, c, d, bytes(root_hash))


def dump(conn: Any) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the events and derived tables, sorted (for comparing two indexes)."""
    out = {}
    for table in ("events", *DERIVED):
        out[table] = sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    return out


@dataclass
class MoneyStory:
    """The lifecycle of :func:`run_story` plus money: financier keys[9] buys part of piece
    ``a`` from keys[4] with recourse; the debtor pays 20 %; past maturity + grace the payable is
    marked overdue, the guarantor keys[11] pays 50 %, keys[7] and keys[5] claim,
    the financier exercises recourse and keys[4] settles it; the debtor repays the guarantor
    10 %."""

    story: Story
    financed: int  # the piece the financier received
    financed_value: int
    price: int
    uncovered: int = 0
    recourse_paid: int = 0
    claims: dict[int, int] | None = None


FIN_VALUE = 1_000_000 * CENTS
FIN_PRICE = 980_000 * CENTS


def fund(lib: Contracts, sender: Callable[[int], Sender], keys: list[LocalAccount]) -> None:
    """keys[11] admitted as guarantor; currency minted and approved for the payers."""
    op = sender(1)
    lib.membership.admit(op, keys[11].address, Role.GUARANTOR, Web3.keccak(text="id:guarantor"))
    unit = 10 ** (lib.currency.decimals() - 2)
    for i in (2, 4, 9, 11):
        lib.currency.mint(op, keys[i].address, FACE * unit)
    lib.desk.approve_currency(sender(9), lib.deployment.currency, 2**256 - 1)
    for i in (2, 4, 11):
        lib.settlement.approve(sender(i), lib.deployment.currency)


def finance(lib: Contracts, sender: Callable[[int], Sender], keys: list[LocalAccount], story: Story) -> MoneyStory:
    """The financing with recourse (a signed offer taken by the seller)."""
    w3 = lib.token.w3
    now = int(w3.eth.get_block("latest")["timestamp"])
    offer = Offer.fixed(
        keys[9].address, story.a, FIN_VALUE, FIN_PRICE, deadline=now + 86_400,
        seller=keys[4].address, recourse=True,
    )  # fmt: skip
    result = lib.desk.take(sender(4), lib.desk.sign(keys[9], offer))
    return MoneyStory(story, result.token_id, result.value, result.price)


def settle(lib: Contracts, sender: Callable[[int], Sender], m: MoneyStory) -> None:
    """Payments, overdue, guarantee, claims and recourse (see :class:`MoneyStory`)."""
    w3 = lib.token.w3
    pid = m.story.payable_id
    lib.settlement.open(sender(1), pid)
    lib.settlement.guarantee(sender(11), pid, FACE // 2)
    lib.settlement.pay(sender(2), pid, FACE // 5)
    status = lib.settlement.status_of(pid)
    now = int(w3.eth.get_block("latest")["timestamp"])
    advance_time(w3, status.overdue_at - now + 1)
    lib.settlement.mark_overdue(sender(1), pid)
    lib.settlement.guarantor_pay(sender(11), pid, FACE // 2)
    m.claims = {
        m.story.c: lib.settlement.claim(sender(7), m.story.c),
        m.story.b: lib.settlement.claim(sender(5), m.story.b),
    }
    m.uncovered = lib.settlement.exercise_recourse(sender(9), m.financed)
    m.recourse_paid = lib.settlement.settle_recourse(sender(4), m.financed)
    lib.settlement.repay_guarantor(sender(2), pid, FACE // 10)
