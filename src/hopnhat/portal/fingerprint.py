"""Near-duplicate detection: the same notice re-posted, lightly edited, on several old portals.

Word 4-shingles of the folded text, a 64-value MinHash, and 16 bands of 4 values for candidate look-up (LSH):
two texts with Jaccard similarity s share at least one band with probability 1 - (1 - s^4)^16 (0.99 at s = 0.6).
Candidates are then confirmed on the estimated Jaccard itself.
"""

import hashlib
import re
import struct
import unicodedata

from hopnhat.core.text import fold

SHINGLE = 4
PERMUTATIONS = 64
BANDS = 16
ROWS = PERMUTATIONS // BANDS
THRESHOLD = 0.7          # estimated Jaccard from which two texts are one article (when their facts agree)
REVIEW_FLOOR = 0.5       # from here up to THRESHOLD a pair is uncertain: kept apart and queued for review
SAME_WORDING = 0.9       # this close, yet a fact differs: kept apart, queued (a correction, or another place?)
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


# ---------------------------------------------------------------------------------------------------------------
# Facts: what makes two near-identical announcements different documents (issue 19: 32 of 248 posts merged, some
# the same procedure announced for two communes). Places named after a unit type word, and numbers (dates, counts,
# amounts, document numbers) as written.

_TYPE = (r"(?i:xã|phường|thị trấn|thị xã|huyện|quận|tỉnh|thành phố|thôn|bản|tổ dân phố|tổ|khu phố|ấp|làng|"
         r"đặc khu)")
_NAME_WORD = r"(?:[A-ZĐÀ-ÝĂÂÊÔƠƯẠ-Ỹ][\w]*|\d+)"
_PLACE = re.compile(rf"\b{_TYPE}\s+({_NAME_WORD}(?:\s+{_NAME_WORD})*)")
_NUMBER = re.compile(r"\d+(?:[.,/:-]\d+)*")
_DATE = re.compile(r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|\d{1,2}/\d{4}|\d{1,2}-\d{1,2}-\d{4}")


def facts(text: str) -> set[tuple[str, str, str]]:
    """(kind, slot, value): ("place", type word, folded name), ("date" or "number", the word before it, the value
    with thousands separators dropped). The slot says where a fact stands, so "lệ phí 50.000" against "lệ phí
    30.000" is a substitution while "Thông báo 215" against "năm 2025" is not."""
    text = unicodedata.normalize("NFC", text or "")
    found = set()
    for match in _PLACE.finditer(text):
        # A name is its capitalised words: "xã Minh Tân tổ chức" keeps "Minh Tân".
        name = []
        for word in match.group(1).split():
            if not (word[0].isupper() or word.isdigit()):
                break
            name.append(word)
        if name:
            found.add(("place", fold(_type_of(match)), fold(" ".join(name))))
    for match in _NUMBER.finditer(text):
        value = match.group(0)
        kind = "date" if _DATE.fullmatch(value) else "number"
        before = fold(text[max(0, match.start() - 30):match.start()]).split()
        found.add((kind, before[-1] if before else "", re.sub(r"(?<=\d)[.,](?=\d{3}\b)", "", value)))
    return found


def _type_of(match: re.Match) -> str:
    return match.group(0)[:match.start(1) - match.start(0)].strip()


def facts_differ(left: set, right: set) -> set:
    """The facts each text has in place of one of the other's in the same slot: a substitution (xã A → xã B,
    ngày 12/6 → ngày 19/6), not one text adding a line ("Nguồn: Cổng TTĐT tỉnh Hà Giang"). Empty when nothing
    was substituted."""
    only_left, only_right = left - right, right - left
    differing = set()
    for kind, slot, _ in only_left:
        a = {f for f in only_left if f[:2] == (kind, slot)}
        b = {f for f in only_right if f[:2] == (kind, slot)}
        if b:
            differing |= a | b
    return differing


def verdict(score: float, left_facts: set, right_facts: set) -> str:
    """merge | review | distinct for two texts of estimated similarity `score`."""
    if score < REVIEW_FLOOR:
        return "distinct"
    differ = facts_differ(left_facts, right_facts)
    if any(kind in {"place", "date"} for kind, _, _ in differ):
        return "distinct"  # another commune, another day: another announcement
    if differ:  # only an amount or count: a correction re-posted, or another notice? A person decides.
        return "review" if score >= SAME_WORDING else "distinct"
    return "merge" if score >= THRESHOLD else "review"
