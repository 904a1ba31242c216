"""Signed requests: EIP-712 typed data a member signs with its own key, relayed by the operator.

A supplier needs no gas: it signs a request (accept a payable, split a piece, move value,
transfer a piece, or a generic :class:`Call` to the financing desk or settlement) and anyone
relays it through the ``RequestRelay`` contract, which checks deadline, nonce and signature and
then acts for the signer (ERC-2771). See docs/RELAY.md.

* One domain for every kind: name ``"tierchain"``, version ``"1"``, the chain id and the relay's
  address. :func:`read_domain` reads it from the relay's ERC-5267 ``eip712Domain()`` and checks
  it against the chain and the expected address before anything is signed.
* One sequential nonce per signer across all kinds (``RequestRelay.nonces(signer)``), and a
  deadline (a UTC second; the request may run while ``block.timestamp <= deadline``).
* Online: :func:`sign_request` with an eth-account ``LocalAccount``. Offline or in a browser:
  :func:`wallet_json` gives the exact ``eth_signTypedData_v4`` payload, and
  :func:`attach_signature` takes the signature made elsewhere (checked locally for EOAs).
  uint256 values are decimal strings in that JSON (token ids exceed JavaScript's safe integers).

The module builds and checks data only; relaying (a transaction) is
:class:`tierchain.clients.contracts.RelayClient`'s, through a :class:`~tierchain.chain.sender.Sender`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal, TypeAlias, cast

from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_account.messages import SignableMessage, encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import is_address, to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3

from tierchain.chain.artifacts import load_artifact
from tierchain.core.errors import ChainIdMismatchError, DeploymentError, SignatureError, TransactionError

DOMAIN_NAME: Final = "tierchain"
DOMAIN_VERSION: Final = "1"
DOMAIN_FIELDS: Final = b"\x0f"  # ERC-5267: name, version, chainId, verifyingContract
DOMAIN_TYPE: Final = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
UINT256_MAX: Final = 2**256 - 1
SECP256K1_HALF_N: Final = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
_EIP712_DOMAIN_FIELDS: Final = (
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
)


# ---------------------------------------------------------------------------- the domain


@dataclass(frozen=True)
class Domain:
    """The EIP-712 domain of one relay on one chain."""

    chain_id: int
    verifying_contract: ChecksumAddress
    name: str = DOMAIN_NAME
    version: str = DOMAIN_VERSION

    def to_eip712(self, *, json_safe: bool = False) -> dict[str, Any]:
        """The domain object of a typed-data message (``json_safe``: chainId a decimal string,
        as every uint256 in JSON for a wallet)."""
        return {
            "name": self.name,
            "version": self.version,
            "chainId": str(self.chain_id) if json_safe else self.chain_id,
            "verifyingContract": self.verifying_contract,
        }

    @property
    def separator(self) -> bytes:
        """``hashStruct(EIP712Domain)``, as the relay's ``domainSeparator()``."""
        return keccak(
            abi_encode(
                ["bytes32", "bytes32", "bytes32", "uint256", "address"],
                [
                    keccak(text=DOMAIN_TYPE),
                    keccak(text=self.name),
                    keccak(text=self.version),
                    self.chain_id,
                    self.verifying_contract,
                ],
            )
        )


def read_domain(w3: Web3, relay: str, *, expected_chain_id: int | None = None) -> Domain:
    """The relay's domain from its ERC-5267 ``eip712Domain()``, checked: the fields byte says
    name, version, chain id and contract (no salt, no extensions), the name and version are
    tierchain's, the chain id is the node's (and ``expected_chain_id``, e.g. the deployment's),
    and the verifying contract is ``relay`` itself."""
    address = to_checksum_address(relay)
    node_chain = w3.eth.chain_id
    if expected_chain_id is not None and expected_chain_id != node_chain:
        raise ChainIdMismatchError(f"signing for chain {expected_chain_id}, but the node is chain {node_chain}")
    if not w3.eth.get_code(address):
        raise DeploymentError(f"no relay contract at {address} on chain {node_chain}")
    abi = list(load_artifact("RequestRelay").abi)
    try:
        fields, name, version, chain_id, contract, salt, extensions = (
            w3.eth.contract(address=address, abi=abi).functions.eip712Domain().call()
        )
    except Exception as exc:
        raise DeploymentError(f"{address} does not publish an EIP-712 domain: {exc}") from None
    if bytes(fields) != DOMAIN_FIELDS or any(bytes(salt)) or list(extensions):
        raise DeploymentError(
            f"unexpected ERC-5267 domain at {address}: fields 0x{bytes(fields).hex()}, "
            f"salt 0x{bytes(salt).hex()}, extensions {list(extensions)}"
        )
    if (name, version) != (DOMAIN_NAME, DOMAIN_VERSION):
        raise DeploymentError(
            f"{address} signs for domain {name!r} version {version!r}, not {DOMAIN_NAME!r} version {DOMAIN_VERSION!r}"
        )
    if int(chain_id) != node_chain:
        raise ChainIdMismatchError(f"the relay's domain is for chain {chain_id}, but the node is chain {node_chain}")
    if to_checksum_address(contract) != address:
        raise DeploymentError(f"the domain at {address} names another contract, {contract}")
    return Domain(chain_id=node_chain, verifying_contract=address)


