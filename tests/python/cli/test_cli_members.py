"""members admit|suspend|reinstate|show."""

from __future__ import annotations

from web3 import Web3

from tests.python.cli.conftest import CORE, OUTSIDER, SUPPLIER, Run, out_json
from tierchain.cli.members import IDENTITY_TAG
from tierchain.core.ids import Role

OPERATOR = 1


def test_admit_with_identity_text_is_salted(run: Run, lib, addr) -> None:
    doc = out_json(
        run(
            "members",
            "admit",
            addr(OUTSIDER),
            "--role",
            "financier",
            "--role",
            "guarantor",
            "--identity",
            "91310000MA1FL0000X",
            "--dev-account",
            OPERATOR,
            "--json",
        )
    )
    assert doc["roles"] == ["financier", "guarantor"]
    salt = bytes.fromhex(doc["identity_salt"][2:])
    expected = Web3.keccak(IDENTITY_TAG + salt + b"91310000MA1FL0000X")
    member = lib.membership.member_of(addr(OUTSIDER))
    assert member.identity_hash == bytes(expected) and member.roles == Role.FINANCIER | Role.GUARANTOR


def test_admit_with_identity_hash(run: Run, lib, addr) -> None:
    ident = "0x" + "5a" * 32
    result = run(
        "members", "admit", addr(15).lower(), "--role", "supplier", "--identity-hash", ident, "--dev-account", OPERATOR
    )
    assert "admitted" in result.stdout
    assert lib.membership.member_of(addr(15)).identity_hash == bytes.fromhex("5a" * 32)


def test_admit_bad_inputs(run: Run, addr) -> None:
    good = addr(OUTSIDER)
    bad_checksum = good[:2] + (good[2:3].swapcase() if good[2].isalpha() else good[2]) + good[3:]
    if bad_checksum == good:  # make sure a letter's case is flipped
        i = next(i for i, ch in enumerate(good) if i > 1 and ch.isalpha())
        bad_checksum = good[:i] + good[i].swapcase() + good[i + 1 :]
    r = run("members", "admit", bad_checksum, "--role", "supplier", "--identity", "x", "--dev-account", 1, expect=2)
    assert "bad EIP-55 checksum" in r.stderr
    r = run("members", "admit", "0x1234", "--role", "supplier", "--identity", "x", "--dev-account", 1, expect=2)
    assert "is not an address" in r.stderr
    r = run("members", "admit", good, "--role", "banker", "--identity", "x", "--dev-account", 1, expect=2)
    r = run("members", "admit", good, "--role", "supplier", "--dev-account", 1, expect=2)
    assert "exactly one of --identity" in r.stderr
    r = run(
        "members",
        "admit",
        good,
        "--role",
        "supplier",
        "--identity-hash",
        "0x" + "00" * 32,
        "--dev-account",
        1,
        expect=2,
    )
    assert "must not be zero" in r.stderr
    r = run("members", "admit", addr(SUPPLIER), "--role", "supplier", "--identity", "x", "--dev-account", 1, expect=2)
    assert "already a member" in r.stderr


def test_admit_refused_by_the_contract_exits_7(run: Run, addr) -> None:
    # an operator may not grant governance roles: the simulation reverts, nothing is signed
    r = run("members", "admit", addr(OUTSIDER), "--role", "regulator", "--identity", "x", "--dev-account", 1, expect=7)
    assert r.stderr.startswith("error: MembershipRoleNotGrantable")
    r = run(
        "members", "admit", addr(OUTSIDER), "--role", "supplier", "--identity", "x", "--dev-account", CORE, expect=7
    )
    assert "MembershipUnauthorized" in r.stderr


def test_suspend_then_reinstate(run: Run, lib, addr) -> None:
    doc = out_json(run("members", "suspend", addr(SUPPLIER), "--reason", "KYC expired", "--dev-account", 1, "--json"))
    assert doc["reason_hash"] == "0x" + bytes(Web3.keccak(text="KYC expired")).hex()
    shown = out_json(run("members", "show", addr(SUPPLIER), "--json"))
    assert shown["status"] == "suspended" and shown["can_receive"] is False
    assert (
        "not active"
        in run("members", "suspend", addr(SUPPLIER), "--reason", "again", "--dev-account", 1, expect=2).stderr
    )
    run("members", "reinstate", addr(SUPPLIER), "--dev-account", 1)
    assert lib.membership.member_of(addr(SUPPLIER)).status == "active"
    assert "not suspended" in run("members", "reinstate", addr(SUPPLIER), "--dev-account", 1, expect=2).stderr


def test_suspend_needs_a_reason_and_a_member(run: Run, addr) -> None:
    assert "exactly one of --reason" in run("members", "suspend", addr(4), "--dev-account", 1, expect=2).stderr
    assert (
        "must not be empty" in run("members", "suspend", addr(4), "--reason", " ", "--dev-account", 1, expect=2).stderr
    )
    assert (
        "is not a member"
        in run("members", "suspend", addr(OUTSIDER), "--reason", "x", "--dev-account", 1, expect=2).stderr
    )


def test_show(run: Run, addr) -> None:
    doc = out_json(run("members", "show", addr(CORE), "--json"))
    assert doc["roles"] == ["core"] and doc["status"] == "active" and doc["can_receive"] is False
    assert doc["admitted_at"].endswith("Z")
    human = run("members", "show", addr(SUPPLIER)).stdout
    assert "supplier" in human and "can receive" in human
    assert "is not a member" in run("members", "show", addr(OUTSIDER), expect=2).stderr
