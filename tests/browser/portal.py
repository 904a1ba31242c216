"""Helpers of the browser suite: Chromium, member pages, the summary check, axe-core, screenshots."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from tests.browser.wallet import TestWallet

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# The flags a root, offline machine needs (no sandbox as root; no background calls to Google).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "reports" / "browser"
DOC_SHOTS = ROOT / "docs" / "img"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}
BEIJING = timezone(timedelta(hours=8))


@dataclass
class Member:
    """One person at one browser: a context with its own wallet, a page, what it asked for."""

    context: Any
    page: Any
    wallet: TestWallet
    base_url: str
    requests: list[tuple[str, str]] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def goto(self, screen: str) -> None:
        before = None
        if self.page.url.startswith(self.base_url):
            before = self.page.evaluate("() => (document.querySelector('#main') || {dataset: {}}).dataset.ready || '0'")
        if before is None:
            self.page.goto(f"{self.base_url}/#/{screen}")
            self.page.wait_for_selector("body[data-booted]", timeout=20_000)
        else:
            self.page.evaluate(
                "(s) => { if (location.hash === '#/' + s) window.dispatchEvent(new HashChangeEvent('hashchange'));"
                " else location.hash = '#/' + s; }",
                screen,
            )
            self.page.wait_for_function(
                "(b) => document.querySelector('#main').dataset.ready !== b", arg=before, timeout=20_000
            )
        self.page.wait_for_function("() => document.querySelector('#main').dataset.ready", timeout=20_000)

    def api_posts(self, suffix: str) -> list[str]:
        return [u for m, u in self.requests if m == "POST" and urlparse(u).path.endswith(suffix)]


def open_member(browser: Any, base_url: str, wallet: TestWallet) -> Member:
    """A new context (zh-CN, Asia/Shanghai) whose only reachable hosts are loopback ones."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport={"width": 1280, "height": 900})
    member = Member(context=context, page=None, wallet=wallet, base_url=base_url)

    def gate(route: Any) -> None:
        host = urlparse(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in LOOPBACK:
            route.continue_()
        else:
            member.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    context.route("**/*", gate)
    wallet.install(context)
    page = context.new_page()
    page.on("request", lambda r: member.requests.append((r.method, r.url)))
    page.on("pageerror", lambda e: member.errors.append(str(e)))
    page.on("console", lambda msg: member.console_errors.append(msg.text) if msg.type == "error" else None)
    member.page = page
    return member


def connect(member: Member) -> None:
    member.page.click("#connect")
    member.page.wait_for_selector("#wallet .account", timeout=10_000)


def axe_check(page: Any) -> list[dict[str, Any]]:
    """axe-core on the current screen: the serious and critical violations (should be none)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations.map(v => ("
        "{id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 5)}))"
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def shoot(page: Any, name: str) -> Path:
    """A full-page screenshot in reports/browser/ (and docs/img/ when TIERCHAIN_DOC_SHOTS=1)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"portal-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if os.environ.get("TIERCHAIN_DOC_SHOTS") == "1":
        DOC_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOC_SHOTS / f"portal-{name}.png")
    return path


def cents_text(units: int | str) -> str:
    whole, frac = divmod(int(units), 100)
    return f"¥{whole:,}.{frac:02d}"


def beijing(seconds: int | str) -> str:
    return datetime.fromtimestamp(int(seconds), UTC).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")


def summary_rows(page: Any) -> dict[str, dict[str, str]]:
    """The confirmation panel's rows: field → {raw, shown}."""
    rows = page.eval_on_selector_all(
        ".confirm dl.summary dd",
        "els => els.map(e => ({field: e.dataset.field, raw: e.dataset.raw, shown: e.textContent}))",
    )
    fields = [r["field"] for r in rows]
    assert len(fields) == len(set(fields)), f"a field is shown twice: {fields}"
    return {r["field"]: {"raw": r["raw"], "shown": r["shown"]} for r in rows}


