"""Exports: JSON and CSV of positions and history, and the provenance SVG (readable for a small
tree, collapsed for thousands of pieces)."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from tests.python.index.helpers import CENTS, FACE, Story
from tierchain.audit import index as ix
from tierchain.audit import report
from tierchain.core.errors import UsageError
from tierchain.core.ids import short_id

MakeIndex = Callable[..., tuple[ix.Index, ix.Indexer]]


def test_positions_as_json_and_csv(story: Story, make_index: MakeIndex, keys: list[LocalAccount]) -> None:
    index, indexer = make_index()
    indexer.sync()
    rows = json.loads(report.export_positions(index, "json"))
    assert sum(r["value_cents"] for r in rows) == FACE
    assert {r["piece"] for r in rows} == {short_id(t) for t in (story.root, story.a, story.b, story.c)}
    mine = list(csv.DictReader(io.StringIO(report.export_positions(index, "csv", keys[7].address))))
    assert len(mine) == 1
    assert mine[0]["piece"] == short_id(story.c) and mine[0]["value"] == "1000000.00"
    assert mine[0]["tier"] == "3" and mine[0]["parent"] == short_id(story.a)


def test_history_as_json_and_csv(story: Story, make_index: MakeIndex) -> None:
    index, indexer = make_index()
    indexer.sync()
    rows = json.loads(report.export_history(index, "json", piece=story.c))
    assert [r["kind"] for r in rows] == ["minted", "split_in", "transferred"]
    assert all(r["piece"] == short_id(story.c) for r in rows)
    text = report.export_history(index, "csv", payable_id=story.payable_id)
    lines = list(csv.DictReader(io.StringIO(text)))
    assert {"merged_into", "merged_from", "split_out", "value_in"} <= {r["kind"] for r in lines}
    with pytest.raises(UsageError):
        report.export_history(index, "xml")
    assert report.render([], "csv") == ""


def test_provenance_svg_of_a_small_payable(
    story: Story, make_index: MakeIndex, keys: list[LocalAccount], tmp_path: Path
) -> None:
    index, indexer = make_index()
    indexer.sync()
    with index.transaction() as conn:  # mark one piece frozen for the picture
        conn.execute("UPDATE pieces SET frozen = 1 WHERE token_id = ?", (str(story.c),))
    svg = report.provenance_svg(index, story.payable_id, labels={keys[7].address: "Tier-3 Workshop"}, highlight=story.c)
    root = ET.fromstring(svg)  # well-formed XML
    assert root.tag.endswith("svg")
    for p in (story.root, story.a, story.b, story.c, story.d):
        assert short_id(p) in svg
    assert "Tier-3 Workshop" in svg and "FROZEN" in svg and f"merged into {short_id(story.b)}" in svg
    assert svg.count('class="edge path"') == 2  # root → a → c highlighted
    assert "10,000,000.00" in svg
    (tmp_path / "p.svg").write_text(svg)


def _synthetic_index(path: Path, fanout: tuple[int, ...]) -> tuple[ix.Index, int]:
    """An index with one payable split as a tree (no chain): fanout per tier."""
    index = ix.Index(path)
    tid = lambda i: (1 << 96) | (1 << 32) | i  # noqa: E731
    rows = [(1, None, 0)]
    frontier = [1]
    n = 1
    for depth, k in enumerate(fanout, start=1):
        nxt = []
        for parent in frontier:
            for _ in range(k):
                n += 1
                rows.append((n, parent, depth))
                nxt.append(n)
        frontier = nxt
    with index.transaction() as conn:
        conn.execute(
            "INSERT INTO payables VALUES (1, ?, ?, ?, ?, ?, 1, ?, ?, 'accepted', ?, 1, '0x')",
            (str(tid(1)), "0x" + "aa" * 20, "0x" + "bb" * 20, 100 * len(rows),
             "0x" + "cc" * 20, "0x" + "dd" * 32, "0x" + "ee" * 32, len(rows)),
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO pieces VALUES (?,?,?,?,?,?,?,0,0,0,1,'0x',1)",
            [
                (str(tid(i)), 1, i, None if p is None else str(tid(p)), d,
                 "0x" + f"{i % 17:040x}", 100)
                for i, p, d in rows
            ],
        )  # fmt: skip
    return index, len(rows)


def test_provenance_svg_collapses_thousands_of_pieces(tmp_path: Path) -> None:
    index, count = _synthetic_index(tmp_path / "big.sqlite", (10, 10, 10, 3))
    assert count == 1 + 10 + 100 + 1000 + 3000
    svg = report.provenance_svg(index, 1, max_nodes=120, max_children=8)
    ET.fromstring(svg)
    boxes = svg.count("<rect") - 1  # minus the background
    assert boxes <= 120 + 8 * 20  # the budget plus one "+N more" box per parent at most
    assert "more pieces" in svg
    # every hidden piece is counted in some "+N more pieces" box
    hidden = sum(int(part.split(" ")[0]) for part in svg.split(">+")[1:])
    shown = svg.count("<title>")
    assert shown + hidden == count
    index.close()


def test_provenance_svg_keeps_a_highlighted_deep_piece_visible(tmp_path: Path) -> None:
    index, count = _synthetic_index(tmp_path / "deep.sqlite", (10, 10, 10))
    deepest = (1 << 96) | (1 << 32) | count
    svg = report.provenance_svg(index, 1, max_nodes=30, highlight=deepest)
    assert short_id(deepest) in svg
    assert svg.count('class="edge path"') == 3
    index.close()


def test_bad_svg_limits_are_usage_errors(tmp_path: Path) -> None:
    index, _ = _synthetic_index(tmp_path / "s.sqlite", (2,))
    with pytest.raises(UsageError):
        report.provenance_svg(index, 1, max_children=1)
    with pytest.raises(ix.NotIndexedError):
        report.provenance_svg(index, 2)
    index.close()


def test_value_columns_are_cents_and_text(story: Story, make_index: MakeIndex) -> None:
    index, indexer = make_index()
    indexer.sync()
    rows = report.positions_rows(index)
    assert all(r["value"] == f"{r['value_cents'] // 100}.{r['value_cents'] % 100:02d}" for r in rows)
    assert all(isinstance(r["token_id"], str) for r in rows)
    assert CENTS == 100
