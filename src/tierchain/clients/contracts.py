"""Typed clients over the deployed contracts.

Every write takes the acting party's :class:`~tierchain.chain.sender.Sender` (``by``) and goes
through it; every revert, in a write or a view, comes back as a decoded
:class:`~tierchain.core.errors.ContractRevert` subclass (``PayableError``, ``MembershipError``, ...).
Values are integer cents (the token's ``valueDecimals`` is 2).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal

from eth_abi.abi import decode as abi_decode
from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from tierchain.chain.abi import call_data
from tierchain.chain.artifacts import load_artifact
from tierchain.chain.revert import abi_type, decode_exception, default_decoder
from tierchain.chain.rpc import RpcFailure
from tierchain.chain.sender import Receipt, Sender, TxRequest
from tierchain.clients.requests import Domain, PayoutPiece, SignedRequest, SplitPiece, read_domain
from tierchain.core.errors import SignatureError, TransactionError
from tierchain.core.ids import Role, make_token_id, short_id

if TYPE_CHECKING:  # the desk and settlement clients build on this module's _Client
    pass

ZERO_ADDRESS: Final = to_checksum_address("0x" + "00" * 20)
VALUE_DECIMALS: Final = 2


PayableStatus = Literal["none", "issued", "accepted"]
MemberStatus = Literal["none", "active", "suspended"]
_PAYABLE_STATUS: Final[tuple[PayableStatus, ...]] = ("none", "issued", "accepted")
_MEMBER_STATUS: Final[tuple[MemberStatus, ...]] = ("none", "active", "suspended")


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class MemberInfo:
    account: ChecksumAddress
    roles: Role
    status: MemberStatus
    frozen: bool
    admitted_at: int
    identity_hash: bytes


@dataclass(frozen=True)
class PackageInfo:
    """A package as the registry stores it (``packageOf``)."""

    root: bytes
    debtor: ChecksumAddress
    status: Literal["none", "active", "voided"]
    invoice_count: int
    seller: ChecksumAddress
    total_cents: int
    issued_cents: int
    sequence: int


@dataclass(frozen=True)
class PackageRegistration:
    """What the ``PackageRegistered`` event of a package committed to the log: the document
    hash and the registration time are kept there, not in the registry's storage."""

    root: bytes
    debtor: ChecksumAddress
    seller: ChecksumAddress
    invoice_count: int
    total_cents: int
    document_hash: bytes
    block_number: int
    registered_at: int
    tx_hash: str


@dataclass(frozen=True)
class PayableInfo:
    payable_id: int
    debtor: ChecksumAddress
    maturity_at: int
    status: PayableStatus
    piece_count: int
    currency: ChecksumAddress
    face_value: int
    currency_decimals: int
    first_creditor: ChecksumAddress
    invoice_root: bytes
    document_hash: bytes


@dataclass(frozen=True)
class PieceInfo:
    token_id: int
    payable_id: int
    index: int
    parent_token_id: int
    owner: ChecksumAddress
    value: int
    locked: bool
    frozen: bool

    @property
    def live(self) -> bool:
        return self.owner != ZERO_ADDRESS


# ---------------------------------------------------------------------------- base client


