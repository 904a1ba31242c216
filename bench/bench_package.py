"""``tierchain invoices package`` end to end, as a user runs it: wall time, peak memory, file size.

Run: ``python -m bench.bench_package`` (n = 100,000) or with ``TIERCHAIN_BENCH_FULL=1`` / ``--full``
(n = 100,000 and 1,000,000). Writes bench/results/package.json (shared/BENCH.md format).

Each size runs the CLI in a fresh subprocess with a fresh TIERCHAIN_HOME on a synthetic CSV of
n rows (one seller, buyer and currency; plain ASCII), so the figures include interpreter start,
imports, reading and parsing, hashing, the tree, the known-invoice check and record, and writing
the package file:

* ``time.package_cli:n=N`` (s): wall time of the subprocess.
* ``mem.package_cli:n=N`` (bytes): its peak resident set size (``wait4`` rusage: the largest of
  the process and its forked workers).
* ``cpu.package_cli:n=N`` (s): CPU time of the process and its workers; ``load.avg_1min:n=N``: the
  machine's load right after (a shared machine's load inflates the wall time).
* ``size.package_file:n=N`` (bytes): the package file.
* ``time.package_cli_known:n=1,known=N`` (s): then, with those N invoices recorded as a
  registered package, packaging a one-row file (a new invoice): a keyed look-up, not a load.
* ``time.package_cli_known_blocked:n=1,known=N`` (s): the same with an invoice of the
  registered package: refused (exit 1) with the message naming it.
* ``time.known_lookup:n=1,known=N`` (s): the known-invoice check of that one row alone, in this
  process; ``time.cli_start_help`` (s): ``tierchain --help`` (interpreter and imports), most of
  what the one-row runs cost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

from bench.common import Report, full_mode
from tierchain.invoices.known import KnownPackages
from tierchain.invoices.packages import CSV_COLUMNS, build_package, load_invoices

SELLER = "91310000MA1FL0000X"
BUYER = "91440300MA5D00000Y"
LIMITS = {"time": 15.0, "mem": 1.5 * 2**30, "size": 150_000_000}  # issue 14's goals at 1,000,000


def write_csv(path: Path, n: int, start: int = 0) -> Path:
    """``n`` distinct valid invoices, rows ``start..start+n-1`` (about 98 bytes a row)."""
    first = date(2026, 1, 1)
    days = [(first + timedelta(days=d)).isoformat() for d in range(365)]
    with path.open("w", newline="") as f:
        f.write(",".join(CSV_COLUMNS) + "\n")
        for i in range(start, start + n):
            cents = 100 + (i * 7919) % 10_000_000
            f.write(
                f"{SELLER},{BUYER},31002311{i % 97:02d},{i:08d},{days[i % 365]},"
                f"{cents // 100}.{cents % 100:02d},CNY,PO-2026-{i // 10:07d}\n"
            )
    return path


def run_cli(args: list[str], home: Path, expect: int = 0) -> tuple[float, int, float, str]:
    """(wall s, peak RSS bytes, CPU s, stdout+stderr) of ``tierchain`` ARGS in a subprocess."""
    env = {**os.environ, "TIERCHAIN_HOME": str(home)}
    env.pop("TIERCHAIN_RPC", None)
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tierchain.cli.main", *args],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    assert proc.stdout is not None
    output = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != expect:
        raise SystemExit(f"tierchain {' '.join(args)}: exit {proc.returncode}, expected {expect}\n{output}")
    return wall, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime, output


def run(sizes: list[int], work: Path) -> Report:
    report = Report(bench="package", chain=None)
    work.joinpath("home").mkdir()
    start, _, _, _ = run_cli(["--help"], work / "home")
    report.add("time.cli_start_help", round(start, 3), "s")
    print(f"`tierchain --help`: {start:.2f} s", flush=True)
    for n in sizes:
        home = work / f"home-{n}"
        source = write_csv(work / f"invoices-{n}.csv", n)
        out = work / f"invoices-{n}.tcpkg"
        wall, rss, cpu, _ = run_cli(["invoices", "package", str(source), "-o", str(out)], home)
        load = os.getloadavg()[0]
        size = out.stat().st_size
        report.add(f"time.package_cli:n={n}", round(wall, 3), "s")
        report.add(f"mem.package_cli:n={n}", rss, "bytes")
        report.add(f"size.package_file:n={n}", size, "bytes")
        report.add(f"cpu.package_cli:n={n}", round(cpu, 3), "s")
        report.add(f"load.avg_1min:n={n}", round(load, 2), "processes")
        print(
            f"n={n:>9,}: {wall:.2f} s (cpu {cpu:.2f} s, load {load:.1f}), peak RSS {rss / 2**20:,.0f} MiB, "
            f"file {size / 1e6:,.1f} MB",
            flush=True,
        )
        if n == 1_000_000:
            for name, value in (("time", wall), ("mem", rss), ("size", size)):
                if value > LIMITS[name]:
                    print(f"  over the goal: {name} {value:,.2f} > {LIMITS[name]:,.2f}", flush=True)

        with KnownPackages(home / "packages") as store:  # as if `invoices register` had run
            (known,) = store.packages()
            store.mark_root_registered(known.root)
        one = write_csv(work / f"one-{n}.csv", 1, start=n + 1)
        wall, _, _, _ = run_cli(["invoices", "package", str(one), "-o", str(work / f"one-{n}.tcpkg")], home)
        report.add(f"time.package_cli_known:n=1,known={n}", round(wall, 3), "s")
        taken = write_csv(work / f"taken-{n}.csv", 1, start=n // 2)
        wall_b, _, _, said = run_cli(
            ["invoices", "package", str(taken), "-o", str(work / f"taken-{n}.tcpkg")], home, expect=1
        )
        assert "already in a registered package" in said, said
        report.add(f"time.package_cli_known_blocked:n=1,known={n}", round(wall_b, 3), "s")
        with KnownPackages(home / "packages") as store:  # the look-up alone, in process
            probe = build_package(load_invoices(taken))
            t0 = time.perf_counter()
            found = store.conflicts(probe)
            lookup = time.perf_counter() - t0
        assert len(found) == 1 and found[0].package.status == "registered"
        report.add(f"time.known_lookup:n=1,known={n}", round(lookup, 6), "s")
        print(
            f"  one row against {n:,} known: {wall:.2f} s (new invoice), {wall_b:.2f} s (refused); "
            f"the look-up itself {lookup * 1000:.2f} ms",
            flush=True,
        )
        shutil.rmtree(home)
        for f in work.glob(f"*-{n}.*"):
            f.unlink()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="1,000,000 rows too (= TIERCHAIN_BENCH_FULL=1)")
    args = parser.parse_args()
    if args.full:
        os.environ["TIERCHAIN_BENCH_FULL"] = "1"
    sizes = [100_000, 1_000_000] if full_mode() else [100_000]
    print(f"{os.cpu_count()} CPUs; sizes {sizes}", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-package-") as tmp:
        report = run(sizes, Path(tmp))
    report.print()
    print(f"written to {report.write()}")


if __name__ == "__main__":
    main()
