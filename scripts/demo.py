"""brownie run demo: the tierchain demo story on the connected (local) network."""

from __future__ import annotations

from brownie import network, web3

from tierchain.chain.local import LOCAL_CHAIN_IDS, dev_accounts
from tierchain.workflows.demo import run_demo


def main() -> None:
    chain_id = web3.eth.chain_id
    print(f"network {network.show_active()} (chain {chain_id})")
    if chain_id not in LOCAL_CHAIN_IDS:
        raise SystemExit("the demo uses development keys: local chains only")
    run_demo(web3, dev_accounts())
