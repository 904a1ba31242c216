"""The offer book: financiers' signed desk offers, kept where sellers can find them.

An offer is checked on arrival (the desk's domain on this chain, the financier's signature,
the financier role, the deadline, the piece live and matching) and stored by its EIP-712 hash
(``FinancingDesk.hashOffer``) in a small SQLite file. It leaves the book when it is taken,
cancelled, below the financier's nonce floor, expired, or no longer matches its piece (owner,
value, lock): every read re-checks against the index and the desk.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data

from tierchain.audit import index as ix
from tierchain.clients.bundle import Contracts
from tierchain.clients.contracts import ZERO_ADDRESS
from tierchain.clients.desk import Offer, offer_hash, typed_data
from tierchain.core.ids import short_id

_SCHEMA = """
CREATE TABLE IF NOT EXISTS offers (
    hash TEXT PRIMARY KEY, token_id TEXT NOT NULL, financier TEXT NOT NULL,
    typed_data TEXT NOT NULL, signature TEXT NOT NULL, posted_at REAL NOT NULL,
    removed TEXT);
CREATE INDEX IF NOT EXISTS offers_token ON offers (token_id);
"""


@dataclass(frozen=True)
class BookOffer:
    offer: Offer
    signature: bytes
    hash: bytes


class OfferProblemError(Exception):
    """Why an offer is refused or no longer live: a stable code and readable words."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def recover_financier(offer: Offer, chain_id: int, desk: str, signature: bytes) -> str:
    if len(signature) != 65:
        raise OfferProblemError("BadSignature", f"an ECDSA signature has 65 bytes, not {len(signature)}")
    try:
        signable = encode_typed_data(full_message=typed_data(offer, chain_id, desk))
        return str(Account.recover_message(signable, signature=signature))
    except Exception:
        raise OfferProblemError("BadSignature", "the signature is malformed") from None


def problem_with(offer: Offer, piece: ix.PieceRecord | None, now: int) -> OfferProblemError | None:
    """Why the offer cannot be taken against the indexed piece at chain time ``now``."""
    if now > offer.deadline:
        return OfferProblemError("Expired", f"the offer's deadline {offer.deadline} has passed (chain time {now})")
    if piece is None:
        return OfferProblemError("NotFound", f"piece {short_id(offer.token_id)} is not known", 404)
    if piece.burned:
        return OfferProblemError("PieceGone", f"piece {piece.short_id} was merged or settled")
    if piece.locked:
        return OfferProblemError("PieceLocked", f"piece {piece.short_id} is locked under a financing")
    if piece.frozen:
        return OfferProblemError("PieceFrozen", f"piece {piece.short_id} is frozen")
    if piece.value < offer.value:
        return OfferProblemError(
            "OfferExceedsPiece", f"the offer is for {offer.value} cents, piece {piece.short_id} holds {piece.value}"
        )
    if offer.seller != ZERO_ADDRESS and offer.seller != piece.owner:
        return OfferProblemError(
            "SellerMismatch", f"the offer names seller {offer.seller}, the piece is {piece.owner}'s"
        )
    return None


class OfferBook:
    def __init__(self, path: Path, contracts: Contracts, chain_id: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(_SCHEMA)
        self._lock = threading.Lock()
        self.c = contracts
        self.chain_id = chain_id

    def close(self) -> None:
        self._db.close()

    def add(self, offer: Offer, signature: bytes) -> tuple[bytes, bool]:
        digest = offer_hash(offer, self.chain_id, self.c.desk.address)
        doc = json.dumps(typed_data(offer, self.chain_id, self.c.desk.address))
        with self._lock:
            known = self._db.execute("SELECT 1 FROM offers WHERE hash=?", ("0x" + digest.hex(),)).fetchone()
            if known:
                return digest, False
            self._db.execute(
                "INSERT INTO offers VALUES (?,?,?,?,?,strftime('%s','now'),NULL)",
                ("0x" + digest.hex(), str(offer.token_id), offer.financier, doc, "0x" + signature.hex()),
            )
        return digest, True

    def _rows(self, sql: str, params: tuple[Any, ...]) -> list[BookOffer]:
        from tierchain.clients.desk import parse_typed_data

        with self._lock:
            rows = self._db.execute(sql, params).fetchall()
        out = []
        for h, doc, sig in rows:
            offer, _, _ = parse_typed_data(json.loads(doc))
            out.append(BookOffer(offer, bytes.fromhex(sig[2:]), bytes.fromhex(h[2:])))
        return out

    def get(self, digest: str) -> BookOffer | None:
        found = self._rows("SELECT hash, typed_data, signature FROM offers WHERE hash=?", (digest.lower(),))
        return found[0] if found else None

    def on_piece(self, token_id: int) -> list[BookOffer]:
        return self._rows(
            "SELECT hash, typed_data, signature FROM offers WHERE token_id=? AND removed IS NULL ORDER BY posted_at",
            (str(token_id),),
        )

    def all_live(self) -> list[BookOffer]:
        return self._rows("SELECT hash, typed_data, signature FROM offers WHERE removed IS NULL ORDER BY posted_at", ())

    def remove(self, digest: bytes, why: str) -> None:
        with self._lock:
            self._db.execute("UPDATE offers SET removed=? WHERE hash=?", (why, "0x" + digest.hex()))

    def chain_problem(self, entry: BookOffer) -> OfferProblemError | None:
        """What the desk says: taken, cancelled, or below the financier's nonce floor."""
        if self.c.desk.offer_status(entry.hash) == "taken":
            return OfferProblemError("OfferTaken", "the offer was taken")
        if self.c.desk.is_cancelled(entry.offer.financier, entry.hash):
            return OfferProblemError("OfferCancelled", "the financier cancelled the offer")
        if entry.offer.nonce < self.c.desk.nonce_floor_of(entry.offer.financier):
            return OfferProblemError("OfferNonceInvalidated", "the financier invalidated the offer's nonce")
        return None

    def live(self, entries: list[BookOffer], index: ix.Index, now: int) -> list[BookOffer]:
        """The entries still takeable; the others leave the book (with the reason)."""
        out = []
        for entry in entries:
            try:
                piece: ix.PieceRecord | None = ix.piece(index, entry.offer.token_id)
            except ix.NotIndexedError:
                piece = None
            problem = problem_with(entry.offer, piece, now) or self.chain_problem(entry)
            if problem is not None:
                self.remove(entry.hash, problem.code)
                continue
            out.append(entry)
        return out


__all__ = ["BookOffer", "OfferBook", "OfferProblemError", "problem_with", "recover_financier"]
