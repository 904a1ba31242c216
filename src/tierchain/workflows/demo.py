"""Multi-step stories over the library. The main one: the demo (``tierchain demo``).

The demo tells the whole story of one core enterprise's payables on a local chain:

1. deploy and wire the contract set; admit the cast (a core enterprise, six suppliers over three
   tiers, two financiers, a guarantor, an auditor, a regulator);
2. the core enterprise registers a package of ~4,000 invoices of its tier-1 supplier and issues
   two payables against it (A: 90 days; B: 60 days);
3. the tier-1 supplier accepts A with a signed request the operator relays (no gas of its own),
   and B directly; the pieces are split down the tiers (one split also signed and relayed);
4. two financings: the bank buys a tier-3 workshop's piece of A at 6 % a year without recourse
   (the workshop takes the offer gaslessly, through the relay), the factoring company buys part
   of a tier-2 supplier's piece of B at a fixed price with recourse;
5. the guarantor guarantees half of B; the core enterprise pays 40 % of A before maturity;
6. time moves to maturity: holders of A claim pro rata, the core enterprise pays the rest, the
   holders claim the remainder and their pieces are burned;
7. B is paid only 20 %: after the grace period it is marked overdue, the guarantor pays its
   half, the holders claim, the factoring company exercises recourse against the supplier it
   bought from, which settles it and takes the piece back; the core enterprise repays part of
   the guarantor's claim;
8. the auditor's index is synced; who holds what and who was paid what is printed; a JSON and a
   CSV audit report and an SVG provenance picture per payable are written.

Every amount is integer cents; every write goes through :class:`tierchain.chain.sender.Sender`.
"""

from __future__ import annotations

import csv
import io
import json
import random
import secrets
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from rich.console import Console
from rich.table import Table
from rich.tree import Tree
from web3 import Web3

from tierchain.audit import index as ix
from tierchain.audit import report
from tierchain.chain.abi import call_data
from tierchain.chain.deployment import DAY, Deployment, genesis_hash
from tierchain.chain.local import (
    ChainKind,
    advance_time,
    chain_status,
    connect,
    dev_accounts,
    free_port,
    start_chain,
    stop_chain,
)
from tierchain.chain.sender import Receipt, Sender
from tierchain.clients.bundle import Contracts
from tierchain.clients.contracts import PieceInfo
from tierchain.clients.desk import OFFER_TUPLE, Offer
from tierchain.clients.requests import AcceptPayable, Call, SplitPiece, deadline_in, sign_request
from tierchain.core.errors import ContractRevert, UsageError
from tierchain.core.ids import Role, short_id, split_token_id
from tierchain.core.jsonsafe import js_safe
from tierchain.core.money import cents_to_units, discount_price, format_cents
from tierchain.invoices import packages as invoices
from tierchain.workflows.deploy import deploy_all
from tierchain.workflows.journal import Journal, JournalError, Script

DEMO_INVOICES: Final = 4_000
TENOR_A_DAYS: Final = 90
TENOR_B_DAYS: Final = 60
BANK_RATE_BPS: Final = 600  # 6 % a year
MAX_UINT256: Final = 2**256 - 1


@dataclass(frozen=True)
class Party:
    name: str
    role: Role
    sender: Sender
    account: LocalAccount

    @property
    def address(self) -> ChecksumAddress:
        return self.sender.address


@dataclass(frozen=True)
class MoneyMove:
    """One movement of settlement currency in the story (cents), for the audit report."""

    step: str
    kind: str
    payable_id: int
    token_id: int
    payer: str
    payee: str
    cents: int
    tx_hash: str
    block_number: int


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
    payables: dict[str, int] = field(default_factory=dict)
    faces: dict[int, int] = field(default_factory=dict)
    moves: list[MoneyMove] = field(default_factory=list)
    financings: list[dict[str, Any]] = field(default_factory=list)
    balances_before: dict[str, int] = field(default_factory=dict)
    balances_after: dict[str, int] = field(default_factory=dict)
    settlement: dict[int, dict[str, Any]] = field(default_factory=dict)
    report_files: list[Path] = field(default_factory=list)

    def holder(self, token_id: int) -> str:
        for p in self.pieces:
            if p.token_id == token_id:
                return self.names.get(p.owner, p.owner)
        return "?"

    def paid_to(self, name: str) -> int:
        """Cents of settlement currency the party received in the story (all kinds)."""
        return sum(m.cents for m in self.moves if m.payee == name)

    def paid_by(self, name: str) -> int:
        return sum(m.cents for m in self.moves if m.payer == name)


