"""Pay many suppliers from one piece: a CSV of (receiver, amount, reference) becomes new pieces
through ``PayableToken.payout``, in chunks sized to the block gas limit, journaled per chunk.

Every row is checked before anything is signed, and the whole file is refused with every bad
row listed (:class:`PayoutRejected`): the header, each receiver (an address, an EIP-55 checksum
if mixed case, a member that may receive pieces), each amount (a positive number with at most 2
decimals: pieces are cents of the currency, whose decimals are at least 2; at least the minimum
piece), each reference (present, not repeated), then the file against the piece (its holder is
the signer, it is live, not locked, frozen or matured, the total fits its value and what remains
is 0 or at least the minimum piece).

The job is a :class:`~tierchain.workflows.journal.Script` whose params hold the piece and the
CSV's SHA-256: running it again with the same id after a crash continues it chunk by chunk
(never a chunk twice); a changed file is refused under the same id. The result (each row's new
piece) is read from the receipts and written as a CSV.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from tierchain.chain.sender import Receipt, Sender, TxRequest
from tierchain.clients.bundle import Contracts
from tierchain.clients.contracts import ZERO_ADDRESS, PieceInfo
from tierchain.core.errors import AmountError, UsageError
from tierchain.core.ids import short_id
from tierchain.core.money import format_cents, parse_cents
from tierchain.workflows.journal import Journal, Script

HEADER: Final = ("receiver", "amount", "reference")
PAYOUT_SIGNATURE: Final = "payout(uint256,address[],uint256[])"
PAYOUT_GAS_PER_RECEIVER: Final = 60_000
"""Gas of one more receiver holding nothing yet (new piece word, new holder word, three events),
with margin; a chunk is sized with it so it always fits."""
PAYOUT_GAS_BASE: Final = 80_000
BLOCK_SHARE: Final = 0.75
MAX_REFERENCE: Final = 200
_ADDRESS_RE: Final = re.compile(r"0x[0-9a-fA-F]{40}", re.ASCII)


@dataclass(frozen=True)
class PayoutRow:
    """A checked row: ``line`` is its line in the file (the header is line 1)."""

    line: int
    receiver: ChecksumAddress
    cents: int
    reference: str


@dataclass(frozen=True)
class RowProblem:
    line: int  # 0: the file as a whole
    problem: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.problem}" if self.line else self.problem


class PayoutRejected(UsageError):  # noqa: N818 (a refusal, named for what it is)
    """The file was refused before anything was signed; ``problems`` lists every bad row."""

    def __init__(self, source: str, problems: Sequence[RowProblem]) -> None:
        self.problems = list(problems)
        shown = "\n".join(f"  {p}" for p in self.problems[:200])
        more = f"\n  ... and {len(self.problems) - 200} more" if len(self.problems) > 200 else ""
        super().__init__(f"{source}: refused, nothing was signed ({len(self.problems)} problem(s)):\n{shown}{more}")


# ---------------------------------------------------------------------------- reading


def check_address(text: str) -> ChecksumAddress:
    """An address: all lower or upper case, or mixed case with a correct EIP-55 checksum."""
    if not _ADDRESS_RE.fullmatch(text):
        raise ValueError(f"{text[:50]!r} is not an address (0x and 40 hex digits)")
    body = text[2:]
    checksummed = to_checksum_address(text)
    if body not in (body.lower(), body.upper()) and checksummed != text:
        raise ValueError(f"{text} has a bad EIP-55 checksum (a mistyped character?)")
    if checksummed == ZERO_ADDRESS:
        raise ValueError("the zero address is not an account")
    return checksummed


def read_rows(text: str) -> tuple[list[PayoutRow], list[RowProblem]]:
    """Parse and check the CSV's form (no chain): rows and every problem found."""
    problems: list[RowProblem] = []
    rows: list[PayoutRow] = []
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None or tuple(h.strip().lower() for h in header) != HEADER:
        return [], [RowProblem(1, f"the header must be {','.join(HEADER)} (found {','.join(header or [])!r})")]
    seen_refs: dict[str, int] = {}
    for line, cells in enumerate(reader, start=2):
        if not cells or all(not c.strip() for c in cells):
            continue
        if len(cells) != 3:
            problems.append(RowProblem(line, f"expected 3 cells (receiver, amount, reference), found {len(cells)}"))
            continue
        receiver_text, amount_text, reference = (c.strip() for c in cells)
        bad: list[str] = []
        receiver: ChecksumAddress | None = None
        try:
            receiver = check_address(receiver_text)
        except ValueError as exc:
            bad.append(f"receiver: {exc}")
        cents = 0
        try:
            cents = int(parse_cents(amount_text, name="amount"))
        except AmountError as exc:
            bad.append(str(exc).replace("this token allows", "payable values (cents) allow"))
        if not reference:
            bad.append("reference: empty (each payment needs its own reference)")
        elif len(reference) > MAX_REFERENCE or not reference.isprintable():
            bad.append(f"reference: at most {MAX_REFERENCE} printable characters")
        elif reference in seen_refs:
            bad.append(f"reference {reference!r} repeats line {seen_refs[reference]} (a duplicate payment?)")
        else:
            seen_refs[reference] = line
        if bad:
            problems.append(RowProblem(line, "; ".join(bad)))
        elif receiver is not None:
            rows.append(PayoutRow(line, receiver, cents, reference))
    if not rows and not problems:
        problems.append(RowProblem(0, "the file has no rows"))
    return rows, problems


