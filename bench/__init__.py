"""tierchain benchmarks: each module prints a table and writes bench/results/<name>.json.

Importing this package (every ``python -m bench.<name>`` does) turns SIGTERM and SIGHUP into
``SystemExit``: a bench stopped by ``kill``, ``timeout`` or a closed terminal unwinds its
``finally`` blocks and context managers, so the chain it started is stopped, never left running.
"""

from __future__ import annotations

import signal
import sys
from types import FrameType


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    print(f"\nbench: stopped by signal {signum}; stopping the chain it started", file=sys.stderr)
    raise SystemExit(128 + signum)


for _sig in (signal.SIGTERM, signal.SIGHUP):
    signal.signal(_sig, _exit_on_signal)
