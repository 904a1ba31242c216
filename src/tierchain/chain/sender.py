"""THE one place where tierchain signs and sends transactions.

A :class:`Sender` acts for one local account (an eth-account ``LocalAccount``):

* nonces are fetched once and counted locally; all senders of one key in this process share one
  lock and one counter, so there is one writer per key;
* fees are EIP-1559 when the chain reports a base fee, legacy otherwise;
* gas comes from ``eth_estimateGas``: a revert there is decoded into a :class:`ContractRevert`
  before anything is signed;
* the three steps are separate so a journal can record a transaction before it leaves:
  :meth:`Sender.sign` → :class:`SignedTx` (raw bytes + hash), :meth:`Sender.broadcast`,
  :meth:`Sender.wait`; ``on_signed`` is called between signing and broadcasting;
* :meth:`Sender.wait` polls for the receipt with a timeout, checks ``status == 1`` (web3's wait
  does not) and, on status 0, replays the call at the parent block to decode the revert;
* :meth:`Sender.send_many` signs and broadcasts a batch before waiting on any receipt; it takes
  the fees once per batch, can estimate gas once per call shape (``estimate="shape"``) and polls
  the batch's receipts in JSON-RPC batches (:meth:`Sender.wait_many`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final, Literal, cast

import rlp  # type: ignore[import-untyped]
from eth_account.signers.local import LocalAccount
from eth_keys.datatypes import PrivateKey
from eth_typing import ChecksumAddress, HexStr
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound
from web3.types import BlockIdentifier, TxParams

from tierchain.chain.events import Event as Event
from tierchain.chain.events import EventDecoder as EventDecoder
from tierchain.chain.events import default_event_decoder
from tierchain.chain.revert import decode_exception
from tierchain.chain.rpc import chain_id_of
from tierchain.core.errors import (
    ContractRevert,
    InsufficientFundsError,
    NonceError,
    TierchainError,
    TransactionError,
    TransactionFailedError,
    TransactionTimeoutError,
)

GWEI: Final = 10**9
DEFAULT_PRIORITY_FEE: Final = 1 * GWEI
RECEIPT_BATCH: Final = 200  # receipts asked for in one JSON-RPC batch request

Estimate = Literal["each", "shape"]
"""Gas estimation in a batch: ``each`` request (every one simulated), or once per call
``shape`` (target, selector, calldata length, value or not): the first request of each shape is
simulated (a revert there stops the batch before anything is signed) and the others reuse its
limit. Requests with an explicit ``gas`` are never estimated."""


# ---------------------------------------------------------------------------- records


@dataclass(frozen=True)
class TxRequest:
    """What to send: ``to`` None creates a contract from ``data`` (creation code + args)."""

    to: ChecksumAddress | None
    data: bytes = b""
    value: int = 0
    gas: int | None = None  # None: estimate
    label: str = ""  # a human name for logs and journals ("issue payable 3")


@dataclass(frozen=True)
class SignedTx:
    """A signed transaction, ready to broadcast (and to journal first)."""

    tx_hash: HexStr
    raw: bytes
    sender: ChecksumAddress
    nonce: int
    gas: int
    chain_id: int
    request: TxRequest


@dataclass(frozen=True)
class Receipt:
    """A mined transaction with status 1 (failures raise instead)."""

    tx_hash: HexStr
    block_number: int
    gas_used: int
    status: int
    contract_address: ChecksumAddress | None
    effective_gas_price: int
    label: str = ""
    logs: tuple[Mapping[str, Any], ...] = field(default=(), repr=False)

    @cached_property
    def events(self) -> tuple[Event, ...]:
        """The logs decoded by every artifact's ABI (on first use: a batch of receipts nobody
        reads costs no decoding)."""
        decoder = default_event_decoder()
        return tuple(e for e in (decoder.decode(log) for log in self.logs) if e is not None)

    def events_named(self, name: str) -> list[Event]:
        return [e for e in self.events if e.name == name]

    def event(self, name: str) -> Event:
        """The first event called ``name``; :class:`TransactionError` if there is none."""
        found = self.events_named(name)
        if not found:
            raise TransactionError(f"{self.label or 'transaction'}: no {name} event", self.tx_hash)
        return found[0]


# ---------------------------------------------------------------------------- key slots


class _KeySlot:
    """Per (chain, key) state shared by every Sender of that key in this process."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.next_nonce: int | None = None


