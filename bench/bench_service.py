"""`tierchain serve` under load, on Anvil (shanghai, automine): `python -m bench.bench_service`.

* ``tps.library_direct``: N signed AcceptPayable requests (N signers) relayed by the library
  itself: the operator's ``Sender.send_many`` of the relay transactions, all receipts in;
* ``tps.relay_http``: N more signed requests of the same signers posted to the service over HTTP
  by 50 client threads at once, until the last is confirmed (checks, simulation, journal, one
  sender thread); same chain, same run. Goal: at least 0.7 x the library's figure;
* ``api.latency_p50_ms`` / ``api.latency_p99_ms:db=sqlite,pieces=1000,clients=50``:
  ``GET /api/v1/members/{holder}/pieces`` (first page, 100 pieces, money and state each) for a
  member holding 1,000 pieces, 50 concurrent clients. Goal: p99 below 50 ms.

The service runs as its own process (`tierchain serve`), as in production; the clients run here.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from bench.common import Report
from tierchain.chain.deployment import DAY
from tierchain.chain.local import connect, dev_accounts, free_port, start_chain, stop_chain
from tierchain.chain.sender import Sender, TxRequest
from tierchain.clients.bundle import Contracts
from tierchain.clients.requests import AcceptPayable, SignedRequest, sign_request
from tierchain.core.ids import Role
from tierchain.workflows.deploy import deploy_all

CLIENTS = 50


def _issue_many(c: Contracts, core: Sender, creditors: list[str], face: int, maturity: int, tag: str) -> list[int]:
    roots = [Web3.keccak(text=f"{tag}-{i}-{a}") for i, a in enumerate(creditors)]
    core.send_many([
        c.registry.request("registerPackage(bytes32,uint32,uint64,address,bytes32)", r, 1, face, a,
                           Web3.keccak(text="doc"))
        for r, a in zip(roots, creditors, strict=True)
    ], estimate="shape")  # fmt: skip
    receipts = core.send_many([
        c.token.request("issue(address,uint64,address,uint40,bytes32,bytes32)", a, face, c.deployment.currency,
                        maturity, r, Web3.keccak(text="conf"))
        for r, a in zip(roots, creditors, strict=True)
    ], estimate="shape")  # fmt: skip
    return [int(r.event("PayableIssued").args["payableId"]) for r in receipts]


def _accepts(c: Contracts, signers: list[LocalAccount], payables: list[int], nonce: int) -> list[SignedRequest]:
    domain = c.relay.domain()
    deadline = int(c.relay.w3.eth.get_block("latest")["timestamp"]) + 3600
    return [
        sign_request(AcceptPayable(k.address, pid, nonce, deadline), domain, k)  # type: ignore[arg-type]
        for k, pid in zip(signers, payables, strict=True)
    ]


def _serve(home: Path, rpc: str, port: int, operator: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ, TIERCHAIN_HOME=str(home))
    return subprocess.Popen(
        [sys.executable, "-m", "tierchain.cli.main", "serve", "--rpc", rpc, "--dev-account", str(operator),
         "--port", str(port), "--poll", "0.2", "--rate-limit", "100000", "--read-rate-limit", "10000000"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_ready(url: str, timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("tierchain serve did not start")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200, help="signed requests per throughput measurement")
    parser.add_argument("--pieces", type=int, default=1000)
    parser.add_argument("--reads", type=int, default=2000, help="read requests for the latency figures")
    args = parser.parse_args()
    n = args.n
    work = Path(tempfile.mkdtemp(prefix="bench-service-"))
    chain = start_chain("anvil", free_port(), work / "chain")
    proc: subprocess.Popen[bytes] | None = None
    try:
        w3 = connect(chain.url)
        version = w3.client_version.split("/")
        report = Report("service", f"anvil {version[1].lstrip('v') if len(version) > 1 else '?'} (shanghai, automine)")
        keys = dev_accounts()
        admin, operator, core = Sender(w3, keys[0]), Sender(w3, keys[1]), Sender(w3, keys[2])
        home = work / "home"
        deployment = deploy_all(w3, admin, keys[1].address, home=home)
        c = Contracts.at(w3, deployment)
        c.membership.admit(admin, keys[1].address, Role.OPERATOR, Web3.keccak(text="id:operator"))
        signers = [Account.from_key(Web3.keccak(text=f"bench-service-{i}")) for i in range(n)]
        holder = Account.from_key(Web3.keccak(text="bench-service-holder"))
        operator.send_many([
            c.membership.request("admit(address,uint8,bytes32)", a, int(r), Web3.keccak(text=f"id:{a}"))
            for a, r in [(keys[2].address, Role.CORE_ENTERPRISE), (holder.address, Role.SUPPLIER)]
            + [(k.address, Role.SUPPLIER) for k in signers]
        ], estimate="shape")  # fmt: skip
        maturity = int(w3.eth.get_block("latest")["timestamp"]) + 90 * DAY
        first = _issue_many(c, core, [k.address for k in signers], 1_000_00, maturity, "direct")
        second = _issue_many(c, core, [k.address for k in signers], 1_000_00, maturity, "http")

        # -- the library relays N signed requests itself ------------------------------------
        relayer = Sender(w3, keys[10], timeout=120)
        direct = _accepts(c, signers, first, 0)
        started = time.perf_counter()
        relayer.send_many([c.relay.relay_request(s) for s in direct], estimate="shape")
        library_tps = n / (time.perf_counter() - started)

        # -- the holder of 1,000 pieces ----------------------------------------------------
        (held,) = _issue_many(c, core, [holder.address], 10_000_000_00, maturity, "holder")
        holder_sender = Sender(w3, holder, timeout=120)
        admin.send(TxRequest(holder.address, b"", value=10**20, gas=21_000, label="fund holder"))
        c.token.accept(holder_sender, held)
        token = (maturity << 96) | (held << 32) | 1
        for start in range(0, args.pieces - 1, 250):
            count = min(250, args.pieces - 1 - start)
            holder_sender.send_many([
                c.token.request("transferFrom(uint256,address,uint256)", token, holder.address, 1_000_00)
                for _ in range(count)
            ], estimate="shape")  # fmt: skip

        # -- the service ----------------------------------------------------------------------
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = _serve(home, chain.url, port, 11)
        _wait_ready(url)
        http = httpx.Client(base_url=url, timeout=60)
        head = w3.eth.block_number
        while (http.get("/api/v1/health").json().get("indexed_block") or 0) < head:
            time.sleep(0.1)
        count = http.get(f"/api/v1/members/{holder.address}/pieces", params={"limit": 1}).json()["count"]
        assert count == args.pieces, count

        # -- N signed requests over HTTP -----------------------------------------------------
        bodies = [s.to_json() for s in _accepts(c, signers, second, 1)]
        docs = [json.loads(b) for b in bodies]
        payloads = [{"typed_data": d["typedData"], "signature": d["signature"]} for d in docs]
        local = threading.local()

        def client() -> httpx.Client:
            if getattr(local, "c", None) is None:
                local.c = httpx.Client(base_url=url, timeout=60)
            return local.c  # type: ignore[no-any-return]

        def post(body: dict[str, Any]) -> str:
            r = client().post("/api/v1/requests", json=body)
            if r.status_code != 202:
                raise SystemExit(f"relay refused: {r.text}")
            return str(r.json()["id"])

        started = time.perf_counter()
        with ThreadPoolExecutor(CLIENTS) as pool:
            ids = list(pool.map(post, payloads))
        posted_s = time.perf_counter() - started
        print(f"{n} requests accepted over HTTP in {posted_s:.2f} s", flush=True)
        pending = set(ids)
        while pending:
            for rid in list(pending):
                status = http.get(f"/api/v1/requests/{rid}").json()["status"]
                if status == "failed":
                    raise SystemExit(f"request {rid} failed")
                if status == "confirmed":
                    pending.discard(rid)
            if pending:
                time.sleep(0.02)
        http_tps = n / (time.perf_counter() - started)
        assert all(c.relay.nonce_of(k.address) == 2 for k in signers)

        # -- read latency ---------------------------------------------------------------------
        path = f"/api/v1/members/{holder.address}/pieces"

        def read(i: int, *, cache: bool = True) -> float:
            t = time.perf_counter()
            r = client().get(path, params=None if cache else {"nocache": str(i)})  # an ignored parameter: a miss
            if r.status_code != 200:
                raise SystemExit(f"read failed: {r.status_code} {r.text[:200]}")
            return (time.perf_counter() - t) * 1000

        def uncached(i: int) -> float:
            return read(i, cache=False)

        with ThreadPoolExecutor(CLIENTS) as pool:
            list(pool.map(read, range(CLIENTS * 2)))  # warm up every thread's connection
            latencies = sorted(pool.map(read, range(args.reads)))
            misses = sorted(pool.map(uncached, range(args.reads // 4)))
        single = sorted(uncached(10**6 + i) for i in range(100))

        def pct(values: list[float], q: float) -> float:
            return values[min(len(values) - 1, int(len(values) * q))]

        report.add("tps.library_direct", round(library_tps, 1), "tx/s")
        report.add("tps.relay_http", round(http_tps, 1), "tx/s")
        report.add("ratio.relay_http_to_library_direct", round(http_tps / library_tps, 3), "x")
        tag = f"db=sqlite,pieces={args.pieces},clients={CLIENTS}"
        report.add(f"api.latency_p50_ms:{tag}", round(pct(latencies, 0.5), 2), "ms")
        report.add(f"api.latency_p99_ms:{tag}", round(pct(latencies, 0.99), 2), "ms")
        report.add(f"api.latency_p50_ms:{tag},cache=off", round(pct(misses, 0.5), 2), "ms")
        report.add(f"api.latency_p99_ms:{tag},cache=off", round(pct(misses, 0.99), 2), "ms")
        one = f"db=sqlite,pieces={args.pieces},clients=1,cache=off"
        report.add(f"api.latency_p50_ms:{one}", round(pct(single, 0.5), 2), "ms")
        report.add(f"api.latency_p99_ms:{one}", round(pct(single, 0.99), 2), "ms")
        report.print()
        print(f"wrote {report.write()}")
        return 0
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
        stop_chain(work / "chain")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
