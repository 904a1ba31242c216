"""Claim every claimable piece of a payable in chunks of ``claimMany``, journaled.

The list of pieces is taken once, on the first run, and remembered in the journal; each chunk is
one step (``claim-0``, ``claim-1``, ...). Killed anywhere, running it again with the same id
claims what is left, never a chunk twice. A piece the contract cannot pay now (frozen, its holder
refused by the currency, nothing due) is reported as skipped, with its decoded reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Final

from tierchain.chain.sender import Receipt, Sender, TxRequest
from tierchain.clients.bundle import Contracts
from tierchain.clients.settlement import ClaimManyResult
from tierchain.core.errors import UsageError
from tierchain.core.ids import short_id
from tierchain.workflows.journal import Journal, Script

CLAIM_GAS_PER_PIECE: Final = 55_000
"""Gas of one more piece in claimMany for a first-time holder (bench: 51,385), with margin."""
CLAIM_GAS_BASE: Final = 60_000
BLOCK_SHARE: Final = 0.75
"""Part of the block gas limit one chunk may use (room for other transactions)."""


def claim_chunk_size(block_gas_limit: int) -> int:
    """How many pieces fit one claimMany under ``BLOCK_SHARE`` of the block gas limit."""
    return max(1, int((block_gas_limit * BLOCK_SHARE - CLAIM_GAS_BASE) // CLAIM_GAS_PER_PIECE))


@dataclass
class ClaimAllResult:
    """What a claim-all paid and skipped (over all its chunks)."""

    workflow_id: str
    payable_id: int
    pieces: list[int]
    chunks: int
    paid: list[dict[str, Any]] = field(default_factory=list)  # token_id, piece, holder, cents, settled, tx
    skipped: list[dict[str, Any]] = field(default_factory=list)  # token_id, piece, reason, tx

    @property
    def cents(self) -> int:
        return sum(int(p["cents"]) for p in self.paid)


def claimable_pieces(c: Contracts, payable_id: int) -> list[int]:
    """Live pieces of the payable that are owed something now (token ids, in index order)."""
    return [
        p.token_id for p in c.token.pieces_of_payable(payable_id) if p.live and c.settlement.owed_of(p.token_id) > 0
    ]


def claim_all(
    c: Contracts,
    by: Sender,
    payable_id: int,
    *,
    workflow_id: str | None = None,
    journal: Journal | None = None,
    chunk_size: int | None = None,
    on_chunk: Callable[[int, int], None] | None = None,
) -> ClaimAllResult:
    """Pay every claimable piece of ``payable_id`` to its holder, in journaled chunks signed by
    ``by`` (anyone: typically the operator). ``on_chunk(done, total)`` reports progress."""
    w3 = c.token.w3
    wid = workflow_id or f"claim-all-P{payable_id}"
    params = {"payable_id": payable_id, "by": by.address, "settlement": c.settlement.address}
    script = Script.open(wid, w3, journal=journal, kind="claim-all", params=params)
    with script:
        status = c.settlement.status_of(payable_id)
        if not script.resumed and not status.open:
            raise UsageError(f"payable {payable_id} is not open in settlement: nothing was paid in")
        pieces = [int(t) for t in script.remember("pieces", lambda: [str(t) for t in claimable_pieces(c, payable_id)])]
        size = int(
            script.remember(
                "chunk-size", lambda: chunk_size or claim_chunk_size(int(w3.eth.get_block("latest")["gasLimit"]))
            )
        )
        chunks = [pieces[i : i + size] for i in range(0, len(pieces), size)]
        result = ClaimAllResult(wid, payable_id, pieces, len(chunks))
        if on_chunk is not None:
            on_chunk(0, len(chunks))
        for n, chunk in enumerate(chunks):

            def build(chunk: list[int] = chunk) -> TxRequest:
                return c.settlement.claim_many_request(chunk)

            out = script.send(f"claim-{n}", by, build, output=_chunk_output)
            result.paid += out["paid"]
            result.skipped += out["skipped"]
            if on_chunk is not None:
                on_chunk(n + 1, len(chunks))
    return result


def _chunk_output(receipt: Receipt) -> dict[str, Any]:
    r = ClaimManyResult.of(receipt)
    return {
        "paid": [
            {"token_id": str(p.token_id), "piece": short_id(p.token_id), "holder": p.holder, "cents": p.cents,
             "settled": p.settled, "tx": receipt.tx_hash}
            for p in r.paid
        ],
        "skipped": [
            {"token_id": str(s.token_id), "piece": short_id(s.token_id), "reason": s.why,
             "detail": str(s.reason), "tx": receipt.tx_hash}
            for s in r.skipped
        ],
    }  # fmt: skip


__all__ = ["ClaimAllResult", "claim_all", "claim_chunk_size", "claimable_pieces"]
