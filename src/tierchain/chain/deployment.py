"""The deployment record: where one contract set lives on one chain, checked on load.

The record lives in ``<home>/deployments/<chainId>.json`` (home: ``$TIERCHAIN_HOME`` or
``./.tierchain``) and is checked on load: chain id, genesis block, code at every address.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from web3 import Web3

from tierchain.chain.rpc import batch as rpc_batch
from tierchain.core.errors import ChainIdMismatchError, DeploymentError

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
    gas_used: dict[str, int] = field(default_factory=dict)

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


def genesis_hash(w3: Web3) -> str:
    return "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()


def save_deployment(deployment: Deployment, home: Path | None = None, *, replace: bool = False) -> Path:
    """Write the record. An existing record is never overwritten: without ``replace`` it is a
    :class:`DeploymentError`; with it the old file is kept as ``<chainId>.<UTC time>.json``."""
    path = deployment_path(deployment.chain_id, home)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        if not replace:
            raise DeploymentError(
                f"a deployment is already recorded at {path}; pass --replace to record a new one "
                "(the old record is kept, renamed with a timestamp)"
            )
        keep_old_record(path)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(deployment.to_json(), indent=1) + "\n")
    os.replace(tmp, path)
    return path


def keep_old_record(path: Path) -> Path:
    """Rename a record out of the way: ``<chainId>.<UTC time>.json`` next to it."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    kept = path.with_name(f"{path.stem}.{stamp}.json")
    os.replace(path, kept)
    return kept


def load_deployment(w3: Web3, *, home: Path | None = None, path: Path | None = None) -> Deployment:
    """The recorded deployment for the connected chain, verified: same chain id, same genesis
    block, code at every address."""
    chain_id = w3.eth.chain_id
    file = path or deployment_path(chain_id, home)
    if not file.is_file():
        raise DeploymentError(f"no deployment recorded for chain {chain_id} at {file}: run `tierchain deploy`")
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
            f"the deployment record is for chain {deployment.chain_id}, but the node is chain {actual}"
        )
    # the genesis block and every contract's code in one JSON-RPC batch (one round trip)
    answers = rpc_batch(
        w3, [("eth_getBlockByNumber", ["0x0", False])]
        + [("eth_getCode", [deployment.address_of(n), "latest"]) for n in CONTRACTS]
    )  # fmt: skip
    genesis = answers[0].get("hash") if isinstance(answers[0], dict) else None
    if deployment.genesis_hash and str(genesis).lower() != deployment.genesis_hash.lower():
        raise DeploymentError(
            f"the deployment record for chain {actual} was made on another chain with the same "
            "id (different genesis block): deploy again"
        )
    codes = zip(CONTRACTS, answers[1:], strict=True)
    missing = [n for n, code in codes if not isinstance(code, str) or code in ("0x", "")]
    if missing == ["currency"]:
        raise DeploymentError(
            f"the deployment record names currency {deployment.currency}, but chain {actual} has "
            "no contract there (a record made for another network?); nothing was signed"
        )
    if missing:
        raise DeploymentError(
            f"no contract code on chain {actual} at the recorded address of "
            f"{', '.join(missing)}: the chain was reset or the record is stale; deploy again"
        )
