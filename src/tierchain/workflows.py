"""Multi-step stories over the library. For now: the demo.

The demo deploys the set, admits a cast (core enterprise, six suppliers over three tiers, two
financiers, a guarantor, an auditor), registers a package of synthetic invoices, issues a
payable, has it accepted, split down two tiers, moved, transferred whole and merged, and prints
who holds what with each piece's provenance.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Final

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from rich.console import Console
from rich.table import Table
from rich.tree import Tree
from web3 import Web3

from tierchain import invoices
from tierchain.contracts import Contracts, PieceInfo, Role, short_id
from tierchain.deploy import DAY, Deployment, deploy_all
from tierchain.errors import ContractRevert, UsageError
from tierchain.money import format_cents
from tierchain.sender import Sender

DEMO_INVOICES: Final = 4_000
TENOR_DAYS: Final = 90


@dataclass(frozen=True)
class Party:
    name: str
    role: Role
    sender: Sender

    @property
    def address(self) -> ChecksumAddress:
        return self.sender.address


@dataclass
class DemoResult:
    deployment: Deployment
    payable_id: int
    face_value: int
    package_root: bytes
    invoice_count: int
    pieces: list[PieceInfo] = field(default_factory=list)
    names: dict[str, str] = field(default_factory=dict)
    rejected: str = ""

    def holder(self, token_id: int) -> str:
        for p in self.pieces:
            if p.token_id == token_id:
                return self.names.get(p.owner, p.owner)
        return "?"


def credit_code(n: int) -> str:
    """A well-formed synthetic unified social credit code (18 characters)."""
    return f"9131000{n:010d}X"


def synthetic_invoices(
    count: int, seller: str, buyer: str, seed: int = 7
) -> list[invoices.Invoice]:
    """``count`` plausible invoices from ``seller`` to ``buyer`` (amounts 1,000.00-5,000.00)."""
    rng = random.Random(seed)
    start = date(2026, 9, 1)
    return [
        invoices.Invoice(
            seller_id=seller,
            buyer_id=buyer,
            invoice_code="3100262130",
            invoice_number=f"{i:08d}",
            issue_date=start + timedelta(days=i % 60),
            amount_cents=rng.randrange(100_000, 500_001),
            currency="CNY",
            order_ref=f"PO-2026-{i // 50:05d}",
        )
        for i in range(1, count + 1)
    ]


def _cast(w3: Web3, accounts: Sequence[LocalAccount]) -> dict[str, Party]:
    if len(accounts) < 14:
        raise UsageError(f"the demo needs 14 accounts, got {len(accounts)}")
    plan: list[tuple[str, Role]] = [
        ("platform admin", Role.OPERATOR),
        ("platform operator", Role.OPERATOR),
        ("core enterprise", Role.CORE_ENTERPRISE),
        ("tier-1 supplier", Role.SUPPLIER),
        ("tier-2 supplier A", Role.SUPPLIER),
        ("tier-2 supplier B", Role.SUPPLIER),
        ("tier-3 workshop A1", Role.SUPPLIER),
        ("tier-3 workshop A2", Role.SUPPLIER),
        ("tier-3 workshop B1", Role.SUPPLIER),
        ("bank", Role.FINANCIER),
        ("factoring company", Role.FINANCIER),
        ("guarantor", Role.GUARANTOR),
        ("auditor", Role.AUDITOR),
        ("regulator", Role.REGULATOR),
    ]
    return {
        name: Party(name, role, Sender(w3, acc))
        for (name, role), acc in zip(plan, accounts[:14], strict=True)
    }


def run_demo(
    w3: Web3,
    accounts: Sequence[LocalAccount],
    out: Console | None = None,
    *,
    home: Path | None = None,
    invoice_count: int = DEMO_INVOICES,
) -> DemoResult:
    """Run the demo story on ``w3`` with ``accounts`` (at least 14 funded local accounts)."""
    console = out or Console()
    cast = _cast(w3, accounts)
    admin, op, core = cast["platform admin"], cast["platform operator"], cast["core enterprise"]
    t1, t2a, t2b = cast["tier-1 supplier"], cast["tier-2 supplier A"], cast["tier-2 supplier B"]
    a1, a2, b1 = (cast[f"tier-3 workshop {n}"] for n in ("A1", "A2", "B1"))
    bank = cast["bank"]
    names: dict[str, str] = {p.address: p.name for p in cast.values()}
    h = Web3.keccak

    console.rule("[bold]tierchain demo")
    console.print(f"chain id {w3.eth.chain_id}, block {w3.eth.block_number}")

    # 1. deploy and wire
    deployment = deploy_all(w3, admin.sender, op.address, home=home)
    c = Contracts.at(w3, deployment)
    console.print(
        f"deployed: Membership {deployment.membership}, InvoiceRegistry {deployment.registry}, "
        f"PayableToken {deployment.token}, eCNY {deployment.currency}"
    )

    # 2. admit the cast (governance roles by the admin, the rest by the operator, pipelined)
    c.membership.admit_many(
        admin.sender,
        [(p.address, p.role, bytes(h(text=f"id:{p.name}"))) for p in (op, cast["regulator"])],
    )
    business = [p for p in cast.values() if p.role not in (Role.OPERATOR, Role.REGULATOR)]
    c.membership.admit_many(
        op.sender, [(p.address, p.role, bytes(h(text=f"id:{p.name}"))) for p in business]
    )
    console.print(f"admitted {len(business) + 2} members")

    # 3. the core enterprise registers a package of the tier-1 supplier's invoices
    package = invoices.build_package(
        synthetic_invoices(invoice_count, seller=credit_code(3), buyer=credit_code(2))
    )
    document_hash = bytes(h(b"demo package document " + package.root))
    c.registry.register_package(
        core.sender, package.root, package.count, package.total_cents, t1.address, document_hash
    )
    console.print(
        f"registered package 0x{package.root.hex()[:16]}...: {package.count:,} invoices, "
        f"total {format_cents(package.total_cents)} CNY"
    )

    # 4. issue and accept (开立 / 签收)
    face = package.total_cents
    now = int(w3.eth.get_block("latest")["timestamp"])
    payable_id, issued = c.token.issue(
        core.sender, t1.address, face, deployment.currency, now + TENOR_DAYS * DAY,
        package.root, bytes(h(text="confirmation document")),
    )  # fmt: skip
    c.token.accept(t1.sender, payable_id)
    console.print(f"issued payable {payable_id} ({format_cents(face)}), accepted by {t1.name}")

    # 5. split down two tiers (拆分 / 流转), move value, transfer whole, merge
    tenth = face // 10
    to_a = c.token.split(t1.sender, issued, t2a.address, 3 * tenth)
    to_b = c.token.split(t1.sender, issued, t2b.address, 2 * tenth)
    to_a1 = c.token.split(t2a.sender, to_a, a1.address, tenth)
    to_a2 = c.token.split(t2a.sender, to_a, a2.address, tenth // 2)
    c.token.move_value(t2a.sender, to_a, to_a1, tenth // 4)
    to_b1 = c.token.split(t2b.sender, to_b, b1.address, tenth // 2)
    to_b1_more = c.token.split(t2b.sender, to_b, b1.address, tenth // 4)
    c.token.merge(b1.sender, to_b1_more, to_b1)
    c.token.transfer_whole(a2.sender, to_a2, bank.address)
    console.print("split to tier 2 and tier 3, moved value, merged, and sold one piece whole")

    # 6. a rule the contract enforces: no piece below the minimum value
    rejected = ""
    try:
        c.token.split(a1.sender, to_a1, b1.address, 50)
    except ContractRevert as exc:
        rejected = str(exc)
        console.print(f"[yellow]refused as expected[/]: a 0.50 split -> {exc}")

    pieces = [p for p in c.token.pieces_of_payable(payable_id)]
    result = DemoResult(deployment, payable_id, face, package.root, package.count, pieces, names,
                        rejected)  # fmt: skip
    print_positions(console, result)
    return result


def print_positions(console: Console, result: DemoResult) -> None:
    """Holders, values and provenance of the demo payable."""
    table = Table(title=f"Payable {result.payable_id}: pieces and holders")
    for col, justify in (("piece", "left"), ("split from", "left"), ("holder", "left"),
                         ("value (CNY)", "right"), ("state", "left")):  # fmt: skip
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    live_total = 0
    for p in result.pieces:
        state = "live" if p.live else "merged / burned"
        if p.live:
            live_total += p.value
        table.add_row(
            short_id(p.token_id),
            short_id(p.parent_token_id) if p.parent_token_id else "(issued)",
            result.names.get(p.owner, p.owner) if p.live else "-",
            format_cents(p.value) if p.live else "-",
            state,
        )
    console.print(table)
    console.print(
        f"sum of live pieces {format_cents(live_total)} == face value "
        f"{format_cents(result.face_value)}: {'yes' if live_total == result.face_value else 'NO'}"
    )
    by_id = {p.token_id: p for p in result.pieces}
    roots = [p for p in result.pieces if not p.parent_token_id]
    tree = Tree(
        f"provenance of payable {result.payable_id} (invoice package "
        f"0x{result.package_root.hex()[:16]}..., {result.invoice_count:,} invoices)"
    )

    def grow(node: Tree, piece: PieceInfo) -> None:
        who = result.names.get(piece.owner, piece.owner) if piece.live else "burned"
        label = f"{short_id(piece.token_id)}  {who}"
        if piece.live:
            label += f"  {format_cents(piece.value)}"
        branch = node.add(label)
        for child in result.pieces:
            if child.parent_token_id == piece.token_id and child.token_id in by_id:
                grow(branch, child)

    for r in roots:
        grow(tree, r)
    console.print(tree)