def check_against_chain(c: Contracts, piece: PieceInfo, signer: str, rows: Sequence[PayoutRow]) -> list[RowProblem]:
    """The rows against the piece and the members, read from the chain (nothing signed)."""
    problems: list[RowProblem] = []
    minimum = c.token.min_piece_value()
    can_receive = _can_receive_all(c, sorted({r.receiver for r in rows}))
    for row in rows:
        bad = []
        if not can_receive[row.receiver]:
            member = c.membership.member_of(row.receiver)
            why = (
                "not a member" if member.status == "none"
                else "suspended" if member.status == "suspended"
                else "frozen" if member.frozen
                else "its roles cannot hold pieces"
            )  # fmt: skip
            bad.append(f"receiver {row.receiver} cannot receive pieces: {why}")
        if row.cents < minimum:
            bad.append(f"amount {format_cents(row.cents)} is below the minimum piece {format_cents(minimum)}")
        if bad:
            problems.append(RowProblem(row.line, "; ".join(bad)))
    total = sum(r.cents for r in rows)
    if not piece.live:
        problems.append(RowProblem(0, f"piece {short_id(piece.token_id)} does not exist any more"))
    if piece.owner != to_checksum_address(signer):
        problems.append(
            RowProblem(0, f"piece {short_id(piece.token_id)} is held by {piece.owner}, not the signer {signer}")
        )
    if piece.locked or piece.frozen:
        problems.append(RowProblem(0, f"piece {short_id(piece.token_id)} is {'locked' if piece.locked else 'frozen'}"))
    if total > piece.value:
        problems.append(
            RowProblem(
                0, f"the rows total {format_cents(total)}, more than the piece's value {format_cents(piece.value)}"
            )
        )
    elif 0 < piece.value - total < minimum:
        problems.append(
            RowProblem(
                0,
                f"{format_cents(piece.value - total)} would remain in the piece, below the minimum piece "
                f"{format_cents(minimum)} (pay it all out, or leave at least the minimum)",
            )
        )
    now = int(c.token.w3.eth.get_block("latest")["timestamp"])
    if now >= piece.token_id >> 96:
        problems.append(RowProblem(0, f"piece {short_id(piece.token_id)} has matured: pieces no longer move"))
    if c.token.trading_paused():
        problems.append(RowProblem(0, "trading is paused by the operator"))
    return problems


def _can_receive_all(c: Contracts, accounts: Sequence[ChecksumAddress]) -> dict[str, bool]:
    """``Membership.canReceive`` of every account, in JSON-RPC batches of 200 eth_calls (one
    round trip per batch instead of one per row)."""
    batch = getattr(c.membership.w3.provider, "make_batch_request", None)
    if batch is None:
        return {a: c.membership.can_receive(a) for a in accounts}
    result: dict[str, bool] = {}
    for start in range(0, len(accounts), 200):
        chunk = accounts[start : start + 200]
        calls = [
            ("eth_call", [{"to": c.membership.address,
                           "data": "0x" + c.membership.request("canReceive(address)", a).data.hex()}, "latest"])
            for a in chunk
        ]  # fmt: skip
        answers = batch(calls)
        if not isinstance(answers, list) or len(answers) != len(chunk):
            return {a: c.membership.can_receive(a) for a in accounts}
        for account, answer in zip(chunk, answers, strict=True):
            raw = answer.get("result") if isinstance(answer, dict) else None
            result[account] = (
                bool(int(raw, 16)) if isinstance(raw, str) and raw != "0x" else c.membership.can_receive(account)
            )
    return result


