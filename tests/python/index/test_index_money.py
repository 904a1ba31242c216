"""The desk's and settlement's events in the index: a small money lifecycle on chain through
the library clients, then every money query, the CLI, rebuilds and verify."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account.signers.local import LocalAccount
from web3 import Web3

from tests.python.index.helpers import (
    CENTS,
    FACE,
    FIN_PRICE,
    FIN_VALUE,
    MoneyStory,
    Story,
    dump,
    finance,
    fund,
    settle,
)  # fmt: skip
from tierchain.audit import index as ix
from tierchain.audit import report
from tierchain.chain.local import advance_time
from tierchain.chain.sender import Sender
from tierchain.cli.main import main as cli
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import short_id

MakeIndex = Callable[..., tuple[ix.Index, ix.Indexer]]
IndexDb = Callable[[str], str | Path]


def _money(
    lib: Contracts, sender: Callable[[int], Sender], keys: list[LocalAccount], story: Story,
) -> MoneyStory:  # fmt: skip
    fund(lib, sender, keys)
    m = finance(lib, sender, keys, story)
    settle(lib, sender, m)
    return m


def test_financing_history_payments_claims_and_recourse(
    story: Story, make_index: MakeIndex, lib: Contracts, sender: Callable[[int], Sender],
    keys: list[LocalAccount], w3: Web3,
) -> None:  # fmt: skip
    m = _money(lib, sender, keys, story)
    index, indexer = make_index()
    indexer.sync()
    pid = story.payable_id

    fins = ix.financing_history(index)
    assert len(fins) == 1
    f = fins[0]
    assert (f.token_id, f.from_token_id) == (m.financed, story.a)
    assert (f.financier, f.seller) == (keys[9].address, keys[4].address)
    assert (f.value, f.price, f.recourse) == (FIN_VALUE, FIN_PRICE, True)
    assert f.payable_id == pid and f.offer_hash.startswith("0x") and f.currency_amount > 0
    assert ix.financing_history(index, piece=story.a) == fins
    assert ix.financing_history(index, piece=short_id(m.financed)) == fins
    assert ix.financing_history(index, financier=keys[9].address) == fins
    assert ix.financing_history(index, seller=keys[4].address) == fins
    assert ix.financing_history(index, seller=keys[5].address) == []
    assert ix.financing_history(index, payable_id=pid + 1) == []

    pays = [(p.kind, p.payer, p.cents, p.left_cents) for p in ix.payments(index, pid)]
    assert pays == [
        ("debtor", keys[2].address, FACE // 5, FACE - FACE // 5),
        ("guarantor", keys[11].address, FACE // 2, FACE * 3 // 10),
        ("repaid", keys[11].address, FACE // 10, FACE * 4 // 10),
    ]
    assert m.claims is not None
    got = {(c.token_id, c.holder, c.cents, c.settled) for c in ix.claims(index)}
    assert got == {
        (story.c, keys[7].address, m.claims[story.c], False),
        (story.b, keys[5].address, m.claims[story.b], False),
    }
    assert m.claims[story.c] == 1_000_000 * CENTS * 7 // 10  # 70 % paid in
    assert [c.token_id for c in ix.claims(index, holder=keys[7].address)] == [story.c]

    (g,) = ix.guarantees(index)
    assert (g.guarantor, g.limit_cents, g.paid_cents, g.repaid_cents, g.owed_cents) == (
        keys[11].address, FACE // 2, FACE // 2, FACE // 10, FACE * 4 // 10,
    )  # fmt: skip
    (r,) = ix.recourses(index)
    assert (r.token_id, r.status, r.financier, r.seller) == (
        m.financed, "settled", keys[9].address, keys[4].address,
    )  # fmt: skip
    assert r.uncovered_cents == m.uncovered == FIN_VALUE * 3 // 10
    assert r.paid_cents == m.recourse_paid == FIN_VALUE * 3 // 10
    assert r.escrow_cents == FIN_VALUE * 7 // 10
    assert ix.piece(index, m.financed).owner == keys[4].address  # back with the seller

    (st,) = ix.settlement_states(index)
    assert (st.paid_by_debtor, st.paid_by_guarantor, st.unpaid) == (
        FACE // 5, FACE // 2, FACE * 3 // 10,
    )  # fmt: skip
    assert st.opened and st.marked_overdue and st.overdue and st.state == "overdue"
    assert st.claimed == sum(m.claims.values()) + r.escrow_cents
    (o,) = ix.overdue(index)
    assert o.marked_overdue and o.unpaid == FACE * 3 // 10 and o.paid == FACE * 7 // 10
    assert o.paid_by_guarantor == FACE // 2

    t = ix.totals(index)
    core = {x.account: x for x in t.core_enterprises}[keys[2].address]
    assert (core.face_issued, core.paid_by_debtor, core.outstanding_owed, core.overdue_owed) == (
        FACE, FACE // 5, FACE * 3 // 10, FACE * 3 // 10,
    )  # fmt: skip
    assert core.owes_guarantor == FACE * 4 // 10
    sup = {x.account: x for x in t.suppliers}
    assert (sup[keys[4].address].sold_value, sup[keys[4].address].proceeds) == (FIN_VALUE, FIN_PRICE)
    assert sup[keys[4].address].recourse_paid == m.recourse_paid
    assert sup[keys[7].address].claimed == sup[keys[7].address].received == m.claims[story.c]
    fin = {x.account: x for x in t.financiers}[keys[9].address]
    assert (fin.financed_count, fin.bought_value, fin.bought_price) == (1, FIN_VALUE, FIN_PRICE)
    assert fin.recourse_exercised == 1 and fin.recourse_received == FIN_VALUE
    assert fin.received == FIN_VALUE and fin.value_held == 0
    grt = {x.account: x for x in t.guarantors}[keys[11].address]
    assert (grt.guaranteed_paid, grt.guarantor_owed) == (FACE // 2, FACE * 4 // 10)

    kinds = [mv.kind for mv in ix.history(index, m.financed)]
    steps = ("financed", "recourse-exercised", "recourse-settled")
    assert [kinds.index(k) for k in steps] == sorted(kinds.index(k) for k in steps)
    rows = report.history_rows(index, payable_id=pid)
    assert {"financed", "paid", "guarantor-paid", "guarantor-repaid", "marked-overdue",
            "guarantee", "claimed", "recourse-exercised", "recourse-settled"} <= {
        row["kind"] for row in rows
    }  # fmt: skip

    before = dump(index.conn)
    ix.rebuild_all(index)
    assert dump(index.conn) == before

    result = ix.verify(w3, index)
    assert result.ok, result.differences


def test_overdue_by_time_before_it_is_marked(
    story: Story, make_index: MakeIndex, lib: Contracts, sender: Callable[[int], Sender],
    keys: list[LocalAccount], w3: Web3,
) -> None:  # fmt: skip
    fund(lib, sender, keys)
    lib.settlement.open(sender(1), story.payable_id)
    lib.settlement.pay(sender(2), story.payable_id, FACE // 4)
    index, indexer = make_index()
    indexer.sync()
    (st,) = ix.settlement_states(index)
    assert st.state == "not-due" and ix.overdue(index) == []
    assert st.overdue_at == lib.settlement.status_of(story.payable_id).overdue_at
    maturity = ix.payable(index, story.payable_id).maturity_at
    assert ix.settlement_states(index, at=maturity)[0].state == "unpaid"
    late = ix.overdue(index, at=st.overdue_at + 5)
    assert len(late) == 1 and not late[0].marked_overdue and late[0].seconds_overdue == 5
    assert late[0].unpaid == FACE * 3 // 4 and late[0].paid == FACE // 4
    lib.settlement.pay(sender(2), story.payable_id, FACE * 3 // 4)
    indexer.sync()
    assert ix.settlement_states(index, at=st.overdue_at + 5)[0].state == "paid"
    assert ix.overdue(index, at=st.overdue_at + 5) == []
    # Paid in full: the final claim burns the piece, and settlement forgets what it claimed.
    advance_time(w3, maturity - int(w3.eth.get_block("latest")["timestamp"]) + 1)
    cents = lib.settlement.claim(sender(7), story.c)
    indexer.sync()
    (c,) = ix.claims(index)
    assert (c.token_id, c.cents, c.settled) == (story.c, 1_000_000 * CENTS, True)
    assert ix.piece(index, story.c).burned and cents == c.cents
    assert ix.verify(w3, index).ok


def test_verify_finds_planted_money_differences(
    story: Story, make_index: MakeIndex, lib: Contracts, sender: Callable[[int], Sender],
    keys: list[LocalAccount], w3: Web3,
) -> None:  # fmt: skip
    m = _money(lib, sender, keys, story)
    index, indexer = make_index()
    indexer.sync()
    assert ix.verify(w3, index).ok
    with index.transaction() as conn:
        conn.execute("UPDATE payments SET cents = cents - 1 WHERE kind = 'debtor'")
        conn.execute("UPDATE financings SET price = price + 1")
        conn.execute("UPDATE claims SET cents = cents + 2 WHERE token_id = ?", (str(story.c),))
        conn.execute("DELETE FROM overdue_marks")
    diffs = {(d.subject, d.field): (d.indexed, d.on_chain) for d in ix.verify(w3, index).differences}
    pid = story.payable_id
    assert diffs == {
        (f"payable {pid}", "paid"): (FACE * 7 // 10 - 1, FACE * 7 // 10),
        (f"payable {pid}", "overdue"): (False, True),
        (short_id(m.financed), "price"): (FIN_PRICE + 1, FIN_PRICE),
        (short_id(story.c), "claimed"): (m.claims[story.c] + 2, m.claims[story.c]),  # type: ignore[index]
    }


def test_cli_money_queries(
    story: Story, make_index: MakeIndex, lib: Contracts, sender: Callable[[int], Sender],
    keys: list[LocalAccount], index_db: IndexDb,
) -> None:  # fmt: skip
    m = _money(lib, sender, keys, story)
    index, indexer = make_index("cli")
    indexer.sync()
    index.close()
    db = ["--db", str(index_db("cli"))]
    runner = CliRunner()

    def run(*args: str) -> str:
        res = runner.invoke(cli, [*args, *db])
        assert res.exit_code == 0, res.output
        return res.output

    fins = json.loads(run("query", "financings", "--json"))
    assert [int(f["token_id"]) for f in fins] == [m.financed]
    assert "with recourse" in run("query", "financings", "--seller", keys[4].address)
    pays = json.loads(run("query", "payments", "--json", "--payable", str(story.payable_id)))
    assert [p["kind"] for p in pays["payments"]] == ["debtor", "guarantor", "repaid"]
    assert len(pays["claims"]) == 2 and len(pays["recourses"]) == 1
    assert "overdue" in run("query", "settlement")
    assert "marked overdue" in run("query", "overdue")
    totals = json.loads(run("query", "totals", "--json"))
    assert totals["financiers"][0]["bought_price"] == FIN_PRICE
    assert "bought" in run("query", "totals")
    hist = run("export", "history", "--payable", str(story.payable_id), "--format", "csv")
    assert "guarantor-paid" in hist and "recourse-settled" in hist


def test_a_version_1_index_is_upgraded_from_its_stored_events(
    story: Story, make_index: MakeIndex, lib: Contracts, sender: Callable[[int], Sender],
    keys: list[LocalAccount], index_db: IndexDb,
) -> None:  # fmt: skip
    _money(lib, sender, keys, story)
    index, indexer = make_index("old")
    indexer.sync()
    before = dump(index.conn)
    with index.transaction() as conn:  # as written before the money tables existed
        for table in ix.MONEY_TABLES:
            conn.execute(f"DELETE FROM {table}")
        conn.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
    index.close()
    path = index_db("old")
    with pytest.raises(ix.IndexStateError, match="index sync"):
        ix.Index(path, readonly=True)
    upgraded = ix.Index(path)
    try:
        assert upgraded.meta("schema_version") == str(ix.SCHEMA_VERSION)
        assert dump(upgraded.conn) == before
    finally:
        upgraded.close()
