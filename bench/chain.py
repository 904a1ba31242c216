"""Bench plumbing for on-chain measurements: load the brownie project, start a local chain.

Gas is measured on Ganache 7.9.2 with the shanghai hardfork (the required chain); Anvil with
--hardfork shanghai gives identical gas for the same bytecode (shared/BENCH.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def brownie_chain(network: str = "tierchain-ganache") -> Iterator[Any]:
    """Yield the loaded brownie project on a freshly started local chain; stop it afterwards."""
    from brownie import network as bnet
    from brownie import project

    proj = project.load(str(ROOT), name="TierchainBench")
    proj.load_config()
    bnet.connect(network)
    try:
        yield proj
    finally:
        bnet.disconnect()
        proj.close()


def chain_label(network: str = "tierchain-ganache") -> str:
    from brownie import web3

    client = web3.client_version.split("/")
    name = client[0].lower()
    version = client[1].lstrip("v") if len(client) > 1 else "?"
    return f"{name} {version} (shanghai) [{network}]"
