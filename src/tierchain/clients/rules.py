"""The rules checked before signing, in one place for the CLI, the journal, the demo and the
HTTP service.

A transaction that would fail should fail here, with a sentence and the values, before a
password is asked for and before anything is signed: member, roles, piece owner, value,
minimum piece, locked/frozen, maturity, paused trading. Every check raises a :class:`RuleError`
named after the rule (its sentence comes from :data:`tierchain.core.messages.MESSAGES`).

The checks read what they need in ONE JSON-RPC batch (:func:`read`): payables, pieces, members,
the latest block and the signer's pending nonce; the caller hands the block and the nonce to its
:class:`~tierchain.chain.sender.Sender` (:meth:`View.prime`), so a split costs the chain id, the
deployment check, this batch, a gas estimate and the broadcast (one more batch when a piece is
named ``P3#2``: its token id needs the payable's maturity).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from tierchain.chain.rpc import RpcFailure
from tierchain.chain.rpc import batch as rpc_batch
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.clients.contracts import ZERO_ADDRESS, MemberInfo, PayableClient, PayableInfo, PieceInfo
from tierchain.core.errors import ContractRevert, UsageError
from tierchain.core.ids import Role, make_token_id, short_id, split_token_id
from tierchain.core.messages import explain, format_instant
from tierchain.core.money import cents_to_units, format_cents

HOLDER_ROLES: Final = Role.SUPPLIER | Role.FINANCIER | Role.GUARANTOR


# ---------------------------------------------------------------------------- errors


class RuleError(UsageError):
    """A rule a request breaks, found before signing. ``rule`` names it (a key of
    :data:`~tierchain.core.messages.MESSAGES`), ``values`` carries the offending values."""

    def __init__(self, rule: str, **values: Any) -> None:
        self.rule = rule
        self.values = values
        super().__init__(explain(rule, values) or f"{rule}: {values}")


class InputError(RuleError):
    """A malformed input: an address, a piece name, a payable number."""


class PieceError(RuleError):
    """A piece or payable name that names nothing: malformed (``P3#x``), or a payable or piece
    that does not exist (never minted, merged or settled). One exit code for a bad piece in
    every command: 20."""

    exit_code = 20


NotFoundError = PieceError
"""The former name of :class:`PieceError`."""


class NotAllowedError(RuleError):
    """The request is well formed but the chain's state refuses it (owner, roles, locked,
    frozen, matured, paused, value)."""


# ---------------------------------------------------------------------------- names

_ADDRESS_RE: Final = re.compile(r"0x[0-9a-fA-F]{40}", re.ASCII)
_PIECE_RE: Final = re.compile(r"P?([0-9]{1,20})#([0-9]{1,10})", re.ASCII | re.IGNORECASE)
_UINT_RE: Final = re.compile(r"[0-9]{1,78}", re.ASCII)
_HEX_RE: Final = re.compile(r"0x[0-9a-fA-F]{1,64}", re.ASCII)


def parse_address(text: object, name: str = "address") -> ChecksumAddress:
    """A 0x address: all lower/upper case, or mixed case with a correct EIP-55 checksum. A
    mixed-case address with a wrong checksum is refused (a typo, never silently re-checksummed)."""
    if not isinstance(text, str) or not _ADDRESS_RE.fullmatch(text):
        raise InputError("BadAddress", name=name, text=str(text)[:50])
    body = text[2:]
    checksummed = to_checksum_address(text)
    if body not in (body.lower(), body.upper()) and checksummed != text:
        raise InputError("BadChecksum", name=name, text=text)
    if checksummed == ZERO_ADDRESS:
        raise InputError("ZeroAddress", name=name)
    return checksummed


def parse_payable_number(text: object, name: str = "payable") -> int:
    """``3`` or ``P3``."""
    t = text.strip().upper().removeprefix("P") if isinstance(text, str) else str(text)
    if not _UINT_RE.fullmatch(t) or int(t) == 0 or int(t) >= 2**64:
        raise PieceError("BadPayableName", name=name, text=str(text)[:40])
    return int(t)


@dataclass(frozen=True)
class PieceRef:
    """A piece as the user named it: ``P3#2`` (payable and index; the token id needs the
    payable's maturity) or a token id (payable and index are in it)."""

    text: str
    payable_id: int
    index: int
    token_id: int | None = None


