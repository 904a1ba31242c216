"""The financing desk from Python: build, sign, post, cancel and take offers; read financings.

An :class:`Offer` is what a financier proposes for a piece (all of it or part), priced either
at a fixed price in cents or at an annual discount rate in basis points for the days left to
maturity. A financier signs it off chain (EIP-712, :func:`sign_offer`) and hands the signed
offer to the holder, or posts it on chain (:meth:`DeskClient.post`). The holder takes it
(:meth:`DeskClient.take` / :meth:`DeskClient.take_posted`): the piece and the payment move in
one transaction, or nothing moves. Every write goes through a :class:`~tierchain.chain.sender.Sender`.
Pricing and rounding: :func:`tierchain.core.money.discount_price` (the contract's ``quote``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import Any, Final, Literal

from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from tierchain.chain.abi import call_data
from tierchain.chain.sender import Receipt, Sender, TxRequest
from tierchain.clients.contracts import ZERO_ADDRESS, _Client
from tierchain.clients.requests import is_strict_address
from tierchain.core.errors import UsageError
from tierchain.core.money import MAX_RATE_BPS, UINT64_MAX, discount_price

Pricing = Literal["fixed", "rate"]
OfferStatus = Literal["none", "posted", "taken"]
_PRICING: Final[tuple[Pricing, ...]] = ("fixed", "rate")
_STATUS: Final[tuple[OfferStatus, ...]] = ("none", "posted", "taken")

DOMAIN_NAME: Final = "TierchainFinancingDesk"
DOMAIN_VERSION: Final = "1"
OFFER_FIELDS: Final = (
    ("financier", "address"),
    ("seller", "address"),
    ("tokenId", "uint256"),
    ("value", "uint64"),
    ("pricing", "uint8"),
    ("price", "uint64"),
    ("rateBps", "uint16"),
    ("recourse", "bool"),
    ("nonce", "uint256"),
    ("deadline", "uint40"),
)
OFFER_TYPE: Final = "Offer(" + ",".join(f"{t} {n}" for n, t in OFFER_FIELDS) + ")"
"""The EIP-712 type string the financier signs (``FinancingDesk.OFFER_TYPEHASH``)."""
OFFER_TUPLE: Final = "(" + ",".join(t for _, t in OFFER_FIELDS) + ")"


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Offer:
    """A financier's offer for a piece. Values and prices are cents; see the module doc.

    ``seller`` zero: whoever holds the piece when the offer is taken. ``deadline``: the last
    UTC second at which it may be taken. Build with :meth:`fixed` or :meth:`at_rate`.
    """

    financier: ChecksumAddress
    seller: ChecksumAddress
    token_id: int
    value: int
    pricing: Pricing
    price: int
    rate_bps: int
    recourse: bool
    nonce: int
    deadline: int

    def __post_init__(self) -> None:
        if not 0 < self.value <= UINT64_MAX:
            raise UsageError(f"offer value {self.value} cents is outside 1..2^64-1")
        if self.pricing == "fixed":
            if not 0 < self.price <= self.value or self.rate_bps != 0:
                raise UsageError(
                    f"a fixed-price offer needs 0 < price <= value and no rate "
                    f"(price {self.price}, value {self.value}, rate {self.rate_bps})"
                )
        elif self.pricing == "rate":
            if self.price != 0 or not 0 <= self.rate_bps <= MAX_RATE_BPS:
                raise UsageError(
                    f"a rate offer needs price 0 and a rate of 0..{MAX_RATE_BPS} bps "
                    f"(price {self.price}, rate {self.rate_bps})"
                )
        else:
            raise UsageError(f"pricing must be 'fixed' or 'rate', not {self.pricing!r}")
        if not 0 <= self.nonce < 2**256 or not 0 <= self.deadline < 2**40:
            raise UsageError("nonce must fit uint256 and deadline uint40")

    @classmethod
    def fixed(
        cls, financier: str, token_id: int, value: int, price: int, *, deadline: int,
        seller: str | None = None, recourse: bool = False, nonce: int | None = None,
    ) -> Offer:  # fmt: skip
        """An offer at a fixed price in cents."""
        return cls(
            to_checksum_address(financier), to_checksum_address(seller or ZERO_ADDRESS),
            token_id, value, "fixed", price, 0, recourse,
            random_nonce() if nonce is None else nonce, deadline,
        )  # fmt: skip

    @classmethod
    def at_rate(
        cls, financier: str, token_id: int, value: int, rate_bps: int, *, deadline: int,
        seller: str | None = None, recourse: bool = False, nonce: int | None = None,
    ) -> Offer:  # fmt: skip
        """An offer at an annual discount rate (basis points) for the days left to maturity."""
        return cls(
            to_checksum_address(financier), to_checksum_address(seller or ZERO_ADDRESS),
            token_id, value, "rate", 0, rate_bps, recourse,
            random_nonce() if nonce is None else nonce, deadline,
        )  # fmt: skip

    def as_tuple(self) -> tuple[Any, ...]:
        """The ABI tuple (field order of the Solidity struct)."""
        return (
            self.financier, self.seller, self.token_id, self.value,
            _PRICING.index(self.pricing), self.price, self.rate_bps, self.recourse,
            self.nonce, self.deadline,
        )  # fmt: skip

    def as_message(self) -> dict[str, Any]:
        """The EIP-712 message (field names as in the type string)."""
        return dict(zip((n for n, _ in OFFER_FIELDS), self.as_tuple(), strict=True))

    def price_at(self, now: int) -> int:
        """The price in cents if taken at UTC second ``now`` (the maturity is in the token id)."""
        if self.pricing == "fixed":
            return self.price
        maturity_at = self.token_id >> 96
        return discount_price(self.value, self.rate_bps, max(maturity_at - now, 0))

    def with_nonce(self, nonce: int) -> Offer:
        return replace(self, nonce=nonce)


@dataclass(frozen=True)
class SignedOffer:
    """An offer with its financier's EIP-712 signature and its hash on one desk and chain."""

    offer: Offer
    signature: bytes
    offer_hash: bytes