_SLOTS: dict[tuple[int, str], _KeySlot] = {}
_SLOTS_LOCK = threading.Lock()


def _slot(chain_id: int, address: str) -> _KeySlot:
    with _SLOTS_LOCK:
        return _SLOTS.setdefault((chain_id, address.lower()), _KeySlot())


# ---------------------------------------------------------------------------- the sender


class Sender:
    """Signs and sends for one local account. See the module docstring for the guarantees."""

    def __init__(
        self,
        w3: Web3,
        account: LocalAccount,
        *,
        timeout: float = 120.0,
        poll_interval: float = 0.02,
        confirmations: int = 1,
        gas_multiplier: float = 1.25,
        priority_fee: int | None = None,
        on_signed: Callable[[SignedTx], None] | None = None,
    ) -> None:
        self.w3 = w3
        self.account = account
        self.address: ChecksumAddress = to_checksum_address(account.address)
        self.timeout = timeout
        self.poll_interval = poll_interval
        self.confirmations = max(1, confirmations)
        self.gas_multiplier = gas_multiplier
        self.priority_fee = priority_fee
        self.on_signed = on_signed
        self.chain_id: int = chain_id_of(w3)
        self._gas_cap: int | None = None  # the block gas limit, read with the first fee quote
        self._latest: Mapping[str, Any] | None = None  # a latest block handed over by prime()
        self._primed_balance: int | None = None  # the balance handed over by prime(), used once
        self._slot = _slot(self.chain_id, self.address)
        self._key = PrivateKey(bytes(account.key))
        self._fresh = True  # the nonce is taken from the chain before this Sender's first signature

    def __repr__(self) -> str:
        return f"Sender({self.address}, chain {self.chain_id})"

    # -- nonces ------------------------------------------------------------------------------

    def resync_nonce(self) -> int:
        """Take the next nonce from the chain (pending count) and return it."""
        with self._slot.lock:
            nonce = self.w3.eth.get_transaction_count(self.address, "pending")
            self._slot.next_nonce = nonce
            self._fresh = False
            return nonce

    @property
    def next_nonce(self) -> int:
        n = self._slot.next_nonce
        if n is None or self._fresh:
            self._fresh = False
            return self.resync_nonce()
        return n

    def prime(
        self,
        *,
        latest_block: Mapping[str, Any] | None = None,
        nonce: int | None = None,
        balance: int | None = None,
    ) -> None:
        """Hand over what the caller already read in this command (e.g. in the one batch of
        :mod:`tierchain.clients.rules`): the latest block (used once, for the next fee quote and
        the gas cap), the signer's pending nonce and its balance (used once, by the funds check
        before the next signature). Saves the round trips of reading them again."""
        if balance is not None:
            self._primed_balance = balance
        if latest_block is not None:
            self._latest = latest_block
            self._gas_cap = int(latest_block["gasLimit"])
        if nonce is not None:
            with self._slot.lock:
                self._slot.next_nonce = max(nonce, self._slot.next_nonce or 0) if not self._fresh else nonce
                self._fresh = False

    @property
    def lock(self) -> threading.RLock:
        """The key's lock (shared by every Sender of this key in the process): hold it to sign,
        record and broadcast as one unit."""
        return self._slot.lock

    def note_nonce_used(self, nonce: int) -> None:
        """Tell the counter that ``nonce`` is taken by a transaction signed elsewhere (e.g. a
        journal re-broadcasting recorded bytes), so the next signature uses a later one."""
        with self._slot.lock:
            if self._fresh:
                self.resync_nonce()
            if self._slot.next_nonce is None or self._slot.next_nonce <= nonce:
                self._slot.next_nonce = nonce + 1

    # -- simulation, gas and fees -------------------------------------------------------------

    def _call_params(self, req: TxRequest) -> TxParams:
        params: dict[str, Any] = {"from": self.address, "data": HexBytes(req.data)}
        if req.to is not None:
            params["to"] = req.to
        if req.value:
            params["value"] = req.value
        return cast(TxParams, params)

    def estimate_gas(self, req: TxRequest) -> int:
        """``eth_estimateGas``; a revert becomes a decoded :class:`ContractRevert`."""
        try:
            estimate = self.w3.eth.estimate_gas(self._call_params(req))
        except Exception as exc:
            raise self._as_error(exc, req, "gas estimation") from None
        limit = int(estimate * self.gas_multiplier)
        return min(limit, self.gas_cap())

    def gas_cap(self) -> int:
        """The block gas limit (read once)."""
        if self._gas_cap is None:
            self._gas_cap = int(self._latest_block()["gasLimit"])
        return self._gas_cap

    def _latest_block(self) -> Mapping[str, Any]:
        """The primed latest block (once), else the node's."""
        block, self._latest = self._latest, None
        if block is None:
            block = cast(Mapping[str, Any], self.w3.eth.get_block("latest"))
        if self._gas_cap is None:
            self._gas_cap = int(block["gasLimit"])
        return block

    def call(self, req: TxRequest, block: BlockIdentifier = "latest") -> bytes:
        """``eth_call`` of ``req`` as this account; a revert becomes a :class:`ContractRevert`."""
        try:
            return bytes(self.w3.eth.call(self._call_params(req), block_identifier=block))
        except Exception as exc:
            raise self._as_error(exc, req, "call") from None

    def fees(self) -> dict[str, int]:
        """Fee fields for the next transactions: EIP-1559 when the chain has a base fee."""
        block = self._latest_block()
        base = block.get("baseFeePerGas")
        if base is None:
            return {"gasPrice": int(self.w3.eth.gas_price)}
        tip = self.priority_fee if self.priority_fee is not None else DEFAULT_PRIORITY_FEE
        return {"maxFeePerGas": 2 * int(base) + tip, "maxPriorityFeePerGas": tip}

    # -- sign, broadcast, wait ------------------------------------------------------------------

    def sign(self, req: TxRequest, *, fees: Mapping[str, int] | None = None) -> SignedTx:
        """Simulate (estimate gas), take the next nonce and sign. Nothing is sent."""
        with self._slot.lock:
            quote = fees if fees is not None else self.fees()  # first: it reads the gas cap too
            gas = req.gas if req.gas is not None else self.estimate_gas(req)
            tx: dict[str, Any] = {
                "chainId": self.chain_id,
                "nonce": self.next_nonce,
                "gas": gas,
                "value": req.value,
                "data": HexBytes(req.data),
                **quote,
            }
            if req.to is not None:
                tx["to"] = req.to
            if "maxFeePerGas" in tx:
                raw, tx_hash = sign_dynamic_fee(self._key, tx)
            else:
                signed = self.account.sign_transaction(tx)
                raw, tx_hash = bytes(signed.raw_transaction), bytes(signed.hash)
            self._slot.next_nonce = tx["nonce"] + 1
        result = SignedTx(
            tx_hash=HexStr("0x" + tx_hash.hex()),
            raw=raw,
            sender=self.address,
            nonce=tx["nonce"],
            gas=gas,
            chain_id=self.chain_id,
            request=req,
        )
        if self.on_signed is not None:
            self.on_signed(result)
        return result

    def broadcast(self, signed: SignedTx) -> HexStr:
        """Send the raw bytes. If the node refuses them and does not know the hash, the local
        nonce is rolled back when nothing was signed after it, else resynced (a gap is reported)."""
        try:
            self.w3.eth.send_raw_transaction(signed.raw)
            return signed.tx_hash
        except Exception as exc:
            if self._known(signed.tx_hash):
                # Ganache with vmErrorsOnRPCResponse reports a reverting transaction as an error
                # although it mined it: wait() will find status 0 and decode the reason.
                return signed.tx_hash
            refused = exc
        if any(t in node_message(refused).lower() for t in _NONCE_RACE):
            self.resync_nonce()
            raise self._as_error(refused, signed.request, "broadcast", signed.tx_hash) from None
        with self._slot.lock:
            if self._slot.next_nonce == signed.nonce + 1:
                self._slot.next_nonce = signed.nonce
            else:
                chain_nonce = self.resync_nonce()
                raise NonceError(
                    f"the node refused nonce {signed.nonce} ({_brief(refused)}) after later "
                    f"nonces were signed; the chain's next nonce is {chain_nonce}",
                    signed.tx_hash,
                ) from None
        raise self._as_error(refused, signed.request, "broadcast") from None

    def _known(self, tx_hash: HexStr) -> bool:
        try:
            self.w3.eth.get_transaction(tx_hash)
            return True
        except TransactionNotFound:
            return False
        except Exception:
            return False

    def wait(self, signed: SignedTx, *, timeout: float | None = None, check: bool = True) -> Receipt:
        """Wait for the receipt (and confirmations); on status 0 raise the decoded revert."""
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        raw: Mapping[str, Any] | None = None
        race_check = time.monotonic() + 1.0
        while True:
            try:
                raw = cast(Mapping[str, Any], self.w3.eth.get_transaction_receipt(signed.tx_hash))
            except TransactionNotFound:
                raw = None
            number = raw.get("blockNumber") if raw is not None else None
            if number is not None and self._confirmed(int(number)):
                break
            if number is None and time.monotonic() >= race_check:
                race_check = time.monotonic() + 1.0
                self._check_nonce_taken(signed)
            if time.monotonic() >= deadline:
                raise TransactionTimeoutError(
                    f"{signed.request.label or 'transaction'} {signed.tx_hash} (nonce "
                    f"{signed.nonce}) not confirmed within {limit:.0f} s; it may still be mined: "
                    "wait on its hash again rather than sending it anew",
                    signed.tx_hash,
                )
            time.sleep(self.poll_interval)
        assert raw is not None  # the loop ends on a receipt (or raises)
        receipt = self._receipt(raw, signed)
        if check and receipt.status != 1:
            raise self._failure(receipt, signed)
        return receipt

    def _check_nonce_taken(self, signed: SignedTx) -> None:
        """No receipt yet: if the account's mined count is past this nonce, another transaction
        took it (a second process sending from the same key; Ganache even accepts the stale
        transaction and never mines it)."""
        if int(self.w3.eth.get_transaction_count(signed.sender, "latest")) <= signed.nonce:
            return
        try:
            again = self.w3.eth.get_transaction_receipt(signed.tx_hash)
        except TransactionNotFound:
            again = None
        if again is not None and again.get("blockNumber") is not None:
            return
        self.resync_nonce()
        raise NonceError(
            f"{signed.request.label or 'transaction'}: nonce {signed.nonce} of {signed.sender} was "
            "taken by another transaction meanwhile: another process is sending from the same key "
            "(one key, one sender at a time); this one will never be mined, run the command again",
            signed.tx_hash,
        )

    def _confirmed(self, block_number: int, head: int | None = None) -> bool:
        """A receipt in ``block_number`` has the configured confirmations (one needs no look-up:
        the block that holds it is the first)."""
        if self.confirmations <= 1:
            return True
        top = self.w3.eth.block_number if head is None else head
        return top - block_number + 1 >= self.confirmations

    def wait_many(
        self, signed: Sequence[SignedTx], *, timeout: float | None = None, check: bool = True
    ) -> list[Receipt]:
        """Wait for every receipt of ``signed`` (in order), asking for the missing ones in
        JSON-RPC batch requests (one round trip per poll, not one per transaction). With
        ``check``, the first status-0 transaction raises its decoded revert once all are in."""
        if not signed:
            return []
        batch = getattr(self.w3.provider, "make_batch_request", None)
        if batch is None or len(signed) == 1:
            receipts = [self.wait(s, timeout=timeout, check=False) for s in signed]
        else:
            receipts = self._wait_batched(signed, timeout, batch)
        if check:
            for receipt, one in zip(receipts, signed, strict=True):
                if receipt.status != 1:
                    raise self._failure(receipt, one)
        return receipts

    def _wait_batched(
        self, signed: Sequence[SignedTx], timeout: float | None, batch: Callable[..., Any]
    ) -> list[Receipt]:
        limit = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        # One key's transactions are mined in nonce order: poll the last one alone (one cheap
        # request per poll) until it is in, then fetch every receipt in batch requests.
        last = max(signed, key=lambda one: one.nonce)
        while time.monotonic() < deadline:
            try:
                tail = self.w3.eth.get_transaction_receipt(last.tx_hash)
            except TransactionNotFound:
                tail = None
            if tail is not None and tail.get("blockNumber") is not None:
                break
            time.sleep(self.poll_interval)
        found: dict[int, Mapping[str, Any]] = {}
        while True:
            missing = [i for i in range(len(signed)) if i not in found]
            for start in range(0, len(missing), RECEIPT_BATCH):
                chunk = missing[start : start + RECEIPT_BATCH]
                calls = [("eth_getTransactionReceipt", [signed[i].tx_hash]) for i in chunk]
                answers = batch(calls)
                if not isinstance(answers, list) or len(answers) != len(chunk):
                    raise TransactionError(f"receipt batch request failed: {answers!r}"[:300])
                for i, answer in zip(chunk, answers, strict=True):
                    raw = answer.get("result") if isinstance(answer, Mapping) else None
                    if raw and raw.get("blockNumber") is not None:
                        found[i] = _normalise_receipt(raw)
            if len(found) == len(signed):
                head = self.w3.eth.block_number if self.confirmations > 1 else None
                if all(self._confirmed(int(r["blockNumber"]), head) for r in found.values()):
                    break
            if time.monotonic() >= deadline:
                late = signed[min(i for i in range(len(signed)) if i not in found)] if len(
                    found) < len(signed) else signed[0]  # fmt: skip
                raise TransactionTimeoutError(
                    f"{len(signed) - len(found)} of {len(signed)} transactions (first "
                    f"{late.tx_hash}, nonce {late.nonce}) not confirmed within {limit:.0f} s; they "
                    "may still be mined: wait on their hashes again rather than sending anew",
                    late.tx_hash,
                )
            time.sleep(self.poll_interval)
        return [self._receipt(found[i], s) for i, s in enumerate(signed)]

    def _receipt(self, raw: Mapping[str, Any], signed: SignedTx) -> Receipt:
        logs = tuple(cast(Sequence[Mapping[str, Any]], raw.get("logs", ())))
        created = raw.get("contractAddress")
        return Receipt(
            tx_hash=signed.tx_hash,
            block_number=int(raw["blockNumber"]),
            gas_used=int(raw["gasUsed"]),
            status=int(raw["status"]),
            contract_address=to_checksum_address(str(created)) if created else None,
            effective_gas_price=int(raw.get("effectiveGasPrice", 0) or 0),
            label=signed.request.label,
            logs=logs,
        )

    def _failure(self, receipt: Receipt, signed: SignedTx) -> TierchainError:
        """Replay a status-0 transaction at its parent block to learn why it failed."""
        req = signed.request
        params = dict(self._call_params(req))
        params["gas"] = signed.gas
        try:
            self.w3.eth.call(cast(TxParams, params), block_identifier=receipt.block_number - 1)
        except Exception as exc:
            return self._as_error(exc, req, "transaction", signed.tx_hash)
        hint = " (out of gas?)" if receipt.gas_used >= signed.gas else ""
        return TransactionFailedError(
            f"{req.label or 'transaction'} {signed.tx_hash} failed with status 0 in block "
            f"{receipt.block_number}, gas used {receipt.gas_used} of {signed.gas}{hint}; "
            "replaying it did not revert",
            signed.tx_hash,
        )

    def _as_error(self, exc: BaseException, req: TxRequest, stage: str, tx_hash: str | None = None) -> TierchainError:
        """A decoded :class:`ContractRevert` if ``exc`` is a revert, else a TransactionError."""
        revert = decode_exception(exc, tx_hash)
        if revert is None and isinstance(exc, ContractLogicError):
            revert = ContractRevert("", tx_hash=tx_hash)
        if revert is not None:
            return revert
        what = req.label or ("contract creation" if req.to is None else f"call to {req.to}")
        text = node_message(exc).lower()
        if any(t in text for t in _NO_FUNDS):
            return InsufficientFundsError(
                f"{what}: {self.address} cannot pay the gas (it holds "
                f"{_ether(int(self.w3.eth.get_balance(self.address)))}); fund it first (on a local "
                f"chain: `tierchain chain fund {self.address} --ether 1`)",
                tx_hash,
            )
        if any(t in text for t in _NONCE_RACE):
            return NonceError(
                f"{what}: the nonce of {self.address} was taken by another transaction meanwhile: "
                "another process is sending from the same key (one key, one sender at a time); "
                "nothing was sent, run the command again",
                tx_hash,
            )
        return TransactionError(f"{stage} of {what} failed: {_brief(exc)}", tx_hash)

    def check_funds(self, reqs: Sequence[TxRequest], gas: Sequence[int], fees: Mapping[str, int]) -> None:
        """Before signing: the account can pay every request at the highest fee quoted."""
        price = int(fees.get("maxFeePerGas", fees.get("gasPrice", 0)))
        need = sum(g * price + r.value for r, g in zip(reqs, gas, strict=True))
        if need == 0:
            return
        primed, self._primed_balance = self._primed_balance, None
        have = primed if primed is not None else int(self.w3.eth.get_balance(self.address))
        if have < need:
            what = reqs[0].label or "the transaction" if len(reqs) == 1 else f"{len(reqs)} transactions"
            raise InsufficientFundsError(
                f"{self.address} cannot pay for {what}: it holds {_ether(have)}, needs up to "
                f"{_ether(need)} (gas {sum(gas):,} at {price / GWEI:g} gwei); nothing was signed. Fund "
                f"it first (on a local chain: `tierchain chain fund {self.address} --ether 1`)"
            )

    # -- conveniences ------------------------------------------------------------------------

    def send(self, req: TxRequest) -> Receipt:
        """Sign, broadcast and wait for one transaction."""
        with self._slot.lock:
            gas = req.gas if req.gas is not None else self.estimate_gas(req)
            fees = self.fees()
            self.check_funds([req], [gas], fees)
            signed = self.sign(TxRequest(req.to, req.data, req.value, gas, req.label), fees=fees)
            self.broadcast(signed)
        return self.wait(signed)

    def sign_many(
        self,
        reqs: Sequence[TxRequest],
        *,
        estimate: Estimate = "each",
        fees: Mapping[str, int] | None = None,
    ) -> list[SignedTx]:
        """Sign ``reqs`` with consecutive nonces and one fee quote; nothing is sent.

        Gas is estimated against the state before the batch: give ``gas`` explicitly for a
        request that depends on an earlier one, or use ``estimate="shape"`` (see
        :data:`Estimate`). A revert in any estimation raises before anything is signed."""
        quote = dict(fees) if fees is not None else self.fees()
        limits: list[int] = []
        by_shape: dict[tuple[str | None, bytes, int, bool], int] = {}
        for req in reqs:
            if req.gas is not None:
                limits.append(req.gas)
                continue
            if estimate == "each":
                limits.append(self.estimate_gas(req))
                continue
            shape = (req.to, req.data[:4], len(req.data), req.value != 0)
            if shape not in by_shape:
                by_shape[shape] = self.estimate_gas(req)
            limits.append(by_shape[shape])
        self.check_funds(reqs, limits, quote)
        with self._slot.lock:
            return [
                self.sign(TxRequest(r.to, r.data, r.value, gas, r.label), fees=quote)
                for r, gas in zip(reqs, limits, strict=True)
            ]

    def send_many(self, reqs: Sequence[TxRequest], *, estimate: Estimate = "each") -> list[Receipt]:
        """Sign and broadcast every request, then wait on all receipts (in order).

        Fees are quoted once for the batch and receipts polled in JSON-RPC batches; gas as in
        :meth:`sign_many`. The first failure is raised after every receipt is in.
        """
        sent: list[SignedTx] = []
        with self._slot.lock:
            signed_all = self.sign_many(reqs, estimate=estimate)
            for signed in signed_all:
                try:
                    self.broadcast(signed)
                except TierchainError:
                    # later ones were signed but never sent: their nonces are free again
                    self._slot.next_nonce = signed.nonce
                    self.wait_many(sent, check=False)
                    raise
                sent.append(signed)
        return self.wait_many(sent)

    def deploy(self, creation_code: bytes, label: str = "") -> Receipt:
        """Create a contract; the receipt's ``contract_address`` is the new address."""
        receipt = self.send(TxRequest(to=None, data=creation_code, label=label))
        if receipt.contract_address is None:
            raise TransactionError(f"{label or 'deployment'}: no contract address", receipt.tx_hash)
        return receipt


