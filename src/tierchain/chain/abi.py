"""ABI encoding of constructor arguments and calls by signature."""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode as abi_encode
from web3 import Web3

from tierchain.chain.artifacts import load_artifact
from tierchain.chain.revert import abi_type as _abi_type
from tierchain.core.errors import DeploymentError


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