class _Client:
    artifact: ClassVar[str]

    def __init__(self, w3: Web3, address: ChecksumAddress | str) -> None:
        self.w3 = w3
        self.address: ChecksumAddress = to_checksum_address(address)
        self.contract: Contract = w3.eth.contract(address=self.address, abi=list(load_artifact(self.artifact).abi))

    def request(self, signature: str, *args: Any, label: str = "") -> TxRequest:
        """A transaction request for ``signature`` (e.g. ``"merge(uint256,uint256)"``)."""
        return TxRequest(self.address, call_data(self.artifact, signature, *args), label=label or signature)

    def _send(self, by: Sender, signature: str, *args: Any, label: str = "") -> Receipt:
        return by.send(self.request(signature, *args, label=label))

    def view_call(self, signature: str, *args: Any) -> tuple[str, list[Any]]:
        """The ``eth_call`` of a view as (method, params), to send in a JSON-RPC batch
        (:func:`tierchain.chain.rpc.batch`); :meth:`view_result` decodes its answer."""
        data = call_data(self.artifact, signature, *args)
        return "eth_call", [{"to": self.address, "data": "0x" + data.hex()}, "latest"]

    def view_result(self, signature: str, answer: Any) -> Any:
        """The decoded answer of :meth:`view_call` (as ``_view`` returns it); a failed call
        raises its decoded revert."""
        if isinstance(answer, RpcFailure):
            error = answer.error if isinstance(answer.error, dict) else {}
            raw = error.get("data")
            if isinstance(raw, dict):
                raw = raw.get("data") or raw.get("result")
            if isinstance(raw, str) and raw.startswith("0x"):
                raise default_decoder().decode(bytes.fromhex(raw[2:]))
            raise TransactionError(f"{signature} failed: {str(error.get('message', error))[:200]}")
        fn = self.contract.get_function_by_signature(signature)
        types = [abi_type(o) for o in fn.abi.get("outputs", ())]
        values = abi_decode(types, bytes.fromhex(str(answer)[2:]))
        return values[0] if len(values) == 1 else values

    def _view(self, signature: str, *args: Any) -> Any:
        fn = self.contract.get_function_by_signature(signature)
        try:
            return fn(*args).call()
        except Exception as exc:
            revert = decode_exception(exc)
            if revert is not None:
                raise revert from None
            raise TransactionError(f"{self.artifact}.{signature} failed: {exc}") from None


# ---------------------------------------------------------------------------- membership


class MembershipClient(_Client):
    artifact = "Membership"

    def admit(self, by: Sender, account: str, roles: Role | int, identity_hash: bytes) -> Receipt:
        return self._send(
            by, "admit(address,uint8,bytes32)", to_checksum_address(account), int(roles),
            identity_hash, label=f"admit {account}",
        )  # fmt: skip

    def admit_many(self, by: Sender, members: Sequence[tuple[str, Role | int, bytes]]) -> list[Receipt]:
        """Admit several members in one pipelined batch."""
        return by.send_many(
            [
                self.request("admit(address,uint8,bytes32)", to_checksum_address(a), int(r), h,
                             label=f"admit {a}")
                for a, r, h in members
            ]
        )  # fmt: skip

    def member_of(self, account: str) -> MemberInfo:
        return self.member_info(account, self._view("memberOf(address)", to_checksum_address(account)))

    @staticmethod
    def member_info(account: str, raw: Any) -> MemberInfo:
        """A :class:`MemberInfo` from ``memberOf``'s answer."""
        roles, status, frozen, admitted_at, identity = raw
        return MemberInfo(
            to_checksum_address(account), Role(roles), _MEMBER_STATUS[status], bool(frozen),
            int(admitted_at), bytes(identity),
        )  # fmt: skip

    def suspend(self, by: Sender, account: str, reason_hash: bytes) -> Receipt:
        return self._send(
            by, "suspend(address,bytes32)", to_checksum_address(account), reason_hash,
            label=f"suspend {account}",
        )  # fmt: skip

    def reinstate(self, by: Sender, account: str) -> Receipt:
        return self._send(by, "reinstate(address)", to_checksum_address(account), label=f"reinstate {account}")

    def can_receive(self, account: str) -> bool:
        return bool(self._view("canReceive(address)", to_checksum_address(account)))

    def admin(self) -> ChecksumAddress:
        return to_checksum_address(self._view("admin()"))


# ---------------------------------------------------------------------------- registry