def as_raw(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def check_summary(rows: dict[str, dict[str, str]], td: dict[str, Any], me: str) -> None:
    """Every field of the signed typed data is shown once, with the same value, and in words:
    amounts as money, times in Beijing time, the signer as "me"; nothing undeclared is signed."""
    primary = td["primaryType"]
    declared = [f["name"] for f in td["types"][primary]]
    assert sorted(td["message"]) == sorted(declared), "the typed data carries an undeclared field"
    assert set(td["types"]) == {"EIP712Domain", primary}
    message_rows = {k: v for k, v in rows.items() if k in declared}
    assert sorted(message_rows) == sorted(declared), f"summary fields {sorted(rows)} vs typed data {declared}"
    for name in declared:
        raw, shown = as_raw(td["message"][name]), rows[name]["shown"]
        assert rows[name]["raw"] == raw, f"{name}: summary {rows[name]['raw']!r} != signed {raw!r}"
        if name in ("value",) or (name == "price" and str(td["message"].get("pricing")) == "0"):
            assert shown == cents_text(raw), f"{name}: {shown!r}"
        elif name == "deadline":
            assert shown.startswith(beijing(raw)) and ("北京时间" in shown or "Beijing" in shown), shown
        elif name in ("signer", "financier") and raw.lower() == me.lower():
            assert raw[-4:] in shown and ("我" in shown or "me" in shown), shown
        elif name in ("to", "seller") and int(raw, 16) != 0:
            assert raw[:6] in shown and raw[-4:] in shown, shown
        elif name in ("nonce", "payableId"):
            assert raw in shown, shown
        elif name == "rateBps":
            assert f"{int(raw) / 100:.2f}%" in shown, shown
    if primary == "Call":
        decoded = {k: v for k, v in rows.items() if k not in declared}
        assert decoded, "a Call's calldata must be decoded in the summary"


def wait_screen_text(member: Member, screen: str, text: str, tries: int = 40) -> None:
    """Open ``screen`` until it shows ``text`` (the index follows the chain a moment later)."""
    for _ in range(tries):
        member.goto(screen)
        if text in member.page.inner_text("#main"):
            return
        member.page.wait_for_timeout(250)
    raise AssertionError(f"{screen} never showed {text!r}: {member.page.inner_text('#main')[:800]}")


def confirm_and_sign(member: Member, scope: str = "") -> dict[str, Any]:
    """Wait for the confirmation panel in ``scope``, check its summary against the typed data the
    wallet is then asked to sign (field by field), sign, and wait for the request's end state."""
    page = member.page
    panel = f"{scope} .confirm".strip()
    page.wait_for_selector(panel, timeout=20_000)
    rows = summary_rows_in(page, panel)
    signed_before = len(member.wallet.typed_data_signed())
    page.click(f"{panel} #sign")
    ends = ", ".join(f"{scope} .request[data-state={s}]".strip() for s in ("confirmed", "failed", "posted"))
    page.wait_for_selector(ends, timeout=60_000)
    signed = member.wallet.typed_data_signed()
    assert len(signed) == signed_before + 1, "exactly one signature per action"
    td = signed[-1]
    check_summary(rows, td, member.wallet.account.address)
    state = page.get_attribute(f"{scope} .request".strip(), "data-state")
    assert state in ("confirmed", "posted"), page.inner_text(f"{scope} .request".strip())
    return td


def summary_rows_in(page: Any, panel: str) -> dict[str, dict[str, str]]:
    rows = page.eval_on_selector_all(
        f"{panel} dl.summary dd",
        "els => els.map(e => ({field: e.dataset.field, raw: e.dataset.raw, shown: e.textContent}))",
    )
    fields = [r["field"] for r in rows]
    assert len(fields) == len(set(fields)), f"a field is shown twice: {fields}"
    return {r["field"]: {"raw": r["raw"], "shown": r["shown"]} for r in rows}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_service(rpc_url: str, home: Path, log: Path, *, timeout: float = 60.0) -> tuple[subprocess.Popen[bytes], str]:
    """`tierchain serve` on a free loopback port (operator: dev key 1), answering /health."""
    port = free_port()
    env = {**os.environ, "TIERCHAIN_HOME": str(home), "PYTHONPATH": str(ROOT / "src")}
    cmd = [sys.executable, "-c", "from tierchain.cli.main import main; main()", "serve",
           "--rpc", rpc_url, "--dev-account", "1", "--port", str(port), "--poll", "0.2",
           "--rate-limit", "1000", "--read-rate-limit", "1000000"]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"tierchain serve exited {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{base}/api/v1/health", timeout=2) as res:
                if res.status == 200:
                    return proc, base
        except OSError:
            pass
        if time.monotonic() > deadline:
            stop_service(proc)
            raise RuntimeError(f"tierchain serve did not answer in {timeout:.0f} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.3)


def stop_service(proc: subprocess.Popen[bytes]) -> None:
    """Stop that one process (by its pid), politely first."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
