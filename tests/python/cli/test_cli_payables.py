"""payables issue|accept|split|transfer|move|merge|show|list."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from web3 import Web3

from tests.python.cli.conftest import (
    CORE,
    FACE_CENTS,
    FINANCIER,
    OUTSIDER,
    SUPPLIER,
    SUPPLIER2,
    SUPPLIER3,
    Run,
    out_json,
)
from tierchain.cli.payables import confirmation_hash
from tierchain.core.ids import short_id

DAY = 86_400


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def now(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


# ---------------------------------------------------------------------------- issue


def test_issue_accept_show(run: Run, lib, registered, addr, now: int) -> None:
    path, pkg = registered
    maturity = now + 60 * DAY
    doc = out_json(
        run(
            "payables",
            "issue",
            "--to",
            addr(SUPPLIER),
            "--amount",
            "4000.25",
            "--maturity",
            iso(maturity),
            "--package",
            path,
            "--dev-account",
            CORE,
            "--json",
        )
    )
    pid = doc["payable_id"]
    info = lib.token.payable_of(pid)
    assert info.face_value == 400_025 and info.maturity_at == maturity and info.status == "issued"
    assert info.document_hash == confirmation_hash(
        addr(CORE), addr(SUPPLIER), 400_025, lib.deployment.currency, maturity, pkg.root
    )
    assert doc["piece"] == f"P{pid}#1"
    run("payables", "accept", str(pid), "--dev-account", SUPPLIER)
    assert lib.token.payable_of(pid).status == "accepted"
    shown = out_json(run("payables", "show", f"P{pid}", "--json"))
    assert shown["payable"]["status"] == "accepted" and shown["pieces"][0]["value"] == "4000.25"
    assert f"P{pid}#1" in run("payables", "show", str(pid)).stdout


def test_issue_with_offset_time_zone_and_root(run: Run, lib, registered, addr, now: int) -> None:
    _, pkg = registered
    local = datetime.fromtimestamp(now + 30 * DAY, UTC).astimezone().replace(microsecond=0)
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + "+08:00"
    expected = int(datetime.fromisoformat(text).timestamp())
    doc = out_json(
        run(
            "payables",
            "issue",
            "--to",
            addr(SUPPLIER),
            "--amount",
            "10",
            "--maturity",
            text,
            "--root",
            "0x" + pkg.root.hex(),
            "--document-hash",
            "0x" + "77" * 32,
            "--dev-account",
            CORE,
            "--json",
        )
    )
    info = lib.token.payable_of(doc["payable_id"])
    assert info.maturity_at == expected and info.document_hash == bytes.fromhex("77" * 32)


@pytest.mark.parametrize("amount", ["1e5", "-1", "1.234", "１００", "NaN", "1,000", " 10", "10.", ".5", "0", ""])
def test_issue_rejects_bad_amounts(run: Run, registered, addr, now: int, amount: str) -> None:
    path, _ = registered
    r = run(
        "payables",
        "issue",
        "--to",
        addr(SUPPLIER),
        "--amount",
        amount,
        "--maturity",
        iso(now + DAY * 10),
        "--package",
        path,
        "--dev-account",
        CORE,
        expect=2,
    )
    assert r.stderr.startswith("error: --amount")


@pytest.mark.parametrize(
    "maturity",
    [
        "2027-03-01",
        "2027-03-01T00:00:00",
        "2027-03-01 00:00:00Z",
        "tomorrow",
        "2027-02-30T00:00:00Z",
        "2027-03-01T00:00:00.5Z",
    ],
)
def test_issue_rejects_dates_without_zone_or_invalid(run: Run, registered, addr, maturity: str) -> None:
    path, _ = registered
    r = run(
        "payables",
        "issue",
        "--to",
        addr(SUPPLIER),
        "--amount",
        "10",
        "--maturity",
        maturity,
        "--package",
        path,
        "--dev-account",
        CORE,
        expect=2,
    )
    assert r.stderr.startswith("error: --maturity")


def test_issue_checks_on_chain_facts_before_signing(run: Run, registered, addr, now: int, w3: Web3) -> None:
    path, _ = registered
    base = ["payables", "issue", "--package", path]
    ok_date = iso(now + 30 * DAY)
    block = w3.eth.block_number
    cases = [
        (
            ["--to", addr(SUPPLIER), "--amount", "10", "--maturity", iso(now - DAY), "--dev-account", CORE],
            "not in the future",
        ),
        (
            ["--to", addr(SUPPLIER), "--amount", "10", "--maturity", iso(now + 400 * DAY), "--dev-account", CORE],
            "longest tenor",
        ),
        (
            ["--to", addr(SUPPLIER), "--amount", "999999.00", "--maturity", ok_date, "--dev-account", CORE],
            "exceeds what the package still backs",
        ),
        (
            ["--to", addr(SUPPLIER), "--amount", "0.50", "--maturity", ok_date, "--dev-account", CORE],
            "below the minimum piece value",
        ),
        (
            ["--to", addr(SUPPLIER2), "--amount", "10", "--maturity", ok_date, "--dev-account", CORE],
            "must be the package's seller",
        ),
        (
            ["--to", addr(SUPPLIER), "--amount", "10", "--maturity", ok_date, "--dev-account", SUPPLIER2],
            "not an active core enterprise",
        ),
        (
            [
                "--to",
                addr(SUPPLIER),
                "--amount",
                "10",
                "--maturity",
                ok_date,
                "--dev-account",
                CORE,
                "--currency",
                addr(OUTSIDER),
            ],
            "has no contract code",
        ),
        (
            [
                "--to",
                addr(SUPPLIER),
                "--amount",
                "10",
                "--maturity",
                ok_date,
                "--dev-account",
                CORE,
                "--currency",
                "0xdeadbeef",
            ],
            "is not an address",
        ),
    ]
    for extra, message in cases:
        r = run(*base, *extra, expect=2)
        assert message in r.stderr, (extra, r.stderr)
    assert w3.eth.block_number == block  # nothing was sent


def test_issue_to_a_suspended_seller(run: Run, registered, addr, now: int) -> None:
    path, _ = registered
    run("members", "suspend", addr(SUPPLIER), "--reason", "x", "--dev-account", 1)
    r = run(
        "payables",
        "issue",
        "--to",
        addr(SUPPLIER),
        "--amount",
        "10",
        "--maturity",
        iso(now + 5 * DAY),
        "--package",
        path,
        "--dev-account",
        CORE,
        expect=2,
    )
    assert "cannot receive pieces: suspended" in r.stderr


def test_issue_unregistered_package(run: Run, package_file, addr, now: int) -> None:
    path, _ = package_file
    r = run(
        "payables",
        "issue",
        "--to",
        addr(SUPPLIER),
        "--amount",
        "10",
        "--maturity",
        iso(now + 5 * DAY),
        "--package",
        path,
        "--dev-account",
        CORE,
        expect=2,
    )
    assert "is not registered" in r.stderr


def test_accept_checks(run: Run, lib, registered, addr, now: int) -> None:
    path, _ = registered
    doc = out_json(
        run(
            "payables",
            "issue",
            "--to",
            addr(SUPPLIER),
            "--amount",
            "10",
            "--maturity",
            iso(now + 5 * DAY),
            "--package",
            path,
            "--dev-account",
            CORE,
            "--json",
        )
    )
    pid = doc["payable_id"]
    assert "cannot accept it" in run("payables", "accept", pid, "--dev-account", SUPPLIER2, expect=2).stderr
    assert "does not exist" in run("payables", "accept", "999", "--dev-account", SUPPLIER, expect=20).stderr
    assert "not a payable number" in run("payables", "accept", "abc", "--dev-account", SUPPLIER, expect=20).stderr
    run("payables", "accept", f"P{pid}", "--dev-account", SUPPLIER)
    assert "already accepted" in run("payables", "accept", pid, "--dev-account", SUPPLIER, expect=2).stderr


# ---------------------------------------------------------------------------- moves


def test_split_transfer_move_merge(run: Run, lib, payable, addr) -> None:
    pid, token_id = payable
    issued = f"P{pid}#1"
    a = out_json(
        run(
            "payables",
            "split",
            issued,
            "--to",
            addr(SUPPLIER2),
            "--amount",
            "1500.00",
            "--dev-account",
            SUPPLIER,
            "--json",
        )
    )
    assert a["piece"] == f"P{pid}#2" and lib.token.balance_of(int(a["token_id"])) == 150_000
    b = out_json(
        run(
            "payables",
            "split",
            str(token_id),
            "--to",
            addr(SUPPLIER2),
            "--amount",
            "500",
            "--dev-account",
            SUPPLIER,
            "--json",
        )
    )
    assert b["piece"] == f"P{pid}#3"
    run("payables", "merge", b["piece"], a["piece"], "--dev-account", SUPPLIER2)
    assert lib.token.balance_of(int(a["token_id"])) == 200_000
    assert not lib.token.piece_of(int(b["token_id"])).live
    run("payables", "move", issued, a["piece"], "--amount", "0.99", "--dev-account", SUPPLIER, expect=2)  # below min
    run("payables", "move", issued, a["piece"], "--amount", "100.01", "--dev-account", SUPPLIER)
    assert lib.token.balance_of(int(a["token_id"])) == 210_001
    run("payables", "transfer", a["piece"], "--to", addr(FINANCIER), "--dev-account", SUPPLIER2)
    assert lib.token.owner_of(int(a["token_id"])) == addr(FINANCIER)
    listed = out_json(run("payables", "list", "--payable", pid, "--json"))
    assert {p["piece"] for p in listed["pieces"]} == {issued, a["piece"]}
    assert listed["total_cents"] == FACE_CENTS  # nothing created or destroyed
    mine = out_json(run("payables", "list", "--mine", "--dev-account", FINANCIER, "--json"))
    assert [p["piece"] for p in mine["pieces"]] == [a["piece"]]
    human = run("payables", "list", "--owner", addr(FINANCIER)).stdout
    assert a["piece"] in human and "1 piece(s), total 2,100.01" in human


def test_split_bad_inputs(run: Run, payable, addr, w3: Web3) -> None:
    pid, _ = payable
    issued = f"P{pid}#1"
    block = w3.eth.block_number
    cases = [
        (["--to", addr(OUTSIDER), "--amount", "10"], SUPPLIER, "cannot receive pieces: not a member"),
        (["--to", addr(CORE), "--amount", "10"], SUPPLIER, "cannot receive pieces: roles"),
        (["--to", addr(SUPPLIER2), "--amount", "5000.01"], SUPPLIER, "more than piece"),
        (["--to", addr(SUPPLIER2), "--amount", "4999.50"], SUPPLIER, "would keep 0.50"),
        (["--to", addr(SUPPLIER2), "--amount", "10.001"], SUPPLIER, "has 3 decimals"),
        (["--to", addr(SUPPLIER2), "--amount", "10"], SUPPLIER2, "not to the signer"),
        (["--to", addr(SUPPLIER2).lower()[:-1] + "g", "--amount", "10"], SUPPLIER, "is not an address"),
    ]
    for extra, signer, message in cases:
        r = run("payables", "split", issued, *extra, "--dev-account", signer, expect=2)
        assert message in r.stderr, (extra, r.stderr)
    for piece, message in (
        (f"P{pid}#9", "has pieces 1..1"),
        ("P99#1", "payable 99 does not exist"),
        ("12345", "does not exist"),
        ("P1#x", "is not a piece"),
    ):
        r = run(
            "payables", "split", piece, "--to", addr(SUPPLIER2), "--amount", "10", "--dev-account", SUPPLIER, expect=20
        )  # one exit code for a bad piece, in every command
        assert message in r.stderr, (piece, r.stderr)
    assert w3.eth.block_number == block


def test_all_lowercase_address_is_accepted(run: Run, payable, addr, lib) -> None:
    pid, _ = payable
    doc = out_json(
        run(
            "payables",
            "split",
            f"P{pid}#1",
            "--to",
            addr(SUPPLIER3).lower(),
            "--amount",
            "10",
            "--dev-account",
            SUPPLIER,
            "--json",
        )
    )
    assert doc["to"] == addr(SUPPLIER3)


def test_moves_refused_when_not_accepted_or_matured(run: Run, lib, registered, payable, addr, chain) -> None:
    path, _ = registered
    now = chain.time()
    doc = out_json(
        run(
            "payables",
            "issue",
            "--to",
            addr(SUPPLIER),
            "--amount",
            "10",
            "--maturity",
            iso(now + 5 * DAY),
            "--package",
            path,
            "--dev-account",
            CORE,
            "--json",
        )
    )
    r = run(
        "payables", "split", doc["piece"], "--to", addr(SUPPLIER2), "--amount", "5", "--dev-account", SUPPLIER, expect=2
    )
    assert "not accepted yet" in r.stderr
    pid, _ = payable
    chain.sleep(91 * DAY)
    chain.mine()
    r = run("payables", "transfer", f"P{pid}#1", "--to", addr(SUPPLIER2), "--dev-account", SUPPLIER, expect=2)
    assert "matured" in r.stderr


def test_merge_and_move_pair_checks(run: Run, payable, addr) -> None:
    pid, _ = payable
    a = out_json(
        run(
            "payables",
            "split",
            f"P{pid}#1",
            "--to",
            addr(SUPPLIER2),
            "--amount",
            "100",
            "--dev-account",
            SUPPLIER,
            "--json",
        )
    )["piece"]
    assert "the same" in run("payables", "merge", a, a, "--dev-account", SUPPLIER2, expect=2).stderr
    assert (
        "only pieces of one owner"
        in run("payables", "merge", a, f"P{pid}#1", "--dev-account", SUPPLIER2, expect=2).stderr
    )
    assert "the same" in run("payables", "move", a, a, "--amount", "1", "--dev-account", SUPPLIER2, expect=2).stderr


def test_transfer_to_self_refused(run: Run, payable, addr) -> None:
    pid, _ = payable
    r = run("payables", "transfer", f"P{pid}#1", "--to", addr(SUPPLIER), "--dev-account", SUPPLIER, expect=2)
    assert "already belongs" in r.stderr


def test_show_piece_and_list_all(run: Run, payable, addr) -> None:
    pid, token_id = payable
    doc = out_json(run("payables", "show", f"P{pid}#1", "--json"))
    assert doc["piece"]["token_id"] == str(token_id) and doc["piece"]["owner"] == addr(SUPPLIER)
    assert doc["payable"]["face_value"] == "5000.00"
    by_id = out_json(run("payables", "show", hex(token_id), "--json"))
    assert by_id["piece"]["piece"] == short_id(token_id)
    everything = out_json(run("payables", "list", "--json"))
    assert any(p["piece"] == f"P{pid}#1" for p in everything["pieces"])
    assert "give either --owner or --mine" in run("payables", "list", "--mine", "--owner", addr(1), expect=2).stderr