# ---------------------------------------------------------------------------- request kinds


class _TypedRequest:
    """What every request kind shares: its EIP-712 type, message and hashes.

    ``FIELDS`` lists ``(eip712 name, solidity type, attribute)`` in the struct's order.
    """

    PRIMARY_TYPE: ClassVar[str]
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]]
    RELAY_FUNCTION: ClassVar[str]

    signer: ChecksumAddress
    nonce: int
    deadline: int

    def _normalise(self) -> None:
        for _, typ, attr in self.FIELDS:
            value = getattr(self, attr)
            if typ == "address":
                if not isinstance(value, str) or not is_strict_address(value):
                    raise SignatureError(
                        f"{self.PRIMARY_TYPE}.{attr}: not an address (0x and 40 hex digits; a mixed-case one "
                        f"must carry a valid EIP-55 checksum): {value!r}"
                    )
                object.__setattr__(self, attr, to_checksum_address(value))
            elif typ == "uint256":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise SignatureError(f"{self.PRIMARY_TYPE}.{attr}: not an integer: {value!r}")
                if not 0 <= value <= UINT256_MAX:
                    raise SignatureError(f"{self.PRIMARY_TYPE}.{attr}: out of uint256 range")
            elif typ == "bytes":
                if isinstance(value, str) and value.startswith("0x"):
                    value = bytes.fromhex(value[2:])
                if not isinstance(value, bytes | bytearray):
                    raise SignatureError(f"{self.PRIMARY_TYPE}.{attr}: not bytes: {value!r}")
                object.__setattr__(self, attr, bytes(value))

    @classmethod
    def type_string(cls) -> str:
        """The EIP-712 type, e.g. ``AcceptPayable(address signer,uint256 payableId,...)``."""
        inner = ",".join(f"{typ} {name}" for name, typ, _ in cls.FIELDS)
        return f"{cls.PRIMARY_TYPE}({inner})"

    @classmethod
    def type_hash(cls) -> bytes:
        return keccak(text=cls.type_string())

    @classmethod
    def eip712_fields(cls) -> list[dict[str, str]]:
        return [{"name": name, "type": typ} for name, typ, _ in cls.FIELDS]

    def message(self, *, json_safe: bool = False) -> dict[str, Any]:
        """The message object; ``json_safe`` writes uint256 as decimal strings, bytes as hex."""
        out: dict[str, Any] = {}
        for name, typ, attr in self.FIELDS:
            value = getattr(self, attr)
            if json_safe and typ == "uint256":
                value = str(value)
            elif json_safe and typ == "bytes":
                value = "0x" + value.hex()
            out[name] = value
        return out

    def typed_data(self, domain: Domain, *, json_safe: bool = False) -> dict[str, Any]:
        """The full typed-data message (``eth_signTypedData_v4``'s second parameter)."""
        return {
            "types": {
                "EIP712Domain": [dict(f) for f in _EIP712_DOMAIN_FIELDS],
                self.PRIMARY_TYPE: self.eip712_fields(),
            },
            "primaryType": self.PRIMARY_TYPE,
            "domain": domain.to_eip712(json_safe=json_safe),
            "message": self.message(json_safe=json_safe),
        }

    def signable(self, domain: Domain) -> SignableMessage:
        return encode_typed_data(full_message=self.typed_data(domain))

    def struct_hash(self) -> bytes:
        """``hashStruct(request)``: the type hash and the fields, ``bytes`` hashed."""
        types = ["bytes32"]
        values: list[Any] = [self.type_hash()]
        for _, typ, attr in self.FIELDS:
            value = getattr(self, attr)
            if typ == "bytes":
                types.append("bytes32")
                values.append(keccak(value))
            else:
                types.append(typ)
                values.append(value)
        return keccak(abi_encode(types, values))

    def digest(self, domain: Domain) -> bytes:
        """The 32 bytes an EOA signs: ``keccak256(0x1901 ‖ domainSeparator ‖ structHash)``."""
        return keccak(b"\x19\x01" + domain.separator + self.struct_hash())

    def abi_tuple(self) -> tuple[Any, ...]:
        """The request as the relay function's struct argument."""
        return tuple(getattr(self, attr) for _, _, attr in self.FIELDS)


