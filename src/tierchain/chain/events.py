"""The one event decoder of the library: receipts (the sender) and raw ``eth_getLogs`` logs (the
audit index) go through the same table of event specs, built once from the artifacts' ABIs.

Logs are matched by (topic0, number of topics), so ERC-20 and ERC-721 ``Transfer`` (same topic0,
3 vs 4 topics) never mix; a decoder bound to contract addresses (the index) matches by (address,
topic0, number of topics). Every argument of our contracts' events is one static word, decoded
by slicing the hex text (no ABI machinery per log); other types go through eth_abi. Addresses
come back checksummed and integers as ``int``; ``bytesN`` are ``bytes`` in receipts' events and
``0x`` hex in the index's (JSON) rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

from eth_abi.abi import decode as abi_decode
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from tierchain.chain.revert import abi_type

_STATIC_WORD: Final = 64  # hex characters in a 32-byte word


@dataclass(frozen=True)
class Event:
    """A decoded log of a receipt."""

    name: str
    address: ChecksumAddress
    args: dict[str, Any]
    log_index: int


@dataclass
class DecodedLog:
    """One raw log as the index stores it (``event`` None: no ABI knows it; ``args`` then holds
    its topics and data)."""

    block_number: int
    log_index: int
    block_hash: str
    tx_hash: str
    tx_index: int
    address: str
    contract: str
    event: str | None
    args: dict[str, Any]
    entity: str | None = None


@dataclass(frozen=True)
class EventSpec:
    name: str
    inputs: tuple[tuple[str, str, bool], ...]  # (name, abi type, indexed)
    static: bool


def _is_static(typ: str) -> bool:
    return (
        typ == "address"
        or typ == "bool"
        or typ.startswith(("uint", "int"))
        or (typ.startswith("bytes") and typ != "bytes")
    ) and not typ.endswith("]")


def _specs(abi: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, int, EventSpec]]:
    for entry in abi:
        if entry.get("type") != "event" or entry.get("anonymous"):
            continue
        inputs = tuple((str(i["name"]), abi_type(i), bool(i.get("indexed"))) for i in entry.get("inputs", ()))
        sig = f"{entry['name']}({','.join(t for _, t, _ in inputs)})"
        topic0 = "0x" + keccak(text=sig).hex()
        n_topics = 1 + sum(1 for _, _, ix in inputs if ix)
        yield topic0, n_topics, EventSpec(str(entry["name"]), inputs, all(_is_static(t) for _, t, _ in inputs))


def _hex(value: Any) -> str:
    """``0x``-less lower-case hex of a topic / data given as bytes, HexBytes or text."""
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    text = str(value).lower()
    return text[2:] if text.startswith("0x") else text


class EventDecoder:
    """Decodes logs with the events of the given ABIs, and, for ``contracts`` (name →
    (address, abi)), by address too (the name lands in :attr:`DecodedLog.contract`)."""

    def __init__(
        self,
        abis: Iterable[Iterable[Mapping[str, Any]]] = (),
        *,
        contracts: Mapping[str, tuple[str, Sequence[Mapping[str, Any]]]] | None = None,
    ) -> None:
        self.table: dict[tuple[str, int], EventSpec] = {}
        self.by_address: dict[tuple[str, str, int], EventSpec] = {}
        self.names: dict[str, str] = {}  # lower-case address → contract name
        self._checksums: dict[str, str] = {}
        for abi in abis:
            for topic0, n, spec in _specs(abi):
                self.table.setdefault((topic0, n), spec)
        for name, (address, abi) in (contracts or {}).items():
            addr = address.lower()
            self.names[addr] = name
            for topic0, n, spec in _specs(abi):
                self.by_address[(addr, topic0, n)] = spec
                self.table.setdefault((topic0, n), spec)

    def checksum(self, hex40: str) -> str:
        cached = self._checksums.get(hex40)
        if cached is None:
            cached = to_checksum_address(hex40)
            self._checksums[hex40] = cached
        return cached

    def _word(self, typ: str, word: str, hex_bytes: bool) -> Any:
        if typ == "address":
            return self.checksum("0x" + word[-40:])
        if typ.startswith("uint"):
            return int(word, 16)
        if typ == "bool":
            return int(word, 16) != 0
        if typ.startswith("int"):
            value = int(word, 16)
            return value - (1 << 256) if value >= 1 << 255 else value
        size = int(typ[5:])  # bytesN: left-aligned
        return "0x" + word[: 2 * size] if hex_bytes else bytes.fromhex(word[: 2 * size])

    def _plain(self, value: Any, typ: str, hex_bytes: bool) -> Any:
        if isinstance(value, bytes) and hex_bytes:
            return "0x" + value.hex()
        if typ == "address" and isinstance(value, str):
            return self.checksum(value.lower())
        if isinstance(value, list | tuple) and hex_bytes:
            return [self._plain(v, "", hex_bytes) for v in value]
        return value

    def args(self, spec: EventSpec, topics: Sequence[str], data: str, *, hex_bytes: bool = True) -> dict[str, Any]:
        """The arguments of one log (``topics`` and ``data`` as lower-case hex without 0x)."""
        args: dict[str, Any] = {}
        t = 1
        if spec.static:
            d = 0
            for name, typ, indexed in spec.inputs:
                if indexed:
                    args[name] = self._word(typ, topics[t], hex_bytes)
                    t += 1
                else:
                    word = data[d : d + _STATIC_WORD]
                    if len(word) != _STATIC_WORD:
                        raise ValueError("log data too short")
                    args[name] = self._word(typ, word, hex_bytes)
                    d += _STATIC_WORD
            return args
        plain = [(n, typ) for n, typ, ix in spec.inputs if not ix]
        values = abi_decode([typ for _, typ in plain], bytes.fromhex(data))
        plain_values = dict(zip((n for n, _ in plain), values, strict=True))
        for name, typ, indexed in spec.inputs:
            if indexed:
                raw = topics[t]
                t += 1
                if _is_static(typ):
                    args[name] = self._word(typ, raw, hex_bytes)
                else:  # dynamic indexed values are stored hashed
                    args[name] = "0x" + raw if hex_bytes else bytes.fromhex(raw)
            else:
                args[name] = self._plain(plain_values[name], typ, hex_bytes)
        return args

    def decode(self, log: Mapping[str, Any]) -> Event | None:
        """A receipt's log (web3 shape: bytes topics) as an :class:`Event`; None when no ABI
        knows it or it does not decode."""
        topics = [_hex(t) for t in log.get("topics", ())]
        if not topics:
            return None
        spec = self.table.get(("0x" + topics[0], len(topics)))
        if spec is None:
            return None
        try:
            args = self.args(spec, topics, _hex(log.get("data", b"")), hex_bytes=False)
        except Exception:
            return None
        return Event(
            name=spec.name,
            address=to_checksum_address(str(log["address"])),
            args=args,
            log_index=int(log.get("logIndex", 0)),
        )

    def decode_raw(self, log: Mapping[str, Any]) -> DecodedLog:
        """A JSON-RPC log (hex text) of a bound contract, for the index; a log no ABI knows is
        kept with its topics and data."""
        address = str(log["address"]).lower()
        topics = [_hex(t) for t in log.get("topics", ())]
        data = _hex(log.get("data") or "0x")
        spec = self.by_address.get((address, "0x" + topics[0], len(topics))) if topics else None
        args: dict[str, Any] = {}
        name: str | None = None
        if spec is not None:
            try:
                args = self.args(spec, topics, data)
                name = spec.name
            except Exception:
                spec = None
        if spec is None:
            args = {"topics": ["0x" + t for t in topics], "data": "0x" + data}
        return DecodedLog(
            block_number=int(str(log["blockNumber"]), 16),
            log_index=int(str(log["logIndex"]), 16),
            block_hash=str(log["blockHash"]).lower(),
            tx_hash=str(log["transactionHash"]).lower(),
            tx_index=int(str(log.get("transactionIndex") or "0x0"), 16),
            address=self.checksum(address),
            contract=self.names.get(address, "unknown"),
            event=name,
            args=args,
        )


class LogDecoder(EventDecoder):
    """The index's view of :class:`EventDecoder`: bound to contracts, ``decode`` takes raw
    JSON-RPC logs."""

    def __init__(self, contracts: Mapping[str, tuple[str, Sequence[Mapping[str, Any]]]]) -> None:
        super().__init__(contracts=contracts)

    def decode(self, log: Mapping[str, Any]) -> DecodedLog:  # type: ignore[override]
        return self.decode_raw(log)


_events: EventDecoder | None = None


def default_event_decoder() -> EventDecoder:
    """The event decoder over every exported artifact (built once)."""
    global _events
    if _events is None:
        from tierchain.chain.artifacts import available_artifacts

        _events = EventDecoder(a.abi for a in available_artifacts())
    return _events


__all__ = ["DecodedLog", "Event", "EventDecoder", "EventSpec", "LogDecoder", "default_event_decoder"]
