"""Near-duplicate reports: MinHash over character shingles with a banded LSH index.

Texts are normalized first (Traditional → Simplified, punctuation and spaces dropped), so the
Traditional copy of a complaint, or one retyped with a few words changed, lands with the
original. Hashing is deterministic across processes, so signatures can be stored and reused."""

import hashlib
from collections import defaultdict
from collections.abc import Hashable, Iterable

import numpy as np

from intake.triage.suggest.normalize import compact

_PRIME = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)


def shingles(text: str, size: int = 3) -> set[str]:
    """Overlapping character n-grams of the compacted text; a short text is one shingle."""
    text = compact(text)
    if not text:
        return set()
    if len(text) <= size:
        return {text}
    return {text[i : i + size] for i in range(len(text) - size + 1)}


def jaccard(a: str, b: str, size: int = 3) -> float:
    """The exact Jaccard similarity of two texts' shingle sets (for tests and tuning)."""
    sa, sb = shingles(a, size), shingles(b, size)
    if not sa or not sb:
        return 0.0
    return len(sa & sb) / len(sa | sb)


class DuplicateIndex:
    """Items by MinHash signature, queried by text.

    `num_perm` hash functions split into `bands` bands: with the defaults (120 = 40 × 3) a pair
    at Jaccard 0.5 becomes a candidate with probability 0.995, at 0.4 with 0.93. Queries below
    `scan_below` skip the bands and compare with every item instead."""

    def __init__(
        self, num_perm: int = 120, bands: int = 40, shingle_size: int = 3, seed: int = 1, scan_below: float = 0.4
    ):
        if num_perm % bands:
            raise ValueError("num_perm must be a multiple of bands")
        self.num_perm, self.bands, self.rows = num_perm, bands, num_perm // bands
        self.shingle_size = shingle_size
        self.scan_below = scan_below
        rng = np.random.RandomState(seed)
        # a < 2**31 and 32-bit shingle hashes keep a*x + b below 2**64: no silent overflow.
        self._a = rng.randint(1, 1 << 31, size=num_perm, dtype=np.int64).astype(np.uint64)
        self._b = rng.randint(0, 1 << 31, size=num_perm, dtype=np.int64).astype(np.uint64)
        self._signatures: dict[Hashable, np.ndarray] = {}
        self._buckets: list[dict[bytes, set[Hashable]]] = [defaultdict(set) for _ in range(bands)]

    def signature(self, text: str) -> np.ndarray | None:
        """The MinHash signature of `text` (None when it has nothing to compare)."""
        grams = shingles(text, self.shingle_size)
        if not grams:
            return None
        hashes = np.array(
            [int.from_bytes(hashlib.blake2b(g.encode("utf-8"), digest_size=4).digest(), "little") for g in grams],
            dtype=np.uint64,
        )
        permuted = (np.outer(hashes, self._a) + self._b) % _PRIME & _MAX_HASH
        return permuted.min(axis=0)

    def _band_keys(self, signature: np.ndarray) -> list[bytes]:
        return [signature[i * self.rows : (i + 1) * self.rows].tobytes() for i in range(self.bands)]

    def add(self, item_id: Hashable, text: str) -> None:
        """Index an item (again: replaces its previous text)."""
        self.add_signature(item_id, self.signature(text))

    def add_signature(self, item_id: Hashable, signature: np.ndarray | None) -> None:
        """Index a signature computed earlier (e.g. stored beside the item)."""
        self.remove(item_id)
        if signature is None:
            return
        self._signatures[item_id] = signature
        for band, key in zip(self._buckets, self._band_keys(signature)):
            band[key].add(item_id)

    def remove(self, item_id: Hashable) -> None:
        signature = self._signatures.pop(item_id, None)
        if signature is None:
            return
        for band, key in zip(self._buckets, self._band_keys(signature)):
            band[key].discard(item_id)
            if not band[key]:
                del band[key]

    def __len__(self) -> int:
        return len(self._signatures)

    def __contains__(self, item_id: Hashable) -> bool:
        return item_id in self._signatures

    def similar(
        self, text: str, threshold: float = 0.5, exclude: Iterable[Hashable] = ()
    ) -> list[tuple[Hashable, float]]:
        """Items whose estimated Jaccard similarity to `text` is at least `threshold`, most
        similar first."""
        return self.similar_to_signature(self.signature(text), threshold, exclude)

    def similar_to_signature(
        self, signature: np.ndarray | None, threshold: float = 0.5, exclude: Iterable[Hashable] = ()
    ) -> list[tuple[Hashable, float]]:
        if signature is None:
            return []
        if threshold < self.scan_below:
            candidates = set(self._signatures)
        else:
            candidates = set()
            for band, key in zip(self._buckets, self._band_keys(signature)):
                candidates |= band.get(key, set())
        candidates -= set(exclude)
        found = []
        for item_id in candidates:
            estimate = float(np.mean(self._signatures[item_id] == signature))
            if estimate >= threshold:
                found.append((item_id, round(estimate, 3)))
        return sorted(found, key=lambda pair: (-pair[1], str(pair[0])))

    def groups(self, threshold: float = 0.5) -> list[list[Hashable]]:
        """Items grouped by near-duplication (transitively), only groups of two or more."""
        parent = {item_id: item_id for item_id in self._signatures}

        def root(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for item_id, signature in self._signatures.items():
            for other, _ in self.similar_to_signature(signature, threshold, exclude=(item_id,)):
                parent[root(other)] = root(item_id)
        clusters: dict[Hashable, list[Hashable]] = defaultdict(list)
        for item_id in self._signatures:
            clusters[root(item_id)].append(item_id)
        return sorted((sorted(c, key=str) for c in clusters.values() if len(c) > 1), key=lambda c: str(c[0]))
