from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tierchain.cli.main import cli


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("TIERCHAIN_HOME", str(tmp_path))
    return CliRunner()


def test_chain_status_when_nothing_runs(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["chain", "status", "--state-dir", str(tmp_path / "none")])
    assert result.exit_code == 0
    assert "not running" in result.output


def test_unreachable_rpc_is_a_short_error_with_its_exit_code(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["deploy", "--rpc", "http://127.0.0.1:1"])
    assert result.exit_code == 4
    assert "error: no JSON-RPC node answers" in result.output
    assert "Traceback" not in result.output


def test_bad_option_is_a_usage_error(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["demo", "--chain", "hardhat"])
    assert result.exit_code == 2


def test_deploy_on_the_test_chain(runner: CliRunner, rpc_url: str, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["deploy", "--rpc", rpc_url])
    assert result.exit_code == 0, result.output
    assert "token" in result.output
    assert list((tmp_path / "deployments").glob("*.json"))
