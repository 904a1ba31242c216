"""`tierchain index|query|export` through click's CliRunner: outputs, files, exit codes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from eth_account.signers.local import LocalAccount

from tests.python.index.helpers import FACE, Story
from tierchain.audit import index as ix
from tierchain.chain.deployment import Deployment
from tierchain.cli.main import cli
from tierchain.core.ids import short_id


@pytest.fixture
def runner(lib_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("TIERCHAIN_HOME", str(lib_home))  # where lib_deployment is recorded
    yield CliRunner()


@pytest.fixture
def synced(story: Story, runner: CliRunner, rpc_url: str, tmp_path: Path, lib_deployment: Deployment) -> Path:
    db = tmp_path / "cli.sqlite"
    result = runner.invoke(cli, ["index", "sync", "--rpc", rpc_url, "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "indexed" in result.output and "events/s" in result.output
    return db


def test_sync_json_and_status(story: Story, runner: CliRunner, rpc_url: str, tmp_path: Path,
                              lib_deployment: Deployment) -> None:  # fmt: skip
    db = tmp_path / "j.sqlite"
    result = runner.invoke(cli, ["index", "sync", "--rpc", rpc_url, "--db", str(db), "--batch-blocks", "5", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["events"] > 0 and doc["reorgs"] == 0
    status = runner.invoke(cli, ["index", "status", "--db", str(db), "--json"])
    assert status.exit_code == 0, status.output
    assert json.loads(status.output)["counts"]["pieces"] == 5


def test_query_piece_payable_holder(synced: Path, story: Story, runner: CliRunner, keys: list[LocalAccount]) -> None:
    db = ["--db", str(synced)]
    result = runner.invoke(cli, ["query", "piece", short_id(story.c), *db])
    assert result.exit_code == 0, result.output
    assert "ancestors" in result.output and short_id(story.a) in result.output
    assert "transferred" in result.output and "invoice package" in result.output
    as_json = json.loads(runner.invoke(cli, ["query", "piece", str(story.c), "--json", *db]).output)
    assert [a["short_id"] for a in as_json["ancestors"]] == [short_id(story.a), short_id(story.root)]
    assert as_json["piece"]["token_id"] == str(story.c)  # big ints as strings in JSON
    pay = runner.invoke(cli, ["query", "payable", str(story.payable_id), *db])
    assert pay.exit_code == 0 and "5 pieces" in pay.output
    holder = json.loads(runner.invoke(cli, ["query", "holder", keys[7].address, "--json", *db]).output)
    assert holder["total_value"] == 1_000_000 * 100
    totals = json.loads(runner.invoke(cli, ["query", "totals", "--json", *db]).output)
    assert totals["core_enterprises"][0]["face_issued"] == FACE
    assert "no overdue payables" in runner.invoke(cli, ["query", "overdue", *db]).output
    assert "no freezes recorded" in runner.invoke(cli, ["query", "freezes", *db]).output


def test_exports_write_files(synced: Path, story: Story, runner: CliRunner, tmp_path: Path) -> None:
    db = ["--db", str(synced)]
    out = tmp_path / "out"
    for args, name in (
        (["export", "positions", "--format", "csv"], "positions.csv"),
        (["export", "history", "--format", "json", "--payable", str(story.payable_id)], "history.json"),
        (["export", "provenance", str(story.payable_id), "--highlight", short_id(story.c)], "p.svg"),
    ):  # fmt: skip
        result = runner.invoke(cli, [*args, "--out", str(out / name), *db])
        assert result.exit_code == 0, result.output
        assert (out / name).stat().st_size > 0
    assert (out / "positions.csv").read_text().startswith("holder,holder_name,piece,token_id")
    assert (out / "p.svg").read_text().startswith("<svg")
    stdout = runner.invoke(cli, ["export", "positions", *db])
    assert json.loads(stdout.output)[0]["holder"]


def test_verify_ok_then_a_planted_difference_exits_9(
    synced: Path, story: Story, runner: CliRunner, rpc_url: str
) -> None:
    ok = runner.invoke(cli, ["index", "verify", "--rpc", rpc_url, "--db", str(synced)])
    assert ok.exit_code == 0, ok.output
    assert "index matches the chain" in ok.output
    with ix.Index(synced) as index, index.transaction() as conn:
        conn.execute("UPDATE pieces SET value = 1 WHERE token_id = ?", (str(story.b),))
    bad = runner.invoke(cli, ["index", "verify", "--rpc", rpc_url, "--db", str(synced)])
    assert bad.exit_code == 11
    assert f"DIFF {short_id(story.b)} value: index 1" in bad.output
    assert "error: 1 difference(s)" in bad.output


def test_errors_have_exit_codes(synced: Path, runner: CliRunner, tmp_path: Path) -> None:
    unknown = runner.invoke(cli, ["query", "piece", "P99#1", "--db", str(synced)])
    assert unknown.exit_code == 20 and "error: no piece P99#1" in unknown.output
    missing = runner.invoke(cli, ["query", "totals", "--db", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 10 and "tierchain index sync" in missing.output
    bad_fmt = runner.invoke(cli, ["export", "positions", "--format", "xml", "--db", str(synced)])
    assert bad_fmt.exit_code == 2
    assert "Traceback" not in unknown.output + missing.output


def test_follow_stops_after_max_seconds(
    story: Story, runner: CliRunner, rpc_url: str, tmp_path: Path, lib_deployment: Deployment
) -> None:
    db = tmp_path / "f.sqlite"
    result = runner.invoke(
        cli, ["index", "follow", "--rpc", rpc_url, "--db", str(db), "--poll", "0.1",
              "--max-seconds", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "following" in result.output and "indexed" in result.output