def _ether(wei: int) -> str:
    whole, frac = divmod(wei, 10**18)
    return f"{whole}.{frac:018d}".rstrip("0").rstrip(".") + " ETH"


def sign_dynamic_fee(key: PrivateKey, tx: Mapping[str, Any]) -> tuple[bytes, bytes]:
    """Sign an EIP-1559 (type 2) transaction: (raw bytes, hash).

    The same bytes eth-account's ``sign_transaction`` produces (deterministic RFC 6979 signature
    by the same secp256k1 backend; ``tests/python/test_signing.py`` compares them), without its
    per-call key derivation and double dict validation: signing is most of the library's own
    cost per transaction."""
    to = tx.get("to")
    fields: list[Any] = [
        int(tx["chainId"]), int(tx["nonce"]), int(tx["maxPriorityFeePerGas"]),
        int(tx["maxFeePerGas"]), int(tx["gas"]), bytes.fromhex(str(to)[2:]) if to else b"",
        int(tx.get("value", 0)), bytes(tx.get("data", b"")), [],
    ]  # fmt: skip
    digest = keccak(b"\x02" + rlp.encode(fields))
    signature = key.sign_msg_hash(digest)
    raw = b"\x02" + rlp.encode([*fields, signature.v, signature.r, signature.s])
    return raw, keccak(raw)


