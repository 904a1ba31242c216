"""``tierchain invoices package|register|prove``: invoice files → packages → the registry.

``package`` reads a CSV/JSON invoice file (docs/INVOICES.md), refuses invoices already in a
registered package this home knows (``<home>/packages/known.sqlite``, double financing T1),
replaces a package built here but never registered, and writes the package file once (it holds
the salts: keep it private). ``register`` puts the package's
root on chain (the core enterprise signs); ``prove`` proves one invoice and has the registry
verify the proof.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from web3 import Web3

from tierchain.audit import index as ix
from tierchain.chain.deployment import state_home
from tierchain.chain.local import chain_status
from tierchain.cli.common import (
    CliState,
    chain_options,
    command_options,
    format_instant,
    local_chain_dir,
    parse_address,
    parse_bytes32,
    pass_state,
)
from tierchain.core.errors import TierchainError, UsageError
from tierchain.core.ids import Role
from tierchain.core.money import format_cents
from tierchain.invoices import packages as inv
from tierchain.invoices.bulk import package_invoice_file
from tierchain.invoices.known import InvoicesRegisteredError, KnownPackages, RegisteredCheck


class ProofRejectedError(TierchainError):
    """The registry did not accept an invoice proof."""


def known_store() -> KnownPackages:
    """This home's known invoices (``<home>/packages/known.sqlite``)."""
    return KnownPackages(state_home() / "packages")


def registration_check(state: CliState) -> RegisteredCheck:
    """Whether a root is registered, asked of the chain when one answers without being started
    (``--rpc``, or the local chain already running), else of the audit indexes under home;
    None when neither can tell."""

    def check(root: bytes) -> bool | None:
        if state.rpc or chain_status(local_chain_dir()) is not None:
            try:
                return state.contracts().registry.package_of(root).status != "none"
            except (TierchainError, OSError, ValueError):
                pass  # no deployment recorded there, or no answer: try the index
        folder = ix.default_index_path(0).parent
        answer: bool | None = None
        for db in sorted(folder.glob("*.sqlite")) if folder.is_dir() else []:
            try:
                index = ix.Index(db, readonly=True)
            except (TierchainError, sqlite3.Error):
                continue
            try:
                if ix.package(index, "0x" + root.hex()) is not None:
                    return True
                answer = False
            except sqlite3.Error:
                continue
            finally:
                index.close()
        return answer

    return check


def _summary(pkg: inv.Package) -> dict[str, Any]:
    return {
        "root": pkg.root,
        "count": pkg.count,
        "total": format_cents(pkg.total_cents, grouping=False),
        "total_cents": pkg.total_cents,
        "currency": pkg.currency,
        "seller_id": pkg.seller_id,
        "buyer_id": pkg.buyer_id,
    }


def _load(path: Path) -> inv.Package:
    if not path.is_file():
        raise UsageError(f"{path}: no such package file")
    return inv.load_package(path)


@click.group()
def invoices() -> None:
    """Invoice packages: build from a file, register on chain, prove an invoice."""


@invoices.command("package")
@click.argument("invoice_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--out", "out_file", type=click.Path(dir_okay=False, path_type=Path),
              required=True, help="the package file to write (must not exist)")  # fmt: skip
@chain_options
@pass_state
def package(state: CliState, invoice_file: Path, out_file: Path) -> None:
    """Build a package (Merkle tree over salted invoice hashes) from a CSV or JSON file.

    Invoices already in a registered package are refused; a package built earlier but never
    registered that shares invoices with this one is replaced (its invoices are released). The
    chain is asked with --rpc or when the local chain runs, else the audit index.

    Example: tierchain invoices package invoices.csv -o invoices.tcpkg
    """
    if not invoice_file.is_file():
        raise UsageError(f"{invoice_file}: no such invoice file")
    if out_file.exists():
        raise UsageError(f"{out_file} exists; choose another --out")
    with state.progress() as bar:
        task = bar.add_task("package", total=3)
        bar.update(task, description=f"reading and hashing {invoice_file.name}")
        pkg = package_invoice_file(invoice_file)
        bar.update(task, advance=1, description="checking known invoices")
        check = registration_check(state)
        with known_store() as store, store.adding(pkg, file=out_file, is_registered=check) as replaced:
            bar.update(task, advance=1, description=f"writing {out_file.name}")
            inv.save_package(pkg, out_file)
        bar.update(task, advance=1)
    doc = {
        **_summary(pkg),
        "file": str(out_file),
        "replaced": [{"root": r.root, "count": r.count, "file": r.file} for r in replaced],
    }
    lines = [
        f"package 0x{pkg.root.hex()}: {pkg.count:,} invoices, total {format_cents(pkg.total_cents)} {pkg.currency}",
        f"written to {out_file} (it holds the salts: keep it private)",
    ]
    lines += [f"replaces {r.describe()}: never registered, its invoices are released" for r in replaced]
    state.emit(doc, "\n".join(lines))


