"""Merkle trees over 32-byte leaves, compatible with OpenZeppelin 5.4 ``MerkleProof``.

Rules (docs/INVOICES.md, "Leaf and tree"):

* A leaf is ``keccak256(keccak256(key ‖ details_hash))`` (two 32-byte words): hashed twice, so a
  leaf preimage is never 64 bytes and no inner node can pass for a leaf.
* An inner node is ``keccak256(min(a, b) ‖ max(a, b))`` (commutative hashing, as in OpenZeppelin's
  ``Hashes.commutativeKeccak256``); a proof therefore needs no left/right flags.
* Leaves are sorted ascending as bytes (input order does not matter) and must be distinct.
* Levels are built by pairing (0,1), (2,3), ...; an odd last node is carried up unchanged.
* A one-leaf tree has root == leaf and an empty proof. An empty tree is an error.

Each level is stored as one ``bytes`` buffer (32 bytes per node): no per-node Python objects are
kept once the tree is built, and leaf lookup is a binary search over the sorted first level.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any, Final

import sha3

from tierchain.core.errors import TierchainError

HASH_LEN: Final = 32

# safe-pysha3's keccak-256 (~1.5 µs a call); eth_hash is ten times slower. The module has no stubs.
_keccak_256: Final[Callable[[bytes], Any]] = sha3.keccak_256


class MerkleTreeError(TierchainError, ValueError):
    """An invalid tree input (empty, duplicate or malformed leaf) or an unknown leaf."""


def keccak(data: bytes) -> bytes:
    """Keccak-256 (Ethereum's ``keccak256``, not NIST SHA3-256) of ``data``."""
    digest: bytes = _keccak_256(data).digest()
    return digest


def leaf_hash(key: bytes, details_hash: bytes) -> bytes:
    """The tree leaf of one invoice: ``keccak256(keccak256(key ‖ details_hash))``.

    Equal to Solidity's
    ``keccak256(bytes.concat(keccak256(abi.encode(bytes32 key, bytes32 detailsHash))))``.
    """
    if len(key) != HASH_LEN or len(details_hash) != HASH_LEN:
        raise MerkleTreeError("leaf_hash takes a 32-byte key and a 32-byte details hash")
    return keccak(keccak(key + details_hash))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """An inner node: keccak256 of the two children in ascending byte order."""
    return keccak(a + b if a < b else b + a)


def process_proof(proof: Sequence[bytes], leaf: bytes) -> bytes:
    """The root reached by hashing ``leaf`` up through ``proof`` (OpenZeppelin ``processProof``)."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify(proof: Sequence[bytes], root: bytes, leaf: bytes) -> bool:
    """True iff ``proof`` proves ``leaf`` under ``root`` (OpenZeppelin ``MerkleProof.verify``).

    Values that are not 32 bytes long (what ``bytes32`` would reject) never verify.
    """
    if len(root) != HASH_LEN or len(leaf) != HASH_LEN:
        return False
    if any(len(p) != HASH_LEN for p in proof):
        return False
    return process_proof(proof, leaf) == root


def build_levels(ordered: list[bytes]) -> list[bytes]:
    """Every level of the tree over ``ordered`` (sorted, distinct 32-byte leaves, not checked),
    leaves first, each level joined into one buffer of 32-byte nodes."""
    new = _keccak_256
    levels = [b"".join(ordered)]
    level = ordered
    while len(level) > 1:
        # Inner loop kept to one comprehension: no per-call helper, no per-node objects kept.
        parents = [new(a + b if a < b else b + a).digest() for a, b in zip(level[0::2], level[1::2], strict=False)]
        if len(level) & 1:
            parents.append(level[-1])  # odd last node: carried up unchanged
        levels.append(b"".join(parents))
        level = parents
    return levels


class MerkleTree:
    """A Merkle tree over distinct 32-byte leaves; see the module docstring for the rules."""

    __slots__ = ("_count", "_levels")

    def __init__(self, leaves: Iterable[bytes]) -> None:
        ordered = sorted(leaves)  # linear time when the input is already sorted
        if not ordered:
            raise MerkleTreeError("a Merkle tree needs at least one leaf")
        if any(type(leaf) is not bytes or len(leaf) != HASH_LEN for leaf in ordered):
            raise MerkleTreeError("every leaf must be exactly 32 bytes (type bytes)")
        for a, b in zip(ordered, islice(ordered, 1, None), strict=False):
            if a == b:
                raise MerkleTreeError(f"duplicate leaf 0x{a.hex()}")
        self._count = len(ordered)
        self._levels: tuple[bytes, ...] = tuple(build_levels(ordered))

    @classmethod
    def from_levels(cls, levels: Sequence[bytes]) -> MerkleTree:
        """A tree from levels built elsewhere (:func:`build_levels`, e.g. in worker processes).

        Only the shape is checked here: level sizes must follow the pairing rule. The caller
        vouches that the first level is sorted, distinct and that the hashes are right.
        """
        if not levels or not levels[0] or len(levels[0]) % HASH_LEN:
            raise MerkleTreeError("levels must start with a non-empty run of 32-byte leaves")
        size = len(levels[0]) // HASH_LEN
        for level in levels[1:]:
            size = (size + 1) // 2
            if len(level) != size * HASH_LEN:
                raise MerkleTreeError("level sizes do not follow the pairing rule")
        if size != 1:
            raise MerkleTreeError("the last level must be the root alone")
        tree = cls.__new__(cls)
        tree._count = len(levels[0]) // HASH_LEN
        tree._levels = tuple(levels)
        return tree

    @property
    def root(self) -> bytes:
        """The 32-byte root."""
        return self._levels[-1]

    @property
    def count(self) -> int:
        """Number of leaves."""
        return self._count

    @property
    def depth(self) -> int:
        """Number of levels above the leaves (the longest proof's length)."""
        return len(self._levels) - 1

    def leaf_at(self, index: int) -> bytes:
        """The leaf at ``index`` in ascending order."""
        if not 0 <= index < self._count:
            raise MerkleTreeError(f"leaf index {index} out of range 0..{self._count - 1}")
        return self._levels[0][index * HASH_LEN : (index + 1) * HASH_LEN]

    def leaves(self) -> list[bytes]:
        """All leaves in ascending order."""
        first = self._levels[0]
        return [first[i : i + HASH_LEN] for i in range(0, len(first), HASH_LEN)]

    def index_of(self, leaf: bytes) -> int:
        """Position of ``leaf`` among the sorted leaves (binary search, O(log n))."""
        first = self._levels[0]
        lo, hi = 0, self._count
        while lo < hi:
            mid = (lo + hi) // 2
            if first[mid * HASH_LEN : (mid + 1) * HASH_LEN] < leaf:
                lo = mid + 1
            else:
                hi = mid
        if lo == self._count or first[lo * HASH_LEN : (lo + 1) * HASH_LEN] != leaf:
            raise MerkleTreeError(f"leaf 0x{leaf.hex()} is not in this tree")
        return lo

    def proof_at(self, index: int) -> list[bytes]:
        """Siblings of the leaf at ``index``, bottom-up (what ``MerkleProof.verify`` expects)."""
        if not 0 <= index < self._count:
            raise MerkleTreeError(f"leaf index {index} out of range 0..{self._count - 1}")
        proof: list[bytes] = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling * HASH_LEN < len(level):  # no sibling: the node was carried up
                proof.append(level[sibling * HASH_LEN : (sibling + 1) * HASH_LEN])
            index >>= 1
        return proof

    def proof(self, leaf: bytes) -> list[bytes]:
        """The proof of ``leaf``; raises :class:`MerkleTreeError` if it is not in the tree."""
        return self.proof_at(self.index_of(leaf))
