"""The regulator's freezes, through the library and into the index: a frozen piece cannot move,
a frozen member can neither send nor receive, and every freeze is indexed with its reason."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from tests.python.index.helpers import CENTS, Story
from tierchain.audit import index as ix
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.core.errors import PayableError

MakeIndex = Callable[..., tuple[ix.Index, ix.Indexer]]


def test_a_frozen_piece_cannot_move_and_the_freeze_is_indexed(
    story: Story, make_index: MakeIndex, lib: Contracts, regulator_key: Sender,
    sender: Callable[[int], Sender], keys: list[LocalAccount], w3: Web3,
) -> None:  # fmt: skip
    order = Web3.keccak(text="court order 2026/117")
    regulator_key.send(lib.token.request("freezePiece(uint256,bytes32)", story.b, order))
    holder = sender(5)
    with pytest.raises(PayableError) as split:
        lib.token.split(holder, story.b, keys[6].address, 1_000 * CENTS)
    assert split.value.error_name == "PayablePieceFrozen"
    with pytest.raises(PayableError) as whole:
        lib.token.transfer_whole(holder, story.b, keys[6].address)
    assert whole.value.error_name == "PayablePieceFrozen"

    index, indexer = make_index()
    indexer.sync()
    assert ix.piece(index, story.b).frozen
    [record] = ix.freezes(index, subject_kind="piece")
    assert (record.subject, record.action) == (str(story.b), "freeze")
    assert record.reason_hash == "0x" + bytes(order).hex()
    assert record.by == regulator_key.address
    assert ix.history(index, story.b)[-1].kind == "frozen"
    assert ix.verify(w3, index).ok

    lifted = Web3.keccak(text="order lifted 2026/130")
    regulator_key.send(lib.token.request("unfreezePiece(uint256,bytes32)", story.b, lifted))
    lib.token.split(holder, story.b, keys[6].address, 1_000 * CENTS)  # moves again
    indexer.sync()
    assert not ix.piece(index, story.b).frozen
    assert [f.action for f in ix.freezes(index)] == ["freeze", "unfreeze"]
    assert ix.freezes(index)[1].reason_hash == "0x" + bytes(lifted).hex()
    assert ix.verify(w3, index).ok


def test_a_frozen_member_can_neither_send_nor_receive(
    story: Story, make_index: MakeIndex, lib: Contracts, regulator_key: Sender,
    sender: Callable[[int], Sender], keys: list[LocalAccount], w3: Web3,
) -> None:  # fmt: skip
    frozen = keys[4].address
    reason = Web3.keccak(text="sanctions screening hit")
    regulator_key.send(lib.membership.request("freeze(address,bytes32)", frozen, reason))
    with pytest.raises(PayableError) as send:
        lib.token.split(sender(4), story.a, keys[6].address, 1_000 * CENTS)
    assert send.value.error_name == "PayableSenderFrozen"
    with pytest.raises(PayableError) as receive:
        lib.token.split(sender(5), story.b, frozen, 1_000 * CENTS)
    assert receive.value.error_name == "PayableReceiverNotAllowed"

    index, indexer = make_index()
    indexer.sync()
    member = {m.account: m for m in ix.members(index)}[frozen]
    assert member.frozen
    [record] = ix.freezes(index, subject_kind="member", subject=frozen)
    assert record.reason_hash == "0x" + bytes(reason).hex() and record.action == "freeze"
    assert ix.verify(w3, index).ok

    regulator_key.send(lib.membership.request("unfreeze(address,bytes32)", frozen, reason))
    lib.token.split(sender(4), story.a, keys[6].address, 1_000 * CENTS)
    indexer.sync()
    assert not {m.account: m for m in ix.members(index)}[frozen].frozen
    assert ix.verify(w3, index).ok
