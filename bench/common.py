"""Shared plumbing for benches: one result format (shared/BENCH.md), one table printer."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tierchain.chain.local import dev_accounts
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import Role
from tierchain.workflows.deploy import deploy_all

T = TypeVar("T")
RESULTS = Path(__file__).resolve().parent / "results"

# What the chain benches share: amounts, the token's three transfer shapes, roles.
DAY = 86_400
CENTS = 100
SPLIT = "uint256,address,uint256"  # transferFrom(fromTokenId, to, value): a split
MOVE = "uint256,uint256,uint256"  # transferFrom(fromTokenId, toTokenId, value): a value move
WHOLE = "address,address,uint256"  # transferFrom(from, to, tokenId): a whole-piece transfer
ROLE_CORE, ROLE_SUPPLIER, ROLE_FINANCIER = int(Role.CORE_ENTERPRISE), int(Role.SUPPLIER), int(Role.FINANCIER)


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
        """Write bench/results/<bench>.json. In quick mode the figures this run did not measure
        (the full-only sizes) are carried over from the previous file, each marked with the
        run it came from (``from_run``), so a quick run never erases a full run's figures."""
        RESULTS.mkdir(parents=True, exist_ok=True)
        path = RESULTS / f"{self.bench}.json"
        results: list[dict[str, Any]] = [r.__dict__ for r in self.results]
        if not full_mode():
            results += _carried(path, {(r.metric, r.subject) for r in self.results})
        doc = {
            "bench": self.bench,
            "chain": self.chain,
            "commit": _commit(),
            "when": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "mode": "full" if full_mode() else "quick",
            "load_average": [round(x, 2) for x in os.getloadavg()],  # 1, 5, 15 min, when written
            "results": results,
        }
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(doc, indent=2) + "\n")
        tmp.replace(path)
        return path

    def print(self) -> None:
        table = Table(title=escape(f"bench: {self.bench}" + (f"  [{self.chain}]" if self.chain else "")))
        for col in ("metric", "subject", "value", "unit"):
            table.add_column(col, justify="right" if col == "value" else "left")
        for r in self.results:
            shown = f"{r.value:,}" if isinstance(r.value, int) else f"{r.value:,.4f}"
            table.add_row(r.metric, r.subject, shown, r.unit)
        Console().print(table)


def full_mode() -> bool:
    """``make bench-full`` (``TIERCHAIN_BENCH_FULL=1``) adds the large sizes (1,000,000 invoices,
    10,000 pieces, ...); ``make bench`` runs the quick sizes only."""
    return os.environ.get("TIERCHAIN_BENCH_FULL", "") == "1"


def pick(quick: T, full: T) -> T:
    """``full`` in full mode, ``quick`` otherwise."""
    return full if full_mode() else quick


def _carried(path: Path, measured: set[tuple[str, str]]) -> list[dict[str, Any]]:
    try:
        old = json.loads(path.read_text())
    except (OSError, ValueError):
        return []
    source = f"{old.get('when')} {old.get('commit')}"
    out = []
    for r in old.get("results", []):
        if (r.get("metric"), r.get("subject")) in measured:
            continue
        out.append({**r, "from_run": r.get("from_run", source)})
    return out


def _commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def deploy_with_core_and_tier1(w3: Any) -> tuple[Contracts, Sender, Sender, Sender, Sender]:
    """A fresh deployment (not recorded) on a dev chain, dev keys 0..3 as admin, operator, core
    enterprise and tier-1 supplier, the last three admitted. Returns (contracts, admin,
    operator, core, tier1)."""
    keys = dev_accounts()
    admin, operator, core, tier1 = (Sender(w3, keys[i]) for i in range(4))
    c = Contracts.at(w3, deploy_all(w3, admin, operator.address, record=False))
    c.membership.admit(admin, operator.address, Role.OPERATOR, os.urandom(32))
    c.membership.admit_many(
        operator,
        [(core.address, Role.CORE_ENTERPRISE, os.urandom(32)), (tier1.address, Role.SUPPLIER, os.urandom(32))],
    )
    return c, admin, operator, core, tier1


def local_chain_label(w3: Any, port: int) -> str:
    """``anvil 1.7.1 (shanghai) [port 9637]`` for a Report's chain field."""
    client = w3.client_version.split("/")
    return f"{client[0].lower()} {client[1].lstrip('v')} (shanghai) [port {port}]"
