"""Reorganisations, simulated with brownie's chain.snapshot()/chain.revert() on the local chain:
the index must rewind to the common ancestor and then match an index built from scratch.

(In its own module: a snapshot taken inside a test replaces fn_isolation's, so the state before
it stays for the next test of the module; the tests here do not mind.)"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from tests.python.index.helpers import CENTS, Story, dump
from tierchain.audit import index as ix
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts

MakeIndex = Callable[..., tuple[ix.Index, ix.Indexer]]


def test_a_different_branch_replaces_the_indexed_one(
    chain: Any, story: Story, make_index: MakeIndex, lib: Contracts,
    sender: Callable[[int], Sender], keys: list[LocalAccount], w3: Web3,
) -> None:  # fmt: skip
    index, indexer = make_index("reorg", batch_blocks=2)
    indexer.sync()
    chain.snapshot()  # the fork point
    # Branch A: indexed, then abandoned.
    lost = lib.token.split(sender(4), story.a, keys[6].address, 100_000 * CENTS)
    lib.token.transfer_whole(sender(5), story.b, keys[8].address)
    indexer.sync()
    assert ix.piece(index, story.b).owner == keys[8].address
    assert ix.piece(index, lost).owner == keys[6].address
    chain.revert()
    # Branch B: other transactions at the same heights, and one block more.
    kept = lib.token.split(sender(4), story.a, keys[8].address, 200_000 * CENTS)
    lib.token.split(sender(5), story.b, keys[6].address, 300_000 * CENTS)
    lib.token.move_value(sender(3), story.root, story.a, 50_000 * CENTS)
    stats = indexer.sync()
    assert stats.reorgs == 1 and stats.rewound_blocks >= 2
    assert kept == lost  # the same piece index, minted on the other branch
    assert ix.piece(index, kept).owner == keys[8].address
    assert ix.piece(index, story.b).owner == keys[5].address
    assert int(index.meta("reorgs") or 0) == 1
    fresh, fresh_indexer = make_index("fresh")
    fresh_indexer.sync()
    assert dump(index.conn) == dump(fresh.conn)
    assert ix.verify(w3, index).ok


def test_a_chain_that_got_shorter_rewinds_to_its_head(
    chain: Any, story: Story, make_index: MakeIndex, lib: Contracts,
    sender: Callable[[int], Sender], keys: list[LocalAccount], w3: Web3,
) -> None:  # fmt: skip
    index, indexer = make_index("shorter")
    chain.snapshot()
    lib.token.split(sender(4), story.a, keys[6].address, 100_000 * CENTS)
    lib.token.split(sender(4), story.a, keys[7].address, 100_000 * CENTS)
    indexer.sync()
    before = len(ix.pieces_of_payable(index, story.payable_id))
    chain.revert()
    stats = indexer.sync()
    assert stats.reorgs == 1
    assert len(ix.pieces_of_payable(index, story.payable_id)) == before - 2
    cursor = index.cursor()
    assert cursor is not None and cursor.block_number <= w3.eth.block_number
    fresh, fresh_indexer = make_index("fresh")
    fresh_indexer.sync()
    assert dump(index.conn) == dump(fresh.conn)
