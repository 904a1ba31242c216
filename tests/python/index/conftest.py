"""Fixtures of the index tests: the lifecycle of helpers.py on the library's deployment, a
regulator, and fresh indexes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from tests.python.index.helpers import Story, run_story
from tests.python.index.pg import PgServer, pg_server  # noqa: F401  (the session fixture)
from tierchain.audit import index as ix
from tierchain.chain.deployment import Deployment
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import Role


@pytest.fixture
def story(lib: Contracts, sender: Callable[[int], Sender], keys: list[LocalAccount]) -> Story:
    return run_story(lib, sender, keys)


@pytest.fixture
def regulator_key(lib: Contracts, sender: Callable[[int], Sender], keys: list[LocalAccount]) -> Sender:
    """keys[13] admitted as regulator by the admin (operators cannot grant it)."""
    lib.membership.admit(sender(0), keys[13].address, Role.REGULATOR, Web3.keccak(text="id:reg"))
    return sender(13)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_kind(request: pytest.FixtureRequest) -> str:
    """Every index test runs on both databases."""
    return str(request.param)


@pytest.fixture
def index_db(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Callable[[str], str | Path]:
    """index_db(name) → where the index called ``name`` lives in this test: a SQLite file, or a
    database of the session's PostgreSQL server (the same name gives the same database)."""
    made: dict[str, str | Path] = {}

    def locate(name: str = "index") -> str | Path:
        if name not in made:
            if db_kind == "sqlite":
                made[name] = tmp_path / f"{name}.sqlite"
            else:
                server: PgServer = request.getfixturevalue("pg_server")
                made[name] = server.new_database(name)
        return made[name]

    return locate


@pytest.fixture
def make_index(
    w3: Web3, lib_deployment: Deployment, index_db: Callable[[str], str | Path]
) -> Iterator[Callable[..., tuple[ix.Index, ix.Indexer]]]:
    """make_index(name, **indexer kwargs) → (Index, Indexer) on a fresh database."""
    opened: list[ix.Index] = []

    def make(name: str = "index", **kwargs: Any) -> tuple[ix.Index, ix.Indexer]:
        index = ix.Index(index_db(name))
        opened.append(index)
        return index, ix.Indexer.for_deployment(w3, lib_deployment, index, **kwargs)

    yield make
    for index in opened:
        index.close()