def parse_piece(text: object, name: str = "piece") -> PieceRef:
    """THE piece-name parser: ``P3#2``, ``3#2``, a decimal token id or 0x hex."""
    t = text.strip() if isinstance(text, str) else ""
    short = _PIECE_RE.fullmatch(t)
    if short:
        payable_id, index = int(short.group(1)), int(short.group(2))
        if 0 < payable_id < 2**64 and 0 < index < 2**32:
            return PieceRef(t, payable_id, index)
    token_id: int | None = None
    if _UINT_RE.fullmatch(t):
        token_id = int(t)
    elif _HEX_RE.fullmatch(t):
        token_id = int(t, 16)
    if token_id is not None and 0 < token_id < 2**256:
        parts = split_token_id(token_id)
        if parts.payable_id and parts.index:
            return PieceRef(t, parts.payable_id, parts.index, token_id)
        raise NotFoundError("UnknownPiece", name=name, shown=str(token_id))  # no payable in it
    raise PieceError("BadPieceName", name=name, text=str(text)[:80])


# ---------------------------------------------------------------------------- one batch of reads


@dataclass
class View:
    """What the checks read, at one block."""

    contracts: Contracts
    block: Mapping[str, Any]
    nonce: int | None
    paused: bool
    min_piece: int
    max_tenor: int
    payables: dict[int, PayableInfo] = field(default_factory=dict)
    pieces: dict[str, PieceInfo] = field(default_factory=dict)  # by PieceRef.text
    members: dict[ChecksumAddress, MemberInfo] = field(default_factory=dict)
    balance: int | None = None  # the signer's ether, for the sender's funds check

    @property
    def now(self) -> int:
        return int(self.block["timestamp"])

    def piece(self, ref: PieceRef) -> PieceInfo:
        return self.pieces[ref.text]

    def prime(self, sender: Sender) -> Sender:
        """Hand the block, the nonce and the balance read here to ``sender`` (saves three round
        trips)."""
        mine = sender.address == self._signer
        sender.prime(
            latest_block=self.block,
            nonce=self.nonce if mine else None,
            balance=self.balance if mine else None,
        )
        return sender

    _signer: ChecksumAddress | None = None


