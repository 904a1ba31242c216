"""brownie run deploy: deploy the tierchain set on the connected network through the library."""

from __future__ import annotations

from brownie import network, web3

from tierchain.chain.deployment import CONTRACTS
from tierchain.chain.local import LOCAL_CHAIN_IDS, dev_accounts
from tierchain.chain.sender import Sender
from tierchain.workflows.deploy import deploy_all


def main() -> None:
    chain_id = web3.eth.chain_id
    print(f"network {network.show_active()} (chain {chain_id})")
    if chain_id not in LOCAL_CHAIN_IDS:
        raise SystemExit("this script deploys with development keys: local chains only")
    accounts = dev_accounts()
    admin = Sender(web3, accounts[0])
    print(f"deployer {admin.address}")
    # journaled and resumable like `tierchain deploy`: run it again after a kill to finish it
    deployment = deploy_all(web3, admin, accounts[1].address, replace=True)
    for name in CONTRACTS:
        print(f"  {name:<10} {deployment.address_of(name)}  gas {deployment.gas_used.get(name, 0):,}")
    print(f"gas in total {sum(deployment.gas_used.values()):,}")
