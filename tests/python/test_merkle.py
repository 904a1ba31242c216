"""Merkle tree: OpenZeppelin-compatible proofs, odd counts, hostile inputs, properties."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tierchain.core import merkle
from tierchain.core.merkle import MerkleTree, MerkleTreeError, keccak, leaf_hash, verify


def _leaves(n: int) -> list[bytes]:
    return [keccak(i.to_bytes(8, "big")) for i in range(n)]


def _oz_process_proof(proof: list[bytes], leaf: bytes) -> bytes:
    """Independent transcription of OpenZeppelin 5.4 MerkleProof.processProof +
    Hashes.commutativeKeccak256 (a < b ? keccak(a, b) : keccak(b, a)), on integers."""
    computed = leaf
    for p in proof:
        a, b = int.from_bytes(computed, "big"), int.from_bytes(p, "big")
        lo, hi = (a, b) if a < b else (b, a)
        computed = keccak(lo.to_bytes(32, "big") + hi.to_bytes(32, "big"))
    return computed


def _naive_root(leaves: list[bytes]) -> bytes:
    """Straightforward recursive definition of the tree rules."""
    level = sorted(leaves)
    while len(level) > 1:
        nxt = []
        for i in range(0, len(level), 2):
            if i + 1 < len(level):
                nxt.append(merkle.hash_pair(level[i], level[i + 1]))
            else:
                nxt.append(level[i])
        level = nxt
    return level[0]


def test_keccak_is_ethereum_keccak() -> None:
    assert keccak(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"


def test_leaf_hash_is_double_keccak_of_abi_encoded_pair() -> None:
    key, dh = b"\x01" * 32, b"\x02" * 32
    assert leaf_hash(key, dh) == keccak(keccak(key + dh))
    with pytest.raises(MerkleTreeError):
        leaf_hash(b"\x01" * 31, dh)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 1000, 1001])
def test_every_proof_verifies_for_odd_and_even_counts(n: int) -> None:
    leaves = _leaves(n)
    tree = MerkleTree(leaves)
    assert tree.count == n
    assert tree.root == _naive_root(leaves)
    for leaf in leaves:
        proof = tree.proof(leaf)
        assert verify(proof, tree.root, leaf)
        assert _oz_process_proof(proof, leaf) == tree.root


@pytest.mark.parametrize("n", [2, 7, 1001])
def test_first_last_and_middle_proofs(n: int) -> None:
    tree = MerkleTree(_leaves(n))
    for index in (0, n // 2, n - 1):
        leaf = tree.leaf_at(index)
        assert tree.proof_at(index) == tree.proof(leaf)
        assert verify(tree.proof_at(index), tree.root, leaf)


def test_one_leaf_tree_root_is_the_leaf_and_proof_is_empty() -> None:
    leaf = _leaves(1)[0]
    tree = MerkleTree([leaf])
    assert tree.root == leaf
    assert tree.proof(leaf) == []
    assert verify([], tree.root, leaf)


def test_empty_tree_is_an_error() -> None:
    with pytest.raises(MerkleTreeError):
        MerkleTree([])


def test_duplicate_leaf_is_a_value_error() -> None:
    leaves = _leaves(3)
    with pytest.raises(ValueError, match="duplicate"):
        MerkleTree([*leaves, leaves[1]])


def test_leaf_of_wrong_length_is_rejected() -> None:
    with pytest.raises(MerkleTreeError):
        MerkleTree([b"\x00" * 31])


def test_unknown_leaf_has_no_proof() -> None:
    tree = MerkleTree(_leaves(5))
    with pytest.raises(MerkleTreeError):
        tree.proof(b"\xff" * 32)


def test_tampered_leaf_fails() -> None:
    leaves = _leaves(7)
    tree = MerkleTree(leaves)
    proof = tree.proof(leaves[3])
    tampered = bytes([leaves[3][0] ^ 1]) + leaves[3][1:]
    assert not verify(proof, tree.root, tampered)


def test_wrong_proof_fails() -> None:
    leaves = _leaves(7)
    tree = MerkleTree(leaves)
    assert not verify(tree.proof(leaves[2]), tree.root, leaves[3])
    proof = tree.proof(leaves[3])
    assert not verify(proof[:-1], tree.root, leaves[3])
    assert not verify([*proof, leaves[0]], tree.root, leaves[3])
    assert not verify(proof, b"\x00" * 32, leaves[3])


def test_inner_node_cannot_pass_as_an_invoice_leaf() -> None:
    """An inner node verifies as a raw node (shorter proof), but no (key, details_hash) pair
    turns into it: leaves are hashed twice, so the 64-byte children are not a leaf preimage."""
    tree = MerkleTree(_leaves(4))
    a, b = tree.leaf_at(0), tree.leaf_at(1)
    inner = merkle.hash_pair(a, b)
    upper = tree.proof_at(0)[1:]
    assert verify(upper, tree.root, inner)  # the raw node is in the tree ...
    forged_leaf = leaf_hash(a, b)  # ... but presenting its children as key/details does not
    assert forged_leaf != inner
    assert not verify(upper, tree.root, forged_leaf)


def test_input_order_does_not_matter() -> None:
    leaves = _leaves(11)
    assert MerkleTree(leaves).root == MerkleTree(list(reversed(leaves))).root


def test_from_levels_rejects_wrong_shapes() -> None:
    levels = merkle.build_levels(sorted(_leaves(5)))
    assert MerkleTree.from_levels(levels).root == MerkleTree(_leaves(5)).root
    with pytest.raises(MerkleTreeError):
        MerkleTree.from_levels(levels[:-1])


def test_non_32_byte_values_never_verify() -> None:
    leaf = _leaves(1)[0]
    assert not verify([], leaf + b"\x00", leaf + b"\x00")
    assert not verify([b"\x00"], leaf, leaf)


@settings(deadline=None, max_examples=60)
@given(
    st.sets(st.binary(min_size=32, max_size=32), min_size=1, max_size=70),
    st.randoms(use_true_random=False),
)
def test_property_every_proof_verifies_and_root_ignores_order(leaf_set: set[bytes], rnd: object) -> None:
    leaves = sorted(leaf_set)
    shuffled = list(leaves)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    tree = MerkleTree(shuffled)
    assert tree.root == MerkleTree(leaves).root == _naive_root(leaves)
    for leaf in leaves:
        proof = tree.proof(leaf)
        assert verify(proof, tree.root, leaf)
        assert _oz_process_proof(proof, leaf) == tree.root


def test_random_large_tree_spot_checks() -> None:
    leaves = [os.urandom(32) for _ in range(4097)]
    tree = MerkleTree(leaves)
    for leaf in leaves[:50]:
        assert _oz_process_proof(tree.proof(leaf), leaf) == tree.root
