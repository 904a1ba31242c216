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


@pytest.fixture
def make_index(
    w3: Web3, lib_deployment: Deployment, tmp_path: Path
) -> Iterator[Callable[..., tuple[ix.Index, ix.Indexer]]]:
    """make_index(name, **indexer kwargs) → (Index, Indexer) on a fresh database file."""
    opened: list[ix.Index] = []

    def make(name: str = "index", **kwargs: Any) -> tuple[ix.Index, ix.Indexer]:
        index = ix.Index(tmp_path / f"{name}.sqlite")
        opened.append(index)
        return index, ix.Indexer.for_deployment(w3, lib_deployment, index, **kwargs)

    yield make
    for index in opened:
        index.close()
