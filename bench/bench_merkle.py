"""Invoice package build: time and peak memory for n = 10k / 100k / 1M invoices.

Run: ``python -m bench.bench_merkle`` (up to 100,000; with ``TIERCHAIN_BENCH_FULL=1`` or
``--full`` also 1,000,000; ``--quick`` is accepted and is the default).
Writes bench/results/merkle.json (shared/BENCH.md format).

* ``time.merkle_build:n=N`` (s): :func:`tierchain.invoices.build_package` from already-parsed
  invoices: salts, canonical encodings, keys, details hashes, leaves and the whole tree, with
  the default worker count (fork-parallel from 50,000 invoices).
* ``mem.merkle_build:n=N`` (bytes): peak Python allocation of the same build in this process
  (tracemalloc, a separate run so that tracing does not slow the timed one). Forked workers
  are separate processes and not counted; each holds roughly its share of the hashes.
* ``mem.merkle_build_shared_map:n=N`` (bytes): the anonymous shared map the parallel build
  writes its hashes to (6 words per invoice), which tracemalloc does not count.
* ``cpu.merkle_build_parent:n=N`` / ``cpu.merkle_build_workers:n=N`` (s): CPU time of the
  timed build in this process and in its forked workers; ``load.avg_1min:n=N``: the machine's
  load average right after it (a shared machine's load inflates the wall time).
* ``time.proof:n=N`` (s): one proof from the built package (median of 101, index already
  built); ``time.proof_first:n=N`` includes building the key index on first use.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc
from datetime import date, timedelta

from bench.common import Report, full_mode
from tierchain.invoices.packages import _REGIONS as SHARED_REGIONS
from tierchain.invoices.packages import PARALLEL_THRESHOLD, Invoice, build_package, prove

SELLER = "91310000MA1FL0000X"
BUYER = "91440300MA5D00000Y"


def synthetic_invoices(n: int) -> list[Invoice]:
    """``n`` distinct valid invoices of one seller and buyer (about 7 µs each to make)."""
    start = date(2026, 1, 1)
    days = [start + timedelta(days=d) for d in range(365)]
    return [
        Invoice(
            SELLER,
            BUYER,
            f"31002311{i % 97:02d}",
            f"{i:08d}",
            days[i % 365],
            100 + (i * 7919) % 10_000_000,
            "CNY",
            f"PO-2026-{i // 10:07d}",
        )
        for i in range(n)
    ]


def run(sizes: list[int]) -> Report:
    report = Report(bench="merkle", chain=None)
    for n in sizes:
        invoices = synthetic_invoices(n)
        c0 = os.times()
        t0 = time.perf_counter()
        package = build_package(invoices)
        build_s = time.perf_counter() - t0
        c1 = os.times()
        load = os.getloadavg()[0]
        report.add(f"time.merkle_build:n={n}", round(build_s, 4), "s")
        # CPU seconds, which other processes on a shared machine disturb far less than wall time:
        # on an idle machine with W cores the wall time is about parent + workers / W.
        parent = c1.user - c0.user + c1.system - c0.system
        workers = (c1.children_user - c0.children_user) + (c1.children_system - c0.children_system)
        report.add(f"cpu.merkle_build_parent:n={n}", round(parent, 3), "s")
        report.add(f"cpu.merkle_build_workers:n={n}", round(workers, 3), "s")
        report.add(f"load.avg_1min:n={n}", round(load, 2), "processes")

        middle = invoices[n // 2]
        t0 = time.perf_counter()
        proof = prove(package, middle.invoice_code, middle.invoice_number)
        first_s = time.perf_counter() - t0
        timings = []
        for i in range(101):
            v = invoices[(i * 7) % n]
            t0 = time.perf_counter()
            prove(package, v.invoice_code, v.invoice_number)
            timings.append(time.perf_counter() - t0)
        report.add(f"time.proof:n={n}", statistics.median(timings), "s")
        report.add(f"time.proof_first:n={n}", round(first_s, 6), "s")
        del package, proof

        tracemalloc.start()
        package = build_package(invoices)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        report.add(f"mem.merkle_build:n={n}", peak, "bytes")
        if n >= PARALLEL_THRESHOLD:  # the workers' shared map, which tracemalloc does not see
            report.add(f"mem.merkle_build_shared_map:n={n}", SHARED_REGIONS * 32 * n, "bytes")
        del package, invoices
        print(
            f"n={n:>9,}: build {build_s:.3f} s (cpu: parent {parent:.2f} s, workers "
            f"{workers:.2f} s; load {load:.1f}), peak {peak / 2**20:,.0f} MiB",
            flush=True,
        )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="sizes up to 100,000 only (the default)")
    parser.add_argument("--full", action="store_true", help="1,000,000 too (= TIERCHAIN_BENCH_FULL=1)")
    args = parser.parse_args()
    if args.full:
        os.environ["TIERCHAIN_BENCH_FULL"] = "1"
    sizes = [10_000, 100_000, 1_000_000] if full_mode() and not args.quick else [10_000, 100_000]
    print(f"{os.cpu_count()} CPUs; sizes {sizes}", flush=True)
    report = run(sizes)
    report.print()
    print(f"written to {report.write()}")


if __name__ == "__main__":
    main()
