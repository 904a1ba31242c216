"""Gas of the invoice registry: packages of any size in constant gas, a proof check as a
transaction, and the same invoices stored one by one as a naive registry would.

Run from the worktree root: `python -m bench.bench_registry` (SOLCX_BINARY_PATH and PATH set as
for brownie). Gas on Ganache 7.9.2, hardfork shanghai (shared/BENCH.md). BENCH_NETWORK picks
another brownie network (e.g. a Ganache on a private port when tierchain-ganache's is shared).
"""

from __future__ import annotations

import os
import statistics
import time
from typing import Any

from bench.chain import brownie_chain, chain_label
from bench.common import Report, pick
from tierchain.core.merkle import MerkleTree, leaf_hash

PACKAGE_SIZES = pick((100, 10_000), (100, 10_000, 1_000_000))  # 1,000,000: make bench-full
PROOF_PACKAGE_SIZE = 10_000  # 2^13 < 10,000 <= 2^14: most proofs have 14 siblings
NAIVE_SAMPLE = 200
ROLE_CORE_ENTERPRISE = 2
ROLE_SUPPLIER = 4
CENTS_PER_INVOICE = 250_000_00  # 250,000.00 a piece, an arbitrary but plausible figure


def random_invoices(n: int) -> list[tuple[bytes, bytes]]:
    """n (invoiceKey, detailsHash) pairs; the gas of registration depends on neither."""
    blob = os.urandom(64 * n)
    return [(blob[64 * i : 64 * i + 32], blob[64 * i + 32 : 64 * i + 64]) for i in range(n)]


def leaves_of(invoices: list[tuple[bytes, bytes]]) -> list[bytes]:
    return [leaf_hash(key, details) for key, details in invoices]


def main() -> None:
    network = os.environ.get("BENCH_NETWORK", "tierchain-ganache")
    with brownie_chain(network) as proj:
        from brownie import accounts

        report = Report("registry", chain_label(network))
        admin, core, supplier, token = accounts[0], accounts[1], accounts[2], accounts[3]
        membership = proj.Membership.deploy(admin, {"from": admin})
        membership.admit(core, ROLE_CORE_ENTERPRISE, b"\x01" * 32, {"from": admin})
        membership.admit(supplier, ROLE_SUPPLIER, b"\x02" * 32, {"from": admin})
        registry = proj.InvoiceRegistry.deploy(membership, {"from": admin})
        registry.bindToken(token, {"from": admin})

        def register(root: bytes, count: int) -> Any:
            return registry.registerPackage(
                root, count, count * CENTS_PER_INVOICE, supplier, os.urandom(32), {"from": core}
            )

        # -------------------------------------------------------------- packages of any size
        proof_invoices: list[tuple[bytes, bytes]] = []
        proof_tree: MerkleTree | None = None
        for n in PACKAGE_SIZES:
            invoices = random_invoices(n)
            started = time.perf_counter()
            if n == PROOF_PACKAGE_SIZE:
                proof_tree = MerkleTree(leaves_of(invoices))
                proof_invoices = invoices
                root = proof_tree.root
            else:
                root = MerkleTree(leaves_of(invoices)).root
            report.add(f"time.merkle_root:n={n}", round(time.perf_counter() - started, 3), "s")
            tx = register(root, n)
            report.add(f"gas.package_register:n={n}", tx.gas_used, "gas")
            if n == PROOF_PACKAGE_SIZE:
                report.add(f"gas.package_register_per_invoice:n={n}", round(tx.gas_used / n, 2), "gas")
        assert proof_tree is not None

        # -------------------------------------------------------------- one proof, as a transaction
        probe = proj.InvoiceProofProbe.deploy(registry, {"from": admin})
        key, details = next((k, d) for k, d in proof_invoices if len(proof_tree.proof(leaf_hash(k, d))) == 14)
        proof = proof_tree.proof(leaf_hash(key, details))
        # The registry's own state-changing check: a valid proof, put on record by an event.
        tx = registry.attestInvoice(proof_tree.root, key, details, proof, {"from": supplier})
        assert tx.events["InvoiceAttested"]["invoiceKey"] == "0x" + key.hex()
        report.add(f"gas.proof_verify:depth={len(proof)}", tx.gas_used, "gas")
        # The view called from another contract that records the answer (a bank's own contract).
        tx = probe.check(proof_tree.root, key, details, proof, {"from": supplier})
        assert tx.events["InvoiceChecked"]["valid"] is True
        report.add(f"gas.proof_verify_probe:depth={len(proof)}", tx.gas_used, "gas")
        # The same check sent straight to the view function: no probe hop, nothing kept.
        tx = registry.verifyInvoice.transact(proof_tree.root, key, details, proof, {"from": supplier})
        report.add(f"gas.proof_verify_direct:depth={len(proof)}", tx.gas_used, "gas")
        calldata = bytes.fromhex(tx.input[2:])
        zero_bytes = calldata.count(0)
        report.add(
            f"gas.proof_intrinsic:depth={len(proof)}",
            21_000 + 4 * zero_bytes + 16 * (len(calldata) - zero_bytes),
            "gas",
        )

        # -------------------------------------------------------------- consume and challenge
        tx = registry.consume(proof_tree.root, core, supplier, 1_000_000_00, {"from": token})
        report.add("gas.package_consume:first", tx.gas_used, "gas")
        tx = registry.consume(proof_tree.root, core, supplier, 1_000_000_00, {"from": token})
        report.add("gas.package_consume:next", tx.gas_used, "gas")
        duplicate = MerkleTree(
            [
                leaf_hash(key, details),
                *leaves_of(random_invoices(PROOF_PACKAGE_SIZE - 1)),
            ],
        )
        register(duplicate.root, PROOF_PACKAGE_SIZE)
        dup_proof = duplicate.proof(leaf_hash(key, details))
        tx = registry.voidDuplicate(
            key,
            proof_tree.root,
            details,
            proof,
            duplicate.root,
            details,
            dup_proof,
            {"from": supplier},
        )
        assert tx.events["PackageVoided"]["root"] == "0x" + duplicate.root.hex()
        report.add(f"gas.void_duplicate:depth={len(proof)}+{len(dup_proof)}", tx.gas_used, "gas")

        # -------------------------------------------------------------- naive: one by one
        naive = proj.NaiveInvoiceRegistry.deploy({"from": admin})
        sample = proof_invoices[:NAIVE_SAMPLE]
        gas = [naive.store(k, d, {"from": core}).gas_used for k, d in sample]
        mean = statistics.fmean(gas)
        report.add("gas.naive_register_per_invoice", round(mean, 2), "gas", subject="naive-registry")
        report.add(
            f"gas.naive_register_total:n={PROOF_PACKAGE_SIZE}",
            round(mean * PROOF_PACKAGE_SIZE),
            "gas",
            subject="naive-registry",
        )
        report.add(f"count.naive_sample:of={PROOF_PACKAGE_SIZE}", len(gas), "tx", subject="naive-registry")

        report.print()
        print(f"written: {report.write()}")


if __name__ == "__main__":
    main()
