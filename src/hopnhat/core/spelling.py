"""One typo machinery for every look-up of folded words: the portal search corrects a word from the corpus
vocabulary, the unit look-up a unit name from the names of the unit graph ("doi cna" → Đội Cấn). Norvig's
candidate generation (every string one edit away, intersected with a vocabulary) and the Damerau–Levenshtein
distance that orders them. Input is fold() output: lower-case ASCII letters and digits."""

import string

LETTERS = string.ascii_lowercase + string.digits


def edits1(word: str) -> set[str]:
    """Every string one deletion, transposition, substitution or insertion away (Damerau–Levenshtein 1)."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    transposes = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in LETTERS}
    inserts = {a + c + b for a, b in splits for c in LETTERS}
    return (deletes | transposes | replaces | inserts) - {word}


def damerau(a: str, b: str) -> int:
    rows = [list(range(len(b) + 1))] + [[i] + [0] * len(b) for i in range(1, len(a) + 1)]
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            rows[i][j] = min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                rows[i][j] = min(rows[i][j], rows[i - 2][j - 2] + 1)
    return rows[-1][-1]


def neighbours(word: str, vocabulary) -> list[str]:
    """The vocabulary words one edit from `word`, closest and then most frequent first when `vocabulary` is a
    {word: count} mapping (alphabetical for a plain set)."""
    found = edits1(word) & (vocabulary.keys() if isinstance(vocabulary, dict) else vocabulary)
    count = vocabulary.get if isinstance(vocabulary, dict) else (lambda _w: 0)
    return sorted(found, key=lambda w: (damerau(w, word), -count(w), w))


def phrase_corrections(words: list[str], vocabulary, accept, *, per_word: int = 8, limit: int = 400) -> list[str]:
    """Corrections of a short phrase that `accept` (a predicate on the corrected phrase, such as "names a unit")
    takes: each word as typed or one of its neighbours, fewest changed words first. Validating the whole phrase
    lets short syllables be corrected, which a word on its own cannot be ("cna" has a dozen neighbours)."""
    options = [[w] + [n for n in neighbours(w, vocabulary)[:per_word]] for w in words]
    found: list[tuple[int, str]] = []
    tried = 0

    def walk(i: int, chosen: list[str], changed: int) -> None:
        nonlocal tried
        if tried >= limit or changed > 2:
            return
        if i == len(options):
            tried += 1
            phrase = " ".join(chosen)
            if changed and accept(phrase):
                found.append((changed, phrase))
            return
        for k, option in enumerate(options[i]):
            walk(i + 1, [*chosen, option], changed + (k > 0))

    walk(0, [], 0)
    return [phrase for _, phrase in sorted(found, key=lambda f: f[0])]
