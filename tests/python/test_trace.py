"""Trace a piece down to one invoice, with the invoice's proof checked by the registry.

A real chain: the library deploys, registers a package, issues, accepts and splits down two
tiers (and merges one piece away); the trace is then read back through the library and the CLI.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eth_account.signers.local import LocalAccount
from rich.console import Console
from web3 import Web3

from tierchain.audit.index import Index, Indexer
from tierchain.audit.trace import (
    InvoiceNotInPackageError,
    PackageFileError,
    PackageMismatchError,
    ProofRejectedError,
    UnknownPieceError,
    load_package_file,
    parse_token_id,
    render_trace,
    trace_piece,
    trace_to_json,
)
from tierchain.chain.deployment import Deployment
from tierchain.chain.local import advance_time
from tierchain.chain.sender import Sender
from tierchain.cli.main import cli
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import short_id
from tierchain.invoices import packages as invoices
from tierchain.workflows.demo import credit_code, synthetic_invoices

CORE, TIER1, TIER2, TIER3 = 2, 3, 4, 5
INVOICES = 9  # odd: one invoice is carried up unchanged at the first level
DAY = 86_400


@dataclass(frozen=True)
class Scenario:
    package: invoices.Package
    package_file: Path
    other_file: Path  # a valid package file of other invoices, never issued against
    payable_id: int
    issued: int  # P#1
    tier2: int  # split from issued
    tier3: int  # split from tier2
    merged: int  # split from tier2, then merged into tier3 (burned)


@pytest.fixture(scope="module")
def scenario(w3: Web3, keys: list[LocalAccount], lib_deployment: Deployment, lib_home: Path) -> Scenario:
    c = Contracts.at(w3, lib_deployment)
    core, t1, t2, t3 = (Sender(w3, keys[i]) for i in (CORE, TIER1, TIER2, TIER3))
    package = invoices.build_package(synthetic_invoices(INVOICES, seller=credit_code(3), buyer=credit_code(2)))
    package_file = lib_home / "package.json"
    invoices.save_package(package, package_file, overwrite=True)
    other = invoices.build_package(synthetic_invoices(3, seller=credit_code(3), buyer=credit_code(2), seed=99))
    other_file = lib_home / "other.json"
    invoices.save_package(other, other_file, overwrite=True)

    c.registry.register_package(core, package.root, package.count, package.total_cents, t1.address, b"\x0d" * 32)
    now = int(w3.eth.get_block("latest")["timestamp"])
    payable_id, issued = c.token.issue(
        core, t1.address, package.total_cents, lib_deployment.currency, now + 90 * DAY,
        package.root, b"\x0e" * 32,
    )  # fmt: skip
    c.token.accept(t1, payable_id)
    tenth = package.total_cents // 10
    tier2 = c.token.split(t1, issued, t2.address, 4 * tenth)
    tier3 = c.token.split(t2, tier2, t3.address, tenth)
    merged = c.token.split(t2, tier2, t3.address, tenth)
    c.token.merge(t3, merged, tier3)
    return Scenario(package, package_file, other_file, payable_id, issued, tier2, tier3, merged)


@pytest.fixture
def contracts(w3: Web3, lib_deployment: Deployment) -> Contracts:
    return Contracts.at(w3, lib_deployment)


# ---------------------------------------------------------------------------- library


def test_trace_from_tier3_piece_walks_up_to_the_invoice(
    contracts: Contracts, scenario: Scenario, keys: list[LocalAccount]
) -> None:
    t = trace_piece(contracts, scenario.tier3, scenario.package)
    assert [s.piece.token_id for s in t.pieces] == [scenario.tier3, scenario.tier2, scenario.issued]
    assert [s.piece.owner for s in t.pieces] == [keys[i].address for i in (TIER3, TIER2, TIER1)]
    assert t.pieces[0].piece.value == 2 * (scenario.package.total_cents // 10)
    assert t.payable.payable_id == scenario.payable_id
    assert t.payable.invoice_root == scenario.package.root
    assert t.package.root == scenario.package.root
    assert t.package.status == "active"
    assert t.package.invoice_count == INVOICES
    assert t.package.issued_cents == scenario.package.total_cents
    assert t.registration is not None
    assert t.registration.document_hash == b"\x0d" * 32
    assert t.invoice.position == 0
    assert t.invoice.verified_on_chain and t.invoice.proof_valid_locally and t.verified
    assert t.discrepancies == ()


@pytest.mark.parametrize("position", [0, INVOICES // 2, INVOICES - 1])
def test_trace_any_invoice_by_code_and_number(contracts: Contracts, scenario: Scenario, position: int) -> None:
    v = scenario.package.invoices[position]
    t = trace_piece(contracts, scenario.tier2, scenario.package, f"{v.invoice_code}/{v.invoice_number}")
    assert t.invoice.position == position
    assert t.invoice.invoice == v
    assert t.verified


def test_trace_invoice_by_key(contracts: Contracts, scenario: Scenario) -> None:
    key = scenario.package.key(4)
    t = trace_piece(contracts, scenario.issued, scenario.package, "0x" + key.hex())
    assert t.invoice.position == 4 and t.invoice.proof.key == key
    assert [s.piece.token_id for s in t.pieces] == [scenario.issued]


def test_trace_of_merged_piece_shows_it_burned(contracts: Contracts, scenario: Scenario) -> None:
    t = trace_piece(contracts, scenario.merged, scenario.package)
    assert t.pieces[0].burned and not t.pieces[1].burned
    assert [s.piece.token_id for s in t.pieces] == [
        scenario.merged, scenario.tier2, scenario.issued
    ]  # fmt: skip


def _index(w3: Web3, deployment: Deployment, path: Path) -> Index:
    index = Index(path)
    Indexer.for_deployment(w3, deployment, index).sync()
    return index


def test_trace_with_the_index_says_how_a_merged_piece_ended(
    contracts: Contracts, scenario: Scenario, w3: Web3, lib_deployment: Deployment, tmp_path: Path,
    keys: list[LocalAccount],
) -> None:  # fmt: skip
    with _index(w3, lib_deployment, tmp_path / "i.sqlite") as index:
        t = trace_piece(contracts, scenario.merged, scenario.package, index=index)
    fate = t.fate(0)
    assert fate is not None and fate.end == "merged" and fate.merged_into == scenario.tier3
    assert fate.holder == keys[TIER3].address and fate.value_at_split == scenario.package.total_cents // 10
    doc = trace_to_json(t)
    assert doc["pieces"][0]["ended"] == f"merged into {short_id(scenario.tier3)}"
    assert doc["pieces"][0]["value_at_split_cents"] == scenario.package.total_cents // 10
    assert doc["payable"]["state"] == "accepted" and doc["payable"]["unpaid_cents"] == scenario.package.total_cents
    out = io.StringIO()
    render_trace(t, Console(file=out, width=300, color_system=None))
    text = out.getvalue()
    assert f"merged into {short_id(scenario.tier3)}" in text and "last held by" in text


def test_trace_of_a_paid_piece_says_paid_in_full_not_burned(
    contracts: Contracts, scenario: Scenario, w3: Web3, lib_deployment: Deployment, tmp_path: Path,
    keys: list[LocalAccount],
) -> None:  # fmt: skip
    c = contracts
    op, core, t3 = Sender(w3, keys[1]), Sender(w3, keys[CORE]), Sender(w3, keys[TIER3])
    face = scenario.package.total_cents
    c.currency.mint(op, keys[CORE].address, face * 10 ** (c.currency.decimals() - 2))
    c.settlement.approve(core, lib_deployment.currency)
    c.settlement.open(op, scenario.payable_id)
    c.settlement.pay(core, scenario.payable_id, face)
    advance_time(w3, 91 * DAY)
    c.settlement.claim(t3, scenario.tier3)
    with _index(w3, lib_deployment, tmp_path / "paid.sqlite") as index:
        t = trace_piece(contracts, scenario.tier3, scenario.package, index=index)
    assert t.pieces[0].burned  # the chain alone only says this
    assert t.state == "paid in full" and t.payable.status == "accepted"
    fate = t.fate(0)
    assert fate is not None and fate.end == "paid" and fate.paid_to == keys[TIER3].address
    doc = trace_to_json(t)
    assert (doc["payable"]["state"], doc["payable"]["unpaid_cents"]) == ("paid in full", 0)
    assert doc["pieces"][0]["ended"] == f"paid in full to {keys[TIER3].address}"
    out = io.StringIO()
    render_trace(t, Console(file=out, width=300, color_system=None))
    text = out.getvalue()
    assert "(paid in full)" in text and "unpaid 0.00" in text and "paid in full to" in text
    assert "merged away" not in text and "(accepted)" not in text


def test_short_id_resolves_to_the_token_id(contracts: Contracts, scenario: Scenario) -> None:
    assert parse_token_id(short_id(scenario.tier3), contracts) == scenario.tier3
    assert parse_token_id(hex(scenario.tier3), contracts) == scenario.tier3
    assert parse_token_id(str(scenario.tier3), contracts) == scenario.tier3


def test_json_and_rendering(contracts: Contracts, scenario: Scenario) -> None:
    t = trace_piece(contracts, scenario.tier3, scenario.package)
    doc = json.loads(json.dumps(trace_to_json(t)))
    assert doc["verified"] is True
    assert [p["label"] for p in doc["pieces"]] == [
        short_id(scenario.tier3), short_id(scenario.tier2), short_id(scenario.issued)
    ]  # fmt: skip
    assert doc["invoice"]["proof"] == ["0x" + s.hex() for s in t.invoice.proof.proof]
    out = io.StringIO()
    render_trace(t, Console(file=out, width=160))
    text = out.getvalue()
    assert "verified on chain" in text and "registry.verifyInvoice" in text
    assert short_id(scenario.tier3) in text


def test_unknown_payable_is_unknown_piece(contracts: Contracts, scenario: Scenario) -> None:
    with pytest.raises(UnknownPieceError, match="no payable 999"):
        trace_piece(contracts, (999 << 32) | 1, scenario.package)


def test_unminted_index_is_unknown_piece(contracts: Contracts, scenario: Scenario) -> None:
    with pytest.raises(UnknownPieceError, match=r"pieces 1\.\.4"):
        trace_piece(contracts, scenario.issued + 40, scenario.package)


def test_wrong_maturity_bits_are_unknown_piece(contracts: Contracts, scenario: Scenario) -> None:
    with pytest.raises(UnknownPieceError):
        trace_piece(contracts, scenario.issued + (1 << 96), scenario.package)


def test_other_package_file_is_a_mismatch(contracts: Contracts, scenario: Scenario) -> None:
    with pytest.raises(PackageMismatchError, match="not its package"):
        trace_piece(contracts, scenario.tier3, load_package_file(scenario.other_file))


def test_invoice_not_in_package(contracts: Contracts, scenario: Scenario) -> None:
    with pytest.raises(InvoiceNotInPackageError, match="is not in the package"):
        trace_piece(contracts, scenario.tier3, scenario.package, "3100262130/99999999")
    with pytest.raises(InvoiceNotInPackageError, match="CODE/NUMBER"):
        trace_piece(contracts, scenario.tier3, scenario.package, "nonsense")


def test_registry_rejecting_the_proof_is_an_error(
    contracts: Contracts, scenario: Scenario, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the chain's answer differs here: the error names the registry's refusal."""
    monkeypatch.setattr(type(contracts.registry), "verify_invoice", lambda *a, **k: False)
    with pytest.raises(ProofRejectedError, match="registry rejects the proof"):
        trace_piece(contracts, scenario.tier3, scenario.package)


