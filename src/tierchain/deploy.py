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

import json
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

from eth_abi.abi import encode as abi_encode
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from web3 import Web3

from tierchain.errors import ChainIdMismatchError, DeploymentError
from tierchain.errors import abi_type as _abi_type
from tierchain.sender import Sender, TxRequest
from tierchain.toolchain import load_artifact

DAY: Final = 86_400
DEFAULT_MIN_PIECE_CENTS: Final = 100
DEFAULT_MAX_TENOR: Final = 365 * DAY
DEFAULT_GRACE_SECONDS: Final = 7 * DAY
AGENT_DESK: Final = 1
AGENT_SETTLEMENT: Final = 2
CONTRACTS: Final = ("membership", "registry", "relay", "token", "currency", "desk", "settlement")
_ARTIFACT_OF: Final = {
    "membership": "Membership",
    "registry": "InvoiceRegistry",
    "relay": "RequestRelay",
    "token": "PayableToken",
    "currency": "DemoStableToken",
    "desk": "FinancingDesk",
    "settlement": "Settlement",
}


def state_home() -> Path:
    """tierchain's state folder: ``$TIERCHAIN_HOME`` or ``.tierchain`` in the working dir."""
    env = os.environ.get("TIERCHAIN_HOME")
    return Path(env) if env else Path.cwd() / ".tierchain"


def deployment_path(chain_id: int, home: Path | None = None) -> Path:
    return (home or state_home()) / "deployments" / f"{chain_id}.json"


@dataclass(frozen=True)
class Deployment:
    """Addresses of one deployed set on one chain."""

    chain_id: int
    genesis_hash: str
    membership: ChecksumAddress
    registry: ChecksumAddress
    relay: ChecksumAddress
    token: ChecksumAddress
    currency: ChecksumAddress
    desk: ChecksumAddress
    settlement: ChecksumAddress
    admin: ChecksumAddress
    operator: ChecksumAddress
    block_number: int
    deployed_at: int
    min_piece_cents: int = DEFAULT_MIN_PIECE_CENTS
    max_tenor_seconds: int = DEFAULT_MAX_TENOR
    tx_hashes: dict[str, str] = field(default_factory=dict)

    def address_of(self, name: str) -> ChecksumAddress:
        if name not in CONTRACTS:
            raise DeploymentError(f"unknown contract {name!r}; known: {', '.join(CONTRACTS)}")
        value: ChecksumAddress = getattr(self, name)
        return value

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Deployment:
        try:
            fields = dict(doc)
            for name in (*CONTRACTS, "admin", "operator"):
                fields[name] = to_checksum_address(str(fields[name]))
            return cls(**fields)
        except (KeyError, TypeError, ValueError) as exc:
            raise DeploymentError(f"malformed deployment record: {exc}") from None


def creation_code(artifact_name: str, *args: Any) -> bytes:
    """Creation bytecode of an artifact followed by its ABI-encoded constructor arguments."""
    art = load_artifact(artifact_name)
    ctor = art.entries("constructor")
    types = [_abi_type(i) for i in ctor[0].get("inputs", ())] if ctor else []
    if len(types) != len(args):
        raise DeploymentError(f"{artifact_name} takes {len(types)} constructor arguments")
    return bytes.fromhex(art.bytecode[2:]) + (abi_encode(types, list(args)) if types else b"")


def call_data(artifact_name: str, signature: str, *args: Any) -> bytes:
    """Selector + ABI-encoded arguments for ``signature`` like ``"bindToken(address)"``."""
    types = signature[signature.index("(") + 1 : -1]
    selector = Web3.keccak(text=signature)[:4]
    return bytes(selector) + (abi_encode(_split_types(types), list(args)) if types else b"")


def _split_types(types: str) -> list[str]:
    out: list[str] = []
    depth = 0
    current = ""
    for ch in types:
        if ch == "," and depth == 0:
            out.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    out.append(current)
    return out


def genesis_hash(w3: Web3) -> str:
    return "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()


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
    hashes["bindToken"], hashes["addListener"], hashes["relayBindToken"] = (
        r.tx_hash for r in wiring
    )
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


def save_deployment(deployment: Deployment, home: Path | None = None) -> Path:
    path = deployment_path(deployment.chain_id, home)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(deployment.to_json(), indent=1) + "\n")
    os.replace(tmp, path)
    return path


def load_deployment(
    w3: Web3, *, home: Path | None = None, path: Path | None = None
) -> Deployment:
    """The recorded deployment for the connected chain, verified: same chain id, same genesis
    block, code at every address."""
    chain_id = w3.eth.chain_id
    file = path or deployment_path(chain_id, home)
    if not file.is_file():
        raise DeploymentError(
            f"no deployment recorded for chain {chain_id} at {file}: run `tierchain deploy`"
        )
    try:
        doc = json.loads(file.read_text())
    except ValueError as exc:
        raise DeploymentError(f"{file} is not valid JSON: {exc}") from None
    deployment = Deployment.from_json(doc)
    verify_deployment(w3, deployment, chain_id)
    return deployment


def verify_deployment(w3: Web3, deployment: Deployment, chain_id: int | None = None) -> None:
    actual = w3.eth.chain_id if chain_id is None else chain_id
    if deployment.chain_id != actual:
        raise ChainIdMismatchError(
            f"the deployment record is for chain {deployment.chain_id}, "
            f"but the node is chain {actual}"
        )
    if deployment.genesis_hash and deployment.genesis_hash != genesis_hash(w3):
        raise DeploymentError(
            f"the deployment record for chain {actual} was made on another chain with the same "
            "id (different genesis block): deploy again"
        )
    missing = [n for n in CONTRACTS if not w3.eth.get_code(deployment.address_of(n))]
    if missing:
        raise DeploymentError(
            f"no contract code on chain {actual} at the recorded address of "
            f"{', '.join(missing)}: the chain was reset or the record is stale; deploy again"
        )


