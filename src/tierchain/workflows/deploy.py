"""Deploy the contract set in dependency order, wire it, and record it per chain id.

Order: Membership(admin) → InvoiceRegistry(membership) → RequestRelay(membership) →
PayableToken(membership, registry, minPieceValue, maxTenor, relay) → registry.bindToken(token) →
membership.addListener(token) → relay.bindToken(token) (which also allows the token as a relay
target) → DemoStableToken(operator) → FinancingDesk(token, membership, relay) →
Settlement(token, relay, graceSeconds) → token.setAgent(desk, AGENT_DESK),
token.setAgent(settlement, AGENT_SETTLEMENT), relay.setTargetAllowed(desk | settlement),
settlement.setFinancingRecords(desk). Members are admitted afterwards (the token must
already listen).
The record lives in ``<home>/deployments/<chainId>.json`` (home: ``$TIERCHAIN_HOME`` or
``./.tierchain``) and is checked on load: chain id, genesis block, code at every address.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from web3 import Web3

from tierchain.chain.abi import call_data, creation_code
from tierchain.chain.deployment import (
    _ARTIFACT_OF,
    AGENT_DESK,
    AGENT_SETTLEMENT,
    DEFAULT_GRACE_SECONDS,
    DEFAULT_MAX_TENOR,
    DEFAULT_MIN_PIECE_CENTS,
    Deployment,
    genesis_hash,
    save_deployment,
)
from tierchain.chain.sender import Sender, TxRequest


def deploy_all(
    w3: Web3,
    admin: Sender,
    operator: ChecksumAddress | str,
    *,
    min_piece_cents: int = DEFAULT_MIN_PIECE_CENTS,
    max_tenor_seconds: int = DEFAULT_MAX_TENOR,
    grace_seconds: int = DEFAULT_GRACE_SECONDS,
    home: Path | None = None,
    record: bool = True,
) -> Deployment:
    """Deploy and wire the set with ``admin``; record it unless ``record`` is False.
    The relay is the ERC-2771 forwarder the token, the desk and settlement trust."""
    op = to_checksum_address(operator)
    hashes: dict[str, str] = {}

    def create(key: str, *args: Any) -> ChecksumAddress:
        name = _ARTIFACT_OF[key]
        receipt = admin.deploy(creation_code(name, *args), label=f"deploy {name}")
        hashes[key] = receipt.tx_hash
        assert receipt.contract_address is not None
        return receipt.contract_address

    membership = create("membership", admin.address)
    registry = create("registry", membership)
    relay = create("relay", membership)
    token = create("token", membership, registry, min_piece_cents, max_tenor_seconds, relay)
    wiring = admin.send_many(
        [
            TxRequest(registry, call_data("InvoiceRegistry", "bindToken(address)", token),
                      label="registry.bindToken"),
            TxRequest(membership, call_data("Membership", "addListener(address)", token),
                      label="membership.addListener"),
            TxRequest(relay, call_data("RequestRelay", "bindToken(address)", token),
                      label="relay.bindToken"),
        ]
    )  # fmt: skip
    hashes["bindToken"], hashes["addListener"], hashes["relayBindToken"] = (r.tx_hash for r in wiring)
    currency = create("currency", op)
    desk = create("desk", token, membership, relay)
    settlement = create("settlement", token, relay, grace_seconds)

    def admin_call(to: ChecksumAddress, artifact: str, signature: str, *args: Any) -> TxRequest:
        return TxRequest(to, call_data(artifact, signature, *args), label=f"{artifact}.{signature}")

    agents = admin.send_many(
        [
            admin_call(token, "PayableToken", "setAgent(address,uint8)", desk, AGENT_DESK),
            admin_call(token, "PayableToken", "setAgent(address,uint8)", settlement, AGENT_SETTLEMENT),
            admin_call(relay, "RequestRelay", "setTargetAllowed(address,bool)", desk, True),
            admin_call(relay, "RequestRelay", "setTargetAllowed(address,bool)", settlement, True),
            admin_call(settlement, "Settlement", "setFinancingRecords(address)", desk),
        ]
    )
    (hashes["setAgentDesk"], hashes["setAgentSettlement"], hashes["relayAllowDesk"],
     hashes["relayAllowSettlement"], hashes["settlementRecords"]) = (r.tx_hash for r in agents)  # fmt: skip
    deployment = Deployment(
        chain_id=admin.chain_id,
        genesis_hash=genesis_hash(w3),
        membership=membership,
        registry=registry,
        relay=relay,
        token=token,
        currency=currency,
        desk=desk,
        settlement=settlement,
        admin=admin.address,
        operator=op,
        block_number=w3.eth.block_number,
        deployed_at=int(time.time()),
        min_piece_cents=min_piece_cents,
        max_tenor_seconds=max_tenor_seconds,
        tx_hashes=hashes,
    )
    if record:
        save_deployment(deployment, home)
    return deployment