def test_tampered_package_file_is_refused(tmp_path: Path, scenario: Scenario) -> None:
    doc = json.loads(scenario.package_file.read_text())
    doc["invoices"][0]["salt"] = "0x" + "11" * 32
    bad = tmp_path / "tampered.json"
    bad.write_text(json.dumps(doc))
    with pytest.raises(PackageFileError, match="not valid"):
        load_package_file(bad)
    with pytest.raises(PackageFileError, match="cannot read"):
        load_package_file(tmp_path / "missing.json")


# ---------------------------------------------------------------------------- CLI


@pytest.fixture
def runner(lib_home: Path, monkeypatch: pytest.MonkeyPatch, rpc_url: str) -> CliRunner:
    monkeypatch.setenv("TIERCHAIN_HOME", str(lib_home))  # where deploy_all recorded the set
    monkeypatch.setenv("TIERCHAIN_RPC", rpc_url)
    return CliRunner()


def _run(runner: CliRunner, *args: Any) -> Any:
    return runner.invoke(cli, ["trace", *[str(a) for a in args]])


def test_cli_trace_renders_the_chain(runner: CliRunner, scenario: Scenario) -> None:
    v = scenario.package.invoices[INVOICES - 1]
    result = _run(
        runner, short_id(scenario.tier3), "--package", scenario.package_file,
        "--invoice", f"{v.invoice_code}/{v.invoice_number}",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "verified on chain" in result.output
    assert f"{v.invoice_code}/{v.invoice_number}" in result.output
    assert short_id(scenario.issued) in result.output


def test_cli_trace_json(runner: CliRunner, scenario: Scenario) -> None:
    result = _run(runner, scenario.tier2, "--package", scenario.package_file, "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["verified"] is True
    assert doc["package"]["root"] == "0x" + scenario.package.root.hex()
    assert doc["invoice"]["verified_on_chain"] is True


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("P999#1",), 20, "payable 999 does not exist"),
        (("banana",), 20, "is not a piece"),
        (("TOKEN", "--package", "missing"), 21, "cannot read package file"),
        (("TOKEN", "--package", "other"), 22, "not its package"),
        (("TOKEN", "--invoice", "3100262130/99999999"), 23, "is not in the package"),
    ],
)
def test_cli_trace_errors_have_distinct_exit_codes(
    runner: CliRunner, scenario: Scenario, args: tuple[str, ...], code: int, message: str
) -> None:
    files = {"missing": scenario.package_file.with_name("missing.json"),
             "other": scenario.other_file}  # fmt: skip
    argv = [str(scenario.tier3) if a == "TOKEN" else str(files.get(a, a)) for a in args]
    if "--package" not in argv:
        argv += ["--package", str(scenario.package_file)]
    result = _run(runner, *argv)
    assert result.exit_code == code, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_trace_without_deployment_record(
    scenario: Scenario, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rpc_url: str
) -> None:
    monkeypatch.setenv("TIERCHAIN_HOME", str(tmp_path))
    result = CliRunner().invoke(cli, ["trace", "1", "--package", str(scenario.package_file), "--rpc", rpc_url])
    assert result.exit_code == 5
    assert "no deployment recorded" in result.output
