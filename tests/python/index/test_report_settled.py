"""The audit views after settlement (issue 14 item 6): every piece shows who held it, its value
when split and how it ended; the payable shows its real state and what is still unpaid;
financings and recourse are drawn; Chinese labels have a font; positions.csv names holders and
has a header when empty; history rows carry block times."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime

from eth_account.signers.local import LocalAccount
from web3 import Web3

from tests.python.index.helpers import CENTS, FACE, FIN_VALUE, Story, finance, fund, settle
from tierchain.audit import index as ix
from tierchain.audit import report
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import short_id
from tierchain.core.money import format_cents

MakeIndex = Callable[..., tuple[ix.Index, ix.Indexer]]
BANK = "华夏银行"


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_an_overdue_payable_shows_paid_unpaid_financing_and_recourse(
    story: Story, make_index: MakeIndex, lib: Contracts, sender: Callable[[int], Sender],
    keys: list[LocalAccount],
) -> None:  # fmt: skip
    fund(lib, sender, keys)
    m = finance(lib, sender, keys, story)
    settle(lib, sender, m)
    index, indexer = make_index()
    indexer.sync()
    pid = story.payable_id

    st = ix.settlement_state(index, pid)
    assert (st.paid, st.unpaid, st.state) == (FACE * 7 // 10, FACE * 3 // 10, "overdue")
    live = sum(p.value for p in ix.pieces_of_payable(index, pid, live_only=True))
    assert live != st.unpaid  # "outstanding" used to be this sum

    fates = ix.piece_fates(index, pid)
    assert fates[story.d].end == "merged" and fates[story.d].merged_into == story.b
    assert fates[story.d].value_at_split == 500_000 * CENTS and fates[story.d].holder == keys[5].address
    assert fates[story.c].holders == (keys[4].address, keys[7].address)
    assert fates[story.c].value_at_split == 1_000_000 * CENTS
    assert m.claims is not None and fates[story.c].claimed_cents == m.claims[story.c]
    fin = fates[m.financed]
    assert fin.end == "recourse" and fin.value_at_split == FIN_VALUE
    assert (fin.financed_to, fin.financed_from) == (keys[9].address, keys[4].address)
    assert fin.recourse_cents == m.uncovered and fin.recourse_settled
    assert fates[story.root].value_at_split == FACE

    svg = report.provenance_svg(index, pid, labels={keys[9].address: BANK})
    assert f"paid {format_cents(st.paid)}, unpaid {format_cents(st.unpaid)}" in svg
    assert "(overdue)" in svg and "overdue since" in svg and "outstanding" not in svg
    assert 'class="edge fin"' in svg and f"financed → {BANK}" in svg  # the financing is drawn
    assert f"recourse ← {BANK}" in svg and "#7b3fa0" in svg  # and the recourse
    assert f"merged into {short_id(story.b)}" in svg
    assert f"split {format_cents(500_000 * CENTS)}" in svg  # the merged piece's value when split
    assert "Noto Sans CJK SC" in svg.split("\n", 1)[0]  # Chinese labels have a font


def test_a_paid_payable_is_paid_in_full_not_accepted_and_its_pieces_were_paid(
    story: Story, make_index: MakeIndex, lib: Contracts, sender: Callable[[int], Sender],
    keys: list[LocalAccount], w3: Web3,
) -> None:  # fmt: skip
    fund(lib, sender, keys)
    pid = story.payable_id
    lib.settlement.open(sender(1), pid)
    lib.settlement.pay(sender(2), pid, FACE)
    status = lib.settlement.status_of(pid)
    from tierchain.chain.local import advance_time

    advance_time(w3, status.overdue_at - int(w3.eth.get_block("latest")["timestamp"]) + 1)
    by_address = {k.address: i for i, k in enumerate(keys)}
    index, indexer = make_index()
    indexer.sync()
    holders = {p.token_id: p.owner for p in ix.pieces_of_payable(index, pid, live_only=True)}
    for token, owner in holders.items():
        lib.settlement.claim(sender(by_address[owner]), token)
    indexer.sync()

    assert ix.payable(index, pid).status == "accepted"  # the token's status stays
    assert ix.payable_state(index, pid) == "paid in full"
    fates = ix.piece_fates(index, pid)
    assert {f.end for f in fates.values()} == {"paid", "merged"}
    assert fates[story.c].paid_to == keys[7].address and fates[story.c].holder == keys[7].address
    assert fates[story.c].describe() == f"paid in full to {keys[7].address}"

    svg = report.provenance_svg(index, pid, labels={keys[7].address: "乙方"})
    assert "(paid in full)" in svg and "(accepted)" not in svg
    assert f"unpaid {format_cents(0)}" in svg
    assert "paid in full → 乙方" in svg and "was 乙方" in svg
    assert "burned" not in svg.replace("dashed = ended", "")  # every ended piece says how


def test_positions_csv_names_holders_and_has_a_header_when_empty(
    story: Story, make_index: MakeIndex, keys: list[LocalAccount]
) -> None:
    index, indexer = make_index()
    indexer.sync()
    text = report.export_positions(index, "csv", labels={keys[7].address: "丙 workshop"})
    rows = list(csv.DictReader(io.StringIO(text)))
    assert text.split("\n", 1)[0] == ",".join(report.POSITION_FIELDS)
    named = [r for r in rows if r["holder"] == keys[7].address]
    assert [r["holder_name"] for r in named] == ["丙 workshop"] and named[0]["piece"] == short_id(story.c)
    assert {r["holder_name"] for r in rows if r["holder"] != keys[7].address} == {""}
    empty = report.export_positions(index, "csv", holder=keys[15].address)
    assert empty == ",".join(report.POSITION_FIELDS) + "\n"


def test_history_rows_carry_block_times(story: Story, make_index: MakeIndex, w3: Web3) -> None:
    index, indexer = make_index()
    indexer.sync()
    rows = report.history_rows(index, payable_id=story.payable_id)
    assert rows and all(r["time"] for r in rows)
    for r in rows:
        assert r["time"] == _iso(int(w3.eth.get_block(r["block"])["timestamp"]))
    header = report.export_history(index, "csv", piece=story.c).split("\n", 1)[0]
    assert header.startswith("block,time,")
