"""All the clients of one deployment."""

from __future__ import annotations

from dataclasses import dataclass

from web3 import Web3

from tierchain.chain.deployment import Deployment
from tierchain.clients.contracts import MembershipClient, PayableClient, RegistryClient, RelayClient, StableClient
from tierchain.clients.desk import DeskClient
from tierchain.clients.settlement import SettlementClient


@dataclass(frozen=True)
class Contracts:
    """Clients for one deployment."""

    deployment: Deployment
    membership: MembershipClient
    registry: RegistryClient
    token: PayableClient
    currency: StableClient
    relay: RelayClient
    desk: DeskClient
    settlement: SettlementClient

    @classmethod
    def at(cls, w3: Web3, deployment: Deployment) -> Contracts:
        return cls(
            deployment,
            MembershipClient(w3, deployment.membership),
            RegistryClient(w3, deployment.registry),
            PayableClient(w3, deployment.token),
            StableClient(w3, deployment.currency),
            RelayClient(w3, deployment.relay),
            DeskClient(w3, deployment.desk),
            SettlementClient(w3, deployment.settlement),
        )
