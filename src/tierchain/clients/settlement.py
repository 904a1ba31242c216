"""Typed client of the Settlement contract: payment at maturity, pull claims, overdue,
guarantee and recourse.

Every write takes the acting party's :class:`~tierchain.chain.sender.Sender` (``by``) and goes through
it; reverts come back as :class:`~tierchain.core.errors.SettlementError` (or the family of the
contract that reverted). Amounts are integer cents of the payable's currency; the contract pulls
``cents * 10**(decimals - 2)`` currency units, so the payer approves the Settlement contract for
that many units first (:meth:`SettlementClient.approve`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from tierchain.chain.abi import call_data
from tierchain.chain.revert import default_decoder
from tierchain.chain.sender import Receipt, Sender, TxRequest
from tierchain.clients.contracts import ZERO_ADDRESS, _Client
from tierchain.core.errors import ContractRevert, TransactionError
from tierchain.core.ids import short_id
from tierchain.core.money import cents_to_units

SettlementState = Literal["unopened", "open", "paid", "overdue", "paid-after-overdue"]
RecourseState = Literal["none", "exercised", "settled"]
_RECOURSE: Final[tuple[RecourseState, ...]] = ("none", "exercised", "settled")
MAX_UINT256: Final = 2**256 - 1


@dataclass(frozen=True)
class PayableSettlement:
    """What Settlement knows about one payable, with its guarantee."""

    payable_id: int
    open: bool
    debtor: ChecksumAddress
    currency: ChecksumAddress
    currency_decimals: int
    face_value: int
    paid_cents: int
    unpaid_cents: int
    grace_seconds: int
    overdue_at: int
    overdue: bool
    guarantor: ChecksumAddress
    guarantee_limit_cents: int
    guarantor_paid_cents: int
    guarantor_repaid_cents: int

    @property
    def state(self) -> SettlementState:
        if not self.open:
            return "unopened"
        if self.unpaid_cents == 0:
            return "paid-after-overdue" if self.overdue else "paid"
        return "overdue" if self.overdue else "open"

    @property
    def owed_to_guarantor_cents(self) -> int:
        """The guarantor's open claim against the debtor."""
        return self.guarantor_paid_cents - self.guarantor_repaid_cents


@dataclass(frozen=True)
class RecourseInfo:
    """A recourse claim on a piece."""

    token_id: int
    status: RecourseState
    financier: ChecksumAddress
    seller: ChecksumAddress
    amount_cents: int
    exercised_at: int
    settled_at: int


@dataclass(frozen=True)
class PiecePaid:
    """One piece paid by a claim (``Claimed``)."""

    token_id: int
    holder: ChecksumAddress
    cents: int
    settled: bool  # the payable was paid in full: the piece got the rest of its value and burned


@dataclass(frozen=True)
class PieceSkipped:
    """A piece ``claimMany`` could not pay now; ``reason`` is its decoded revert."""

    token_id: int
    reason: ContractRevert

    @property
    def why(self) -> str:
        """The custom error's name (``PayablePieceFrozen``, ``Blocked``, ...) or its raw data."""
        return self.reason.error_name or "0x" + self.reason.data.hex()


@dataclass(frozen=True)
class ClaimManyResult:
    """What one ``claimMany`` transaction paid and skipped."""

    receipt: Receipt
    paid: tuple[PiecePaid, ...]
    skipped: tuple[PieceSkipped, ...]

    @property
    def cents(self) -> int:
        return sum(p.cents for p in self.paid)

    @classmethod
    def of(cls, receipt: Receipt) -> ClaimManyResult:
        """Read the Claimed and ClaimSkipped events of a claimMany receipt."""
        paid = tuple(
            PiecePaid(int(e.args["tokenId"]), to_checksum_address(e.args["holder"]), int(e.args["cents"]),
                      bool(e.args["settled"]))
            for e in receipt.events_named("Claimed")
        )  # fmt: skip
        decoder = default_decoder()
        skipped = tuple(
            PieceSkipped(int(e.args["tokenId"]), decoder.decode(bytes(e.args["reason"]), receipt.tx_hash))
            for e in receipt.events_named("ClaimSkipped")
        )
        return cls(receipt, paid, skipped)


