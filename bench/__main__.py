"""Run every benchmark: `python -m bench` (what `make bench` runs; `make bench-full` adds the
large sizes with TIERCHAIN_BENCH_FULL=1).

Each bench prints its table and writes bench/results/<name>.json. The chain benches start and
stop their own chains, one after the other. Each bench runs in its own process group; when this
runner is stopped (SIGTERM from `timeout`/`kill`, SIGINT from Ctrl-C, SIGHUP) it passes the
signal on, waits for the bench to stop the chain it started, and only then exits.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from types import FrameType

BENCHES = [
    "bench.bench_size",
    "bench.bench_gas",
    "bench.bench_payout",
    "bench.bench_registry",
    "bench.bench_merkle",
    "bench.bench_package",
    "bench.bench_relay",
    "bench.bench_throughput",
    "bench.bench_index",
    "bench.bench_desk",
    "bench.bench_settlement",
    "bench.bench_deploy",
    "bench.bench_portal",
    "bench.bench_service",
    "bench.bench_rpc",
    "bench.bench_claim_many",
    "bench.bench_payout_tps",
]

_current: subprocess.Popen[bytes] | None = None
_stopped_by: int | None = None


def _stop_child(signum: int, _frame: FrameType | None) -> None:
    """Pass the signal on as SIGTERM (the bench unwinds and stops its chain); the main loop's
    wait then returns and the runner exits. A bench that has not stopped 30 s later is killed
    with its process group. (Waiting here would deadlock on the main loop's own wait.)"""
    global _stopped_by
    _stopped_by = signum
    child = _current
    if child is not None and child.poll() is None:
        child.send_signal(signal.SIGTERM)
        pid = child.pid

        def kill_group() -> None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)

        timer = threading.Timer(30, kill_group)
        timer.daemon = True
        timer.start()


def main(argv: list[str] | None = None) -> int:
    global _current
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="large sizes too (1,000,000 invoices, 10,000 pieces)")
    parser.add_argument("only", nargs="*", help="bench module names to run (default: all)")
    args = parser.parse_args(argv)
    if args.full:
        os.environ["TIERCHAIN_BENCH_FULL"] = "1"
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, _stop_child)
    selected = [m for m in BENCHES if not args.only or m.split(".")[-1] in args.only or m in args.only]
    failed = []
    started = time.monotonic()
    for module in selected:
        print(f"\n=== {module}", flush=True)
        _current = subprocess.Popen([sys.executable, "-m", module], start_new_session=True)
        if _current.wait() != 0:
            failed.append(module)
        _current = None
        if _stopped_by is not None:
            print(f"bench: stopped by signal {_stopped_by} during {module}", file=sys.stderr)
            return 128 + _stopped_by
    mode = "full" if os.environ.get("TIERCHAIN_BENCH_FULL") == "1" else "quick"
    print(f"\nbench ({mode}): {len(selected)} benches in {time.monotonic() - started:.0f} s")
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
