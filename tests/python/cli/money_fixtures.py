"""Fixtures shared by the financing and settlement CLI tests (imported by both modules):
currency minted to the payers, a guarantor admitted, an offer file maker."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from tests.python.cli.conftest import CORE, FINANCIER, SUPPLIER, Run, out_json
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import Role

GUARANTOR = 11
OPERATOR = 1
DAY = 86_400
FUNDS_CENTS = 2_000_000  # 20,000.00 each


@pytest.fixture
def unit(lib: Contracts) -> int:
    return int(10 ** (lib.currency.decimals() - 2))


@pytest.fixture
def funded(lib: Contracts, sender: Any, keys: Any, unit: int) -> None:
    """Currency for the financier, the core enterprise, the supplier and a guarantor (admitted)."""
    op = sender(OPERATOR)
    lib.membership.admit(op, keys[GUARANTOR].address, Role.GUARANTOR, Web3.keccak(text="id:guarantor"))
    for who in (FINANCIER, CORE, SUPPLIER, GUARANTOR):
        lib.currency.mint(op, keys[who].address, FUNDS_CENTS * unit)


MakeOffer = Callable[..., tuple[Path, dict[str, Any]]]


@pytest.fixture
def make_offer(run: Run, tmp_path: Path) -> MakeOffer:
    """``make_offer(piece, *options, name=...)``: the financier signs an offer file; returns
    (path, the command's JSON)."""
    count = [0]

    def make(piece: str, *options: Any, name: str | None = None, by: int = FINANCIER) -> tuple[Path, dict[str, Any]]:
        count[0] += 1
        path = tmp_path / (name or f"offer{count[0]}.json")
        doc = out_json(run("financing", "offer", piece, *options, "-o", path, "--dev-account", by, "--json"))
        assert json.loads(path.read_text())["offer_hash"] == doc["offer_hash"]
        return path, doc

    return make