class RegistryClient(_Client):
    artifact = "InvoiceRegistry"

    def register_package(
        self,
        by: Sender,
        root: bytes,
        invoice_count: int,
        total_cents: int,
        seller: str,
        document_hash: bytes,
    ) -> Receipt:
        return self._send(
            by, "registerPackage(bytes32,uint32,uint64,address,bytes32)", root, invoice_count,
            total_cents, to_checksum_address(seller), document_hash,
            label=f"register package 0x{root.hex()[:12]}",
        )  # fmt: skip

    def package_of(self, root: bytes) -> PackageInfo:
        d, status, count, seller, total, issued, seq = self._view("packageOf(bytes32)", root)
        return PackageInfo(
            root, to_checksum_address(d), ("none", "active", "voided")[status],
            int(count), to_checksum_address(seller), int(total), int(issued), int(seq),
        )  # fmt: skip

    def registration_of(self, root: bytes, from_block: int = 0) -> PackageRegistration | None:
        """The ``PackageRegistered`` event of ``root`` (None if the log has none)."""
        logs = self.contract.events.PackageRegistered().get_logs(from_block=from_block, argument_filters={"root": root})
        if not logs:
            return None
        log = logs[0]
        args = log["args"]
        block = self.w3.eth.get_block(log["blockNumber"])
        return PackageRegistration(
            bytes(args["root"]), to_checksum_address(args["debtor"]),
            to_checksum_address(args["seller"]), int(args["invoiceCount"]),
            int(args["totalCents"]), bytes(args["documentHash"]), int(log["blockNumber"]),
            int(block["timestamp"]), "0x" + bytes(log["transactionHash"]).hex().removeprefix("0x"),
        )  # fmt: skip

    def attest_invoice(
        self,
        by: Sender,
        root: bytes,
        invoice_key: bytes,
        details_hash: bytes,
        proof: Sequence[bytes],
    ) -> Receipt:
        """Prove an invoice in a package as a transaction, kept on record (``InvoiceAttested``);
        reverts ``RegistryInvalidProof`` / ``RegistryUnknownPackage``."""
        return self._send(
            by, "attestInvoice(bytes32,bytes32,bytes32,bytes32[])", root, invoice_key,
            details_hash, list(proof), label=f"attest invoice in 0x{root.hex()[:12]}",
        )  # fmt: skip

    def verify_invoice(self, root: bytes, invoice_key: bytes, details_hash: bytes, proof: Sequence[bytes]) -> bool:
        return bool(
            self._view(
                "verifyInvoice(bytes32,bytes32,bytes32,bytes32[])",
                root,
                invoice_key,
                details_hash,
                list(proof),
            )
        )


# ---------------------------------------------------------------------------- payable token