def _block(raw: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in ("number", "timestamp", "gasLimit", "baseFeePerGas"):
        value = raw.get(key)
        if value is not None:
            out[key] = int(value, 16) if isinstance(value, str) else int(value)
    return out


def read(
    c: Contracts,
    *,
    pieces: Sequence[tuple[PieceRef, str]] = (),
    payable_ids: Iterable[int] = (),
    members: Iterable[str] = (),
    signer: str | None = None,
) -> View:
    """Read, in one JSON-RPC batch (two when a piece is named ``P3#2``): the latest block, the
    signer's pending nonce, the token's paused flag, minimum piece value and longest tenor, the
    named payables, pieces and members. ``pieces`` pairs each reference with its name in messages.
    Unknown payables and pieces raise :class:`NotFoundError`."""
    token = c.token
    w3 = token.w3
    wanted_payables = sorted({*payable_ids, *(ref.payable_id for ref, _ in pieces)})
    member_list = list(dict.fromkeys(to_checksum_address(m) for m in members))
    signer_address = to_checksum_address(signer) if signer else None
    calls: list[tuple[str, list[Any]]] = [
        ("eth_getBlockByNumber", ["latest", False]),
        token.view_call("tradingPaused()"),
        token.view_call("minPieceValue()"),
        token.view_call("maxTenor()"),
    ]
    if signer_address is not None:
        calls.append(("eth_getTransactionCount", [signer_address, "pending"]))
        calls.append(("eth_getBalance", [signer_address, "latest"]))
    calls += [token.view_call("payableOf(uint256)", p) for p in wanted_payables]
    known = [(ref, name) for ref, name in pieces if ref.token_id is not None]
    calls += [token.view_call("pieceOf(uint256)", ref.token_id) for ref, _ in known]
    calls += [c.membership.view_call("memberOf(address)", m) for m in member_list]
    answers = iter(rpc_batch(w3, calls))

    raw_block = next(answers)
    if not isinstance(raw_block, Mapping):
        raise UsageError(f"the node did not return the latest block: {raw_block!r}"[:200])
    view = View(
        contracts=c,
        block=_block(raw_block),
        nonce=None,
        paused=bool(token.view_result("tradingPaused()", next(answers))),
        min_piece=int(token.view_result("minPieceValue()", next(answers))),
        max_tenor=int(token.view_result("maxTenor()", next(answers))),
    )
    view._signer = signer_address
    if signer_address is not None:
        raw_nonce = next(answers)
        view.nonce = int(raw_nonce, 16) if isinstance(raw_nonce, str) else None
        raw_balance = next(answers)
        view.balance = int(raw_balance, 16) if isinstance(raw_balance, str) else None
    count: int | None = None
    for payable_id in wanted_payables:
        answer = next(answers)
        info = _payable_or_none(token, payable_id, answer)
        if info is None:
            count = token.payable_count() if count is None else count
            raise NotFoundError("UnknownPayable", payableId=payable_id, count=count)
        view.payables[payable_id] = info
    for ref, name in known:
        assert ref.token_id is not None
        view.pieces[ref.text] = _live_piece(token, ref, ref.token_id, next(answers), name)
    for m in member_list:
        view.members[m] = c.membership.member_info(m, c.membership.view_result("memberOf(address)", next(answers)))

    # pieces named P3#2: their token ids need the payable's maturity (one more batch)
    later: list[tuple[PieceRef, str, int]] = []
    for ref, name in pieces:
        if ref.token_id is not None:
            continue
        payable = view.payables[ref.payable_id]
        if not 1 <= ref.index <= payable.piece_count:
            raise NotFoundError(
                "NoSuchPieceIndex", name=name, payableId=ref.payable_id,
                pieceCount=payable.piece_count, index=ref.index,
            )  # fmt: skip
        later.append((ref, name, make_token_id(payable.maturity_at, ref.payable_id, ref.index)))
    if later:
        more = rpc_batch(w3, [token.view_call("pieceOf(uint256)", tid) for _, _, tid in later])
        for (ref, name, tid), answer in zip(later, more, strict=True):
            view.pieces[ref.text] = _live_piece(token, ref, tid, answer, name)
    return view


def _payable_or_none(token: PayableClient, payable_id: int, answer: Any) -> PayableInfo | None:
    try:
        info = token.payable_info(payable_id, token.view_result("payableOf(uint256)", answer))
    except ContractRevert:
        return None
    return None if info.status == "none" else info


def _live_piece(token: PayableClient, ref: PieceRef, token_id: int, answer: Any, name: str) -> PieceInfo:
    piece: PieceInfo | None
    try:
        piece = token.piece_info(token_id, token.view_result("pieceOf(uint256)", answer))
    except ContractRevert:
        piece = None
    if isinstance(answer, RpcFailure) or piece is None or not piece.live or piece.payable_id != ref.payable_id:
        shown = short_id(token_id) if token_id >> 96 else str(token_id)
        raise NotFoundError("UnknownPiece", name=name, shown=shown)
    return piece


# ---------------------------------------------------------------------------- the checks


def why_cannot_receive(member: MemberInfo) -> str | None:
    """None if ``member`` may hold pieces, else the reason in words."""
    if member.status == "none":
        return "not a member"
    if member.status == "suspended":
        return "suspended"
    if member.frozen:
        return "frozen"
    if not member.roles & HOLDER_ROLES:
        return f"roles {member.roles!r} cannot hold pieces (supplier, financier, guarantor)"
    return None


def check_receiver(view: View, account: str, name: str = "receiver") -> None:
    address = to_checksum_address(account)
    member = view.members.get(address) or view.contracts.membership.member_of(address)
    why = why_cannot_receive(member)
    if why is not None:
        raise NotAllowedError("CannotReceive", name=name, account=address, why=why)


def check_tradable(view: View, payable: PayableInfo) -> None:
    if view.paused:
        raise NotAllowedError("TradingPaused")
    if view.now >= payable.maturity_at:
        raise NotAllowedError("Matured", payableId=payable.payable_id, maturityAt=payable.maturity_at)


def check_movable(view: View, piece: PieceInfo, signer: str) -> None:
    """``signer`` owns ``piece`` and it may move now."""
    if piece.owner != signer:
        raise NotAllowedError("NotPieceOwner", tokenId=piece.token_id, owner=piece.owner, signer=signer)
    if piece.frozen:
        raise NotAllowedError("PieceFrozen", tokenId=piece.token_id)
    if piece.locked:
        raise NotAllowedError("PieceLocked", tokenId=piece.token_id)
    payable = view.payables[piece.payable_id]
    if payable.status != "accepted":
        raise NotAllowedError("NotAccepted", payableId=piece.payable_id)
    check_tradable(view, payable)


def check_amount(view: View, piece: PieceInfo, value: int, name: str = "--amount") -> int:
    """``value`` cents may leave ``piece``: at most its value, at least the minimum, and what
    stays is zero or at least the minimum."""
    if value > piece.value:
        raise NotAllowedError("AmountAbovePiece", name=name, value=value, tokenId=piece.token_id, balance=piece.value)
    if value < view.min_piece:
        raise NotAllowedError("AmountBelowMinimum", name=name, value=value, minimum=view.min_piece)
    rest = piece.value - value
    if 0 < rest < view.min_piece:
        raise NotAllowedError("RestBelowMinimum", tokenId=piece.token_id, rest=rest, minimum=view.min_piece)
    return value


def check_split(c: Contracts, signer: str, piece: PieceRef, to: str, value: int) -> View:
    """A split of ``value`` cents off ``piece`` to ``to`` by ``signer``; returns the view
    (``view.piece(piece)`` is the piece)."""
    view = read(c, pieces=[(piece, "piece")], members=[to], signer=signer)
    p = view.piece(piece)
    check_amount(view, p, value)
    check_movable(view, p, signer)
    check_receiver(view, to, "--to")
    return view


def check_transfer(c: Contracts, signer: str, piece: PieceRef, to: str) -> View:
    view = read(c, pieces=[(piece, "piece")], members=[to], signer=signer)
    p = view.piece(piece)
    check_movable(view, p, signer)
    if to_checksum_address(to) == p.owner:
        raise NotAllowedError("AlreadyOwner", tokenId=p.token_id, owner=p.owner)
    check_receiver(view, to, "--to")
    return view


def check_move(c: Contracts, signer: str, src: PieceRef, dst: PieceRef, value: int) -> View:
    view = read(c, pieces=[(src, "from piece"), (dst, "to piece")], signer=signer)
    a, b = view.piece(src), view.piece(dst)
    if a.token_id == b.token_id:
        raise InputError("SamePiece")
    if a.payable_id != b.payable_id:
        raise NotAllowedError("DifferentPayables", fromTokenId=a.token_id, toTokenId=b.token_id)
    check_amount(view, a, value)
    check_movable(view, a, signer)
    if b.frozen:
        raise NotAllowedError("PieceFrozen", tokenId=b.token_id)
    if b.locked:
        raise NotAllowedError("PieceLocked", tokenId=b.token_id)
    check_receiver(view, b.owner, "the owner of the target piece")
    return view


def check_merge(c: Contracts, signer: str, src: PieceRef, dst: PieceRef) -> View:
    view = read(c, pieces=[(src, "from piece"), (dst, "to piece")], signer=signer)
    a, b = view.piece(src), view.piece(dst)
    if a.token_id == b.token_id:
        raise InputError("SamePiece")
    if a.payable_id != b.payable_id:
        raise NotAllowedError("DifferentPayables", fromTokenId=a.token_id, toTokenId=b.token_id)
    if a.owner != b.owner:
        raise NotAllowedError(
            "NotSameOwner", fromTokenId=a.token_id, fromOwner=a.owner, toTokenId=b.token_id, toOwner=b.owner
        )
    check_movable(view, a, signer)
    for p in (b,):
        if p.frozen:
            raise NotAllowedError("PieceFrozen", tokenId=p.token_id)
        if p.locked:
            raise NotAllowedError("PieceLocked", tokenId=p.token_id)
    return view


def check_accept(c: Contracts, signer: str, payable_id: int) -> View:
    view = read(c, payable_ids=[payable_id], signer=signer)
    info = view.payables[payable_id]
    if info.status != "issued":
        raise NotAllowedError("AlreadyStatus", payableId=payable_id, status=info.status)
    if info.first_creditor != signer:
        raise NotAllowedError("NotFirstCreditor", payableId=payable_id, creditor=info.first_creditor, signer=signer)
    check_tradable(view, info)
    return view


def check_issue(c: Contracts, signer: str, *, to: str, value: int, maturity_at: int, root: bytes) -> View:
    """An issue of ``value`` cents due ``maturity_at`` on package ``root`` by ``signer`` (the
    debtor) to ``to`` (the package's seller)."""
    view = read(c, members=[signer, to], signer=signer)
    who = view.members[to_checksum_address(signer)]
    if who.status != "active" or who.frozen or not who.roles & Role.CORE_ENTERPRISE:
        raise NotAllowedError("NotCoreEnterprise", signer=signer)
    record = c.registry.package_of(root)
    if record.status == "none":
        raise NotAllowedError("PackageNotRegistered", root=root)
    if record.status == "voided":
        raise NotAllowedError("PackageVoided", root=root)
    if record.debtor != signer:
        raise NotAllowedError("PackageWrongDebtor", root=root, debtor=record.debtor)
    if record.seller != to_checksum_address(to):
        raise NotAllowedError("PackageWrongSeller", seller=record.seller)
    left = record.total_cents - record.issued_cents
    if value > left:
        raise NotAllowedError("PackageExhausted", name="--amount", value=value, left=left, total=record.total_cents)
    if value < view.min_piece:
        raise NotAllowedError("AmountBelowMinimum", name="--amount", value=value, minimum=view.min_piece)
    if maturity_at <= view.now:
        raise NotAllowedError("MaturityNotFuture", maturityAt=maturity_at, now=view.now)
    if maturity_at > view.now + view.max_tenor:
        raise NotAllowedError("TenorTooLong", latest=view.now + view.max_tenor)
    if view.paused:
        raise NotAllowedError("TradingPaused")
    check_receiver(view, to, "--to")
    return view


# ---------------------------------------------------------------------------- plain words


def describe_accept(payable: PayableInfo) -> str:
    """What an AcceptPayable commits its signer to, in words (amount, debtor, maturity)."""
    return (
        f"accept payable {payable.payable_id}: {format_cents(payable.face_value)} owed by {payable.debtor}, "
        f"due {format_instant(payable.maturity_at)}, to {payable.first_creditor}"
    )


def describe_split(view: View, piece: PieceInfo, to: str, value: int) -> str:
    payable = view.payables[piece.payable_id]
    return (
        f"split {format_cents(value)} off piece {short_id(piece.token_id)} ({format_cents(piece.value)} of payable "
        f"{piece.payable_id}, owed by {payable.debtor}, due {format_instant(payable.maturity_at)}) into a new piece "
        f"for {to}"
    )


def describe_move(view: View, src: PieceInfo, dst: PieceInfo, value: int) -> str:
    payable = view.payables[src.payable_id]
    return (
        f"move {format_cents(value)} from piece {short_id(src.token_id)} into piece {short_id(dst.token_id)} "
        f"(held by {dst.owner}) of payable {src.payable_id}, owed by {payable.debtor}, due "
        f"{format_instant(payable.maturity_at)}"
    )


def describe_transfer(view: View, piece: PieceInfo, to: str) -> str:
    payable = view.payables[piece.payable_id]
    return (
        f"transfer the whole piece {short_id(piece.token_id)} ({format_cents(piece.value)} of payable "
        f"{piece.payable_id}, owed by {payable.debtor}, due {format_instant(payable.maturity_at)}) to {to}"
    )


# ---------------------------------------------------------------------------- settlement


def check_funds(c: Contracts, payer: str, cents: int, decimals: int) -> None:
    """``payer`` holds ``cents`` (in a currency of ``decimals``) and approved the Settlement
    contract for them (one batch: balance and allowance)."""
    unit = int(cents_to_units(1, decimals))
    units = cents * unit
    who = to_checksum_address(payer)
    balance_raw, allowance_raw = rpc_batch(
        c.currency.w3,
        [c.currency.view_call("balanceOf(address)", who),
         c.currency.view_call("allowance(address,address)", who, c.settlement.address)],
    )  # fmt: skip
    balance = int(c.currency.view_result("balanceOf(address)", balance_raw))
    if balance < units:
        raise NotAllowedError("InsufficientFunds", payer=who, balance=balance // unit, cents=cents)
    allowance = int(c.currency.view_result("allowance(address,address)", allowance_raw))
    if allowance < units:
        raise NotAllowedError("InsufficientApproval", payer=who, allowance=allowance // unit, cents=cents)


def check_claim(c: Contracts, holder: str, piece: PieceRef) -> tuple[View, int]:
    """A claim at settlement of what ``piece`` is owed now, by ``holder``; returns the view and
    the cents claimable."""
    view = read(c, pieces=[(piece, "piece")], signer=holder)
    p = view.piece(piece)
    info = view.payables[p.payable_id]
    if view.now < info.maturity_at:
        raise NotAllowedError("ClaimBeforeMaturity", payableId=info.payable_id, maturityAt=info.maturity_at)
    if p.owner != to_checksum_address(holder):
        raise NotAllowedError("NotHolder", tokenId=p.token_id, owner=p.owner, holder=holder)
    if p.frozen:
        raise NotAllowedError("PieceFrozen", tokenId=p.token_id)
    if c.settlement.paused():
        raise NotAllowedError("SettlementPaused")
    owed = c.settlement.owed_of(p.token_id)
    if owed == 0:
        raise NotAllowedError("NothingToClaim", tokenId=p.token_id)
    return view, owed
