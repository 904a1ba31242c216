"""Invoice packages as IInvoiceRegistry defines them, built in Python for tests and benches.

Leaf of an invoice: keccak256(keccak256(invoiceKey ‖ detailsHash)), both 32 bytes (so the inner
preimage is abi.encode(invoiceKey, detailsHash)). Inner node: keccak256 of the sorted pair
(OpenZeppelin MerkleProof's commutative hash). Leaves are sorted; pairs are (0,1), (2,3), ...;
the odd last node of a level is carried up unchanged (its proof has no sibling at that level).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from eth_utils import keccak as _eth_utils_keccak

Hasher = Callable[[bytes], bytes]


def eth_keccak(data: bytes) -> bytes:
    """keccak-256 through eth_utils (about 10 µs a call)."""
    return bytes(_eth_utils_keccak(data))


def fast_keccak(data: bytes) -> bytes:
    """keccak-256 through safe-pysha3 (about 1.5 µs a call), for trees of a million leaves."""
    import sha3

    digest: bytes = sha3.keccak_256(data).digest()
    return digest


def leaf_hash(invoice_key: bytes, details_hash: bytes, hasher: Hasher = eth_keccak) -> bytes:
    """The leaf of one invoice (hashed twice: never mistaken for a 64-byte inner node)."""
    _check_word(invoice_key)
    _check_word(details_hash)
    return hasher(hasher(invoice_key + details_hash))


def hash_pair(a: bytes, b: bytes, hasher: Hasher = eth_keccak) -> bytes:
    """An inner node: keccak256 of the sorted pair."""
    return hasher(a + b) if a <= b else hasher(b + a)


def next_level(level: Sequence[bytes], hasher: Hasher = eth_keccak) -> list[bytes]:
    """The level above: pairs (0,1), (2,3), ... hashed, an odd last node carried up."""
    upper = [hash_pair(level[i], level[i + 1], hasher) for i in range(0, len(level) - 1, 2)]
    if len(level) % 2:
        upper.append(level[-1])
    return upper


def merkle_root(leaves: Sequence[bytes], hasher: Hasher = eth_keccak) -> bytes:
    """The root over leaves (sorted here), keeping one level at a time in memory."""
    if not leaves:
        raise ValueError("a package needs at least one invoice")
    level = sorted(leaves)
    while len(level) > 1:
        level = next_level(level, hasher)
    return level[0]


class MerkleTree:
    """A whole tree over sorted leaves, every level kept, for proofs."""

    def __init__(self, leaves: Sequence[bytes], hasher: Hasher = eth_keccak) -> None:
        if not leaves:
            raise ValueError("a package needs at least one invoice")
        for leaf in leaves:
            _check_word(leaf)
        self.hasher = hasher
        self.levels: list[list[bytes]] = [sorted(leaves)]
        while len(self.levels[-1]) > 1:
            self.levels.append(next_level(self.levels[-1], hasher))
        self._index = {leaf: i for i, leaf in reversed(list(enumerate(self.levels[0])))}

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    @property
    def leaves(self) -> list[bytes]:
        return self.levels[0]

    def index_of(self, leaf: bytes) -> int:
        """Position of a leaf among the sorted leaves (the first, if it occurs twice)."""
        return self._index[leaf]

    def proof(self, leaf: bytes) -> list[bytes]:
        """Sibling hashes, bottom-up, for a leaf."""
        return self.proof_at(self.index_of(leaf))

    def proof_at(self, index: int, from_level: int = 0) -> list[bytes]:
        """Sibling hashes, bottom-up, for the node at `index` of level `from_level`."""
        if not 0 <= index < len(self.levels[from_level]):
            raise IndexError(index)
        proof: list[bytes] = []
        for level in self.levels[from_level:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            index //= 2
        return proof

    def verify(self, leaf: bytes, proof: Sequence[bytes]) -> bool:
        """The same check as OpenZeppelin's MerkleProof.verify."""
        node = leaf
        for sibling in proof:
            node = hash_pair(node, sibling, self.hasher)
        return node == self.root


def _check_word(value: bytes) -> None:
    if len(value) != 32:
        raise ValueError(f"expected 32 bytes, got {len(value)}")
