"""Close spellings of folded words, for typo tolerance and "Có phải bạn muốn tìm: …".

The rule is the one the Elasticsearch engine gets as ``fuzziness: "AUTO:5,8"`` with ``prefix_length: 1``:
a word of fewer than 5 letters must be spelled right, 5 to 7 letters allow one edit, 8 and more two;
the first letter is never an edit (that also keeps the vocabulary scanned per word small). An edit is
an insertion, deletion, substitution or swap of two adjacent letters (typing "nguyne" for "nguyen").
Vietnamese syllables are short, so the rule mostly helps words typed without diacritics
("phuong", "truong", "nghiem") and loan words ("electron", "parabol").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from search.analysis import fold

TOLERANT_LENGTH = 5        # shortest word matched with one edit
TWO_EDITS_LENGTH = 8       # shortest word matched with two edits
SUGGEST_LENGTH = 3         # shortest word a "did you mean" offers to respell (one edit)
PREFIX_LENGTH = 1          # letters that must be typed right
MAX_ALTERNATIVES = 3       # vocabulary words a misspelled word may stand for
MAX_CHECKED_WORDS = 8      # words of one query looked up for a respelling (bounds the work per query)
MAX_WORD_LENGTH = 30       # longer "words" (pasted junk) are never respelled
_TOKEN = re.compile(r"[^\W_](?:[^\W_]|[\u0300-\u036f])*")


def max_edits(word: str, shortest: int = TOLERANT_LENGTH) -> int:
    """Edits allowed for a folded word: 0 below `shortest` letters, 1 up to 7, 2 from 8."""
    if len(word) < shortest:
        return 0
    return 2 if len(word) >= TWO_EDITS_LENGTH else 1


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance between a and b, or limit + 1 as soon as it exceeds limit."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def closest(word: str, vocabulary: Iterable[tuple[str, int]], edits: int) -> list[str]:
    """The vocabulary words (term, document count) within `edits` of word: nearest first, then the
    most frequent, then alphabetical; at most MAX_ALTERNATIVES."""
    found = []
    for term, documents in vocabulary:
        if term != word and term[:PREFIX_LENGTH] == word[:PREFIX_LENGTH] and fold(term) == term:
            distance = edit_distance(word, term, edits)
            if distance <= edits:
                found.append((distance, -documents, term))
    return [term for *_, term in sorted(found)[:MAX_ALTERNATIVES]]


def unquoted_words(text: str) -> list[str]:
    """The first MAX_CHECKED_WORDS distinct folded words typed outside double quotes (a quoted phrase
    is taken as typed), letters only and at most MAX_WORD_LENGTH long."""
    words = (fold(word) for part in _unquoted_parts(text) for word in _TOKEN.findall(part))
    kept = dict.fromkeys(w for w in words if w.isalpha() and len(w) <= MAX_WORD_LENGTH)
    return list(kept)[:MAX_CHECKED_WORDS]


def respell(text: str, corrections: Mapping[str, str]) -> str:
    """The text with each unquoted word whose folded form is corrected replaced by its correction."""
    if not corrections:
        return text
    parts = text.split('"')
    for index in range(0, len(parts), 2):
        parts[index] = _TOKEN.sub(lambda m: corrections.get(fold(m.group()), m.group()), parts[index])
    return '"'.join(parts)


def _unquoted_parts(text: str) -> list[str]:
    return text.split('"')[::2]
