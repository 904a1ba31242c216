"""JSON-RPC round trips per operation through the library (`rpc.calls:op=O`, unit `calls`).

Run: `python -m bench.bench_rpc` (make bench). Starts its own Ganache (stopped on exit, also on
SIGTERM), deploys the set with the development keys, then does each operation as one command
would, from a fresh connection: open it (the chain id, once), load and check the deployment (one
batch), the rules' reads (one batch; a `P1#1` name costs one more), the gas estimate and the
broadcast. Counted before the receipt poll (`eth_getTransactionReceipt` is left out). Issue 10's
goal: a split in at most 6 (it was about 24).
"""

from __future__ import annotations

import signal
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import Report

OPS = ("issue", "accept", "split", "move", "transfer")


def _on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)  # unwinds into the finally that stops the chain


def main() -> int:
    from tierchain.chain.local import dev_accounts, free_port, start_chain, stop_chain

    signal.signal(signal.SIGTERM, _on_sigterm)
    report = Report("rpc", None)
    with tempfile.TemporaryDirectory(prefix="bench-rpc-") as tmp:
        home = Path(tmp)
        chain = start_chain("ganache", free_port(), home / "chain")
        try:
            report.chain = "ganache (local, started by the bench)"
            measure(chain.url, home, dev_accounts(), report)
        finally:
            stop_chain(home / "chain")
    report.print()
    path = report.write()
    print(f"wrote {path}")
    return 0


def measure(url: str, home: Path, keys: list[Any], report: Report) -> None:
    from web3 import Web3

    from tierchain.chain.deployment import load_deployment
    from tierchain.chain.rpc import RpcCount, counting, open_web3
    from tierchain.chain.sender import Sender
    from tierchain.clients import rules
    from tierchain.clients.bundle import Contracts
    from tierchain.core.ids import Role
    from tierchain.invoices import packages as inv
    from tierchain.workflows.demo import credit_code, synthetic_invoices
    from tierchain.workflows.deploy import deploy_all

    admin, operator, core, s1, s2 = keys[0], keys[1], keys[2], keys[3], keys[4]
    setup = open_web3(url)
    deployment = deploy_all(setup, Sender(setup, admin), operator.address, home=home)
    c = Contracts.at(setup, deployment)
    c.membership.admit(Sender(setup, admin), operator.address, Role.OPERATOR, Web3.keccak(text="op"))
    c.membership.admit_many(
        Sender(setup, operator),
        [(core.address, Role.CORE_ENTERPRISE, Web3.keccak(text="core")),
         (s1.address, Role.SUPPLIER, Web3.keccak(text="s1")),
         (s2.address, Role.SUPPLIER, Web3.keccak(text="s2"))],
    )  # fmt: skip
    pkg = inv.build_package(synthetic_invoices(5, seller=credit_code(3), buyer=credit_code(2)))
    c.registry.register_package(
        Sender(setup, core), pkg.root, pkg.count, pkg.total_cents, s1.address, bytes(Web3.keccak(text="doc"))
    )
    now = int(setup.eth.get_block("latest")["timestamp"])
    maturity = now + 90 * 86_400
    state: dict[str, Any] = {}

    def command(op: str, body: Callable[[Web3, Contracts], None]) -> None:
        """One operation as one command: a fresh connection, the deployment, the op."""
        w3 = open_web3(url)
        opened = w3.provider.count.calls  # type: ignore[attr-defined]
        with counting(w3) as n:
            body(w3, Contracts.at(w3, load_deployment(w3, home=home)))
        poll = n.by_method["eth_getTransactionReceipt"]
        calls = opened + n.calls - poll
        report.add(f"rpc.calls:op={op}", calls, "calls")
        shown = RpcCount(calls, n.by_method)
        print(f"{op}: {shown.calls} calls before the receipt poll ({dict(n.by_method)})", file=sys.stderr)

    def issue(w3: Web3, cc: Contracts) -> None:
        view = rules.check_issue(cc, core.address, to=s1.address, value=4_000_00, maturity_at=maturity, root=pkg.root)
        state["payable"], state["token"] = cc.token.issue(
            view.prime(Sender(w3, core)), s1.address, 4_000_00, cc.deployment.currency, maturity, pkg.root,
            bytes(Web3.keccak(text="confirmation")),
        )  # fmt: skip

    def accept(w3: Web3, cc: Contracts) -> None:
        view = rules.check_accept(cc, s1.address, state["payable"])
        cc.token.accept(view.prime(Sender(w3, s1)), state["payable"])

    def split(w3: Web3, cc: Contracts) -> None:
        ref = rules.parse_piece(f"P{state['payable']}#1")
        view = rules.check_split(cc, s1.address, ref, s2.address, 1_000_00)
        state["second"] = cc.token.split(view.prime(Sender(w3, s1)), view.piece(ref).token_id, s2.address, 1_000_00)

    def move(w3: Web3, cc: Contracts) -> None:
        src, dst = rules.parse_piece(f"P{state['payable']}#1"), rules.parse_piece(f"P{state['payable']}#2")
        view = rules.check_move(cc, s1.address, src, dst, 100_00)
        cc.token.move_value(view.prime(Sender(w3, s1)), view.piece(src).token_id, view.piece(dst).token_id, 100_00)

    def transfer(w3: Web3, cc: Contracts) -> None:
        ref = rules.parse_piece(f"P{state['payable']}#2")
        view = rules.check_transfer(cc, s2.address, ref, s1.address)
        cc.token.transfer_whole(view.prime(Sender(w3, s2)), view.piece(ref).token_id, s1.address)

    for op, body in zip(OPS, (issue, accept, split, move, transfer), strict=True):
        command(op, body)


if __name__ == "__main__":
    sys.exit(main())