@dataclass(frozen=True)
class AcceptPayable(_TypedRequest):
    """Accept a payable issued to the signer."""

    PRIMARY_TYPE: ClassVar[str] = "AcceptPayable"
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("signer", "address", "signer"),
        ("payableId", "uint256", "payable_id"),
        ("nonce", "uint256", "nonce"),
        ("deadline", "uint256", "deadline"),
    )
    RELAY_FUNCTION: ClassVar[str] = "acceptPayable((address,uint256,uint256,uint256),bytes)"

    signer: ChecksumAddress
    payable_id: int
    nonce: int
    deadline: int

    def __post_init__(self) -> None:
        self._normalise()


@dataclass(frozen=True)
class SplitPiece(_TypedRequest):
    """Split ``value`` cents off ``from_token_id`` into a new piece for ``to``."""

    PRIMARY_TYPE: ClassVar[str] = "SplitPiece"
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("signer", "address", "signer"),
        ("fromTokenId", "uint256", "from_token_id"),
        ("to", "address", "to"),
        ("value", "uint256", "value"),
        ("nonce", "uint256", "nonce"),
        ("deadline", "uint256", "deadline"),
    )
    RELAY_FUNCTION: ClassVar[str] = "splitPiece((address,uint256,address,uint256,uint256,uint256),bytes)"

    signer: ChecksumAddress
    from_token_id: int
    to: ChecksumAddress
    value: int
    nonce: int
    deadline: int

    def __post_init__(self) -> None:
        self._normalise()


@dataclass(frozen=True)
class MoveValue(_TypedRequest):
    """Move ``value`` cents from ``from_token_id`` into ``to_token_id`` (same payable)."""

    PRIMARY_TYPE: ClassVar[str] = "MoveValue"
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("signer", "address", "signer"),
        ("fromTokenId", "uint256", "from_token_id"),
        ("toTokenId", "uint256", "to_token_id"),
        ("value", "uint256", "value"),
        ("nonce", "uint256", "nonce"),
        ("deadline", "uint256", "deadline"),
    )
    RELAY_FUNCTION: ClassVar[str] = "moveValue((address,uint256,uint256,uint256,uint256,uint256),bytes)"

    signer: ChecksumAddress
    from_token_id: int
    to_token_id: int
    value: int
    nonce: int
    deadline: int

    def __post_init__(self) -> None:
        self._normalise()


@dataclass(frozen=True)
class TransferPiece(_TypedRequest):
    """Transfer the whole piece ``token_id`` from the signer to ``to``."""

    PRIMARY_TYPE: ClassVar[str] = "TransferPiece"
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("signer", "address", "signer"),
        ("tokenId", "uint256", "token_id"),
        ("to", "address", "to"),
        ("nonce", "uint256", "nonce"),
        ("deadline", "uint256", "deadline"),
    )
    RELAY_FUNCTION: ClassVar[str] = "transferPiece((address,uint256,address,uint256,uint256),bytes)"

    signer: ChecksumAddress
    token_id: int
    to: ChecksumAddress
    nonce: int
    deadline: int

    def __post_init__(self) -> None:
        self._normalise()


@dataclass(frozen=True)
class Call(_TypedRequest):
    """Any call to an allowed target (the desk's takeOffer, settlement's claim, a token function
    without a typed request). ``data`` is the calldata: selector and ABI-encoded arguments
    (see :func:`tierchain.chain.abi.call_data`)."""

    PRIMARY_TYPE: ClassVar[str] = "Call"
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("signer", "address", "signer"),
        ("target", "address", "target"),
        ("data", "bytes", "data"),
        ("nonce", "uint256", "nonce"),
        ("deadline", "uint256", "deadline"),
    )
    RELAY_FUNCTION: ClassVar[str] = "relayCall((address,address,bytes,uint256,uint256),bytes)"

    signer: ChecksumAddress
    target: ChecksumAddress
    data: bytes
    nonce: int
    deadline: int

    def __post_init__(self) -> None:
        self._normalise()


