"""Turn revert data (custom errors, ``Error(string)``, ``Panic``) into tierchain exceptions."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from tierchain.core.errors import ContractRevert, revert_class


def abi_type(param: Mapping[str, Any]) -> str:
    """The canonical ABI type string of one input/output entry (tuples expanded)."""
    typ = str(param["type"])
    if typ.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param.get("components", ()))
        return f"({inner}){typ[len('tuple') :]}"
    return typ


@dataclass(frozen=True)
class ErrorSpec:
    """One custom error: its name, parameter names and ABI types."""

    name: str
    names: tuple[str, ...]
    types: tuple[str, ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(self.types)})"

    @property
    def selector(self) -> bytes:
        return keccak(text=self.signature)[:4]


_BUILTIN = (
    ErrorSpec("Error", ("message",), ("string",)),
    ErrorSpec("Panic", ("code",), ("uint256",)),
)


class ErrorDecoder:
    """selector → error table over ABIs; decodes revert data into :class:`ContractRevert`."""

    def __init__(self, abis: Iterable[Iterable[Mapping[str, Any]]] = ()) -> None:
        self.table: dict[bytes, ErrorSpec] = {s.selector: s for s in _BUILTIN}
        for abi in abis:
            self.add_abi(abi)

    def add_abi(self, abi: Iterable[Mapping[str, Any]]) -> None:
        for entry in abi:
            if entry.get("type") != "error":
                continue
            inputs = entry.get("inputs", ())
            spec = ErrorSpec(
                str(entry["name"]),
                tuple(str(i.get("name") or f"arg{n}") for n, i in enumerate(inputs)),
                tuple(abi_type(i) for i in inputs),
            )
            self.table.setdefault(spec.selector, spec)

    def decode(self, data: bytes, tx_hash: str | None = None) -> ContractRevert:
        """The exception for revert ``data`` (never raises while decoding)."""
        spec = self.table.get(bytes(data[:4])) if len(data) >= 4 else None
        if spec is None:
            return ContractRevert("", data=bytes(data), tx_hash=tx_hash)
        try:
            values = abi_decode(list(spec.types), bytes(data[4:]))
        except Exception:
            return ContractRevert("", data=bytes(data), tx_hash=tx_hash)
        args = {n: _normalise(t, v) for n, t, v in zip(spec.names, spec.types, values, strict=True)}
        return revert_class(spec.name)(spec.name, args, bytes(data), tx_hash)


def _normalise(typ: str, value: Any) -> Any:
    if typ == "address" and isinstance(value, str):
        return to_checksum_address(value)
    return value


_default: ErrorDecoder | None = None


def default_decoder() -> ErrorDecoder:
    """The decoder over every exported artifact (built once, on first use)."""
    global _default
    if _default is None:
        from tierchain.chain.artifacts import available_artifacts

        _default = ErrorDecoder(a.abi for a in available_artifacts())
    return _default


def revert_data_from(exc: BaseException) -> bytes | None:
    """Revert data carried by a web3 / JSON-RPC exception, if any."""
    candidates: list[Any] = [getattr(exc, "data", None)]
    rpc = getattr(exc, "rpc_response", None)
    if isinstance(rpc, Mapping):
        err = rpc.get("error")
        if isinstance(err, Mapping):
            candidates.append(err.get("data"))
    for arg in exc.args:
        if isinstance(arg, Mapping):
            candidates.append(arg.get("data"))
    for cand in candidates:
        data = _hex_payload(cand)
        if data is not None:
            return data
    return None


def _hex_payload(cand: Any) -> bytes | None:
    if isinstance(cand, bytes):
        return cand
    if isinstance(cand, str) and cand.startswith("0x"):
        try:
            return bytes.fromhex(cand[2:])
        except ValueError:
            return None
    if isinstance(cand, Mapping):
        # Ganache: {"hash": ..., "result": "0x<revert data>", "reason": ...}; others: {"data": ...}
        for key in ("result", "data", "output"):
            found = _hex_payload(cand.get(key))
            if found is not None:
                return found
    return None


def decode_exception(exc: BaseException, tx_hash: str | None = None) -> ContractRevert | None:
    """A :class:`ContractRevert` for a web3 exception that carries revert data, else None."""
    data = revert_data_from(exc)
    if data is None:
        return None
    return default_decoder().decode(data, tx_hash)
