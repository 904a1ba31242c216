"""The follower (a service's index thread) on both databases: it keeps the index synced, exactly
one of several followers writes, and a killed writer is replaced without losing or duplicating
an event."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3

from tests.python.index.helpers import Story, run_story
from tests.python.index.pg import PgServer
from tierchain.audit import index as ix
from tierchain.audit.db import WRITER_LOCK_KEY
from tierchain.chain.deployment import Deployment
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts

IndexDb = Callable[[str], str | Path]


def chain_logs(w3: Web3, deployment: Deployment) -> list[tuple[int, int, str]]:
    """(block, log index, tx hash) of every log of the watched contracts, from the chain."""
    addresses = [a for a, _ in ix.watched_contracts(deployment).values()]
    logs = w3.eth.get_logs(
        {"fromBlock": ix.deployment_start_block(w3, deployment), "toBlock": "latest", "address": addresses}
    )
    return sorted((int(g["blockNumber"]), int(g["logIndex"]), "0x" + bytes(g["transactionHash"]).hex()) for g in logs)


def indexed_logs(db: str | Path) -> list[tuple[int, int, str]]:
    with ix.open_index(db) as view:
        rows = view.conn.execute("SELECT block_number, log_index, tx_hash FROM events").fetchall()
    return sorted((int(b), int(li), str(tx)) for b, li, tx in rows)


def new_w3(w3: Web3) -> Web3:
    return Web3(HTTPProvider(str(w3.provider.endpoint_uri)))  # type: ignore[attr-defined]


def wait_writer(*followers: ix.Follower, timeout: float = 30.0) -> ix.Follower:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        writers = [f for f in followers if f.status().is_writer]
        if writers:
            return writers[0]
        time.sleep(0.05)
    raise AssertionError(f"no writer elected: {[f.status() for f in followers]}")


def test_a_follower_keeps_the_index_synced_and_reports_its_status(
    story: Story, w3: Web3, lib_deployment: Deployment, index_db: IndexDb, db_kind: str
) -> None:
    db = index_db("followed")
    follower = ix.Follower(new_w3(w3), lib_deployment, db, poll_seconds=0.05, batch_blocks=5)
    with follower:
        assert follower.wait_synced(timeout=60)
        status = follower.status()
        assert status.is_writer
    assert follower.status().is_writer is False  # stopped: the writer role is given up
    assert status.db_kind == db_kind and status.last_error is None
    assert status.indexed_block == status.head_block == w3.eth.block_number and status.lag_blocks == 0
    assert indexed_logs(db) == chain_logs(w3, lib_deployment)
    with ix.open_index(db) as view:  # the read side answers the queries as methods
        assert len(view.pieces_of_payable(story.payable_id)) == 5
        assert [p.token_id for p in view.ancestors(story.c)] == [story.a, story.root]
        assert view.positions(view.piece(story.c).owner).total_value == view.piece(story.c).value


def test_exactly_one_follower_writes_and_a_killed_writer_is_replaced(
    story: Story, w3: Web3, lib: Contracts, lib_deployment: Deployment, sender: Callable[[int], Sender],
    keys: list[LocalAccount], index_db: IndexDb, db_kind: str, request: pytest.FixtureRequest,
) -> None:  # fmt: skip
    db = index_db("shared")
    a = ix.Follower(new_w3(w3), lib_deployment, db, poll_seconds=0.05, batch_blocks=1)
    b = ix.Follower(new_w3(w3), lib_deployment, db, poll_seconds=0.05, batch_blocks=1)
    a.start()
    try:
        assert wait_writer(a) is a
        b.start()
        assert a.wait_synced(timeout=60) and b.wait_synced(timeout=60)
        assert a.status().is_writer and not b.status().is_writer  # the standby never wrote
        assert b.events_written == 0

        run_story(lib, sender, keys, tag="after-start")  # more events while a writes, batch by batch
        # Kill the writer mid-stream: its database session dies (a crash, a cut cable) and it
        # never comes back.
        index: Any = a._index
        if db_kind == "postgresql":
            server: PgServer = request.getfixturevalue("pg_server")
            server.terminate(index.conn.backend_pid())
        a.stop()
        assert wait_writer(b) is b
        run_story(lib, sender, keys, tag="after-failover")
        assert b.wait_synced(timeout=90)
        assert b.events_written > 0
    finally:
        a.stop()
        b.stop()
    got = indexed_logs(db)
    assert len(got) == len(set(got))  # no event twice
    assert got == chain_logs(w3, lib_deployment)  # and none lost
    with ix.open_index(db) as view:
        fresh_pieces = len(view.pieces_of_payable(story.payable_id))
    assert fresh_pieces == 5


def test_pg_writer_holds_the_advisory_lock_on_its_own_connection(
    story: Story, w3: Web3, lib_deployment: Deployment, pg_server: PgServer
) -> None:
    db = pg_server.new_database("lock")
    follower = ix.Follower(new_w3(w3), lib_deployment, db, poll_seconds=0.05)
    with follower:
        wait_writer(follower)
        pid = follower._index.conn.backend_pid()  # type: ignore[union-attr]
        import psycopg

        with psycopg.connect(db, autocommit=True) as other:
            holders = other.execute(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objid = %s",
                (WRITER_LOCK_KEY & 0xFFFFFFFF,),
            ).fetchall()
            assert [int(r[0]) for r in holders] == [pid]
            # Another session cannot take the writer role while it is held.
            assert other.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK_KEY,)).fetchone() == (False,)