@dataclass(frozen=True)
class Financing:
    """What the desk recorded about a piece it delivered (``financingOf``)."""

    token_id: int
    financier: ChecksumAddress
    seller: ChecksumAddress
    value: int
    price: int
    recourse: bool
    financed_at: int


@dataclass(frozen=True)
class FinancingResult:
    """A completed take: the piece the financier received and what was paid."""

    token_id: int
    from_token_id: int
    offer_hash: bytes
    value: int
    price: int
    currency_amount: int
    recourse: bool
    receipt: Receipt


# ---------------------------------------------------------------------------- EIP-712


def random_nonce() -> int:
    """A fresh 128-bit random nonce: offers need unique hashes, not sequential nonces."""
    return secrets.randbits(128)


def domain(chain_id: int, desk: str) -> dict[str, Any]:
    """The desk's EIP-712 domain (also readable on chain: ``eip712Domain()``, ERC-5267)."""
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": chain_id,
        "verifyingContract": to_checksum_address(desk),
    }


def typed_data(offer: Offer, chain_id: int, desk: str) -> dict[str, Any]:
    """The full EIP-712 document of an offer, as a browser wallet's ``eth_signTypedData_v4``
    takes it: every uint (``tokenId``, ``nonce``, ``value``, ``chainId``, ...) is a decimal
    string, since a JSON number above 2^53 loses digits in JavaScript (eth-account reads the
    strings the same way, so the digest is the contract's ``hashOffer``)."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Offer": [{"name": n, "type": t} for n, t in OFFER_FIELDS],
        },
        "primaryType": "Offer",
        "domain": domain(chain_id, desk) | {"chainId": str(chain_id)},
        "message": {
            name: str(value) if typ.startswith("uint") else value
            for (name, typ), value in zip(OFFER_FIELDS, offer.as_tuple(), strict=True)
        },
    }


def parse_typed_data(doc: Any) -> tuple[Offer, int, ChecksumAddress]:
    """An offer, its chain id and desk from an ``Offer`` typed-data document (a wallet's),
    checked to be exactly the desk's type and domain fields; uints as decimal strings (or
    integers), never floats or booleans."""
    try:
        primary = doc["primaryType"]
        types, raw_domain, message = doc["types"], doc["domain"], doc["message"]
        if primary != "Offer" or not isinstance(types, dict) or not isinstance(message, dict):
            raise UsageError(f"not an Offer typed-data document (primaryType {primary!r})")
        expected = typed_data(_PLACEHOLDER, 1, ZERO_ADDRESS)["types"]
        if types != expected:
            raise UsageError("the Offer typed data's types differ from the desk's " + OFFER_TYPE)
        if set(message) != {n for n, _ in OFFER_FIELDS}:
            raise UsageError("the Offer message's fields differ from " + OFFER_TYPE)
        if (raw_domain.get("name"), raw_domain.get("version")) != (DOMAIN_NAME, DOMAIN_VERSION) or set(raw_domain) != {
            "name",
            "version",
            "chainId",
            "verifyingContract",
        }:
            raise UsageError(f"the domain is not the desk's ({DOMAIN_NAME} version {DOMAIN_VERSION})")
        chain_id = _uint(raw_domain["chainId"], "domain.chainId")
        desk = to_checksum_address(_address(raw_domain["verifyingContract"], "domain.verifyingContract"))
        values: dict[str, Any] = {}
        for name, typ in OFFER_FIELDS:
            raw = message[name]
            if typ == "address":
                values[name] = _address(raw, name)
            elif typ == "bool":
                if not isinstance(raw, bool):
                    raise UsageError(f"{name}: not a boolean: {raw!r}")
                values[name] = raw
            else:
                values[name] = _uint(raw, name)
    except (KeyError, TypeError, AttributeError) as exc:
        raise UsageError(f"malformed Offer typed data: {exc}") from None
    if values["pricing"] >= len(_PRICING):
        raise UsageError(f"pricing: {values['pricing']} is neither 0 (fixed) nor 1 (rate)")
    offer = Offer(
        values["financier"], values["seller"], values["tokenId"], values["value"],
        _PRICING[values["pricing"]], values["price"], values["rateBps"], values["recourse"],
        values["nonce"], values["deadline"],
    )  # fmt: skip
    return offer, chain_id, desk


def _uint(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise UsageError(f"{what}: a uint is a decimal string, not {type(value).__name__} {value!r}")
    if isinstance(value, str) and (not value.isascii() or not value.isdigit() or len(value) > 78):
        raise UsageError(f"{what}: not a decimal number: {value!r}")
    number = int(value)
    if not 0 <= number < 2**256:
        raise UsageError(f"{what}: out of range")
    return number


def _address(value: Any, what: str) -> ChecksumAddress:
    if not isinstance(value, str) or not is_strict_address(value):
        raise UsageError(f"{what}: not an address (or a bad EIP-55 checksum): {value!r}")
    return to_checksum_address(value)


_PLACEHOLDER: Final = Offer(
    to_checksum_address(ZERO_ADDRESS), to_checksum_address(ZERO_ADDRESS), 0, 1, "fixed", 1, 0, False, 0, 0
)


def offer_hash(offer: Offer, chain_id: int, desk: str) -> bytes:
    """The EIP-712 digest the financier signs (``FinancingDesk.hashOffer``)."""
    signable = encode_typed_data(full_message=typed_data(offer, chain_id, desk))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_offer(account: LocalAccount, offer: Offer, chain_id: int, desk: str) -> SignedOffer:
    """Sign ``offer`` with the financier's key for one desk on one chain."""
    if to_checksum_address(account.address) != offer.financier:
        raise UsageError(f"{account.address} cannot sign an offer of {offer.financier}")
    signed = account.sign_message(encode_typed_data(full_message=typed_data(offer, chain_id, desk)))
    return SignedOffer(offer, bytes(signed.signature), offer_hash(offer, chain_id, desk))