def payout_chunk_size(block_gas_limit: int) -> int:
    return max(1, int((block_gas_limit * BLOCK_SHARE - PAYOUT_GAS_BASE) // PAYOUT_GAS_PER_RECEIVER))


# ---------------------------------------------------------------------------- running


@dataclass
class PayoutResult:
    workflow_id: str
    from_token_id: int
    rows: list[PayoutRow]
    new_token_ids: list[int]
    chunks: int
    tx_hashes: list[str]
    result_csv: Path | None = None

    @property
    def cents(self) -> int:
        return sum(r.cents for r in self.rows)


def payout_request(c: Contracts, from_token_id: int, rows: Sequence[PayoutRow]) -> TxRequest:
    return c.token.request(
        PAYOUT_SIGNATURE, from_token_id, [r.receiver for r in rows], [r.cents for r in rows],
        label=f"payout {len(rows)} from {short_id(from_token_id)}",
    )  # fmt: skip


def minted_in_order(c: Contracts, receipt: Receipt) -> list[int]:
    """Token ids minted by a payout, in the order of its receivers (ERC-721 mint Transfers)."""
    minted = [
        int(e.args["tokenId"])
        for e in receipt.events_named("Transfer")
        if e.address == c.token.address and "tokenId" in e.args and e.args.get("from") == ZERO_ADDRESS
    ]
    return sorted(minted)


def default_workflow_id(from_token_id: int, digest: str) -> str:
    return f"payout-{short_id(from_token_id).replace('#', '-')}-{digest[:12]}"


def payout(
    c: Contracts,
    by: Sender,
    from_token_id: int,
    csv_text: str,
    *,
    source: str = "payouts.csv",
    workflow_id: str | None = None,
    journal: Journal | None = None,
    chunk_size: int | None = None,
    result_csv: Path | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> PayoutResult:
    """Check every row, then pay them out of ``from_token_id`` in journaled chunks signed by
    ``by`` (the piece's holder); write ``result_csv`` (each row with its new piece)."""
    w3 = c.token.w3
    digest = hashlib.sha256(csv_text.encode()).hexdigest()
    wid = workflow_id or default_workflow_id(from_token_id, digest)
    journal = journal or Journal()
    rows, problems = read_rows(csv_text)
    record = journal.find(wid)
    started = record is not None and any(s.tx_hash for s in journal.steps(wid))
    if not started and rows:  # once anything is sent the piece has changed: the checks were made then
        problems += check_against_chain(c, c.token.piece_of(from_token_id), by.address, rows)
    if problems:
        raise PayoutRejected(source, sorted(problems, key=lambda p: p.line))
    params = {"from_token_id": str(from_token_id), "csv_sha256": digest, "by": by.address, "token": c.token.address}
    script = Script.open(wid, w3, journal=journal, kind="payout", params=params)
    with script:
        size = int(
            script.remember(
                "chunk-size", lambda: chunk_size or payout_chunk_size(int(w3.eth.get_block("latest")["gasLimit"]))
            )
        )
        chunks = [rows[i : i + size] for i in range(0, len(rows), size)]
        new_ids: list[int] = []
        hashes: list[str] = []
        if on_chunk is not None:
            on_chunk(0, len(chunks))
        for n, chunk in enumerate(chunks):

            def build(chunk: list[PayoutRow] = chunk) -> TxRequest:
                return payout_request(c, from_token_id, chunk)

            def output(receipt: Receipt, count: int = len(chunk)) -> dict[str, Any]:
                ids = minted_in_order(c, receipt)
                if len(ids) != count:
                    raise UsageError(f"the payout minted {len(ids)} pieces for {count} rows ({receipt.tx_hash})")
                return {"first": str(ids[0]), "count": count, "tx": receipt.tx_hash}

            out = script.send(f"chunk-{n}", by, build, output=output, inputs={"rows": len(chunk)})
            first = int(out["first"])
            new_ids += [first + i for i in range(int(out["count"]))]
            hashes += [str(out["tx"])] * int(out["count"])
            if on_chunk is not None:
                on_chunk(n + 1, len(chunks))
    result = PayoutResult(wid, from_token_id, rows, new_ids, len(chunks), hashes)
    if result_csv is not None:
        write_result_csv(result, result_csv)
        result.result_csv = result_csv
    return result


def write_result_csv(result: PayoutResult, path: Path) -> None:
    """receiver, amount, reference, piece (P3#7), token_id, tx_hash per row (written whole, then
    renamed: a reader never sees half a file)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*HEADER, "piece", "token_id", "tx_hash"])
    for row, token_id, tx in zip(result.rows, result.new_token_ids, result.tx_hashes, strict=True):
        writer.writerow([row.receiver, format_cents(row.cents, grouping=False), row.reference, short_id(token_id),
                         str(token_id), tx])  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(buf.getvalue())
    tmp.replace(path)


__all__ = [
    "PayoutRejected", "PayoutResult", "PayoutRow", "RowProblem", "check_against_chain", "payout",
    "payout_chunk_size", "read_rows", "write_result_csv",
]  # fmt: skip