class PayableClient(_Client):
    artifact = "PayableToken"

    def issue(
        self,
        by: Sender,
        creditor: str,
        face_value: int,
        currency: str,
        maturity_at: int,
        invoice_root: bytes,
        document_hash: bytes,
    ) -> tuple[int, int]:
        """Issue a payable (the debtor ``by`` confirms it owes it); returns (payable id, token
        id of the issued piece) from the PayableIssued event."""
        receipt = self._send(
            by, "issue(address,uint64,address,uint40,bytes32,bytes32)",
            to_checksum_address(creditor), face_value, to_checksum_address(currency),
            maturity_at, invoice_root, document_hash, label="issue payable",
        )  # fmt: skip
        event = receipt.event("PayableIssued")
        return int(event.args["payableId"]), int(event.args["tokenId"])

    def accept(self, by: Sender, payable_id: int) -> Receipt:
        return self._send(by, "accept(uint256)", payable_id, label=f"accept payable {payable_id}")

    def split(self, by: Sender, token_id: int, to: str, value: int) -> int:
        """Split ``value`` cents off ``token_id`` into a new piece for ``to``; returns its id."""
        receipt = self._send(
            by, "transferFrom(uint256,address,uint256)", token_id, to_checksum_address(to),
            value, label=f"split {short_id(token_id)}",
        )  # fmt: skip
        return _minted(receipt)

    def payout(self, by: Sender, from_token_id: int, receivers: Sequence[str], values: Sequence[int]) -> list[int]:
        """Pay many receivers from one piece in one transaction (``PayableToken.payout``):
        ``values[i]`` cents into a new piece for ``receivers[i]``, all or nothing. Returns the
        new pieces' token ids in the order of ``receivers`` (consecutive from the first)."""
        if not receivers:
            raise TransactionError("a payout needs at least one receiver")
        if len(receivers) != len(values):
            raise TransactionError(f"{len(receivers)} receivers but {len(values)} values")
        receipt = self._send(
            by, "payout(uint256,address[],uint256[])", from_token_id,
            [to_checksum_address(r) for r in receivers], [int(v) for v in values],
            label=f"payout {short_id(from_token_id)} to {len(receivers)}",
        )  # fmt: skip
        return _minted_all(receipt)

    def move_value(self, by: Sender, from_token_id: int, to_token_id: int, value: int) -> Receipt:
        """Move ``value`` cents into an existing piece of the same payable."""
        return self._send(
            by, "transferFrom(uint256,uint256,uint256)", from_token_id, to_token_id, value,
            label=f"move value {short_id(from_token_id)} -> {short_id(to_token_id)}",
        )  # fmt: skip

    def transfer_whole(self, by: Sender, token_id: int, to: str, from_: str | None = None) -> Receipt:
        """ERC-721 transfer of a whole piece (``from_`` defaults to the sender)."""
        return self._send(
            by, "transferFrom(address,address,uint256)",
            to_checksum_address(from_ or by.address), to_checksum_address(to), token_id,
            label=f"transfer {short_id(token_id)}",
        )  # fmt: skip

    def merge(self, by: Sender, from_token_id: int, to_token_id: int) -> Receipt:
        return self._send(
            by, "merge(uint256,uint256)", from_token_id, to_token_id,
            label=f"merge {short_id(from_token_id)} into {short_id(to_token_id)}",
        )  # fmt: skip

    # -- views --------------------------------------------------------------------------------

    def payable_of(self, payable_id: int) -> PayableInfo:
        return self.payable_info(payable_id, self._view("payableOf(uint256)", payable_id))

    @staticmethod
    def payable_info(payable_id: int, r: Any) -> PayableInfo:
        """A :class:`PayableInfo` from ``payableOf``'s answer."""
        return PayableInfo(
            payable_id=payable_id, debtor=to_checksum_address(r[0]), maturity_at=int(r[1]),
            status=_PAYABLE_STATUS[r[2]], piece_count=int(r[3]),
            currency=to_checksum_address(r[4]), face_value=int(r[5]),
            currency_decimals=int(r[6]), invoice_root=bytes(r[7]), document_hash=bytes(r[8]),
            first_creditor=to_checksum_address(r[9]),
        )  # fmt: skip

    def piece_of(self, token_id: int) -> PieceInfo:
        return self.piece_info(token_id, self._view("pieceOf(uint256)", token_id))

    @staticmethod
    def piece_info(token_id: int, raw: Any) -> PieceInfo:
        """A :class:`PieceInfo` from ``pieceOf``'s answer."""
        payable_id, index, parent, owner, value, locked, frozen = raw
        return PieceInfo(
            token_id, int(payable_id), int(index), int(parent), to_checksum_address(owner),
            int(value), bool(locked), bool(frozen),
        )  # fmt: skip

    def pieces_of_payable(self, payable_id: int) -> list[PieceInfo]:
        """Every piece ever minted for a payable (burned ones have owner zero)."""
        info = self.payable_of(payable_id)
        return [self.piece_of(make_token_id(info.maturity_at, payable_id, i)) for i in range(1, info.piece_count + 1)]

    def owner_of(self, token_id: int) -> ChecksumAddress:
        return to_checksum_address(self._view("ownerOf(uint256)", token_id))

    def balance_of(self, token_id: int) -> int:
        """Value of a piece in cents."""
        return int(self._view("balanceOf(uint256)", token_id))

    def holder_of(self, account: str) -> tuple[int, bool, bool]:
        """(pieces held, can receive, can send) as the token sees the account."""
        pieces, can_receive, can_send = self._view("holderOf(address)", to_checksum_address(account))
        return int(pieces), bool(can_receive), bool(can_send)

    def max_tenor(self) -> int:
        return int(self._view("maxTenor()"))

    def trading_paused(self) -> bool:
        return bool(self._view("tradingPaused()"))

    def piece_count_of(self, owner: str) -> int:
        return int(self._view("balanceOf(address)", to_checksum_address(owner)))

    def min_piece_value(self) -> int:
        return int(self._view("minPieceValue()"))

    def payable_count(self) -> int:
        return int(self._view("payableCount()"))


def _minted(receipt: Receipt) -> int:
    for event in receipt.events_named("Transfer"):
        if event.args.get("from") == ZERO_ADDRESS and "tokenId" in event.args:
            return int(event.args["tokenId"])
    raise TransactionError(f"{receipt.label}: no piece was minted", receipt.tx_hash)


def _minted_all(receipt: Receipt) -> list[int]:
    """Every piece minted by a transaction, in log order."""
    minted = [
        int(event.args["tokenId"])
        for event in receipt.events_named("Transfer")
        if event.args.get("from") == ZERO_ADDRESS and "tokenId" in event.args
    ]
    if not minted:
        raise TransactionError(f"{receipt.label}: no piece was minted", receipt.tx_hash)
    return minted


