"""The portal's first load in Chromium: HTML, scripts and data for a member holding 100 pieces.

Run: `python -m bench.bench_portal` (make bench). It starts its own Anvil (shanghai), deploys,
gives one member 100 pieces (a payable split 100 times), starts `tierchain serve`, waits until
the index has them, then opens the portal in Debian's Chromium in fresh contexts (empty cache),
the wallet already authorised (as on a return visit), up to the holdings table of 100 rows.

- `portal.first_load_ms:pieces=100`: the Performance API's time from navigation start to the
  `tierchain:holdings` mark the page sets once the table is in the document (median of runs).
- `portal.first_load_bytes`: bytes sent to the browser for that load (the navigation and every
  resource requested before the mark, `transferSize`: headers and bodies). ethers (520 KB) is
  not among them: the page loads it when an action needs it, or in the background after the
  first screen; `portal.full_load_bytes` adds it (everything the page fetched).
Every request to a host other than loopback is refused (and would fail the bench).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.browser: the test wallet and the Chromium flags

from bench.common import Report  # noqa: E402

PIECES = 100


def _setup(w3: Any, home: Path) -> tuple[Any, Any, Any]:
    """Deploy, admit a core enterprise and two suppliers; give the second 100 pieces."""
    from web3 import Web3

    from tierchain.chain.local import dev_accounts
    from tierchain.chain.sender import Sender
    from tierchain.clients.bundle import Contracts
    from tierchain.core.ids import Role
    from tierchain.workflows.deploy import deploy_all

    keys = dev_accounts()
    admin = Sender(w3, keys[0])
    deployment = deploy_all(w3, admin, keys[1].address, home=home)
    c = Contracts.at(w3, deployment)
    c.membership.admit(admin, keys[1].address, Role.OPERATOR, Web3.keccak(text="id:operator"))
    op = Sender(w3, keys[1])
    core, seller, member = keys[2], keys[3], keys[4]
    c.membership.admit_many(op, [
        (core.address, Role.CORE_ENTERPRISE, Web3.keccak(text="id:core")),
        (seller.address, Role.SUPPLIER, Web3.keccak(text="id:seller")),
        (member.address, Role.SUPPLIER, Web3.keccak(text="id:member")),
    ])  # fmt: skip
    face = 10_000_000_00
    root = Web3.keccak(text="bench-portal-package")
    core_sender, seller_sender = Sender(w3, core), Sender(w3, seller)
    c.registry.register_package(core_sender, root, 100, face, seller.address, Web3.keccak(text="doc"))
    now = int(w3.eth.get_block("latest")["timestamp"])
    pid, token = c.token.issue(core_sender, seller.address, face, deployment.currency, now + 90 * 86_400, root, root)
    c.token.accept(seller_sender, pid)
    for i in range(PIECES):
        c.token.split(seller_sender, token, member.address, 1_000_00 + i)  # 1,000.00 + i cents: all different
    return deployment, member, keys


def _wait_indexed(base: str, address: str, count: int, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with urllib.request.urlopen(f"{base}/api/v1/members/{address}/pieces?limit=500", timeout=10) as res:
            if len(json.loads(res.read())["items"]) >= count:
                return
        time.sleep(0.5)
    raise RuntimeError(f"the index did not show {count} pieces in {timeout:.0f} s")


def _load_once(browser: Any, base: str, w3: Any, member: Any, chain_id: int) -> tuple[float, int, list[Any], int]:
    from tests.browser.portal import LOOPBACK
    from tests.browser.wallet import TestWallet

    wallet = TestWallet(w3, member, chain_id, authorised=True)
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    blocked: list[str] = []

    def gate(route: Any) -> None:
        from urllib.parse import urlparse

        if (urlparse(route.request.url).hostname or "") in LOOPBACK or route.request.url.startswith("data:"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", gate)
    wallet.install(context)
    page = context.new_page()
    try:
        page.goto(f"{base}/#/holdings")
        page.wait_for_function("() => performance.getEntriesByName('tierchain:holdings').length > 0", timeout=60_000)
        rows = page.eval_on_selector_all("#main table tbody tr", "els => els.length")
        if rows != PIECES:
            raise RuntimeError(f"the holdings table has {rows} rows, not {PIECES}")
        page.wait_for_function(
            "() => performance.getEntriesByType('resource')"
            ".some(r => r.name.endsWith('ethers.min.js') && r.responseEnd > 0)",
            timeout=60_000,
        )
        full = page.evaluate(
            "() => performance.getEntriesByType('navigation')[0].transferSize"
            " + performance.getEntriesByType('resource').reduce((n, r) => n + r.transferSize, 0)"
        )
        ms, size, parts = page.evaluate(
            "() => { const nav = performance.getEntriesByType('navigation')[0];"
            " const end = performance.getEntriesByName('tierchain:holdings')[0].startTime;"
            " const res = performance.getEntriesByType('resource').filter(r => r.startTime <= end);"
            " return [end,"
            " nav.transferSize + res.reduce((n, r) => n + r.transferSize, 0),"
            " res.map(r => [r.name.replace(location.origin, ''), Math.round(r.startTime), Math.round(r.responseEnd),"
            " r.transferSize])]; }"
        )
    finally:
        context.close()
    if blocked:
        raise RuntimeError(f"the page asked for hosts other than loopback: {blocked[:3]}")
    return float(ms), int(size), parts, int(full)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="fresh-context loads measured (median)")
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright
    from web3 import HTTPProvider, Web3

    from tests.browser.portal import CHROMIUM, CHROMIUM_ARGS, free_port, start_service, stop_service
    from tierchain.chain.local import start_chain, stop_chain

    with tempfile.TemporaryDirectory(prefix="bench-portal-") as tmp:
        state = Path(tmp) / "chain"
        chain = start_chain("anvil", free_port(), state)
        proc = None
        try:
            w3 = Web3(HTTPProvider(chain.url))
            client = w3.client_version
            deployment, member, _ = _setup(w3, Path(tmp))
            proc, base = start_service(chain.url, Path(tmp), Path(tmp) / "serve.log")
            _wait_indexed(base, member.address, PIECES)
            loads: list[tuple[float, int, list[Any], int]] = []
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
                try:
                    _load_once(browser, base, w3, member, deployment.chain_id)  # warm the service, not the browser
                    for _ in range(args.runs):
                        loads.append(_load_once(browser, base, w3, member, deployment.chain_id))
                finally:
                    browser.close()
        finally:
            if proc is not None:
                stop_service(proc)
            stop_chain(state)
    times = sorted(x[0] for x in loads)
    sizes = [x[1] for x in loads]
    fulls = [x[3] for x in loads]
    median_load = sorted(loads, key=lambda x: x[0])[len(loads) // 2]
    report = Report("portal", f"{client} (shanghai) + tierchain serve (sqlite index) + Chromium headless")
    report.add(f"portal.first_load_ms:pieces={PIECES}", round(statistics.median(times), 1), "ms")
    report.add("portal.first_load_bytes", int(statistics.median(sizes)), "bytes")
    report.add("portal.full_load_bytes", int(statistics.median(fulls)), "bytes")
    report.print()
    load1, load5, _ = os.getloadavg()
    print(
        f"runs {len(times)}: min {times[0]:.1f} ms, median {statistics.median(times):.1f} ms, max {times[-1]:.1f} ms; "
        f"bytes {min(sizes):,}..{max(sizes):,}; load average {load1:.2f} (1 min), {load5:.2f} (5 min)"
    )
    print("the median load's requests (start → end ms, bytes):")
    for name, start, end, size in median_load[2]:
        print(f"  {start:6d} → {end:6d}  {size:9,}  {name[:90]}")
    print(f"wrote {report.write().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
