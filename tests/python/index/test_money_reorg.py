"""A reorganisation across a financing (chain.snapshot()/chain.revert()): the financing of the
abandoned branch leaves the index, the other branch's takes its place, and the index matches
one built from scratch. In its own module for the reason given in test_reorg.py."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from tests.python.index.helpers import CENTS, Story, dump, finance, fund
from tierchain.audit import index as ix
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.clients.desk import Offer

MakeIndex = Callable[..., tuple[ix.Index, ix.Indexer]]


def test_a_reorg_across_a_financing(
    chain: Any, story: Story, make_index: MakeIndex, lib: Contracts,
    sender: Callable[[int], Sender], keys: list[LocalAccount], w3: Web3,
) -> None:  # fmt: skip
    fund(lib, sender, keys)
    index, indexer = make_index("reorg-money", batch_blocks=3)
    indexer.sync()
    # A raw snapshot: brownie's own (taken by fn_isolation) must still undo this test after it.
    snap = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    # Branch A: keys[4] sells part of its piece with recourse, and pays some in; abandoned.
    lost = finance(lib, sender, keys, story)
    lib.settlement.pay(sender(2), story.payable_id, 1_000 * CENTS)
    indexer.sync()
    assert [f.token_id for f in ix.financing_history(index)] == [lost.financed]
    assert len(ix.payments(index)) == 1
    assert w3.provider.make_request("evm_revert", [snap])["result"]  # type: ignore[arg-type]
    # Branch B: keys[5] sells its whole piece without recourse, over more blocks.
    now = int(w3.eth.get_block("latest")["timestamp"])
    value = lib.token.balance_of(story.b)
    offer = Offer.fixed(keys[9].address, story.b, value, value * 99 // 100, deadline=now + 3_600,
                        seller=keys[5].address)  # fmt: skip
    kept = lib.desk.take(sender(5), lib.desk.sign(keys[9], offer))
    lib.token.split(sender(3), story.root, keys[8].address, 10_000 * CENTS)
    lib.token.split(sender(3), story.root, keys[8].address, 10_000 * CENTS)
    stats = indexer.sync()
    assert stats.reorgs == 1
    (f,) = ix.financing_history(index)
    assert (f.token_id, f.seller, f.recourse, f.price) == (story.b, keys[5].address, False, value * 99 // 100)
    assert kept.token_id == story.b and ix.payments(index) == []
    assert ix.piece(index, story.b).owner == keys[9].address
    fresh, fresh_indexer = make_index("fresh-money")
    fresh_indexer.sync()
    assert dump(index.conn) == dump(fresh.conn)
    assert ix.verify(w3, index).ok
