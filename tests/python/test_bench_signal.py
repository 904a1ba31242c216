"""A bench stopped by SIGTERM (``kill``, ``timeout``) stops the chain it started (issue 10: one
killed ``make bench`` once left its Anvil running for an hour)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tierchain.chain.local import free_port

ROOT = Path(__file__).resolve().parents[2]


def _listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.parametrize("runner", ["bench", "runner"])
def test_sigterm_stops_the_chain_a_bench_started(runner: str) -> None:
    port = free_port()
    env = {**os.environ, "BENCH_PORT": str(port), "PYTHONPATH": str(ROOT / "src")}
    argv = ["-m", "bench.bench_payout", "--port", str(port)] if runner == "bench" else ["-m", "bench", "bench_payout"]
    proc = subprocess.Popen(
        [sys.executable, *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 60
        while not _listening(port):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "the bench's chain never came up"
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        out = proc.communicate(timeout=60)[0].decode()
        assert proc.returncode != 0, out
        assert "stopped by signal 15" in out, out
        deadline = time.monotonic() + 20
        while _listening(port):
            assert time.monotonic() < deadline, f"the chain on port {port} is still running after SIGTERM"
            time.sleep(0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