def advance_to(w3: Web3, timestamp: int) -> None:
    """Move a local chain's clock to ``timestamp`` unless it is there already (idempotent: a
    resumed demo never moves time twice)."""
    now = int(w3.eth.get_block("latest")["timestamp"])
    if now < timestamp:
        advance_time(w3, timestamp - now)


def credit_code(n: int) -> str:
    """A well-formed synthetic unified social credit code (18 characters)."""
    return f"9131000{n:010d}X"


def synthetic_invoices(count: int, seller: str, buyer: str, seed: int = 7) -> list[invoices.Invoice]:
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


CAST: Final[tuple[tuple[str, Role], ...]] = (
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
)


def _cast(w3: Web3, accounts: Sequence[LocalAccount]) -> dict[str, Party]:
    if len(accounts) < len(CAST):
        raise UsageError(f"the demo needs {len(CAST)} accounts, got {len(accounts)}")
    return {
        name: Party(name, role, Sender(w3, acc), acc)
        for (name, role), acc in zip(CAST, accounts[: len(CAST)], strict=True)
    }


class _Story:
    """The demo's state while it runs: the cast, the clients, the money ledger."""

    def __init__(self, w3: Web3, cast: dict[str, Party], c: Contracts, console: Console, wf: Script) -> None:
        self.w3 = w3
        self.wf = wf
        self.cast = cast
        self.c = c
        self.console = console
        self.names: dict[str, str] = {p.address: p.name for p in cast.values()}
        self.moves: list[MoneyMove] = []
        self.financings: list[dict[str, Any]] = []
        self.step = ""

    def p(self, name: str) -> Party:
        return self.cast[name]

    def name(self, address: str) -> str:
        return self.names.get(Web3.to_checksum_address(address), address)

    def say(self, text: str) -> None:
        self.console.print(text)

    def record(
        self, kind: str, payable_id: int, token_id: int, payer: str, payee: str, cents: int, receipt: Receipt
    ) -> None:
        self.moves.append(
            MoneyMove(self.step, kind, payable_id, token_id, payer, payee, cents, receipt.tx_hash, receipt.block_number)
        )

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    # -- relayed requests ---------------------------------------------------------------------

    def relayed(self, who: Party, build: Any) -> Receipt:
        """``who`` signs a request (built from its next relay nonce and a deadline) with its own
        key; the operator relays it and pays the gas."""
        relay = self.c.relay
        request = build(relay.nonce_of(who.address), deadline_in(self.w3, 3600))
        signed = sign_request(request, relay.domain(self.w3.eth.chain_id), who.account)
        return relay.relay(self.p("platform operator").sender, signed)

    # -- settlement ---------------------------------------------------------------------------

    def claim_all(self, payable_id: int, round_name: str) -> list[tuple[str, str, int, bool]]:
        """The operator pays every piece of the payable what it is owed now, each to its holder,
        in one claimMany (the list of pieces is remembered: a re-run claims the same list)."""
        owed = self.wf.remember(
            f"claimable {round_name}",
            lambda: [str(p.token_id) for p in self.c.token.pieces_of_payable(payable_id)
                     if p.live and self.c.settlement.owed_of(p.token_id) > 0],
        )  # fmt: skip
        if not owed:
            return []
        result = self.c.settlement.claim_many(self.p("platform operator").sender, [int(t) for t in owed])
        rows = []
        for paid in result.paid:
            name = self.name(paid.holder)
            self.record("claim", payable_id, paid.token_id, "settlement escrow", name, paid.cents, result.receipt)
            rows.append((short_id(paid.token_id), name, paid.cents, paid.settled))
        return rows

    def claims_table(self, title: str, rows: list[tuple[str, str, int, bool]]) -> None:
        table = Table(title=title)
        for col, justify in (("piece", "left"), ("holder", "left"), ("claimed (CNY)", "right"), ("then", "left")):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for piece, holder, cents, burned in rows:
            table.add_row(piece, holder, format_cents(cents), "burned (paid in full)" if burned else "live")
        self.console.print(table)


