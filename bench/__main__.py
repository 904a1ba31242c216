"""Run every benchmark: `python -m bench` (what `make bench` runs).

Each bench prints its table and writes bench/results/<name>.json. The chain benches start and
stop their own Ganache (shanghai), one after the other.
"""

from __future__ import annotations

import subprocess
import sys

BENCHES = [
    "bench.bench_size",
    "bench.bench_gas",
    "bench.bench_payout",
    "bench.bench_registry",
    "bench.bench_merkle",
    "bench.bench_relay",
    "bench.bench_throughput",
    "bench.bench_index",
    "bench.bench_desk",
    "bench.bench_settlement",
    "bench.bench_claim_many",
    "bench.bench_payout_tps",
]


def main() -> int:
    failed = []
    for module in BENCHES:
        print(f"\n=== {module}", flush=True)
        if subprocess.run([sys.executable, "-m", module], check=False).returncode != 0:
            failed.append(module)
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
