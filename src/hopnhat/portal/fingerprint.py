"""Near-duplicate detection: the same notice re-posted, lightly edited, on several old portals.

Word 4-shingles of the folded text, a 64-value MinHash, and 16 bands of 4 values for candidate look-up (LSH):
two texts with Jaccard similarity s share at least one band with probability 1 - (1 - s^4)^16 (0.99 at s = 0.6).
Candidates are then confirmed on the estimated Jaccard itself.
"""

import hashlib
import struct

from hopnhat.core.text import fold

SHINGLE = 4
PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
THRESHOLD = 0.7          # estimated Jaccard from which two texts are one article
_PRIME = (1 << 61) - 1
_MAX = (1 << 64) - 1


def _coefficients():
    """Fixed (a, b) pairs derived from a seed, so signatures stay comparable across runs and machines."""
    out = []
    for i in range(PERMUTATIONS):
        digest = hashlib.blake2b(f"hopnhat-minhash-{i}".encode(), digest_size=16).digest()
        a, b = struct.unpack("<QQ", digest)
        out.append((a % (_PRIME - 1) + 1, b % _PRIME))
    return out


_COEFFS = _coefficients()


def shingles(text: str) -> set[int]:
    words = fold(text).split()
    if len(words) < SHINGLE:
        grams = [" ".join(words)] if words else []
    else:
        grams = [" ".join(words[i:i + SHINGLE]) for i in range(len(words) - SHINGLE + 1)]
    return {struct.unpack("<Q", hashlib.blake2b(g.encode(), digest_size=8).digest())[0] for g in grams}


def signature(text: str) -> list[int]:
    hashes = shingles(text)
    if not hashes:
        return []
    return [min((a * h + b) % _PRIME for h in hashes) for a, b in _COEFFS]


def bands(sig: list[int]) -> list[tuple[int, str]]:
    if not sig:
        return []
    return [(i, hashlib.blake2b(repr(sig[i * ROWS:(i + 1) * ROWS]).encode(), digest_size=8).hexdigest())
            for i in range(BANDS)]


def similarity(left: list[int], right: list[int]) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two signatures."""
    if not left or not right or len(left) != len(right):
        return 0.0
    return sum(1 for x, y in zip(left, right, strict=True) if x == y) / len(left)


def content_hash(text: str) -> str:
    return hashlib.sha256(fold(text).encode()).hexdigest()