@dataclass(frozen=True)
class PayoutPiece(_TypedRequest):
    """Pay many receivers from ``from_token_id`` with one signature: ``values[i]`` cents into a
    new piece for ``to[i]`` (``PayableToken.payout``), all or nothing.

    EIP-712 arrays: ``to`` and ``values`` enter ``hashStruct`` as the keccak-256 of their
    elements, each encoded as one 32-byte word. In JSON, ``values`` are decimal strings."""

    PRIMARY_TYPE: ClassVar[str] = "PayoutPiece"
    FIELDS: ClassVar[tuple[tuple[str, str, str], ...]] = (
        ("signer", "address", "signer"),
        ("fromTokenId", "uint256", "from_token_id"),
        ("to", "address[]", "to"),
        ("values", "uint256[]", "values"),
        ("nonce", "uint256", "nonce"),
        ("deadline", "uint256", "deadline"),
    )
    RELAY_FUNCTION: ClassVar[str] = "payoutPiece((address,uint256,address[],uint256[],uint256,uint256),bytes)"

    signer: ChecksumAddress
    from_token_id: int
    to: tuple[ChecksumAddress, ...]
    values: tuple[int, ...]
    nonce: int
    deadline: int

    def __post_init__(self) -> None:
        if isinstance(self.to, str) or not isinstance(self.to, list | tuple):
            raise SignatureError(f"PayoutPiece.to: not a list of addresses: {self.to!r}")
        if isinstance(self.values, str) or not isinstance(self.values, list | tuple):
            raise SignatureError(f"PayoutPiece.values: not a list of integers: {self.values!r}")
        to: list[ChecksumAddress] = []
        for address in self.to:
            if not isinstance(address, str) or not is_address(address):
                raise SignatureError(f"PayoutPiece.to: not an address: {address!r}")
            to.append(to_checksum_address(address))
        values: list[int] = []
        for value in self.values:
            if isinstance(value, str) and value.isascii() and value.isdigit():
                value = int(value)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT256_MAX:
                raise SignatureError(f"PayoutPiece.values: not a uint256: {value!r}")
            values.append(value)
        if not to:
            raise SignatureError("PayoutPiece: no receiver")
        if len(to) != len(values):
            raise SignatureError(f"PayoutPiece: {len(to)} receivers but {len(values)} values")
        object.__setattr__(self, "to", tuple(to))
        object.__setattr__(self, "values", tuple(values))
        for _, typ, attr in self.FIELDS:
            if typ in ("address", "uint256"):
                self._normalise_one(typ, attr)

    def _normalise_one(self, typ: str, attr: str) -> None:
        value = getattr(self, attr)
        if typ == "address":
            if not isinstance(value, str) or not is_address(value):
                raise SignatureError(f"PayoutPiece.{attr}: not an address: {value!r}")
            object.__setattr__(self, attr, to_checksum_address(value))
        elif isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= UINT256_MAX:
            raise SignatureError(f"PayoutPiece.{attr}: not a uint256: {value!r}")

    def message(self, *, json_safe: bool = False) -> dict[str, Any]:
        """The message object; ``json_safe`` writes every uint256 (also in ``values``) as a
        decimal string."""
        out: dict[str, Any] = {
            "signer": self.signer,
            "fromTokenId": self.from_token_id,
            "to": list(self.to),
            "values": list(self.values),
            "nonce": self.nonce,
            "deadline": self.deadline,
        }
        if json_safe:
            for key in ("fromTokenId", "nonce", "deadline"):
                out[key] = str(out[key])
            out["values"] = [str(v) for v in self.values]
        return out

    def struct_hash(self) -> bytes:
        """``hashStruct``: the arrays hashed as the concatenation of their 32-byte words."""
        to_hash = keccak(b"".join(abi_encode(["address"], [a]) for a in self.to))
        values_hash = keccak(b"".join(v.to_bytes(32, "big") for v in self.values))
        return keccak(
            abi_encode(
                ["bytes32", "address", "uint256", "bytes32", "bytes32", "uint256", "uint256"],
                [self.type_hash(), self.signer, self.from_token_id, to_hash, values_hash, self.nonce,
                 self.deadline],
            )
        )  # fmt: skip

    def abi_tuple(self) -> tuple[Any, ...]:
        return (self.signer, self.from_token_id, list(self.to), list(self.values), self.nonce, self.deadline)

    @property
    def total(self) -> int:
        """Cents paid out in all."""
        return sum(self.values)


Request: TypeAlias = AcceptPayable | SplitPiece | MoveValue | TransferPiece | Call | PayoutPiece
KINDS: Final[dict[str, type[Request]]] = {
    cls.PRIMARY_TYPE: cls for cls in (AcceptPayable, SplitPiece, MoveValue, TransferPiece, Call, PayoutPiece)
}


# ---------------------------------------------------------------------------- signed requests


