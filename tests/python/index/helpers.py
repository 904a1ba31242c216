"""Helpers of the index tests: a small lifecycle and a table dump for comparing indexes."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from tierchain.contracts import Contracts
from tierchain.sender import Sender

CENTS = 100
FACE = 10_000_000 * CENTS
DERIVED = ("pieces", "payables", "members", "packages", "moves", "freezes")


@dataclass
class Story:
    """Ids of a small lifecycle: issue → accept → splits down three tiers → value move →
    merge → whole transfer."""

    payable_id: int
    root: int  # P#1, held by supplier keys[3]
    a: int  # P#2 tier 2, keys[4]
    b: int  # P#3 tier 2, keys[5]
    c: int  # P#4 tier 3 (from a), keys[4] then transferred to keys[7]
    d: int  # P#5 tier 3 (from b), merged back into b (burned)
    package_root: bytes


def run_story(
    lib: Contracts, sender: Callable[[int], Sender], keys: list[LocalAccount], tag: str = "a"
) -> Story:
    core, s3, s4, s5 = sender(2), sender(3), sender(4), sender(5)
    w3 = lib.token.w3
    root_hash = Web3.keccak(text=f"package-{tag}-{w3.eth.block_number}")
    lib.registry.register_package(core, root_hash, 40, FACE, s3.address, Web3.keccak(text="doc"))
    maturity = int(w3.eth.get_block("latest")["timestamp"]) + 90 * 86_400
    pid, root = lib.token.issue(
        core, s3.address, FACE, lib.deployment.currency, maturity, root_hash,
        Web3.keccak(text="confirmation"),
    )  # fmt: skip
    lib.token.accept(s3, pid)
    a = lib.token.split(s3, root, s4.address, 3_000_000 * CENTS)
    b = lib.token.split(s3, root, s5.address, 2_000_000 * CENTS)
    c = lib.token.split(s4, a, s4.address, 1_000_000 * CENTS)
    lib.token.move_value(s3, root, a, 500_000 * CENTS)
    d = lib.token.split(s5, b, s5.address, 500_000 * CENTS)
    lib.token.merge(s5, d, b)
    lib.token.transfer_whole(s4, c, keys[7].address)
    return Story(pid, root, a, b, c, d, bytes(root_hash))


def dump(conn: sqlite3.Connection) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the events and derived tables, sorted (for comparing two indexes)."""
    out = {}
    for table in ("events", *DERIVED):
        out[table] = sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    return out
