"""Transactions per second on Anvil: the node's raw signed throughput, web3.py's defaults, and
lifecycle operations (splits and value moves of pieces) sent through the library, with and
without the journal. `python -m bench.bench_throughput [--n 300] [--port 9686]`.

* raw: pre-signed DemoStableToken transfers, each sent with eth_sendRawTransaction, then every
  receipt fetched (one request each; and the same with receipts fetched in JSON-RPC batches:
  the better of the two is the node's raw figure the library is compared with); and the very
  lifecycle operations the library sends, pre-signed, sent the same way (the node's own cost
  of those operations: the ratio to it is the library's overhead alone);
* web3-default: `contract.functions.transfer(...).transact()` + `wait_for_transaction_receipt`
  one at a time (the node signs: Anvil's unlocked dev accounts), and `build_transaction` +
  sign + `send_raw_transaction` + wait, one at a time;
* tierchain: splits and value moves through `Sender.send_many` (fees once per batch, gas
  estimated once per call shape, receipts polled in batches), through a journaled `Workflow`
  (one parallel stage: every signed transaction durably recorded before the first is sent),
  and, for reference, `send_many` with a gas estimate per transaction and `send` one at a time.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from web3 import Web3

from bench.common import Report
from tierchain.chain.deployment import DAY
from tierchain.chain.local import connect, dev_accounts, start_chain, stop_chain
from tierchain.chain.sender import Sender, TxRequest
from tierchain.clients.bundle import Contracts
from tierchain.core.ids import Role
from tierchain.workflows.deploy import deploy_all
from tierchain.workflows.journal import Journal, Step, Workflow

BENCH_PORT = 9686


CPU: dict[str, list[float]] = {}
"""CPU seconds of this process per measured call, by name (see _timed)."""


def _timed(fn: Callable[[], Any], cpu_key: str | None = None) -> float:
    """Wall-clock seconds of ``fn()``; with ``cpu_key``, also record this process's CPU time
    (the client's own work per transaction, which the machine's load does not inflate much)."""
    start, cpu = time.perf_counter(), time.process_time()
    fn()
    if cpu_key is not None:
        CPU.setdefault(cpu_key, []).append(time.process_time() - cpu)
    return time.perf_counter() - start


def _receipts_one_by_one(w3: Web3, hashes: list[Any]) -> None:
    for h in hashes:
        while True:
            try:
                if w3.eth.get_transaction_receipt(h) is not None:
                    break
            except Exception:
                time.sleep(0.005)


def _receipts_batched(w3: Web3, hashes: list[str]) -> None:
    missing = list(hashes)
    while missing:
        answers = w3.provider.make_batch_request(  # type: ignore[attr-defined]
            [("eth_getTransactionReceipt", [h]) for h in missing]
        )
        missing = [h for h, a in zip(missing, answers, strict=True) if not a.get("result")]
        if missing:
            time.sleep(0.005)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=300, help="transactions per measurement")
    parser.add_argument("--port", type=int, default=BENCH_PORT)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds (median)")
    args = parser.parse_args()
    n, n_slow, rounds = args.n, max(20, args.n // 5), args.rounds

    state = Path(tempfile.mkdtemp(prefix="tierchain-throughput-"))
    chain = start_chain("anvil", args.port, state)
    try:
        w3 = connect(chain.url)
        version = w3.client_version.split("/")
        report = Report("throughput", f"anvil {version[1].lstrip('v') if len(version) > 1 else '?'}"
                        " (shanghai, automine)")  # fmt: skip
        keys = dev_accounts()
        admin, op = Sender(w3, keys[0]), Sender(w3, keys[1])
        d = deploy_all(w3, admin, keys[1].address, home=state / "home")
        c = Contracts.at(w3, d)
        c.membership.admit(admin, keys[1].address, Role.OPERATOR, Web3.keccak(text="op"))
        c.membership.admit_many(op, [
            (keys[2].address, Role.CORE_ENTERPRISE, Web3.keccak(text="core")),
            *[(keys[i].address, Role.SUPPLIER, Web3.keccak(text=f"s{i}")) for i in range(3, 8)],
        ])  # fmt: skip
        for i in (2, 3, 4, 5, 6):
            c.currency.mint(op, keys[i].address, 10**30)
        fees = Sender(w3, keys[5]).fees()

        def raw_run(fetch: Callable[[Web3, list[str]], None], acc: Any) -> float:
            """(a) pre-signed transfers (signed outside the clock), sent one by one."""
            nonce = w3.eth.get_transaction_count(acc.address)
            data = c.currency.request("transfer(address,uint256)", keys[7].address, 1).data
            signed = [acc.sign_transaction({"chainId": w3.eth.chain_id, "nonce": nonce + i,
                                            "gas": 60_000, "to": d.currency, "data": data,
                                            "value": 0, **fees}) for i in range(n)]  # fmt: skip

            def run() -> None:
                hashes = [w3.eth.send_raw_transaction(s.raw_transaction) for s in signed]
                fetch(w3, ["0x" + bytes(h).hex() for h in hashes])

            return n / _timed(run, "raw" if fetch is _receipts_one_by_one else "raw_b")

        # (b) web3.py's defaults, one transaction at a time
        erc20 = c.currency.contract

        def web3_transact() -> None:
            for _ in range(n_slow):
                h = erc20.functions.transfer(keys[7].address, 1).transact({"from": keys[2].address})
                w3.eth.wait_for_transaction_receipt(h)

        def web3_sign_send_wait() -> None:
            acc = keys[4]
            for _ in range(n_slow):
                tx = erc20.functions.transfer(keys[7].address, 1).build_transaction(
                    {"from": acc.address, "nonce": w3.eth.get_transaction_count(acc.address)}
                )
                h = w3.eth.send_raw_transaction(acc.sign_transaction(tx).raw_transaction)
                w3.eth.wait_for_transaction_receipt(h)

        report.add("tps.web3_transact_wait", round(n_slow / _timed(web3_transact), 1), "tx/s",
                   "web3-default")  # fmt: skip
        report.add("tps.web3_sign_send_wait", round(n_slow / _timed(web3_sign_send_wait), 1),
                   "tx/s", "web3-default")  # fmt: skip

        # (c) lifecycle operations through the library
        core, supplier = Sender(w3, keys[2]), Sender(w3, keys[3])
        root = bytes(Web3.keccak(text="throughput package"))
        face = 10**15
        c.registry.register_package(core, root, 1000, face, supplier.address, root)
        now = int(w3.eth.get_block("latest")["timestamp"])
        payable_id, piece = c.token.issue(core, supplier.address, face, d.currency,
                                          now + 90 * DAY, root, root)  # fmt: skip
        c.token.accept(supplier, payable_id)
        target = c.token.split(supplier, piece, keys[4].address, 1_000_000)

        def ops(count: int) -> list[TxRequest]:
            """Alternate: split 100.00 off the big piece to a supplier, move 1.00 into a piece."""
            out = []
            for i in range(count):
                if i % 2 == 0:
                    out.append(
                        c.token.request(
                            "transferFrom(uint256,address,uint256)",
                            piece,
                            keys[4 + i % 3].address,
                            10_000,
                            label="split",
                        )
                    )
                else:
                    out.append(
                        c.token.request("transferFrom(uint256,uint256,uint256)", piece, target, 100, label="move value")
                    )
            return out  # fmt: skip

        journal = Journal(state / "journal.sqlite")

        def journaled(workflow_id: str) -> None:
            wf = Workflow(journal, workflow_id, w3, estimate="shape")
            wf.parallel([Step(f"op-{i}", supplier, lambda o, r=r: r) for i, r in enumerate(ops(n))])
            wf.run()

        # the four figures compared, measured in interleaved rounds (the machine's load drifts):
        # the median of each is reported
        def raw_ops() -> float:
            """The same lifecycle operations pre-signed (outside the clock), sent raw."""
            signed = supplier.sign_many(ops(n), estimate="shape")

            def run() -> None:
                for s in signed:
                    w3.eth.send_raw_transaction(s.raw)
                _receipts_batched(w3, [s.tx_hash for s in signed])

            return n / _timed(run, "raw_ops")

        names = ("raw", "raw_b", "raw_ops", "lib", "journal")
        rates: dict[str, list[float]] = {k: [] for k in names}
        for r in range(rounds):
            rates["raw"].append(raw_run(_receipts_one_by_one, keys[5]))
            rates["raw_b"].append(raw_run(_receipts_batched, keys[6]))
            rates["raw_ops"].append(raw_ops())
            rates["lib"].append(n / _timed(lambda: supplier.send_many(ops(n), estimate="shape"), "lib"))
            rates["journal"].append(n / _timed(lambda r=r: journaled(f"throughput-{r}"), "journal"))
        med = {k: statistics.median(v) for k, v in rates.items()}
        raw = max(med["raw"], med["raw_b"])
        report.add("tps.raw_signed", round(med["raw"], 1), "tx/s", "raw")
        report.add("tps.raw_signed:receipts=batched", round(med["raw_b"], 1), "tx/s", "raw")
        report.add("tps.raw_signed:ops=lifecycle", round(med["raw_ops"], 1), "tx/s", "raw")
        rate_lib, rate_journal = med["lib"], med["journal"]
        report.add("tps.library_lifecycle", round(rate_lib, 1), "tx/s")
        report.add("tps.library_lifecycle:journal=yes", round(rate_journal, 1), "tx/s")

        def sequential_journal() -> None:
            wf = Workflow(journal, "throughput-sequential", w3, estimate="shape")
            for i, r in enumerate(ops(n_slow)):
                wf.step(f"op-{i}", supplier, lambda o, r=r: r)
            wf.run()

        report.add("tps.library_lifecycle:journal=yes,one_step_at_a_time",
                   round(n_slow / _timed(sequential_journal), 1), "tx/s")  # fmt: skip
        report.add("tps.library_lifecycle:estimate=each",
                   round(n / _timed(lambda: supplier.send_many(ops(n))), 1), "tx/s")  # fmt: skip

        def one_by_one() -> None:
            for r in ops(n_slow):
                supplier.send(r)

        report.add("tps.library_send_one_at_a_time", round(n_slow / _timed(one_by_one), 1), "tx/s")
        for key, metric in (("raw_b", "cpu_per_tx.raw_signed"), ("raw_ops", "cpu_per_tx.raw_signed:ops=lifecycle"),
                            ("lib", "cpu_per_tx.library_lifecycle"),
                            ("journal", "cpu_per_tx.library_lifecycle:journal=yes")):  # fmt: skip
            report.add(metric, round(1000 * statistics.median(CPU[key]) / n, 2), "ms",
                       "raw" if key.startswith("raw") else "tierchain")  # fmt: skip
        report.add("ratio.library_to_raw", round(rate_lib / raw, 2), "x")
        report.add("ratio.library_to_raw:journal=yes", round(rate_journal / raw, 2), "x")
        report.add("ratio.library_to_raw:ops=lifecycle", round(rate_lib / med["raw_ops"], 2), "x")
        report.add("ratio.library_to_raw:ops=lifecycle,journal=yes",
                   round(rate_journal / med["raw_ops"], 2), "x")  # fmt: skip
        report.print()
        print(f"wrote {report.write()}")
        return 0
    finally:
        stop_chain(state)
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
