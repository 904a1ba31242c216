"""Set a local chain up for the portal's supplier story (docs/PORTAL.md), with development keys.

    python scripts/portal_setup.py [--rpc URL]            # deploy if needed, admit the cast,
                                                          # register invoices, issue a payable
    python scripts/portal_setup.py maturity [--rpc URL]   # move the local clock to maturity;
                                                          # the core enterprise pays in full

Development keys only (local chains 1337/31337): 0 admin, 1 operator (the service relays with
it), 2 core enterprise, 3 the tier-1 supplier, 4 and 5 tier-2 suppliers, 9 a financier. The
invoice package file is written to <home>/portal/package.json for the portal's invoice proof.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from web3 import Web3

from tierchain.chain.deployment import DAY, load_deployment, state_home
from tierchain.chain.local import LOCAL_CHAIN_IDS, advance_time, connect, dev_accounts
from tierchain.chain.sender import Sender
from tierchain.clients.bundle import Contracts
from tierchain.core.errors import DeploymentError
from tierchain.core.ids import Role
from tierchain.core.money import format_cents
from tierchain.invoices import packages as invoices
from tierchain.workflows.demo import credit_code, synthetic_invoices
from tierchain.workflows.deploy import deploy_all

FACE = 1_000_000_00  # 1,000,000.00


def setup(w3: Web3, home: Path) -> None:
    keys = dev_accounts()
    admin, op = Sender(w3, keys[0]), Sender(w3, keys[1])
    try:
        deployment = load_deployment(w3, home=home)
        print(f"deployment found for chain {deployment.chain_id}")
    except DeploymentError:
        deployment = deploy_all(w3, admin, keys[1].address, home=home)
        print(f"deployed on chain {deployment.chain_id}")
    c = Contracts.at(w3, deployment)
    if c.membership.member_of(keys[1].address).status != "active":
        c.membership.admit(admin, keys[1].address, Role.OPERATOR, Web3.keccak(text="id:operator"))
    cast = [(keys[2].address, Role.CORE_ENTERPRISE, "core")]
    cast += [(keys[i].address, Role.SUPPLIER, f"supplier{i}") for i in (3, 4, 5)]
    cast += [(keys[9].address, Role.FINANCIER, "financier")]
    new = [(a, r, Web3.keccak(text=f"id:{n}")) for a, r, n in cast if c.membership.member_of(a).status != "active"]
    if new:
        c.membership.admit_many(op, new)
    core = Sender(w3, keys[2])
    package = invoices.build_package(synthetic_invoices(40, seller=credit_code(3), buyer=credit_code(2)))
    out = home / "portal"
    out.mkdir(parents=True, exist_ok=True)
    invoices.save_package(package, out / "package.json", overwrite=True)
    c.registry.register_package(core, package.root, package.count, package.total_cents, keys[3].address,
                                Web3.keccak(text="portal package"))  # fmt: skip
    now = int(w3.eth.get_block("latest")["timestamp"])
    face = min(FACE, package.total_cents)
    payable_id, _ = c.token.issue(core, keys[3].address, face, deployment.currency, now + 90 * DAY, package.root,
                                  Web3.keccak(text="portal confirmation"))  # fmt: skip
    unit = 10 ** (c.currency.decimals() - 2)
    c.currency.mint(op, keys[9].address, face * unit)
    c.currency.mint(op, keys[2].address, face * unit)
    c.settlement.approve(core, deployment.currency)
    (out / "setup.json").write_text(json.dumps({"payable_id": payable_id, "face_cents": face}))
    first = package.entry(0).invoice
    print(f"payable {payable_id} of {format_cents(face)} issued to {keys[3].address}: waiting for 签收")
    print(f"financier {keys[9].address} and core enterprise {keys[2].address} hold eCNY")
    print(f"invoice package: {out / 'package.json'} (an invoice in it: {first.invoice_code}/{first.invoice_number})")


def maturity(w3: Web3, home: Path) -> None:
    keys = dev_accounts()
    deployment = load_deployment(w3, home=home)
    c = Contracts.at(w3, deployment)
    done = json.loads((home / "portal" / "setup.json").read_text())
    payable = c.token.payable_of(done["payable_id"])
    now = int(w3.eth.get_block("latest")["timestamp"])
    if payable.maturity_at > now:
        advance_time(w3, payable.maturity_at - now + 60)
    c.settlement.pay(Sender(w3, keys[2]), done["payable_id"], done["face_cents"])
    print(f"payable {done['payable_id']} is due and paid in full: holders can claim (到期兑付)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("step", nargs="?", choices=("setup", "maturity"), default="setup")
    parser.add_argument("--rpc", default="http://127.0.0.1:8545", help="the local chain [default: %(default)s]")
    args = parser.parse_args(argv)
    w3 = connect(args.rpc)
    if w3.eth.chain_id not in LOCAL_CHAIN_IDS:
        print("development keys: local chains only", file=sys.stderr)
        return 2
    home = state_home()
    (setup if args.step == "setup" else maturity)(w3, home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