@invoices.command("register")
@click.argument("package_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--seller",
    required=True,
    metavar="ADDRESS",
    help="the supplier the invoices are owed to (an active supplier member)",
)
@click.option(
    "--document",
    "document_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="the off-chain package document to hash [default: the package file]",
)
@click.option("--document-hash", "document_hex", default=None, metavar="0x..32 BYTES")
@command_options
@pass_state
def register(
    state: CliState, package_file: Path, seller: str, document_file: Path | None,
    document_hex: str | None,
) -> None:  # fmt: skip
    """Register PACKAGE_FILE's root on chain; the core enterprise that owes the invoices signs."""
    seller_address = parse_address(seller, "--seller")
    if document_file is not None and document_hex is not None:
        raise UsageError("give either --document or --document-hash, not both")
    pkg = _load(package_file)
    if document_hex is not None:
        document_hash = parse_bytes32(document_hex, "--document-hash")
    else:
        source = document_file or package_file
        if not source.is_file():
            raise UsageError(f"{source}: no such document")
        document_hash = bytes(Web3.keccak(source.read_bytes()))
    c = state.contracts()
    existing = c.registry.package_of(pkg.root)
    if existing.status != "none":
        with known_store() as store:
            store.mark_registered(pkg, file=package_file)
        raise UsageError(f"package 0x{pkg.root.hex()} is already registered (by {existing.debtor}, {existing.status})")
    with known_store() as store:
        taken = [k for k in store.conflicts(pkg) if k.package.status == "registered"]
    if taken:
        raise UsageError(str(InvoicesRegisteredError(taken)))
    debtor = state.signer_address()
    who = c.membership.member_of(debtor)
    if who.status != "active" or not who.roles & Role.CORE_ENTERPRISE:
        raise UsageError(f"the signer {debtor} is not an active core enterprise member")
    sel = c.membership.member_of(seller_address)
    if sel.status != "active" or not sel.roles & Role.SUPPLIER:
        raise UsageError(f"--seller {seller_address} is not an active supplier member")
    receipt = c.registry.register_package(
        state.signer(), pkg.root, pkg.count, pkg.total_cents, seller_address, document_hash
    )
    with known_store() as store:  # from now on its invoices block other packages
        store.mark_registered(pkg, file=package_file)
    state.emit(
        {**_summary(pkg), "debtor": debtor, "seller": seller_address,
         "document_hash": document_hash, "tx": receipt.tx_hash, "block": receipt.block_number},
        f"registered package 0x{pkg.root.hex()} ({pkg.count:,} invoices, "
        f"{format_cents(pkg.total_cents)} {pkg.currency}) owed to {seller_address} "
        f"(tx {receipt.tx_hash})",
    )  # fmt: skip


@invoices.command("prove")
@click.argument("package_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--code", "invoice_code", required=True, help="the invoice code")
@click.option("--number", "invoice_number", required=True, help="the invoice number")
@command_options
@pass_state
def prove(state: CliState, package_file: Path, invoice_code: str, invoice_number: str) -> None:
    """Prove one invoice of PACKAGE_FILE and have the registry verify the proof on chain."""
    pkg = _load(package_file)
    try:
        proof = inv.prove(pkg, invoice_code, invoice_number)
    except inv.PackageError:
        raise UsageError(f"invoice {invoice_code}/{invoice_number} is not in {package_file}") from None
    if not inv.verify_invoice_proof(proof, root=pkg.root):
        raise ProofRejectedError("the proof does not verify locally: the package file is damaged")
    c = state.contracts()
    record = c.registry.package_of(pkg.root)
    if record.status == "none":
        raise UsageError(f"package 0x{pkg.root.hex()} is not registered on this chain")
    on_chain = c.registry.verify_invoice(proof.root, proof.key, proof.details_hash, proof.proof)
    if not on_chain:
        raise ProofRejectedError(f"the registry rejected the proof for {invoice_code}/{invoice_number}")
    entry = pkg.entry(pkg.position(proof.key))
    registration = c.registry.registration_of(proof.root)
    registered_at = format_instant(registration.registered_at) if registration else "unknown"
    doc = {
        "invoice_code": entry.invoice.invoice_code,
        "invoice_number": entry.invoice.invoice_number,
        "root": proof.root,
        "key": proof.key,
        "details_hash": proof.details_hash,
        "leaf": proof.leaf,
        "proof": list(proof.proof),
        "verified_on_chain": True,
        "package_status": record.status,
        "registered_at": registered_at,
        "debtor": record.debtor,
        "seller": record.seller,
    }

    def human(out: Console) -> None:
        out.print(
            f"invoice {entry.invoice.invoice_code}/{entry.invoice.invoice_number} is in package "
            f"0x{proof.root.hex()} (registered {doc['registered_at']} by {record.debtor}, "
            f"{record.status}): verified on chain"
        )
        out.print(f"key          0x{proof.key.hex()}\ndetails hash 0x{proof.details_hash.hex()}")
        out.print(f"proof        {len(proof.proof)} hashes")
        for node in proof.proof:
            out.print(f"  0x{node.hex()}")

    state.emit(doc, human)