def run_demo(
    w3: Web3,
    accounts: Sequence[LocalAccount],
    out: Console | None = None,
    *,
    home: Path | None = None,
    invoice_count: int = DEMO_INVOICES,
    report_dir: Path | None = None,
    journal: Journal | None = None,
    workflow_id: str = "demo",
) -> DemoResult:
    """Run the whole demo story on the local chain ``w3`` with ``accounts`` (at least 14 funded
    local accounts); write the audit report and pictures to ``report_dir`` (default
    ``<home>/demo-report``).

    The story is a journaled :class:`~tierchain.workflows.journal.Script` (``journal``, default
    ``<home>/journal/journal.sqlite``): every transaction of every party is recorded before it
    is sent, and what the story reads and later depends on is remembered. Killed anywhere, the
    same call with the same ``workflow_id`` on the same chain replays what was done (never
    signing it again) and goes on, to the same report."""
    console = out or Console()
    journal = journal or Journal((home or Path(".tierchain")) / "journal" / "journal.sqlite")
    workflow_id = _demo_id(journal, workflow_id, genesis_hash(w3))
    with Script.open(workflow_id, w3, journal=journal, kind="demo", params={"invoice_count": invoice_count}) as wf:
        if wf.resumed:
            console.print(f"[bold]resuming[/] the demo recorded in {journal.path}: done steps are replayed, not sent")
        cast = {n: replace(p, sender=wf.journaled(p.sender)) for n, p in _cast(w3, accounts).items()}
        return _story(w3, wf, cast, console, home, invoice_count, report_dir)


def _demo_id(journal: Journal, workflow_id: str, genesis: str) -> str:
    """``workflow_id`` if it is new or an unfinished demo on this chain (to resume), else the
    first free ``<id>-2``, ``<id>-3``, ...: a finished demo, or one on another chain, is history."""
    candidate, n = workflow_id, 1
    while True:
        record = journal.find(candidate)
        if record is None or (record.status != "done" and record.genesis_hash == genesis):
            return candidate
        n += 1
        candidate = f"{workflow_id}-{n}"


