"""Shared plumbing for benches: one result format (shared/BENCH.md), one table printer."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.table import Table

RESULTS = Path(__file__).resolve().parent / "results"

# What the chain benches share: amounts, the token's three transfer shapes, roles.
DAY = 86_400
CENTS = 100
SPLIT = "uint256,address,uint256"  # transferFrom(fromTokenId, to, value): a split
MOVE = "uint256,uint256,uint256"  # transferFrom(fromTokenId, toTokenId, value): a value move
WHOLE = "address,address,uint256"  # transferFrom(from, to, tokenId): a whole-piece transfer
ROLE_CORE, ROLE_SUPPLIER, ROLE_FINANCIER = 2, 4, 8  # Membership role bits (tierchain.core.ids.Role)


def keccak_text(text: str) -> bytes:
    """keccak256 of a text (identity hashes, document hashes in the benches)."""
    from eth_utils import keccak

    return keccak(text=text)


@dataclass
class Result:
    metric: str
    subject: str
    value: float | int
    unit: str


@dataclass
class Report:
    bench: str
    chain: str | None
    results: list[Result] = field(default_factory=list)

    def add(self, metric: str, value: float | int, unit: str, subject: str = "tierchain") -> None:
        self.results.append(Result(metric, subject, value, unit))

    def write(self) -> Path:
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.bench}.json"
        doc = {
            "bench": self.bench,
            "chain": self.chain,
            "commit": _commit(),
            "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "results": [r.__dict__ for r in self.results],
        }
        path.write_text(json.dumps(doc, indent=2) + "\n")
        return path

    def print(self) -> None:
        table = Table(title=escape(f"bench: {self.bench}" + (f"  [{self.chain}]" if self.chain else "")))
        for col in ("metric", "subject", "value", "unit"):
            table.add_column(col, justify="right" if col == "value" else "left")
        for r in self.results:
            shown = f"{r.value:,}" if isinstance(r.value, int) else f"{r.value:,.4f}"
            table.add_row(r.metric, r.subject, shown, r.unit)
        Console().print(table)


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None