# ---------------------------------------------------------------------------- the client


class DeskClient(_Client):
    """Typed client over a deployed FinancingDesk."""

    artifact = "FinancingDesk"

    # -- offers -------------------------------------------------------------------------------

    def sign(self, account: LocalAccount, offer: Offer) -> SignedOffer:
        """Sign an offer for this desk on the connected chain."""
        return sign_offer(account, offer, self.w3.eth.chain_id, self.address)

    def post(self, by: Sender, offer: Offer) -> bytes:
        """Post an offer on chain (``by`` is its financier); returns its hash."""
        receipt = self._send(by, f"post({OFFER_TUPLE})", offer.as_tuple(), label="post offer")
        return bytes(receipt.event("OfferPosted").args["offerHash"])

    def take(self, by: Sender, signed: SignedOffer) -> FinancingResult:
        """Take a signed offer (``by`` owns the piece): piece and payment move together."""
        receipt = self._send(
            by, f"take({OFFER_TUPLE},bytes)", signed.offer.as_tuple(), signed.signature,
            label=f"take offer 0x{signed.offer_hash.hex()[:12]}",
        )  # fmt: skip
        return _result(receipt)

    def take_posted(self, by: Sender, offer: Offer) -> FinancingResult:
        """Take an offer posted on chain."""
        receipt = self._send(by, f"takePosted({OFFER_TUPLE})", offer.as_tuple(), label="take posted offer")
        return _result(receipt)

    def cancel(self, by: Sender, offer_hash: bytes) -> Receipt:
        """Cancel one of ``by``'s offers by hash."""
        return self._send(by, "cancel(bytes32)", offer_hash, label=f"cancel offer 0x{offer_hash.hex()[:12]}")

    def invalidate_nonces(self, by: Sender, nonce_floor: int) -> Receipt:
        """Void every offer of ``by`` with a nonce below ``nonce_floor``."""
        return self._send(by, "invalidateNonces(uint256)", nonce_floor, label="invalidate nonces")

    def approve_currency(self, by: Sender, currency: str, amount: int) -> Receipt:
        """The financier lets the desk pull up to ``amount`` currency units (ERC-20 approve)."""
        return by.send(
            TxRequest(
                to_checksum_address(currency),
                call_data("DemoStableToken", "approve(address,uint256)", self.address, amount),
                label="approve desk",
            )
        )

    # -- views --------------------------------------------------------------------------------

    def quote(self, value_cents: int, rate_bps: int, seconds_left: int) -> int:
        """The contract's discounted price (see :func:`tierchain.core.money.discount_price`)."""
        return int(self._view("quote(uint256,uint256,uint256)", value_cents, rate_bps, seconds_left))

    def price_of(self, offer: Offer) -> int:
        """What the offer would pay if taken in the next block's time (per the node)."""
        return int(self.contract.functions.priceOf(offer.as_tuple()).call())

    def hash_offer(self, offer: Offer) -> bytes:
        return bytes(self.contract.functions.hashOffer(offer.as_tuple()).call())

    def offer_status(self, offer_hash: bytes) -> OfferStatus:
        return _STATUS[int(self._view("offerStatus(bytes32)", offer_hash))]

    def is_cancelled(self, financier: str, offer_hash: bytes) -> bool:
        return bool(self._view("isCancelled(address,bytes32)", to_checksum_address(financier), offer_hash))

    def nonce_floor_of(self, financier: str) -> int:
        return int(self._view("nonceFloorOf(address)", to_checksum_address(financier)))

    def financing_of(self, token_id: int) -> Financing | None:
        """The recorded financing that delivered ``token_id``, or None."""
        financier, seller, value, price, recourse, at = self._view("financingOf(uint256)", token_id)
        if int(financier, 16) == 0:
            return None
        return Financing(
            token_id, to_checksum_address(financier), to_checksum_address(seller), int(value),
            int(price), bool(recourse), int(at),
        )  # fmt: skip

    def eip712_domain(self) -> dict[str, Any]:
        """The domain as the contract reports it (ERC-5267)."""
        _, name, version, chain_id, contract, _, _ = self._view("eip712Domain()")
        return domain(int(chain_id), contract) | {"name": name, "version": version}


def _result(receipt: Receipt) -> FinancingResult:
    e = receipt.event("Financed").args
    return FinancingResult(
        token_id=int(e["tokenId"]), from_token_id=int(e["fromTokenId"]),
        offer_hash=bytes(e["offerHash"]), value=int(e["value"]), price=int(e["price"]),
        currency_amount=int(e["currencyAmount"]), recourse=bool(e["recourse"]), receipt=receipt,
    )  # fmt: skip


__all__ = [
    "OFFER_TYPE",
    "DeskClient",
    "Financing",
    "FinancingResult",
    "Offer",
    "SignedOffer",
    "offer_hash",
    "parse_typed_data",
    "random_nonce",
    "sign_offer",
    "typed_data",
]