def _story(
    w3: Web3, wf: Script, cast: dict[str, Party], console: Console, home: Path | None, invoice_count: int,
    report_dir: Path | None,
) -> DemoResult:  # fmt: skip
    admin, op, core = cast["platform admin"], cast["platform operator"], cast["core enterprise"]
    t1, t2a, t2b = cast["tier-1 supplier"], cast["tier-2 supplier A"], cast["tier-2 supplier B"]
    a1, a2, b1 = (cast[f"tier-3 workshop {n}"] for n in ("A1", "A2", "B1"))
    bank, factor, guarantor = cast["bank"], cast["factoring company"], cast["guarantor"]
    h = Web3.keccak

    console.rule("[bold]tierchain demo")
    console.print(f"chain id {w3.eth.chain_id}, block {w3.eth.block_number}")

    # 1. deploy, wire, admit --------------------------------------------------------------------
    # The story's set, remembered by the script: a resumed demo gets the same addresses back; a
    # deploy killed half-way resumes inside deploy_all; a new story on the same chain deploys a
    # new set (replace=True: the previous record is kept beside it, renamed).
    deployment = Deployment.from_json(
        wf.remember("deployment", lambda: deploy_all(w3, admin.sender, op.address, home=home, replace=True).to_json())
    )
    c = Contracts.at(w3, deployment)
    s = _Story(w3, cast, c, console, wf)
    console.print(
        f"deployed: Membership {deployment.membership}, InvoiceRegistry {deployment.registry}, "
        f"RequestRelay {deployment.relay}, PayableToken {deployment.token}, FinancingDesk "
        f"{deployment.desk}, Settlement {deployment.settlement}, eCNY {deployment.currency}"
    )
    c.membership.admit_many(
        admin.sender,
        [(p.address, p.role, bytes(h(text=f"id:{p.name}"))) for p in (op, cast["regulator"])],
    )
    business = [p for p in cast.values() if p.role not in (Role.OPERATOR, Role.REGULATOR)]
    c.membership.admit_many(op.sender, [(p.address, p.role, bytes(h(text=f"id:{p.name}"))) for p in business])
    console.print(f"admitted {len(business) + 2} members")

    # 2. invoices → package → two payables ------------------------------------------------------
    s.step = "package"
    # The invoices' salts come from a seed drawn once and remembered: a resumed demo rebuilds the
    # very package it registered.
    seed = bytes.fromhex(str(wf.remember("invoice salt seed", lambda: secrets.token_hex(32))))
    salts = [bytes(h(seed + i.to_bytes(4, "big"))) for i in range(invoice_count)]
    package = invoices.build_package(
        synthetic_invoices(invoice_count, seller=credit_code(3), buyer=credit_code(2)), salts
    )
    c.registry.register_package(
        core.sender,
        package.root,
        package.count,
        package.total_cents,
        t1.address,
        bytes(h(b"demo package document " + package.root)),
    )
    console.print(
        f"registered package 0x{package.root.hex()[:16]}...: {package.count:,} invoices, "
        f"total {format_cents(package.total_cents)} CNY"
    )
    face_a = package.total_cents * 6 // 10  # rounded down; B takes the rest of the package
    face_b = package.total_cents - face_a
    now = int(wf.remember("now", s.now))
    pid_a, issued_a = c.token.issue(
        core.sender,
        t1.address,
        face_a,
        deployment.currency,
        now + TENOR_A_DAYS * DAY,
        package.root,
        bytes(h(text="confirmation A")),
    )
    pid_b, issued_b = c.token.issue(
        core.sender,
        t1.address,
        face_b,
        deployment.currency,
        now + TENOR_B_DAYS * DAY,
        package.root,
        bytes(h(text="confirmation B")),
    )
    console.print(
        f"issued payable A = {pid_a} ({format_cents(face_a)}, {TENOR_A_DAYS} days) and "
        f"B = {pid_b} ({format_cents(face_b)}, {TENOR_B_DAYS} days) to {t1.name}"
    )

    # 3. accept (A by a relayed signature, B directly) and split down the tiers ----------------
    s.step = "accept and split"
    s.relayed(t1, lambda nonce, deadline: AcceptPayable(t1.address, pid_a, nonce, deadline))
    c.token.accept(t1.sender, pid_b)
    console.print(f"{t1.name} accepted A with a signed request relayed by the operator (no gas), B itself")
    tenth = face_a // 10
    a_t2a = c.token.split(t1.sender, issued_a, t2a.address, 3 * tenth)
    a_t2b = c.token.split(t1.sender, issued_a, t2b.address, 2 * tenth)
    receipt = s.relayed(t2a, lambda nonce, deadline: SplitPiece(t2a.address, a_t2a, a1.address, tenth, nonce, deadline))
    a_a1 = int(receipt.event("TransferValue").args["_toTokenId"])
    a_a2 = c.token.split(t2a.sender, a_t2a, a2.address, tenth // 2)
    c.token.move_value(t2a.sender, a_t2a, a_a1, tenth // 4)
    a_b1 = c.token.split(t2b.sender, a_t2b, b1.address, tenth // 2)
    a_b1_more = c.token.split(t2b.sender, a_t2b, b1.address, tenth // 4)
    c.token.merge(b1.sender, a_b1_more, a_b1)
    c.token.transfer_whole(a2.sender, a_a2, b1.address)  # A2 pays its own supplier with the piece
    tenth_b = face_b // 10
    b_t2b = c.token.split(t1.sender, issued_b, t2b.address, 5 * tenth_b)
    c.token.split(t2b.sender, b_t2b, b1.address, tenth_b)
    console.print(
        "split A down three tiers (one split signed by the tier-2 supplier and relayed), moved "
        "value, merged two pieces; split B to tier 2 and tier 3"
    )

    def refused() -> str:
        """A 0.50 split (below the minimum piece), simulated: the chain refuses it."""
        try:
            a1.sender.estimate_gas(c.token.request("transferFrom(uint256,address,uint256)", a_a1, b1.address, 50))
        except ContractRevert as exc:
            return str(exc)
        return ""

    rejected = str(wf.remember("refused split", refused))
    if rejected:
        console.print(f"[yellow]refused as expected[/]: a 0.50 split -> {rejected}")

    # 4. money in place: eCNY for the payers, allowances ----------------------------------------
    s.step = "funding"
    funds = {core: face_a + face_b, bank: face_a, factor: face_b, guarantor: face_b, t2b: face_b}
    unit = int(cents_to_units(1, c.currency.decimals()))
    for party, cents in funds.items():
        c.currency.mint(op.sender, party.address, cents * unit)
    for party in (bank, factor):
        c.desk.approve_currency(party.sender, deployment.currency, MAX_UINT256)
    for party in (core, guarantor, t2b):
        c.settlement.approve(party.sender, deployment.currency)
    parties = list(cast.values())
    before = wf.remember("balances before", lambda: {p.name: c.currency.balance_of(p.address) // unit for p in parties})

    # 5. financing ------------------------------------------------------------------------------
    s.step = "financing"
    a1_value = int(wf.remember("a1 value", lambda: c.token.balance_of(a_a1)))
    offer1 = Offer.at_rate(bank.address, a_a1, a1_value, BANK_RATE_BPS, deadline=s.now() + DAY, seller=a1.address)
    signed1 = c.desk.sign(bank.account, offer1)
    take_data = call_data("FinancingDesk", f"take({OFFER_TUPLE},bytes)", offer1.as_tuple(), signed1.signature)
    receipt = s.relayed(a1, lambda nonce, deadline: Call(a1.address, deployment.desk, take_data, nonce, deadline))
    fin1 = receipt.event("Financed").args
    taken_at = int(w3.eth.get_block(receipt.block_number)["timestamp"])
    s.record("financing price", pid_a, int(fin1["tokenId"]), bank.name, a1.name, int(fin1["price"]), receipt)
    s.financings.append(
        {
            "offer": "bank, 6 % a year, without recourse",
            "piece": short_id(int(fin1["tokenId"])),
            "seller": a1.name,
            "financier": bank.name,
            "value_cents": int(fin1["value"]),
            "price_cents": int(fin1["price"]),
            "recourse": False,
            "seconds_left": (a_a1 >> 96) - taken_at,
            "expected_price_cents": discount_price(a1_value, BANK_RATE_BPS, (a_a1 >> 96) - taken_at),
        }
    )
    console.print(
        f"{bank.name} bought {a1.name}'s piece {short_id(a_a1)} ({format_cents(a1_value)}) at 6 % "
        f"a year for {format_cents(int(fin1['price']))}: the workshop signed, the operator relayed, "
        "piece and payment moved in one transaction"
    )
    part = int(wf.remember("factor part", lambda: c.token.balance_of(b_t2b) // 2))
    offer2 = Offer.fixed(
        factor.address, b_t2b, part, part * 98 // 100, deadline=s.now() + DAY, seller=t2b.address, recourse=True
    )
    result2 = c.desk.take(t2b.sender, c.desk.sign(factor.account, offer2))
    b_factor = result2.token_id
    s.record("financing price", pid_b, b_factor, factor.name, t2b.name, result2.price, result2.receipt)
    s.financings.append(
        {
            "offer": "factoring company, fixed 98 %, with recourse",
            "piece": short_id(b_factor),
            "seller": t2b.name,
            "financier": factor.name,
            "value_cents": result2.value,
            "price_cents": result2.price,
            "recourse": True,
        }
    )
    console.print(
        f"{factor.name} bought {format_cents(part)} of {t2b.name}'s piece of B for "
        f"{format_cents(result2.price)} with recourse (new piece {short_id(b_factor)})"
    )

    # 6. guarantee, opening, an early payment --------------------------------------------------
    s.step = "before maturity"
    c.settlement.open(op.sender, pid_a)
    c.settlement.open(op.sender, pid_b)
    c.settlement.guarantee(guarantor.sender, pid_b, face_b // 2)
    console.print(f"{guarantor.name} guaranteed {format_cents(face_b // 2)} of B")
    early = face_a * 4 // 10
    receipt = c.settlement.pay(core.sender, pid_a, early)
    s.record("payment", pid_a, 0, core.name, "settlement escrow", early, receipt)
    console.print(f"{core.name} paid {format_cents(early)} (40 %) of A into escrow before maturity")

    # 7. maturity of B, overdue, guarantee, recourse -------------------------------------------
    s.step = "payable B"
    advance_to(w3, issued_b >> 96)
    part_b = face_b // 5
    receipt = c.settlement.pay(core.sender, pid_b, part_b)
    s.record("payment", pid_b, 0, core.name, "settlement escrow", part_b, receipt)
    console.print(f"B matured; {core.name} paid only {format_cents(part_b)} (20 %)")
    grace = c.settlement.status_of(pid_b).grace_seconds
    advance_to(w3, (issued_b >> 96) + grace + 1)
    c.settlement.mark_overdue(cast["auditor"].sender, pid_b)
    console.print(f"after the {grace // DAY}-day grace period the auditor marked B overdue")
    receipt = c.settlement.guarantor_pay(guarantor.sender, pid_b, face_b // 2)
    s.record("guarantee payment", pid_b, 0, guarantor.name, "settlement escrow", face_b // 2, receipt)
    console.print(f"{guarantor.name} paid its {format_cents(face_b // 2)} into escrow")
    s.claims_table("B: claims after the debtor's 20 % and the guarantor's 50 %", s.claim_all(pid_b, "B"))
    uncovered = c.settlement.exercise_recourse(factor.sender, b_factor)
    console.print(
        f"{factor.name} exercised recourse on {short_id(b_factor)} against {t2b.name}: "
        f"{format_cents(uncovered)} uncovered"
    )
    receipt = c.settlement.settle_recourse_receipt(t2b.sender, b_factor)
    paid_back = int(receipt.event("RecourseSettled").args["paidCents"])
    s.record("recourse", pid_b, b_factor, t2b.name, factor.name, paid_back, receipt)
    console.print(
        f"{t2b.name} paid {format_cents(paid_back)} to {factor.name} and holds "
        f"{short_id(b_factor)} again (its claim on the rest of B is its own now)"
    )
    repay = face_b // 4
    receipt = c.settlement.repay_guarantor(core.sender, pid_b, repay)
    s.record("guarantor repayment", pid_b, 0, core.name, guarantor.name, repay, receipt)
    console.print(f"{core.name} repaid {format_cents(repay)} of the guarantor's claim")

    # 8. maturity of A: pro-rata claims, the rest paid, final claims ---------------------------
    s.step = "payable A"
    advance_to(w3, issued_a >> 96)
    s.claims_table("A at maturity: pro-rata claims on the 40 % paid early", s.claim_all(pid_a, "A early"))
    rest = face_a - early
    receipt = c.settlement.pay(core.sender, pid_a, rest)
    s.record("payment", pid_a, 0, core.name, "settlement escrow", rest, receipt)
    console.print(f"{core.name} paid the remaining {format_cents(rest)} of A")
    s.claims_table("A paid in full: final claims (pieces burned)", s.claim_all(pid_a, "A final"))

    # 9. the record: positions, payouts, report, pictures --------------------------------------
    after = {p.name: c.currency.balance_of(p.address) // unit for p in parties}
    pieces = [p for p in c.token.pieces_of_payable(pid_a)] + [p for p in c.token.pieces_of_payable(pid_b)]
    result = DemoResult(
        deployment,
        pid_a,
        face_a,
        package.root,
        package.count,
        pieces,
        s.names,
        rejected,
        payables={"A": pid_a, "B": pid_b},
        faces={pid_a: face_a, pid_b: face_b},
        moves=s.moves,
        financings=s.financings,
        balances_before=before,
        balances_after=after,
        settlement={pid: _settlement_doc(c, pid) for pid in (pid_a, pid_b)},
    )
    out_dir = report_dir or ((home or Path(".tierchain")) / "demo-report")
    result.report_files = write_report(w3, result, out_dir, home=home)
    print_positions(console, result, fates=_fates(out_dir / "index.sqlite", result))
    print_money(console, result)
    console.print("audit report: " + ", ".join(str(p) for p in result.report_files))
    return result


def demo_session(
    kind: ChainKind,
    home: Path,
    out_dir: Path,
    console: Console,
    *,
    port: int | None = None,
    invoice_count: int = DEMO_INVOICES,
) -> DemoResult:
    """``tierchain demo``: run the demo on its own local chain kept in ``home``, and stop it.

    If the previous demo in ``home`` did not finish (killed, or stopped by an error), its chain
    (still running, or restarted from its state) and its journal are taken up again and the
    story resumes where it stopped; otherwise ``home`` is cleared and the story starts on a fresh
    chain. Either way the report in ``out_dir`` is this run's."""
    journal_path = home / "journal" / "journal.sqlite"
    unfinished = False
    if journal_path.is_file():
        journal = Journal(journal_path)
        record = journal.find("demo")
        journal.close()
        unfinished = record is not None and record.status != "done"
    if unfinished:
        running = chain_status(home)
        if running is None:
            console.print(f"restarting the {kind} chain of the unfinished demo (state in {home}) ...")
            running = start_chain(kind, port or free_port(), home)
        url = running.url
    else:
        if home.exists():
            shutil.rmtree(home)
        console.print(f"starting {kind} (state in {home}) ...")
        url = start_chain(kind, port or free_port(), home).url
    try:
        w3 = connect(url)
        try:
            return run_demo(w3, dev_accounts(), console, home=home, invoice_count=invoice_count, report_dir=out_dir,
                            journal=Journal(journal_path))  # fmt: skip
        except JournalError as exc:
            if not unfinished:
                raise
            console.print(f"[yellow]the unfinished demo cannot be resumed[/] ({exc}); starting afresh")
    finally:
        stop_chain(home)
        console.print(f"{kind} stopped")
    shutil.rmtree(home)
    return demo_session(kind, home, out_dir, console, port=port, invoice_count=invoice_count)


def _settlement_doc(c: Contracts, payable_id: int) -> dict[str, Any]:
    st = c.settlement.status_of(payable_id)
    return {
        "state": st.state,
        "face_cents": st.face_value,
        "paid_cents": st.paid_cents,
        "unpaid_cents": st.unpaid_cents,
        "overdue": st.overdue,
        "guarantor": st.guarantor,
        "guarantee_limit_cents": st.guarantee_limit_cents,
        "guarantor_paid_cents": st.guarantor_paid_cents,
        "guarantor_repaid_cents": st.guarantor_repaid_cents,
        "guarantor_claim_open_cents": st.owed_to_guarantor_cents,
    }


def _fates(db_path: Path, result: DemoResult) -> dict[int, ix.PieceFate]:
    """Every demo piece's story from the report's index (burned pieces too), by token id."""
    if not db_path.is_file():
        return {}
    db = ix.Index(db_path, readonly=True)
    try:
        out: dict[int, ix.PieceFate] = {}
        for payable_id in result.payables.values() or (result.payable_id,):
            out.update(ix.piece_fates(db, payable_id))
        return out
    finally:
        db.close()


def print_positions(console: Console, result: DemoResult, fates: Mapping[int, ix.PieceFate] | None = None) -> None:
    """Pieces, holders and provenance of the demo payables. A piece that is gone (paid in full,
    merged) still shows who held it last, what it was worth when split, and how it ended (from
    the audit index's ``fates``)."""
    fates = fates or {}

    def who(address: str | None) -> str:
        return result.names.get(address or "", address or "-")

    for label, payable_id in result.payables.items() or {"A": result.payable_id}.items():
        pieces = [p for p in result.pieces if split_token_id(p.token_id).payable_id == payable_id]
        table = Table(title=f"Payable {label} (id {payable_id}): pieces and holders")
        for col, justify in (
            ("piece", "left"),
            ("split from", "left"),
            ("holder", "left"),
            ("value (CNY)", "right"),
            ("state", "left"),
        ):
            table.add_column(col, justify=justify)  # type: ignore[arg-type]
        for p in pieces:
            fate = fates.get(p.token_id)
            if p.live:
                holder, value = who(p.owner), format_cents(p.value)
                state = fate.describe(who) if fate is not None and fate.end != "live" else "live"
            elif fate is not None:
                holder, value, state = (
                    who(fate.holder),
                    format_cents(fate.value_at_split) + " at split",
                    fate.describe(who),
                )
            else:
                holder, value, state = "-", "-", "burned"
            table.add_row(
                short_id(p.token_id),
                short_id(p.parent_token_id) if p.parent_token_id else "(issued)",
                holder,
                value,
                state,
            )
        console.print(table)
        tree = Tree(
            f"provenance of payable {label} (invoice package 0x{result.package_root.hex()[:16]}..., "
            f"{result.invoice_count:,} invoices)"
        )

        def grow(node: Tree, piece: PieceInfo, pieces: list[PieceInfo] = pieces) -> None:
            fate = fates.get(piece.token_id)
            if piece.live:
                label_ = f"{short_id(piece.token_id)}  {who(piece.owner)}  {format_cents(piece.value)}"
            elif fate is not None:
                label_ = (
                    f"{short_id(piece.token_id)}  {who(fate.holder)}  {format_cents(fate.value_at_split)}: "
                    f"{fate.short(who)}"
                )
            else:
                label_ = f"{short_id(piece.token_id)}  burned"
            branch = node.add(label_)
            for child in pieces:
                if child.parent_token_id == piece.token_id:
                    grow(branch, child)

        for root in (p for p in pieces if not p.parent_token_id):
            grow(tree, root)
        console.print(tree)


def print_money(console: Console, result: DemoResult) -> None:
    """Who paid and who was paid what (cents, from the story's ledger and the balances)."""
    if not result.moves:
        return
    table = Table(title="Who paid and who was paid (CNY)")
    for col in ("party", "paid out", "received", "eCNY before", "eCNY after", "change"):
        table.add_column(col, justify="left" if col == "party" else "right")
    for name in result.balances_after:
        out_, in_ = result.paid_by(name), result.paid_to(name)
        before, after = result.balances_before.get(name, 0), result.balances_after[name]
        if out_ == in_ == 0 and before == after:
            continue
        table.add_row(
            name,
            format_cents(out_),
            format_cents(in_),
            format_cents(before),
            format_cents(after),
            ("+" if after >= before else "-") + format_cents(abs(after - before)),
        )
    console.print(table)
    for pid, doc in result.settlement.items():
        console.print(
            f"payable {pid}: {doc['state']}, paid {format_cents(doc['paid_cents'])} of "
            f"{format_cents(doc['face_cents'])}"
            + (
                f"; guarantor paid {format_cents(doc['guarantor_paid_cents'])}, repaid "
                f"{format_cents(doc['guarantor_repaid_cents'])}, still owed "
                f"{format_cents(doc['guarantor_claim_open_cents'])}"
                if doc["guarantor_paid_cents"]
                else ""
            )
        )
    for f in result.financings:
        console.print(
            f"financing: {f['financier']} bought {f['piece']} from {f['seller']}: value "
            f"{format_cents(f['value_cents'])}, price {format_cents(f['price_cents'])}, "
            f"{'with' if f['recourse'] else 'without'} recourse"
        )


def write_report(w3: Web3, result: DemoResult, out_dir: Path, *, home: Path | None = None) -> list[Path]:
    """Index the deployment's events (the auditor's view) and write ``report.json``,
    ``ledger.csv``, ``positions.csv`` and ``provenance-<payable>.svg`` to ``out_dir``.

    The report is built in a fresh directory beside ``out_dir`` and then put in its place (the
    previous report removed): ``out_dir`` always holds one whole report, the last run's, and
    its index is never a previous chain's."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    building = out_dir.with_name(f".{out_dir.name}.building")
    old = out_dir.with_name(f".{out_dir.name}.old")
    for leftover in (building, old):
        if leftover.exists():
            shutil.rmtree(leftover)
    building.mkdir()
    files = _write_report_files(w3, result, building)
    if out_dir.exists():
        out_dir.rename(old)
    building.rename(out_dir)
    if old.exists():
        shutil.rmtree(old)
    return [out_dir / f.name for f in files]


def _write_report_files(w3: Web3, result: DemoResult, out_dir: Path) -> list[Path]:
    db = ix.Index(out_dir / "index.sqlite")
    try:
        stats = ix.Indexer.for_deployment(w3, result.deployment, db).sync()
        labels = dict(result.names)
        files: list[Path] = []
        for label, pid in result.payables.items():
            svg = out_dir / f"provenance-{label}.svg"
            svg.write_text(report.provenance_svg(db, pid, labels=labels, title=f"payable {label} (id {pid})"))
            files.append(svg)
        positions = out_dir / "positions.csv"
        positions.write_text(report.export_positions(db, "csv", labels=labels))
        files.append(positions)
        ledger = out_dir / "ledger.csv"
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(
            ["step", "kind", "payable_id", "piece", "payer", "payee", "cents", "amount", "tx_hash", "block", "time"]
        )
        for m in result.moves:
            writer.writerow(
                [
                    m.step,
                    m.kind,
                    m.payable_id,
                    short_id(m.token_id) if m.token_id else "",
                    m.payer,
                    m.payee,
                    m.cents,
                    format_cents(m.cents, grouping=False),
                    m.tx_hash,
                    m.block_number,
                    report.block_time_iso(db, m.block_number),
                ]
            )
        ledger.write_text(buf.getvalue())
        files.append(ledger)
        doc = {
            "chain_id": result.deployment.chain_id,
            "deployment": result.deployment.to_json(),
            "package": {"root": "0x" + result.package_root.hex(), "invoices": result.invoice_count},
            "payables": {
                label: {"id": pid, "face_cents": result.faces.get(pid), **result.settlement.get(pid, {})}
                for label, pid in result.payables.items()
            },
            "pieces": [
                {
                    "piece": short_id(p.token_id),
                    "token_id": str(p.token_id),
                    "parent": short_id(p.parent_token_id) if p.parent_token_id else None,
                    "holder": result.names.get(p.owner, p.owner) if p.live else None,
                    "value_cents": p.value if p.live else 0,
                    "live": p.live,
                }
                for p in result.pieces
            ],
            "financings": result.financings,
            "ledger": [m.__dict__ | {"piece": short_id(m.token_id) if m.token_id else None} for m in result.moves],
            "balances_cents": {"before": result.balances_before, "after": result.balances_after},
            "index": {"events": db.event_count(), "events_per_second": round(stats.events_per_second, 1)},
            "from_index": {  # the auditor's view of the money, from the index alone
                "financings": [asdict(f) for f in ix.financing_history(db)],
                "settlement": [asdict(st) for st in ix.settlement_states(db)],
                "totals": asdict(ix.totals(db)),
            },
            "refused": result.rejected,
        }
        path = out_dir / "report.json"
        path.write_text(json.dumps(js_safe(doc), indent=1, default=str))  # token ids as strings
        files.insert(0, path)
        return files
    finally:
        db.close()


__all__ = ["DEMO_INVOICES", "DemoResult", "demo_session", "run_demo", "synthetic_invoices", "write_report"]
