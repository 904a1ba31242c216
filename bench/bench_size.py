"""Deployed runtime bytecode size of every tierchain contract (EIP-170 allows 24,576 bytes;
the project's own limit for PayableToken is 21,000, so the next function fits).

Run: `python -m bench.bench_size` (make bench), after `brownie compile` / `make compile`. No chain:
it reads `deployedBytecode` from brownie's build artifacts (build/contracts/*.json), so the figure
is exactly what a deployment puts on chain. Exits 1 if PayableToken is over its limit or any
contract over EIP-170.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.common import Report

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "contracts"
CONTRACTS = ROOT / "contracts"
EIP170 = 24_576
LIMITS = {"PayableToken": 21_000}


def shipped_contracts() -> list[str]:
    """The deployable contracts of the system (contracts/*.sol and contracts/demo), not tests."""
    names = [p.stem for p in sorted(CONTRACTS.glob("*.sol"))]
    names += [p.stem for p in sorted((CONTRACTS / "demo").glob("*.sol"))]
    return names


def runtime_size(name: str) -> int:
    path = BUILD / f"{name}.json"
    if not path.is_file():
        raise SystemExit(f"{path} missing: run `brownie compile` (make compile) first")
    code = json.loads(path.read_text())["deployedBytecode"]
    code = code[2:] if code.startswith("0x") else code
    return len(code) // 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)
    report = Report("size", None)
    over: list[str] = []
    for name in shipped_contracts():
        size = runtime_size(name)
        report.add(f"size.contract:name={name}", size, "bytes")
        limit = LIMITS.get(name, EIP170)
        if size > limit:
            over.append(f"{name} is {size:,} bytes, over its limit of {limit:,}")
    report.print()
    print(f"written: {report.write()}")
    for line in over:
        print(line, file=sys.stderr)
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