class SettlementClient(_Client):
    """Client of one deployed Settlement contract."""

    artifact = "Settlement"

    # -- payments in ---------------------------------------------------------------------------

    def approve(self, by: Sender, currency: str, units: int = MAX_UINT256) -> Receipt:
        """ERC-20 ``approve`` of the Settlement contract by ``by`` for ``units`` of ``currency``."""
        return by.send(self.approve_request(currency, units))

    def approve_request(self, currency: str, units: int = MAX_UINT256) -> TxRequest:
        """The ERC-20 ``approve`` transaction of :meth:`approve` (to sign, journal, send)."""
        data = call_data("DemoStableToken", "approve(address,uint256)", self.address, units)
        return TxRequest(to_checksum_address(currency), data, label="approve settlement")

    def pay_request(self, payable_id: int, cents: int) -> TxRequest:
        """The ``pay`` transaction of :meth:`pay` (to sign, journal, send)."""
        return self.request("pay(uint256,uint64)", payable_id, cents, label=f"pay {cents} on payable {payable_id}")

    def open(self, by: Sender, payable_id: int) -> Receipt:
        """Register an accepted payable, fixing its grace period now (anyone may)."""
        return self._send(by, "open(uint256)", payable_id, label=f"open payable {payable_id}")

    def pay(self, by: Sender, payable_id: int, cents: int) -> Receipt:
        """The debtor pays ``cents`` into escrow (an over-payment is refused)."""
        return self._send(by, "pay(uint256,uint64)", payable_id, cents, label=f"pay {cents} on payable {payable_id}")

    # -- claims out ----------------------------------------------------------------------------

    def claim(self, by: Sender, token_id: int) -> int:
        """The holder ``by`` claims what its piece is owed now; returns the cents paid out."""
        return int(self.claim_receipt(by, token_id).event("Claimed").args["cents"])

    def claim_receipt(self, by: Sender, token_id: int) -> Receipt:
        """Like :meth:`claim`, returning the receipt (gas, events)."""
        return self._send(by, "claim(uint256)", token_id, label=f"claim {short_id(token_id)}")

    def claim_many_request(self, token_ids: Sequence[int]) -> TxRequest:
        """The ``claimMany`` transaction for ``token_ids`` (to sign, journal, send)."""
        return self.request("claimMany(uint256[])", list(token_ids), label=f"claim {len(token_ids)} pieces")

    def claim_many(self, by: Sender, token_ids: Sequence[int]) -> ClaimManyResult:
        """Anyone ``by`` pays every listed piece what it is owed now, each to its holder, in one
        transaction; a piece that cannot be paid now (frozen, holder frozen or refused by the
        currency, nothing due, not matured) is skipped with its decoded reason and the rest
        are paid. Gas is estimated, so a batch is never short of gas (the contract reverts the
        whole batch rather than skip a piece for lack of gas)."""
        return ClaimManyResult.of(by.send(self.claim_many_request(token_ids)))

    def owed_of(self, token_id: int) -> int:
        """What the piece's holder could claim now, in cents (0 before maturity)."""
        return int(self._view("claimableOf(uint256)", token_id))

    def claimed_of(self, token_id: int) -> int:
        """What the piece has claimed so far, in cents."""
        return int(self._view("claimedOf(uint256)", token_id))

    # -- overdue and guarantee -----------------------------------------------------------------

    def mark_overdue(self, by: Sender, payable_id: int) -> Receipt:
        """Mark an unpaid payable overdue after maturity + grace (anyone may)."""
        return self._send(by, "markOverdue(uint256)", payable_id, label=f"mark payable {payable_id} overdue")

    def guarantee(self, by: Sender, payable_id: int, limit_cents: int) -> Receipt:
        """The guarantor ``by`` commits up to ``limit_cents`` (or raises its limit)."""
        return self._send(
            by, "registerGuarantee(uint256,uint64)", payable_id, limit_cents,
            label=f"guarantee payable {payable_id}",
        )  # fmt: skip

    def guarantor_pay(self, by: Sender, payable_id: int, cents: int) -> Receipt:
        """The guarantor pays ``cents`` into escrow for the holders of an overdue payable."""
        return self._send(
            by, "guarantorPay(uint256,uint64)", payable_id, cents,
            label=f"guarantor pays {cents} on payable {payable_id}",
        )  # fmt: skip

    def repay_guarantor(self, by: Sender, payable_id: int, cents: int) -> Receipt:
        """The debtor repays ``cents`` of the guarantor's claim."""
        return self._send(
            by, "repayGuarantor(uint256,uint64)", payable_id, cents,
            label=f"repay guarantor {cents} on payable {payable_id}",
        )  # fmt: skip

    # -- recourse ------------------------------------------------------------------------------

    def exercise_recourse(self, by: Sender, token_id: int) -> int:
        """The financier ``by`` exercises recourse; returns the uncovered cents recorded."""
        receipt = self._send(by, "exerciseRecourse(uint256)", token_id, label=f"recourse on {short_id(token_id)}")
        return int(receipt.event("RecourseExercised").args["uncoveredCents"])

    def settle_recourse_receipt(self, by: Sender, token_id: int) -> Receipt:
        """Like :meth:`settle_recourse`, returning the receipt (events: RecourseSettled, ...)."""
        return self._send(by, "settleRecourse(uint256)", token_id, label=f"settle recourse {short_id(token_id)}")

    def settle_recourse(self, by: Sender, token_id: int) -> int:
        """The seller ``by`` settles the recourse claim; returns the cents it paid."""
        return int(self.settle_recourse_receipt(by, token_id).event("RecourseSettled").args["paidCents"])

    def recourse_of(self, token_id: int) -> RecourseInfo:
        status, financier, seller, amount, exercised_at, settled_at = self._view("recourseOf(uint256)", token_id)
        return RecourseInfo(
            token_id, _RECOURSE[status], to_checksum_address(financier),
            to_checksum_address(seller), int(amount), int(exercised_at), int(settled_at),
        )  # fmt: skip

    def recourse_due_of(self, token_id: int) -> int:
        """What the seller would pay now to settle the recourse claim, in cents."""
        return int(self._view("recourseDueOf(uint256)", token_id))

    # -- administration ------------------------------------------------------------------------

    def pause(self, by: Sender, paused: bool = True) -> Receipt:
        """Pause (or resume) payments and claims (operator or admin)."""
        return self._send(
            by, "setSettlementPaused(bool)", paused,
            label="pause settlement" if paused else "resume settlement",
        )  # fmt: skip

    def set_grace_period(self, by: Sender, seconds: int) -> Receipt:
        """Grace period for payables opened from now on (operator or admin)."""
        return self._send(by, "setGracePeriod(uint32)", seconds, label="set grace period")

    def set_financing_records(self, by: Sender, records: str) -> Receipt:
        """Point recourse at the financing desk's records, once (membership admin)."""
        return self._send(
            by, "setFinancingRecords(address)", to_checksum_address(records),
            label="set financing records",
        )  # fmt: skip

    # -- views ---------------------------------------------------------------------------------

    def status_of(self, payable_id: int) -> PayableSettlement:
        """Everything settlement knows about a payable, with its guarantee."""
        a = self._view("accountOf(uint256)", payable_id)
        g = self._view("guaranteeOf(uint256)", payable_id)
        return PayableSettlement(
            payable_id=payable_id, open=bool(a[0]), debtor=to_checksum_address(a[1]),
            currency=to_checksum_address(a[2]), currency_decimals=int(a[3]),
            face_value=int(a[4]), paid_cents=int(a[5]), unpaid_cents=int(a[6]),
            grace_seconds=int(a[7]), overdue_at=int(a[8]), overdue=bool(a[9]),
            guarantor=to_checksum_address(g[0]), guarantee_limit_cents=int(g[1]),
            guarantor_paid_cents=int(g[2]), guarantor_repaid_cents=int(g[3]),
        )  # fmt: skip

    def paused(self) -> bool:
        return bool(self._view("settlementPaused()"))

    def grace_period(self) -> int:
        return int(self._view("gracePeriod()"))

    def financing_records(self) -> ChecksumAddress | None:
        address = to_checksum_address(self._view("financingRecords()"))
        return None if address == ZERO_ADDRESS else address

    def units_of(self, payable_id: int, cents: int) -> int:
        """Currency units for ``cents`` of a payable opened in settlement."""
        status = self.status_of(payable_id)
        if not status.open:
            raise TransactionError(f"payable {payable_id} is not open in settlement yet: open it or pay first")
        return cents_to_units(cents, status.currency_decimals)


__all__ = [
    "ClaimManyResult", "PayableSettlement", "PiecePaid", "PieceSkipped", "RecourseInfo", "SettlementClient",
    "SettlementState",
]  # fmt: skip