@dataclass(frozen=True)
class SignedRequest:
    """A request, the domain it was signed for, and the signature."""

    request: Request
    domain: Domain
    signature: bytes

    def relay_function(self) -> str:
        """The relay function that executes it, e.g. ``acceptPayable((...),bytes)``."""
        return self.request.RELAY_FUNCTION

    def relay_call_data(self) -> bytes:
        """Calldata for the relay: selector, the request struct and the signature."""
        signature = self.relay_function()
        struct_type = signature[signature.index("(") + 1 : signature.rindex(",bytes)")]
        selector = keccak(text=signature)[:4]
        return selector + abi_encode([struct_type, "bytes"], [self.request.abi_tuple(), self.signature])

    def to_json(self) -> str:
        """The typed data and the signature, for handing a signed request to a relayer."""
        return json.dumps(
            {
                "typedData": self.request.typed_data(self.domain, json_safe=True),
                "signature": "0x" + self.signature.hex(),
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str, *, contract_signer: bool = False) -> SignedRequest:
        """The inverse of :meth:`to_json` (the signature is checked as :func:`attach_signature`
        does)."""
        try:
            doc = json.loads(text)
            typed, signature = doc["typedData"], doc["signature"]
        except (ValueError, KeyError, TypeError) as exc:
            raise SignatureError(f"not a signed request: {exc}") from None
        request, domain = parse_typed_data(typed)
        return attach_signature(request, domain, signature, contract_signer=contract_signer)


def sign_request(
    request: Request, domain: Domain, account: LocalAccount, *, contract_signer: bool = False
) -> SignedRequest:
    """Sign ``request`` with a local key. The key must be the request's signer, unless
    ``contract_signer``: then the signer is a contract wallet (ERC-1271) and ``account`` a key
    it accepts; the relay asks the wallet."""
    if not contract_signer and to_checksum_address(account.address) != request.signer:
        raise SignatureError(
            f"{account.address} cannot sign a request of {request.signer}: a request is signed by its own signer"
        )
    signed = account.sign_message(request.signable(domain))
    return SignedRequest(request, domain, bytes(signed.signature))


def recover_signer(request: Request, domain: Domain, signature: bytes | str) -> ChecksumAddress:
    """The key that made ``signature`` over ``request`` in ``domain`` (65-byte, low-s)."""
    sig = _signature_bytes(signature)
    if len(sig) != 65:
        raise SignatureError(f"an ECDSA signature has 65 bytes, not {len(sig)}")
    if int.from_bytes(sig[32:64], "big") > SECP256K1_HALF_N:
        raise SignatureError("malleable signature (high s): the relay rejects it")
    try:
        # from the digest (hashStruct by ABI encoding, as the contract computes it): the same
        # address as recover_message(signable), without eth-account's slower typed-data encoder
        recovered = Account._recover_hash(request.digest(domain), signature=sig)
    except Exception as exc:
        raise SignatureError(f"unrecoverable signature: {exc}") from None
    return to_checksum_address(recovered)


def attach_signature(
    request: Request, domain: Domain, signature: bytes | str, *, contract_signer: bool = False
) -> SignedRequest:
    """A signature made elsewhere (a browser wallet, an offline machine), checked here: for an
    EOA signer it must recover to the request's signer. A contract signer's signature
    (``contract_signer``) is checked by the relay through ERC-1271."""
    sig = _signature_bytes(signature)
    if not contract_signer:
        recovered = recover_signer(request, domain, sig)
        if recovered != request.signer:
            raise SignatureError(
                f"the signature is {recovered}'s, not the signer {request.signer}'s (wrong key, "
                "another chain or relay in the domain, or a changed field)"
            )
    return SignedRequest(request, domain, sig)


def _signature_bytes(signature: bytes | str) -> bytes:
    if isinstance(signature, str):
        text = signature[2:] if signature.startswith(("0x", "0X")) else signature
        try:
            return bytes.fromhex(text)
        except ValueError:
            raise SignatureError("the signature is not hex") from None
    return bytes(signature)


# ---------------------------------------------------------------------------- browser wallets


def wallet_typed_data(request: Request, domain: Domain) -> dict[str, Any]:
    """The typed data a browser wallet signs with ``eth_signTypedData_v4`` (JSON-safe)."""
    return request.typed_data(domain, json_safe=True)


def wallet_json(request: Request, domain: Domain) -> str:
    """:func:`wallet_typed_data` as a JSON string: the wallet call is
    ``ethereum.request({method: "eth_signTypedData_v4", params: [signer, json]})``."""
    return json.dumps(wallet_typed_data(request, domain), indent=1)


def parse_typed_data(doc: Mapping[str, Any] | str) -> tuple[Request, Domain]:
    """A request and its domain from typed-data JSON, checked to be exactly one of tierchain's
    request types (same type strings, tierchain's domain fields)."""
    try:
        data = json.loads(doc) if isinstance(doc, str) else doc
        primary = str(data["primaryType"])
        types, raw_domain, message = data["types"], data["domain"], data["message"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SignatureError(f"not EIP-712 typed data: {exc}") from None
    kind = KINDS.get(primary)
    if kind is None:
        raise SignatureError(f"unknown request type {primary!r}; known: {', '.join(KINDS)}")
    if list(types.get(primary, ())) != kind.eip712_fields():
        raise SignatureError(f"{primary}'s fields differ from {kind.type_string()}")
    if list(types.get("EIP712Domain", ())) != list(_EIP712_DOMAIN_FIELDS):
        raise SignatureError("the EIP712Domain type is not tierchain's (name, version, chainId, "
                             "verifyingContract)")  # fmt: skip
    if set(types) != {"EIP712Domain", primary}:
        raise SignatureError(f"unexpected extra types: {sorted(set(types) - {'EIP712Domain', primary})}")
    try:
        domain = Domain(
            chain_id=_uint(raw_domain["chainId"], "domain.chainId"),
            verifying_contract=to_checksum_address(raw_domain["verifyingContract"]),
            name=str(raw_domain["name"]),
            version=str(raw_domain["version"]),
        )
        values: dict[str, Any] = {}
        for name, typ, attr in kind.FIELDS:
            value = message[name]
            values[attr] = _uint(value, f"{primary}.{name}") if typ == "uint256" else value
    except (KeyError, TypeError, ValueError) as exc:
        raise SignatureError(f"malformed {primary} message: {exc}") from None
    if set(message) != {name for name, _, _ in kind.FIELDS}:
        raise SignatureError(f"{primary} message has unexpected fields")
    return kind(**values), domain


def is_strict_address(text: str) -> bool:
    """0x and 40 hex digits; all lower or all upper case, or mixed case with a valid EIP-55
    checksum (a mistyped letter is refused, never silently re-checksummed into another address)."""
    if len(text) != 42 or not text.startswith("0x") or not is_address(text.lower()):
        return False
    body = text[2:]
    return body.lower() == body or body.upper() == body or to_checksum_address(text) == text


def _uint(value: Any, what: str) -> int:
    """A uint256 from JSON: a decimal string of ASCII digits (what wallets sign) or an integer;
    never a float (a JSON number above 2^53 has already lost digits), a bool, hex or a sign."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise SignatureError(f"{what}: a uint256 is a decimal string, not {type(value).__name__} {value!r}")
    if isinstance(value, str) and (not value or not value.isascii() or not value.isdigit() or len(value) > 78):
        raise SignatureError(f"{what}: not a decimal uint256: {value!r}")
    number = int(value)
    if not 0 <= number <= UINT256_MAX:
        raise SignatureError(f"{what}: out of uint256 range")
    return number


def deadline_in(w3: Web3, seconds: int) -> int:
    """A deadline ``seconds`` after the latest block's time (the chain's clock, not ours)."""
    if seconds <= 0:
        raise SignatureError("a deadline lies in the future")
    block = w3.eth.get_block("latest")
    timestamp = block.get("timestamp")
    if timestamp is None:
        raise TransactionError("the latest block has no timestamp")
    return int(timestamp) + seconds


# ---------------------------------------------------------------------------- one builder

DraftKind: TypeAlias = Literal["accept", "split", "move", "transfer", "take", "claim"]
DRAFT_KINDS: Final[tuple[DraftKind, ...]] = ("accept", "split", "move", "transfer", "take", "claim")


@dataclass(frozen=True)
class Addresses:
    """The contracts a request may act on (from the deployment record)."""

    token: ChecksumAddress
    desk: ChecksumAddress
    settlement: ChecksumAddress


def build_request(
    kind: DraftKind,
    signer: str,
    *,
    nonce: int,
    deadline: int,
    addresses: Addresses,
    payable_id: int | None = None,
    token_id: int | None = None,
    to: str | None = None,
    to_token_id: int | None = None,
    value: int | None = None,
    take_call_data: bytes | None = None,
) -> Request:
    """THE builder of every signed request (the CLI, the journal and the HTTP service use it):

    * ``accept``: ``payable_id``; ``split``: ``token_id``, ``to``, ``value`` (cents);
      ``move``: ``token_id``, ``to_token_id``, ``value``; ``transfer``: ``token_id``, ``to``;
    * ``take``: ``take_call_data`` (:func:`take_offer_data`), a :class:`Call` to the desk;
    * ``claim``: ``token_id``, a :class:`Call` to settlement's ``claim(uint256)``.
    """

    def need(**given: object) -> None:
        missing = [name for name, v in given.items() if v is None]
        if missing:
            raise SignatureError(f"{kind} needs {', '.join(missing)}")

    if kind == "accept":
        need(payable_id=payable_id)
        assert payable_id is not None
        return AcceptPayable(cast(ChecksumAddress, signer), payable_id, nonce, deadline)
    if kind == "split":
        need(token_id=token_id, to=to, value=value)
        assert token_id is not None and to is not None and value is not None
        return SplitPiece(cast(ChecksumAddress, signer), token_id, cast(ChecksumAddress, to), value, nonce, deadline)
    if kind == "move":
        need(token_id=token_id, to_token_id=to_token_id, value=value)
        assert token_id is not None and to_token_id is not None and value is not None
        return MoveValue(cast(ChecksumAddress, signer), token_id, to_token_id, value, nonce, deadline)
    if kind == "transfer":
        need(token_id=token_id, to=to)
        assert token_id is not None and to is not None
        return TransferPiece(cast(ChecksumAddress, signer), token_id, cast(ChecksumAddress, to), nonce, deadline)
    if kind == "take":
        need(take_call_data=take_call_data)
        assert take_call_data is not None
        return Call(cast(ChecksumAddress, signer), addresses.desk, take_call_data, nonce, deadline)
    if kind == "claim":
        need(token_id=token_id)
        assert token_id is not None
        return Call(cast(ChecksumAddress, signer), addresses.settlement, claim_data(token_id), nonce, deadline)
    raise SignatureError(f"unknown request kind {kind!r}; known: {', '.join(DRAFT_KINDS)}")


def claim_data(token_id: int) -> bytes:
    """Calldata of ``Settlement.claim(uint256)``."""
    return keccak(text="claim(uint256)")[:4] + abi_encode(["uint256"], [token_id])


def take_offer_data(offer_tuple: tuple[Any, ...], offer_signature: bytes) -> bytes:
    """Calldata of ``FinancingDesk.take(Offer, bytes)`` (the offer as its ABI tuple)."""
    offer_type = "(address,address,uint256,uint64,uint8,uint64,uint16,bool,uint256,uint40)"
    selector = keccak(text=f"take({offer_type},bytes)")[:4]
    return selector + abi_encode([offer_type, "bytes"], [offer_tuple, offer_signature])


def direct_tx(request: Request, addresses: Addresses) -> tuple[ChecksumAddress, bytes]:
    """The same action as a plain transaction the signer sends itself (``to``, ``data``): for
    a wallet that cannot sign typed data (it then pays its own gas)."""

    def encode(signature: str, *args: Any) -> bytes:
        types = signature[signature.index("(") + 1 : -1].split(",")
        return keccak(text=signature)[:4] + abi_encode(types, list(args))

    if isinstance(request, AcceptPayable):
        return addresses.token, encode("accept(uint256)", request.payable_id)
    if isinstance(request, SplitPiece):
        return addresses.token, encode(
            "transferFrom(uint256,address,uint256)", request.from_token_id, request.to, request.value
        )
    if isinstance(request, MoveValue):
        return addresses.token, encode(
            "transferFrom(uint256,uint256,uint256)", request.from_token_id, request.to_token_id, request.value
        )
    if isinstance(request, TransferPiece):
        return addresses.token, encode(
            "transferFrom(address,address,uint256)", request.signer, request.to, request.token_id
        )
    if isinstance(request, PayoutPiece):
        return addresses.token, encode(
            "payout(uint256,address[],uint256[])", request.from_token_id, list(request.to), list(request.values)
        )
    return request.target, request.data


@dataclass(frozen=True)
class Facts:
    """What a summary tells beyond the request's own fields (read from the chain or index)."""

    currency: str = ""  # code, e.g. eCNY
    piece: str = ""  # short id of the piece acted on, e.g. P1#2
    to_piece: str = ""  # move: the receiving piece
    payable_id: int | None = None
    debtor: str = ""
    maturity_at: int | None = None
    amount_cents: int | None = None  # accept: the face value; claim: claimable now; take: offer value
    price_cents: int | None = None  # take: what the seller receives
    counterparty: str = ""  # take: the financier


def _utc(seconds: int) -> str:
    import datetime as _dt

    return _dt.datetime.fromtimestamp(seconds, _dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _day(seconds: int) -> str:
    return _utc(seconds)[:10]


def _cents(value: int) -> str:
    return f"{value // 100:,}.{value % 100:02d}"


def summary(request: Request, facts: Facts) -> dict[str, str]:
    """A plain-language account of what signing ``request`` does, in English and Chinese: who
    gives what to whom, the amounts, the piece and the deadline."""
    who = request.signer
    cur = f" {facts.currency}" if facts.currency else ""
    on = ""
    on_zh = ""
    if facts.payable_id is not None:
        on = f" (payable {facts.payable_id}"
        on_zh = f"（应付账款 {facts.payable_id}"
        if facts.debtor:
            on += f", owed by {facts.debtor}"
            on_zh += f"，债务人 {facts.debtor}"
        if facts.maturity_at is not None:
            on += f", due {_day(facts.maturity_at)}"
            on_zh += f"，到期日 {_day(facts.maturity_at)}"
        on += ")"
        on_zh += "）"
    amount = _cents(facts.amount_cents) + cur if facts.amount_cents is not None else ""
    until = f" Valid until {_utc(request.deadline)}; nonce {request.nonce}."
    until_zh = f"有效期至 {_utc(request.deadline)}；序号 {request.nonce}。"
    if isinstance(request, AcceptPayable):
        face = f" of {amount}" if amount else ""
        face_zh = f"，金额 {amount}" if amount else ""
        en = f"{who} accepts payable {request.payable_id}{face}{on}: the debtor owes it this money at maturity."
        zh = f"{who} 签收应付账款 {request.payable_id}{face_zh}{on_zh}：到期时债务人向其付款。"
    elif isinstance(request, SplitPiece):
        value = _cents(request.value) + cur
        en = f"{who} splits {value} off piece {facts.piece}{on} into a new piece for {request.to}."
        zh = f"{who} 从凭证 {facts.piece}{on_zh} 拆分 {value} 给 {request.to} 的新凭证。"
    elif isinstance(request, MoveValue):
        value = _cents(request.value) + cur
        en = f"{who} moves {value} from piece {facts.piece} into piece {facts.to_piece}{on}."
        zh = f"{who} 将 {value} 从凭证 {facts.piece} 转入凭证 {facts.to_piece}{on_zh}。"
    elif isinstance(request, TransferPiece):
        whole = f" worth {amount}" if amount else ""
        whole_zh = f"（价值 {amount}）" if amount else ""
        en = f"{who} transfers the whole piece {facts.piece}{whole}{on} to {request.to}."
        zh = f"{who} 将整张凭证 {facts.piece}{whole_zh}{on_zh} 转让给 {request.to}。"
    elif isinstance(request, PayoutPiece):
        total = _cents(sum(request.values)) + cur
        n = len(request.to)
        en = f"{who} pays {total} from piece {facts.piece}{on} to {n} receivers, each into a new piece, all or nothing."
        zh = f"{who} 从凭证 {facts.piece}{on_zh} 向 {n} 个收款方支付 {total}（每方一张新凭证，全部成功或全部不执行）。"
    elif facts.price_cents is not None:  # take
        price = _cents(facts.price_cents) + cur
        en = (
            f"{who} sells {amount or 'part'} of piece {facts.piece}{on} to financier {facts.counterparty} "
            f"for {price}, paid in the same transaction."
        )
        zh = (
            f"{who} 将凭证 {facts.piece}{on_zh} 中的 {amount} 转让给金融机构 {facts.counterparty}，"
            f"同时收到 {price}（融资）。"
        )
    elif request.data[:4] == claim_data(0)[:4]:
        got = f" (claimable now: {amount})" if amount else ""
        got_zh = f"（当前可领取 {amount}）" if amount else ""
        en = f"{who} claims what piece {facts.piece}{on} is owed from settlement{got}."
        zh = f"{who} 从清算合约领取凭证 {facts.piece}{on_zh} 的兑付款{got_zh}。"
    else:
        en = f"{who} asks the relay to call {request.target} with 0x{request.data[:4].hex()}…"
        zh = f"{who} 请求中继调用 {request.target}（0x{request.data[:4].hex()}…）。"
    return {"en": en + until, "zh-CN": zh + until_zh}


__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "DRAFT_KINDS",
    "KINDS",
    "AcceptPayable",
    "Addresses",
    "Call",
    "Domain",
    "Facts",
    "MoveValue",
    "PayoutPiece",
    "Request",
    "SignedRequest",
    "SplitPiece",
    "TransferPiece",
    "attach_signature",
    "build_request",
    "claim_data",
    "deadline_in",
    "direct_tx",
    "is_strict_address",
    "parse_typed_data",
    "read_domain",
    "recover_signer",
    "sign_request",
    "summary",
    "take_offer_data",
    "wallet_json",
    "wallet_typed_data",
]
