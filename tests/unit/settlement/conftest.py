"""Fixtures for Settlement: the contract wired as the token's settlement agent, a test
forwarder (ERC-2771), test financing records, funded debtors, pieces, and exact-time blocks."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from brownie import web3
from brownie.exceptions import VirtualMachineError

from tests.conftest import CENTS, DAY, h

AGENT_SETTLEMENT = 2
GRACE = 7 * DAY
FACE = 1_000_000 * CENTS  # 1,000,000.00
SPLIT = "uint256,address,uint256"
WHOLE = "address,address,uint256"


def on_anvil() -> bool:
    return "anvil" in web3.client_version.lower()


@pytest.fixture(autouse=True)
def anvil_clock(isolation: Any) -> None:
    """Anvil keeps its clock across snapshot reverts: re-anchor it one second after the
    restored chain's last block, so that time travel and exact-time blocks start from there."""
    if on_anvil():
        latest = web3.eth.get_block("latest").timestamp
        web3.provider.make_request("evm_setNextBlockTimestamp", [latest + 1])
        web3.provider.make_request("evm_mine", [])


# ---------------------------------------------------------------------------- deployments


@pytest.fixture(scope="module")
def forwarder(SpoofingForwarder: Any, admin: Any) -> Any:
    """Stands in for the RequestRelay: appends any sender (no signature check)."""
    return SpoofingForwarder.deploy({"from": admin})


@pytest.fixture(scope="module")
def records(FinancingRecordsStub: Any, admin: Any) -> Any:
    """Stands in for the FinancingDesk's records (set by each test)."""
    return FinancingRecordsStub.deploy({"from": admin})


@pytest.fixture(scope="module")
def settlement(Settlement: Any, token: Any, forwarder: Any, records: Any, members: Any, admin: Any) -> Any:
    s = Settlement.deploy(token, forwarder, GRACE, {"from": admin})
    token.setAgent(s, AGENT_SETTLEMENT, {"from": admin})
    s.setFinancingRecords(records, {"from": admin})
    return s


# ---------------------------------------------------------------------------- factories


@pytest.fixture
def fund(currency: Any, operator: Any, settlement: Any) -> Callable[..., None]:
    """Mint demo money (cents) to an account and approve the settlement contract for it."""

    def fund_(account: Any, cents: int, token: Any = None) -> None:
        cur = token or currency
        if token is None:
            cur.mint(account, cents, {"from": operator})
        else:
            cur.mint(account, cents * 10 ** (cur.decimals() - 2), {"from": account})
        cur.approve(settlement, 2**256 - 1, {"from": account})

    return fund_


@pytest.fixture
def payable(
    issue: Callable[..., tuple[int, int]], token: Any, suppliers: list[Any]
) -> Callable[..., tuple[int, list[int]]]:
    """Issue an accepted payable of `face` and split it into pieces of the given values for the
    given holders (the rest stays with suppliers[0] in the issued piece, listed first)."""

    def make(
        face: int = FACE, splits: list[tuple[Any, int]] | None = None, tenor: int = 90 * DAY
    ) -> tuple[int, list[int]]:
        payable_id, first = issue(face=face, tenor=tenor)
        ids = [first]
        for holder, value in splits or []:
            tx = token.transferFrom[SPLIT](first, holder, value, {"from": suppliers[0]})
            ids.append(tx.return_value)
        return payable_id, ids

    return make


def maturity_of(token_id: int) -> int:
    return token_id >> 96


def payable_of(token_id: int) -> int:
    return (token_id >> 32) & (2**64 - 1)


def mine_at(chain: Any, timestamp: int) -> None:
    """Mine an empty block at `timestamp`. brownie's chain.mine(timestamp=...) is refused by
    Anvil 1.7 ("Invalid request"); Anvil's own evm_mine takes the timestamp."""
    if on_anvil():
        web3.provider.make_request("evm_mine", [timestamp])  # type: ignore[arg-type]
    else:
        chain.mine(timestamp=timestamp)


@pytest.fixture
def travel(chain: Any) -> Callable[[int], None]:
    """Mine an empty block at `timestamp` (later transactions come at or after it)."""

    def travel_(timestamp: int) -> None:
        mine_at(chain, timestamp)

    return travel_


_distinct = itertools.count()


class _Reverted:
    """A transaction that reverted in its exact-time block (as Anvil reports it)."""

    status = 0

    def __init__(self, revert_msg: str) -> None:
        self.revert_msg = revert_msg


@pytest.fixture
def at_time(chain: Any) -> Callable[..., Any]:
    """Run one transaction in a block whose timestamp is exactly `timestamp`; returns the
    receipt (status 0 on revert, with brownie's decoded `revert_msg`).

    Ganache: stop the miner, send, mine the block at the timestamp, restart. Anvil: set the next
    block's timestamp, send."""

    def at_(timestamp: int, fn: Any, *args: Any, sender: Any) -> Any:
        latest = web3.eth.get_block("latest").timestamp
        assert timestamp > latest, "the chain is already past that instant"
        # A distinct gas limit each time: brownie caches receipts by hash, and the same call
        # from the same snapshot would otherwise repeat a hash and reuse a stale receipt.
        gas = 1_000_000 + next(_distinct)
        params = {"from": sender, "required_confs": 0, "gas_limit": gas, "allow_revert": True}
        if on_anvil():
            web3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])
            try:
                tx = fn(*args, params)
            except VirtualMachineError as e:  # Anvil reports the revert as it mines
                assert web3.eth.get_block("latest").timestamp == timestamp
                return _Reverted(str(e.revert_msg))
        else:
            web3.provider.make_request("miner_stop", [])
            try:
                tx = fn(*args, params)
                web3.provider.make_request("evm_mine", [timestamp])
            finally:
                web3.provider.make_request("miner_start", [])
        tx.wait(1)
        tx.status  # noqa: B018 (brownie fetches the revert reason lazily)
        assert web3.eth.get_block(tx.block_number).timestamp == timestamp
        return tx

    return at_


def doc(text: str) -> bytes:
    return h(text)
