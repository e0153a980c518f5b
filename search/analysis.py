"""Vietnamese text analysis shared by every search engine.

Vietnamese words are written as space-separated syllables carrying tone and vowel marks. Users type
with or without those marks, so the index keeps two forms of every syllable:

- ``normalise``: NFC, lower case, marks kept, tone marks placed in one canonical position
  ("hóa" and "hoá" are the same word written in the old and new placement styles);
- ``fold``: the normalised form with every mark removed and đ mapped to d (đ is a letter of its own in
  Unicode, not d plus a mark, so decomposition alone does not fold it).

``parse_query`` turns untrusted user text into plain terms and phrases, and ``highlight`` builds the
HTML-escaped result snippet with the matched words marked.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

# A syllable is a run of letters and digits; combining marks are kept with their letter so that
# decomposed (NFD) input is not cut in the middle of a word.
_TOKEN = re.compile(r"[^\W_](?:[^\W_]|[\u0300-\u036f])*")
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_BOUNDARY_BEFORE = r"(?<![^\W_])"
_BOUNDARY_AFTER = r"(?![^\W_\u0300-\u036f])"

# Old-style tone placement in open syllables ending in oa, oe, uy: "hóa" -> "hoá", "thủy" -> "thuỷ".
_TONES = ("\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
_OLD_STYLE_TONE = re.compile(
    r"(?<![qQ])([òóỏõọ])([ae])" + _BOUNDARY_AFTER + r"|(?<![qQ])([ùúủũụ])(y)" + _BOUNDARY_AFTER
)


def _strip_marks(char: str) -> str:
    decomposed = unicodedata.normalize("NFD", char.lower())
    base = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", base).replace("đ", "d")


class _FoldTable(dict):
    """str.translate table computed lazily, one entry per distinct character seen."""

    def __missing__(self, codepoint: int) -> str:
        folded = _strip_marks(chr(codepoint))
        self[codepoint] = folded
        return folded


class _AlignedFoldTable(dict):
    """Like _FoldTable but never changes the length of the text, so that positions found in the
    folded text are positions in the original text (used to mark the original, accented words)."""

    def __missing__(self, codepoint: int) -> str:
        char = chr(codepoint)
        folded = _strip_marks(char)
        if len(folded) != 1:
            folded = char.lower() if len(char.lower()) == 1 else char
        self[codepoint] = folded
        return folded


_FOLD = _FoldTable()
_ALIGNED_FOLD = _AlignedFoldTable()


def _place_tone(match: re.Match[str]) -> str:
    toned, plain = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    decomposed = unicodedata.normalize("NFD", toned)
    tone = next((c for c in decomposed if c in _TONES), "")
    bare = "".join(c for c in decomposed if c not in _TONES)
    return unicodedata.normalize("NFC", bare + plain + tone)


def normalise(text: str) -> str:
    """NFC, lower case, diacritics kept, canonical tone placement."""
    lowered = unicodedata.normalize("NFC", text).lower()
    return _OLD_STYLE_TONE.sub(_place_tone, lowered)


def canonical_tones(text: str) -> str:
    """NFC with old-style tone placement moved to the new style ("hóa" -> "hoá"), case kept."""
    return _OLD_STYLE_TONE.sub(_place_tone, unicodedata.normalize("NFC", text))


def fold(text: str) -> str:
    """NFC, lower case, every diacritic removed, đ/Đ -> d: "Đường thẳng" -> "duong thang"."""
    return unicodedata.normalize("NFC", text).translate(_FOLD)


def tokens(text: str) -> list[str]:
    """Syllables of the text (NFC): runs of letters and digits, split on everything else."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text))


def clean(text: str) -> str:
    """NFC text safe to store: lone surrogates (which SQLite and JSON refuse) and NUL become U+FFFD."""
    return unicodedata.normalize("NFC", _UNSTORABLE.sub("\ufffd", text))


@dataclass(frozen=True)
class QueryTerm:
    """One required part of a query: a single syllable, or a phrase the user put in double quotes."""

    exact: tuple[str, ...]     # normalised syllables
    folded: tuple[str, ...]    # the same syllables folded
    quoted: bool = False


def _term(syllables: list[str], quoted: bool) -> QueryTerm:
    exact = tuple(normalise(s) for s in syllables)
    return QueryTerm(exact=exact, folded=tuple(fold(s) for s in exact), quoted=quoted)


def parse_query(text: str, max_terms: int = 32) -> list[QueryTerm]:
    """Split user text into terms, all of which must match. Text between a pair of double quotes
    is one phrase; an unpaired quote is ignored. Everything that is not a letter or digit (FTS and
    Lucene operators, column prefixes, wildcards) is a separator, so nothing typed becomes syntax."""
    parts = text.split('"')
    if len(parts) % 2 == 0:  # an odd number of quotes: the last one opens nothing
        parts[-2:] = [parts[-2] + " " + parts[-1]]
    terms: list[QueryTerm] = []
    seen: set[tuple[str, ...]] = set()
    for index, part in enumerate(parts):
        syllables = tokens(part)
        if not syllables:
            continue
        quoted = index % 2 == 1 and len(syllables) > 1
        candidates = [_term(syllables, True)] if quoted else [_term([s], False) for s in syllables]
        for term in candidates:
            if term.folded not in seen:
                seen.add(term.folded)
                terms.append(term)
    return terms[:max_terms]


