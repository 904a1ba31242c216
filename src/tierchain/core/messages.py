"""One table of readable sentences: error name -> sentence with the values.

Used for the contracts' custom errors (decoded into :class:`~tierchain.core.errors.ContractRevert`)
and for the library's own rule errors (:mod:`tierchain.clients.rules`), by the CLI and the HTTP
service alike. A placeholder names a value and, after a colon, how to show it::

    "PayableBelowMinimum": "piece {tokenId:piece} would hold {value:cents}, below the minimum ..."

Kinds: ``cents`` (integer cents as ``1,234.50``), ``piece`` (a token id as ``P3#2``), ``time``
(UTC seconds as ``2027-03-01T00:00:00Z``), ``hex`` (bytes as 0x...), ``roles`` (role bits by
name); no kind: the value as it is. :func:`explain` returns None for a name not in the table.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Final

from tierchain.core.ids import Role, short_id
from tierchain.core.money import format_cents

TIME_FORMAT: Final = "%Y-%m-%dT%H:%M:%SZ"


def format_instant(seconds: int) -> str:
    """The one time format of every output: ``2027-03-01T00:00:00Z`` (UTC)."""
    return datetime.fromtimestamp(int(seconds), UTC).strftime(TIME_FORMAT)


def format_roles(bits: int) -> str:
    names = [r.name.lower() for r in Role if r.name and bits & r]
    return "+".join(names) if names else "no role"


MESSAGES: Final[dict[str, str]] = {
    # -- the library's own rules (raised before anything is signed)
    "BadAddress": "{name}: {text!r} is not an address (0x and 40 hex digits)",
    "BadChecksum": "{name}: {text} has a bad EIP-55 checksum (a mistyped character?); copy the address again",
    "ZeroAddress": "{name}: the zero address is not an account",
    "BadPieceName": "{name}: {text!r} is not a piece (P3#2, or a token id)",
    "BadPayableName": "{name}: {text!r} is not a payable number (1, 2, ... or P1)",
    "UnknownPayable": "payable {payableId} does not exist (payables issued: {count})",
    "NoSuchPieceIndex": "{name}: payable {payableId} has pieces 1..{pieceCount}, not {index}",
    "PieceNotIndexed": "{detail}",
    "UnknownPiece": "{name} {shown} does not exist (never minted, merged or settled)",
    "NotPieceOwner": "piece {tokenId:piece} belongs to {owner}, not to the signer {signer}",
    "PieceFrozen": "piece {tokenId:piece} is frozen by a regulator",
    "PieceLocked": "piece {tokenId:piece} is locked (under a financing offer)",
    "NotAccepted": "payable {payableId} is not accepted yet: its pieces cannot move",
    "AlreadyStatus": "payable {payableId} is already {status}",
    "NotFirstCreditor": "payable {payableId} is owed to {creditor}; the signer {signer} cannot accept it",
    "TradingPaused": "trading is paused by the platform admin: nothing can move now",
    "Matured": "payable {payableId} matured at {maturityAt:time}: pieces no longer trade (settlement pays the holders)",
    "AmountAbovePiece": "{name} {value:cents} is more than piece {tokenId:piece} holds ({balance:cents})",
    "AmountBelowMinimum": "{name} {value:cents} is below the minimum piece value {minimum:cents}",
    "RestBelowMinimum": (
        "piece {tokenId:piece} would keep {rest:cents}, below the minimum piece value {minimum:cents}: "
        "move all of it or leave at least the minimum"
    ),
    "CannotReceive": "{name} {account} cannot receive pieces: {why}",
    "SamePiece": "the two pieces are the same",
    "DifferentPayables": "{fromTokenId:piece} and {toTokenId:piece} belong to different payables",
    "AlreadyOwner": "piece {tokenId:piece} already belongs to {owner}",
    "NotSameOwner": (
        "only pieces of one owner merge ({fromTokenId:piece} belongs to {fromOwner}, {toTokenId:piece} to "
        "{toOwner}); use `payables move` across owners"
    ),
    "NotCoreEnterprise": "the signer {signer} is not an active core enterprise member",
    "PackageNotRegistered": "package {root:hex} is not registered: `tierchain invoices register`",
    "PackageVoided": "package {root:hex} was voided (an invoice of it is in an earlier one)",
    "PackageWrongDebtor": "package {root:hex} is owed by {debtor}, not by the signer",
    "PackageWrongSeller": "--to must be the package's seller {seller}",
    "PackageExhausted": "{name} {value:cents} exceeds what the package still backs ({left:cents} of {total:cents})",
    "MaturityNotFuture": "--maturity {maturityAt:time} is not in the future (chain time {now:time})",
    "TenorTooLong": "--maturity is beyond the longest tenor allowed (at most {latest:time})",
    "InsufficientFunds": "{payer} holds {balance:cents}, less than {cents:cents}",
    "InsufficientApproval": (
        "{payer} approved settlement for {allowance:cents}, less than {cents:cents}: "
        "run `tierchain settlement approve` first"
    ),
    "ClaimBeforeMaturity": "payable {payableId} matures at {maturityAt:time}: nothing to claim before",
    "NotHolder": "piece {tokenId:piece} belongs to {owner}, not to {holder}",
    "SettlementPaused": "settlement is paused by the operator: payments and claims wait",
    "NothingToClaim": "nothing to claim on {tokenId:piece} yet: the debtor has not paid its share",
    "WrongSigner": "the request is {expected}'s to sign, not {given}'s",
    # -- PayableToken
    "PayableBelowMinimum": (
        "piece {tokenId:piece} would hold {value:cents}, below the minimum piece value {minimum:cents}"
    ),
    "PayableInsufficientValue": "piece {tokenId:piece} holds {balance:cents}, less than {needed:cents}",
    "PayableInsufficientAllowance": (
        "{operator} may spend {allowance:cents} of piece {tokenId:piece}, less than {needed:cents}"
    ),
    "PayableInvalidOwner": "piece {tokenId:piece} belongs to {owner}, not to {from}",
    "PayableMatured": "payable {payableId} matured at {maturityAt:time}: its pieces no longer trade",
    "PayableNotMatured": "payable {payableId} matures at {maturityAt:time}, not yet",
    "PayableMaturityInPast": "the maturity {maturityAt:time} is not after the chain time {nowAt:time}",
    "PayableTenorTooLong": "the maturity {maturityAt:time} is beyond the longest tenor allowed ({latestAllowed:time})",
    "PayableNonexistentToken": "piece {tokenId:piece} does not exist",
    "PayableNotCreditor": "payable {payableId} is not owed to {caller}",
    "PayableNotOwnerNorApproved": "{caller} neither owns piece {tokenId:piece} nor is approved for it",
    "PayableNotSameOwner": "{fromTokenId:piece} and {toTokenId:piece} have different owners",
    "PayablePieceFrozen": "piece {tokenId:piece} is frozen by a regulator",
    "PayablePieceLocked": "piece {tokenId:piece} is locked (under a financing offer)",
    "PayablePieceLimit": "payable {payableId} has as many pieces as it may have",
    "PayableReceiverNotAllowed": "{to} cannot receive pieces (not an active, unfrozen holder member)",
    "PayableReceiverRejected": "{to} is a contract that refused the piece",
    "PayableSameToken": "piece {tokenId:piece} cannot move value into itself",
    "PayableSenderFrozen": "{owner} is frozen by a regulator",
    "PayableSlotMismatch": "{fromTokenId:piece} and {toTokenId:piece} belong to different payables",
    "PayableTradingPaused": "trading is paused by the platform admin",
    "PayableUnauthorized": "{caller} lacks the role needed ({requiredRoles:roles})",
    "PayableUnknown": "payable {payableId} does not exist",
    "PayableWrongStatus": "payable {payableId} is in the wrong state for this ({status})",
    "PayableZeroValue": "the value must not be zero",
    "PayableBatchEmpty": "a payout needs at least one receiver",
    "PayableBatchLengthMismatch": "a payout has {receivers} receivers but {values} amounts",
    "PayableBatchOverValue": "the payout's total {total:cents} is more than piece {tokenId:piece} holds "
    "({balance:cents})",
    "PayableInvalidFaceValue": "the face value {faceValue:cents} is below the minimum {minimum:cents}",
    "PayableInvalidCurrency": "{currency} is not a usable settlement currency",
    # -- Membership
    "MembershipNotMember": "{account} is not a member",
    "MembershipAlreadyMember": "{account} is already a member",
    "MembershipGovernanceMember": (
        "{account} holds a governance role ({roles:roles}): only the admin may suspend or reinstate it, not {caller}"
    ),
    "MembershipUnauthorized": "{caller} lacks the role needed ({requiredRoles:roles})",
    "MembershipRoleNotGrantable": "{caller} may not grant {roles:roles}",
    "MembershipWrongStatus": "{account} is in the wrong membership state for this ({status})",
    "MembershipIdentityTaken": "identity {identityHash:hex} already belongs to {account}",
    # -- InvoiceRegistry
    "RegistryUnknownPackage": "package {root:hex} is not registered",
    "RegistryPackageExists": "package {root:hex} is already registered (debtor {debtor})",
    "RegistryPackageIsVoided": "package {root:hex} was voided",
    "RegistryExceedsTotal": (
        "{amountCents:cents} more would exceed package {root:hex} ({issuedCents:cents} of {totalCents:cents} issued)"
    ),
    "RegistryInvalidProof": "the proof does not show the invoice in package {root:hex}",
    "RegistryNotCoreEnterprise": "{caller} is not an active core enterprise",
    "RegistryNotSupplier": "{seller} is not an active supplier",
    "RegistryWrongCreditor": "package {root:hex} was sold by {seller}, not {given}",
    "RegistryWrongDebtor": "package {root:hex} is owed by {debtor}, not {given}",
    # -- RequestRelay
    "RelayBadNonce": "the request of {signer} carries nonce {given}, the relay expects {expected}: sign a fresh one",
    "RelayBadSignature": "the signature is not {signer}'s",
    "RelayExpired": "the request expired at {deadline:time} (chain time {nowAt:time}): sign a fresh one",
    "RelayTargetNotAllowed": "the relay does not forward to {target}",
    # -- FinancingDesk
    "DeskMatured": "piece {tokenId:piece} matured at {maturityAt:time}",
    "DeskNotOwner": "piece {tokenId:piece} belongs to {owner}, not to {caller}",
    "DeskOfferExpired": "the offer {offerHash:hex} expired at {deadline:time} (chain time {nowAt:time})",
    "DeskOfferUsed": "the offer {offerHash:hex} was already taken",
    "DeskOfferCancelled": "the offer {offerHash:hex} was cancelled",
    "DeskInvalidSignature": "the offer {offerHash:hex} is not signed by {financier}",
    "DeskNotFinancier": "{financier} is not an active financier",
    "DeskNotMember": "{account} is not an active member",
    "DeskTradingPaused": "trading is paused by the platform admin",
    "DeskWrongSeller": "the offer {offerHash:hex} is for {seller}, not {caller}",
    "DeskSelfDealing": "{account} cannot finance its own piece",
    # -- Settlement
    "SettlementNotMatured": "payable {payableId} matures at {maturityAt:time}, not yet",
    "SettlementNotHolder": "piece {tokenId:piece} belongs to {owner}, not to {caller}",
    "SettlementOnlySelf": "claimPiece is settlement's own step of claimMany; {caller} may not call it",
    "SettlementBatchOutOfGas": "the batch ran out of gas at piece {tokenId:piece}: send it with more gas or "
    "fewer pieces",
    "SettlementNothingToClaim": "nothing to claim on piece {tokenId:piece}",
    "SettlementOverpayment": "{cents:cents} is more than payable {payableId} still owes ({unpaidCents:cents})",
    "SettlementFullyPaid": "payable {payableId} is paid in full",
    "SettlementNotDebtor": "{caller} is not the debtor of payable {payableId}",
    "SettlementHolderFrozen": "{holder} is frozen by a regulator",
    # -- ERC-20 (currency units, not cents)
    "ERC20InsufficientBalance": "{sender} holds {balance} currency units, {needed} are needed",
    "ERC20InsufficientAllowance": "{spender} may spend {allowance} currency units, {needed} are needed: approve first",
}


class _Formatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "cents":
            return format_cents(int(value))
        if format_spec == "piece":
            return short_id(int(value)) if int(value) >> 32 else str(value)
        if format_spec == "time":
            return format_instant(int(value))
        if format_spec == "hex":
            return "0x" + bytes(value).hex() if isinstance(value, bytes | bytearray) else str(value)
        if format_spec == "roles":
            return format_roles(int(value))
        return str(super().format_field(value, format_spec))


_FORMATTER: Final = _Formatter()


def explain(name: str, values: Mapping[str, Any]) -> str | None:
    """The sentence for error ``name`` with ``values``; None if the table has no such name (or a
    value it needs is missing)."""
    template = MESSAGES.get(name)
    if template is None:
        return None
    try:
        return _FORMATTER.format(template, **values)
    except (KeyError, IndexError, ValueError, TypeError):
        return None


def message_of(exc: BaseException) -> str:
    """The one line shown for ``exc``: a contract's custom error as ``Name: sentence`` from the
    table (its raw values when the table has no sentence), anything else as its text."""
    from tierchain.core.errors import ContractRevert

    if isinstance(exc, ContractRevert) and exc.error_name:
        sentence = explain(exc.error_name, exc.args_by_name)
        if sentence is not None:
            return f"{exc.error_name}: {sentence}"
    return str(exc)
