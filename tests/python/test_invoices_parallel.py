"""The parallel package build (forked workers, shared map) against the serial one."""

from __future__ import annotations

from datetime import date

import pytest

from tierchain.core import merkle
from tierchain.invoices import packages as invoices
from tierchain.invoices.packages import Invoice, PackageError, build_package, invoice_leaf

SELLER = "91310000MA1FL0000X"
BUYER = "91440300MA5D00000Y"


def inv(i: int) -> Invoice:
    return Invoice(SELLER, BUYER, "3100231130", f"{i:08d}", date(2026, 11, 1), 10_000 + i, "CNY",
                   f"PO-{i}")  # fmt: skip


def salt(i: int) -> bytes:
    return merkle.keccak(b"salt" + i.to_bytes(4, "big"))


@pytest.mark.parametrize("n", [2, 3, 5, 8, 1000, 1025, 4097])
@pytest.mark.parametrize("workers", [2, 3, 4])
def test_parallel_build_equals_serial_build_level_by_level(n: int, workers: int) -> None:
    items = [inv(i) for i in range(n)]
    salts = [salt(i) for i in range(n)]
    parallel = build_package(items, salts, workers=workers)
    serial = build_package(items, salts, workers=1)
    reference = merkle.MerkleTree([invoice_leaf(v, s) for v, s in zip(items, salts, strict=True)])
    assert parallel.root == serial.root == reference.root
    assert [parallel.tree.proof_at(i) for i in range(n)] == [reference.proof_at(i) for i in range(n)]
    assert parallel.keys_blob == serial.keys_blob
    assert parallel.details_blob == serial.details_blob
    assert parallel.leaves_blob == serial.leaves_blob
    assert parallel.total_cents == serial.total_cents


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("where", ["same chunk", "across chunks"])
def test_parallel_build_names_a_repeated_invoice(workers: int, where: str) -> None:
    items = [inv(i) for i in range(600)]
    items.append(items[598] if where == "same chunk" else items[3])
    with pytest.raises(PackageError, match="appears twice"):
        build_package(items, workers=workers)


def test_parallel_build_refuses_a_repeated_leaf() -> None:
    items = [inv(i) for i in range(600)]
    salts = [salt(i) for i in range(600)]
    with pytest.raises(PackageError, match="twice"):
        build_package([*items, items[7]], [*salts, salts[7]], workers=2)


def test_rank_cuts_split_two_runs_exactly() -> None:
    words = sorted(merkle.keccak(bytes([i])) for i in range(40))
    a = invoices._Run(b"".join(words[0::2]))
    b = invoices._Run(b"".join(words[1::2]))
    for k in range(1, 40):
        cuts = invoices._rank_cuts([a, b], k)
        assert cuts is not None and sum(cuts) == k
        heads = sorted([*(a[i] for i in range(cuts[0])), *(b[i] for i in range(cuts[1]))])
        assert heads == words[:k]


def test_rank_cuts_none_when_equal_words_straddle_the_cut() -> None:
    w = merkle.keccak(b"same")
    a, b = invoices._Run(w), invoices._Run(w)
    assert invoices._rank_cuts([a, b], 1) is None