def adjacent_pairs(text: str, max_pairs: int = 16) -> list[QueryTerm]:
    """Pairs of syllables typed next to each other outside quotes ("học sinh giỏi" -> "học sinh",
    "sinh giỏi"): a document holding them as a phrase ranks above one holding them apart."""
    parts = text.split('"')
    if len(parts) % 2 == 0:
        parts[-2:] = [parts[-2] + " " + parts[-1]]
    pairs: list[QueryTerm] = []
    for part in parts[::2]:
        syllables = tokens(part)
        pairs.extend(_term(syllables[i:i + 2], True) for i in range(len(syllables) - 1))
    return pairs[:max_pairs]


def term_patterns(terms: Iterable[QueryTerm]) -> list[re.Pattern[str]]:
    """One pattern per term over folded text: its syllables as whole words, a phrase's syllables
    separated by anything but letters and digits (as the engines' tokenizers split them)."""
    return [re.compile(_BOUNDARY_BEFORE + r"[\W_]+".join(map(re.escape, term.folded)) + _BOUNDARY_AFTER)
            for term in terms]


def holds_every_term(folded: str, patterns: list[re.Pattern[str]]) -> bool:
    """Whether text already folded (by ``fold``) holds every term as whole words."""
    return all(pattern.search(folded) for pattern in patterns)


def _marker(folded_words: Iterable[str]) -> re.Pattern[str] | None:
    words = sorted({w for w in folded_words if w}, key=len, reverse=True)
    if not words:
        return None
    return re.compile(_BOUNDARY_BEFORE + "(?:" + "|".join(map(re.escape, words)) + ")" + _BOUNDARY_AFTER)


def _best_window(spans: list[tuple[int, int, str]], width: int) -> tuple[int, int]:
    """The span-aligned window of `width` characters holding the most distinct matched words (the
    first such window), found in one pass: the window's end only moves forward."""
    best_start, best_count = spans[0][0], 0
    inside: Counter[str] = Counter()
    end = 0
    for start, _, word in spans:
        while end < len(spans) and spans[end][0] < start + width:
            inside[spans[end][2]] += 1
            end += 1
        if len(inside) > best_count:
            best_start, best_count = start, len(inside)
        inside[word] -= 1
        if not inside[word]:
            del inside[word]
    return best_start, best_count


#: Characters of a field a snippet looks into: folding a whole textbook body (200 000 characters) for each of
#: twenty hits cost 150 ms a page of results; a book's deeper matches are listed as page hits anyway.
SNIPPET_SCAN_CHARS = 5_000


def _match_spans(text: str, pattern: re.Pattern[str], limit: int = 400) -> list[tuple[int, int, str]]:
    spans = []
    for match in pattern.finditer(text[:SNIPPET_SCAN_CHARS].translate(_ALIGNED_FOLD)):
        spans.append((match.start(), match.end(), match.group()))
        if len(spans) >= limit:
            break
    return spans


def _cut(text: str, start: int, end: int) -> tuple[int, int]:
    """Move a window's edges outward to whole words (by at most 20 characters each)."""
    limit = max(0, start - 20)
    while start > limit and text[start - 1].isalnum():
        start -= 1
    limit = min(len(text), end + 20)
    while end < limit and text[end].isalnum():
        end += 1
    return start, end


def _render(text: str, start: int, end: int, spans: list[tuple[int, int, str]]) -> str:
    pieces = ["…" if start > 0 else ""]
    position = start
    for span_start, span_end, _ in spans:
        if span_start < start or span_end > end:
            continue
        pieces.append(html.escape(text[position:span_start]))
        pieces.append("<mark>" + html.escape(text[span_start:span_end]) + "</mark>")
        position = span_end
    pieces.append(html.escape(text[position:end]))
    pieces.append("…" if end < len(text) else "")
    return "".join(pieces).strip()


def highlight(fields: Iterable[str], folded_words: Iterable[str], width: int = 200) -> str:
    """Safe HTML snippet from the field (first ones win ties) whose best window holds the most
    distinct query words. Matching is diacritics-insensitive; the marked text is the original."""
    candidates = [unicodedata.normalize("NFC", f) for f in fields if f and f.strip()]
    if not candidates:
        return ""
    pattern = _marker(folded_words)
    best: tuple[int, str, list[tuple[int, int, str]], int] | None = None
    for text in candidates if pattern else []:
        spans = _match_spans(text, pattern)
        if spans:
            start, count = _best_window(spans, width)
            if best is None or count > best[0]:
                best = (count, text, spans, start)
    if best is None:
        text = candidates[0]
        _, end = _cut(text, 0, min(len(text), width))
        return " ".join(_render(text, 0, end, []).split())
    _, text, spans, first = best
    start, end = _cut(text, max(0, first - width // 4), min(len(text), first + width - width // 4))
    return " ".join(_render(text, start, end, spans).split())
