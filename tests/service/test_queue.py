"""The relayer's queue: many signers at once, a killed service, an RPC outage mid-queue.
Each signed request is sent exactly once, with the operator's nonces in one sequence."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account.signers.local import LocalAccount
from service_helpers import (
    Cast,
    Running,
    fresh_keys,
    sign_typed,
    start_service,
    stop_service,
    wait_indexed,
    wait_status,
)
from web3 import HTTPProvider, Web3

from tierchain.chain.deployment import deployment_path
from tierchain.chain.local import dev_accounts, free_port
from tierchain.core.ids import Role


def _admit(cast: Cast, keys: list[LocalAccount]) -> None:
    cast.c.membership.admit_many(
        cast.operator, [(k.address, Role.SUPPLIER, Web3.keccak(text=f"id:{k.address}")) for k in keys]
    )


def _signed_accept(http: httpx.Client, key: LocalAccount) -> dict[str, Any]:
    pending = http.get(f"/api/v1/members/{key.address}/pending-payables").json()["items"]
    assert len(pending) == 1, pending
    draft = http.post("/api/v1/requests/draft", json={"kind": "accept", "signer": key.address,
                                                      "payable": pending[0]["payable_id"]})  # fmt: skip
    assert draft.status_code == 200, draft.text
    typed = draft.json()["typed_data"]
    return {"typed_data": typed, "signature": sign_typed(key, typed)}


@pytest.mark.slow
def test_fifty_signers_at_once_relayed_exactly_once_with_consecutive_operator_nonces(
    cast: Cast, running: Running
) -> None:
    signers = fresh_keys(50, "fifty")
    _admit(cast, signers)
    cast.issue_many([k.address for k in signers])
    wait_indexed(running.http, cast.w3.eth.block_number)
    bodies = [_signed_accept(running.http, k) for k in signers]
    sent_before = cast.w3.eth.get_transaction_count(cast.relayer_key.address)
    barrier = threading.Barrier(50)

    def post(body: dict[str, Any]) -> httpx.Response:
        with httpx.Client(base_url=running.url, timeout=60) as client:
            barrier.wait()
            return client.post("/api/v1/requests", json=body)

    with ThreadPoolExecutor(50) as pool:
        responses = list(pool.map(post, bodies))
    assert [r.status_code for r in responses] == [202] * 50, [r.text for r in responses if r.status_code != 202]
    done = [wait_status(running.http, r.json()["id"]) for r in responses]
    assert [d["status"] for d in done] == ["confirmed"] * 50
    nonces = sorted(int(d["operator_nonce"]) for d in done)
    assert nonces == list(range(sent_before, sent_before + 50))
    assert len({d["tx_hash"] for d in done}) == 50
    assert cast.w3.eth.get_transaction_count(cast.relayer_key.address) == sent_before + 50
    assert all(cast.c.relay.nonce_of(k.address) == 1 for k in signers)


# ---------------------------------------------------------------------------- a killed service


def _serve(cast: Cast, home: Path, port: int, rpc_url: str, crash_at: str | None) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TIERCHAIN_HOME=str(home))
    env.pop("TIERCHAIN_SERVICE_CRASH_AT", None)
    if crash_at:
        env["TIERCHAIN_SERVICE_CRASH_AT"] = crash_at
    return subprocess.Popen(
        [sys.executable, "-m", "tierchain.cli.main", "serve", "--rpc", rpc_url, "--dev-account", "11",
         "--port", str(port), "--poll", "0.1"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip


def _ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            err = proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            raise AssertionError(f"tierchain serve exited {proc.returncode}: {err}")
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("tierchain serve did not start")


@pytest.mark.slow
@pytest.mark.parametrize("crash_at", ["after_sign", "after_broadcast"])
def test_killed_service_restarts_and_finishes_its_queue_without_duplicates(
    cast: Cast, rpc_url: str, tmp_path: Path, crash_at: str
) -> None:
    home = tmp_path / "home"
    record = deployment_path(cast.deployment.chain_id, cast.home)
    (home / "deployments").mkdir(parents=True)
    shutil.copy(record, deployment_path(cast.deployment.chain_id, home))
    (signer,) = fresh_keys(1, f"crash-{crash_at}")
    _admit(cast, [signer])
    cast.issue(signer.address)
    operator = dev_accounts()[11].address
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _serve(cast, home, port, rpc_url, crash_at)
    try:
        _ready(url, proc)
        http = httpx.Client(base_url=url, timeout=30)
        wait_indexed(http, cast.w3.eth.block_number)
        body = _signed_accept(http, signer)
        before = cast.w3.eth.get_transaction_count(operator)
        request_id = None
        try:
            posted = http.post("/api/v1/requests", json=body)
            assert posted.status_code == 202, posted.text
            request_id = posted.json()["id"]
        except httpx.HTTPError:
            pass  # killed before it answered
        assert proc.wait(timeout=60) == -9  # SIGKILL at the crash point
        time.sleep(0.5)
        after_crash = cast.w3.eth.get_transaction_count(operator)
        assert after_crash == before + (1 if crash_at == "after_broadcast" else 0)
        proc = _serve(cast, home, port, rpc_url, None)
        _ready(url, proc)
        again = http.post("/api/v1/requests", json=body)  # the same signed request: the same one
        assert again.status_code == 200, again.text
        request_id = request_id or again.json()["id"]
        assert again.json()["id"] == request_id
        done = wait_status(http, request_id)
        assert done["status"] == "confirmed", done
        assert cast.w3.eth.get_transaction_count(operator) == before + 1  # one transaction, never two
        assert done["operator_nonce"] == before
        assert cast.c.relay.nonce_of(signer.address) == 1
        http.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)


# ---------------------------------------------------------------------------- an RPC outage


class _Proxy(ThreadingHTTPServer):
    mode = "up"  # up | no-send (refuses eth_sendRawTransaction) | down (refuses everything)
    upstream = ""


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        server: _Proxy = self.server  # type: ignore[assignment]
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if server.mode == "down" or (server.mode == "no-send" and b"eth_sendRawTransaction" in body):
            self.send_response(502)
            self.end_headers()
            return
        req = urllib.request.Request(server.upstream, data=body, headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as resp:
            data = resp.read()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.mark.slow
def test_chain_outage_mid_queue_then_back_sends_the_same_bytes_once(
    cast: Cast, rpc_url: str, keys: list[LocalAccount], tmp_path: Path
) -> None:
    proxy = _Proxy(("127.0.0.1", 0), _Handler)
    proxy.upstream = rpc_url
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    proxied = Web3(HTTPProvider(f"http://127.0.0.1:{proxy.server_address[1]}", request_kwargs={"timeout": 5}))
    signers = fresh_keys(3, "outage")
    _admit(cast, signers)
    cast.issue_many([k.address for k in signers])
    r = start_service(cast, w3=proxied, operator=keys[12], home=tmp_path)
    try:
        wait_indexed(r.http, cast.w3.eth.block_number)
        bodies = [_signed_accept(r.http, k) for k in signers]
        before = cast.w3.eth.get_transaction_count(keys[12].address)
        proxy.mode = "no-send"  # the node goes away just as the batch is broadcast
        ids = []
        for body in bodies:
            posted = r.http.post("/api/v1/requests", json=body)
            assert posted.status_code == 202, posted.text
            ids.append(posted.json()["id"])
        relayer = r.service.relayer
        assert relayer is not None
        end = time.monotonic() + 30
        while time.monotonic() < end and not any((e := relayer.get(i)) and e.tx for i in ids):
            time.sleep(0.05)
        # signed and recorded, not delivered; nothing more is signed while it cannot be
        first_hashes = {i: e.tx.tx_hash for i in ids if (e := relayer.get(i)) is not None and e.tx is not None}
        assert first_hashes
        end = time.monotonic() + 30
        while time.monotonic() < end and relayer.stats.last_error is None:
            time.sleep(0.05)
        assert relayer.stats.last_error is not None, "the refused broadcast is reported"
        proxy.mode = "down"
        assert r.http.get("/api/v1/health").json()["status"] == "degraded"
        time.sleep(1.0)
        assert cast.w3.eth.get_transaction_count(keys[12].address) == before  # nothing got through
        proxy.mode = "up"
        done = [wait_status(r.http, i) for i in ids]
        assert [d["status"] for d in done] == ["confirmed"] * 3
        assert {i: {d["id"]: d["tx_hash"] for d in done}[i] for i in first_hashes} == first_hashes  # same bytes
        assert cast.w3.eth.get_transaction_count(keys[12].address) == before + 3
        assert sorted(d["operator_nonce"] for d in done) == [before, before + 1, before + 2]
    finally:
        proxy.mode = "up"
        stop_service(r)
        proxy.shutdown()
