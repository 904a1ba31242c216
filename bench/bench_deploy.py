"""Gas of a deploy: every contract of the set and every wiring call, from the journaled deploy
the CLI runs (tierchain.workflows.deploy.PLAN), and the dry run's estimate beside it.

Run: `python -m bench.bench_deploy [--chain ganache|anvil]` (make bench). Starts and stops its
own local chain (shanghai) in a temporary folder.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.common import Report
from tierchain.chain.local import ChainKind, connect, dev_accounts, free_port, start_chain, stop_chain
from tierchain.chain.sender import Sender
from tierchain.workflows.deploy import PLAN, DeployParams, deploy_all, dry_run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--chain", choices=["ganache", "anvil"], default="ganache")
    args = parser.parse_args()
    kind: ChainKind = args.chain
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        chain = start_chain(kind, free_port(), home / "chain")
        try:
            w3 = connect(chain.url)
            version = str(w3.client_version).split("/")
            report = Report("deploy", f"{version[0].lower()} {version[1].lstrip('v')} (shanghai)")
            keys = dev_accounts()
            params = DeployParams(admin=keys[0].address, operator=keys[1].address)
            plan = dry_run(w3, keys[0].address, params)
            started = time.perf_counter()
            d = deploy_all(w3, Sender(w3, keys[0]), keys[1].address, home=home)
            elapsed = time.perf_counter() - started
        finally:
            stop_chain(home / "chain")
    estimates = {s.step.name: s.gas for s in plan.steps}
    for step in PLAN:
        kind_ = "contract" if step.creates else "call"
        report.add(f"gas.deploy:{kind_}={step.name}", d.gas_used[step.name], "gas")
    creations = sum(d.gas_used[s.name] for s in PLAN if s.creates)
    wiring = sum(d.gas_used[s.name] for s in PLAN if not s.creates)
    report.add("gas.deploy_contracts", creations, "gas")
    report.add("gas.deploy_wiring", wiring, "gas")
    report.add("gas.deploy_total", creations + wiring, "gas")
    report.add("gas.deploy_total", sum(estimates.values()), "gas", subject="dry-run-estimate")
    report.add("time.deploy", round(elapsed, 3), "s")
    report.print()
    print(f"wrote {report.write()}")


if __name__ == "__main__":
    main()