# ---------------------------------------------------------------------------- request relay


class RelayClient(_Client):
    """The signed-request relay: relays a member's :class:`~tierchain.clients.requests.SignedRequest`
    through the operator's (or any relayer's) :class:`Sender`, who pays the gas."""

    artifact = "RequestRelay"

    def domain(self, expected_chain_id: int | None = None) -> Domain:
        """The relay's EIP-712 domain, read through ERC-5267 and checked (see
        :func:`tierchain.clients.requests.read_domain`)."""
        return read_domain(self.w3, self.address, expected_chain_id=expected_chain_id)

    def nonce_of(self, signer: str) -> int:
        """The nonce the signer's next request must carry."""
        return int(self._view("nonces(address)", to_checksum_address(signer)))

    def is_target_allowed(self, target: str) -> bool:
        return bool(self._view("isTargetAllowed(address)", to_checksum_address(target)))

    def token(self) -> ChecksumAddress:
        return to_checksum_address(self._view("token()"))

    def bind_token(self, by: Sender, token: str) -> Receipt:
        """Bind the PayableToken of the typed requests (Membership admin, once)."""
        return self._send(by, "bindToken(address)", to_checksum_address(token), label="relay.bindToken")

    def set_target_allowed(self, by: Sender, target: str, allowed: bool) -> Receipt:
        """Allow or disallow a target (Membership admin); it must trust this relay."""
        return self._send(
            by, "setTargetAllowed(address,bool)", to_checksum_address(target), allowed,
            label=f"relay {'allow' if allowed else 'disallow'} {target}",
        )  # fmt: skip

    def relay_request(self, signed: SignedRequest) -> TxRequest:
        """The transaction that relays ``signed`` (checked to be signed for this relay)."""
        if signed.domain.verifying_contract != self.address:
            raise SignatureError(
                f"the request was signed for relay {signed.domain.verifying_contract}, not {self.address}"
            )
        request = signed.request
        return TxRequest(
            self.address,
            signed.relay_call_data(),
            label=f"relay {request.PRIMARY_TYPE} of {request.signer} (nonce {request.nonce})",
        )

    def relay(self, by: Sender, signed: SignedRequest) -> Receipt:
        """Relay a signed request; ``by`` pays the gas. The sender simulates first, so a
        request that would fail (expired, replayed, bad signature, or the target's own error,
        such as ``PayableBelowMinimum``) raises the decoded error and nothing is sent."""
        if signed.domain.chain_id != by.chain_id:
            raise SignatureError(
                f"the request was signed for chain {signed.domain.chain_id}, but the relayer is on chain {by.chain_id}"
            )
        return by.send(self.relay_request(signed))

    def relay_split(self, by: Sender, signed: SignedRequest) -> int:
        """Relay a signed SplitPiece; returns the new piece's token id."""
        if not isinstance(signed.request, SplitPiece):
            raise SignatureError(f"not a SplitPiece request: {signed.request.PRIMARY_TYPE}")
        return _minted(self.relay(by, signed))

    def relay_payout(self, by: Sender, signed: SignedRequest) -> list[int]:
        """Relay a signed PayoutPiece; returns the new pieces' token ids in receiver order."""
        if not isinstance(signed.request, PayoutPiece):
            raise SignatureError(f"not a PayoutPiece request: {signed.request.PRIMARY_TYPE}")
        return _minted_all(self.relay(by, signed))


# ---------------------------------------------------------------------------- demo currency


class StableClient(_Client):
    artifact = "DemoStableToken"

    def mint(self, by: Sender, to: str, amount: int) -> Receipt:
        return self._send(by, "mint(address,uint256)", to_checksum_address(to), amount, label=f"mint to {to}")

    def transfer(self, by: Sender, to: str, amount: int) -> Receipt:
        return self._send(by, "transfer(address,uint256)", to_checksum_address(to), amount)

    def balance_of(self, account: str) -> int:
        return int(self._view("balanceOf(address)", to_checksum_address(account)))

    def decimals(self) -> int:
        return int(self._view("decimals()"))

    def symbol(self) -> str:
        return str(self._view("symbol()"))