def _normalise_receipt(raw: Mapping[str, Any]) -> dict[str, Any]:
    """A receipt as the JSON-RPC answer gives it (hex strings) in the shape web3 formats it."""
    out: dict[str, Any] = dict(raw)
    for key in ("blockNumber", "gasUsed", "status", "effectiveGasPrice", "transactionIndex"):
        if isinstance(out.get(key), str):
            out[key] = int(out[key], 16)
    logs = []
    for log in raw.get("logs") or ():
        item = dict(log)
        item["topics"] = [HexBytes(t) for t in log.get("topics", ())]
        item["data"] = HexBytes(log.get("data", "0x"))
        if isinstance(item.get("logIndex"), str):
            item["logIndex"] = int(item["logIndex"], 16)
        logs.append(item)
    out["logs"] = logs
    return out


def _brief(exc: BaseException) -> str:
    text = node_message(exc)
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__


def node_message(exc: BaseException) -> str:
    """The first line of a node's error: the ``message`` of a JSON-RPC error dict (never its
    JavaScript ``stack``), else the exception's text."""
    arg = exc.args[0] if exc.args else None
    text = str(arg["message"]) if isinstance(arg, Mapping) and "message" in arg else str(exc)
    text = text.strip()
    return text.splitlines()[0] if text else ""


_NONCE_RACE: Final = ("nonce too low", "replacement transaction underpriced", "already known",
                      "correct nonce", "nonce has already been used", "known transaction")  # fmt: skip
_NO_FUNDS: Final = ("insufficient funds", "doesn't have enough funds", "insufficient balance")
