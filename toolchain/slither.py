"""Run Slither on contracts/ and fail on any high or medium finding that is not triaged.

Usage: `python toolchain/slither.py` (what `make lint` runs). Needs slither-analyzer 0.11.6
(requirements.lock) and the solc-js front in toolchain/solc (never the `solc` on PATH, which
tries to download). Test and demo contracts and node_modules are left out.

Every high or medium finding must be listed in `slither-triage.json` at the project root, as
`{"detector": ..., "location": ..., "why": ...}`: `location` is `Contract.function` (or
`Contract.function.variable` for a local), and `why` says why it is safe. A listed entry that
Slither no longer reports is printed as stale (and fails with `--strict`), so the file stays
true.

Exit codes: 0 clean, 1 untriaged findings (or stale entries with --strict), 2 Slither failed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOLC = ROOT / "toolchain" / "solc" / "solc-v0.8.37"
TRIAGE = ROOT / "slither-triage.json"
REMAPS = (
    "@openzeppelin/contracts=node_modules/@openzeppelin/contracts "
    "@solvprotocol/erc-3525=node_modules/@solvprotocol/erc-3525"
)
GATED = ("High", "Medium")


def run_slither() -> list[dict[str, Any]]:
    """Slither's detector results for contracts/ (JSON output)."""
    with tempfile.TemporaryDirectory(prefix="slither-") as tmp:
        out = Path(tmp) / "slither.json"
        cmd = [
            sys.executable, "-m", "slither", "contracts/",
            "--solc-standard-json", "--solc", str(SOLC), "--solc-remaps", REMAPS,
            "--solc-args", "--optimize --optimize-runs 800 --evm-version shanghai",
            "--filter-paths", "node_modules|contracts/test|contracts/demo",
            "--exclude-informational", "--exclude-low", "--exclude-optimization",
            "--json", str(out),
        ]  # fmt: skip
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
        if not out.is_file():
            sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
            raise SystemExit(2)
        doc = json.loads(out.read_text())
    if not doc.get("success"):
        sys.stderr.write(f"slither failed: {doc.get('error')}\n")
        raise SystemExit(2)
    results: list[dict[str, Any]] = doc.get("results", {}).get("detectors", [])
    return results


def location(finding: dict[str, Any]) -> str:
    """`Contract.function` or `Contract.function.variable` of a finding's first element."""
    element: dict[str, Any] | None = finding["elements"][0]
    names = []
    while element:
        fields = element.get("type_specific_fields", {})
        names.append(fields.get("signature") or element.get("name", "?"))
        element = fields.get("parent")
    return ".".join(reversed(names))


def load_triage() -> list[dict[str, str]]:
    entries: list[dict[str, str]] = json.loads(TRIAGE.read_text()) if TRIAGE.is_file() else []
    for entry in entries:
        missing = {"detector", "location", "why"} - set(entry)
        if missing or not entry.get("why", "").strip():
            raise SystemExit(f"{TRIAGE.name}: entry {entry} lacks {sorted(missing) or ['a reason']}")
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--strict", action="store_true", help="also fail on stale triage entries")
    args = parser.parse_args(argv)
    triage = load_triage()
    known = {(e["detector"], e["location"]) for e in triage}
    findings = [f for f in run_slither() if f.get("impact") in GATED]
    seen: set[tuple[str, str]] = set()
    untriaged = []
    for finding in findings:
        key = (finding["check"], location(finding))
        seen.add(key)
        if key not in known:
            untriaged.append((finding, key))
    stale = sorted(known - seen)
    for finding, (check, where) in untriaged:
        first = finding["description"].strip().splitlines()[0]
        print(f"UNTRIAGED {finding['impact'].lower()} {check} at {where}\n    {first}")
    for check, where in stale:
        print(f"stale triage entry (no longer reported): {check} at {where}")
    print(
        f"slither: {len(findings)} high/medium finding(s), {len(findings) - len(untriaged)} triaged in "
        f"{TRIAGE.name}, {len(untriaged)} untriaged"
    )
    if untriaged or (args.strict and stale):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
