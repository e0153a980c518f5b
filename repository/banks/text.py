"""What of a question everyone who sees its bank may read, as plain text: what the portal's search indexes (a
bank's published questions are its numbered parts: search.service.build_documents) and what the bank page's
search box filters on. Keys are never part of it: not which options are correct, nor true/false verdicts,
short answers, option feedback, explanations or model answers, so that no search finds a question by its key."""

from __future__ import annotations

from collections.abc import Callable

from ingest.questions.html import html_to_plain
from ingest.questions.model import Question
from search.analysis import fold, holds_every_term, parse_query, term_patterns


def _plain(html: str) -> str:
    """The words of an HTML fragment, tags read as spaces ("a<br>b" is two words, not "ab")."""
    return " ".join(html_to_plain(html.replace("<", " <")).split())


def public_text(question: Question) -> str:
    """The stem, then the text of each option and each statement, one per line."""
    parts = (question.stem, *(o.text for o in question.options), *(s.text for s in question.statements))
    return "\n".join(text for text in map(_plain, parts) if text)


def text_matcher(query: str) -> Callable[[Question], bool] | None:
    """A test of questions against user text, as the portal matches pages: every word (or quoted phrase)
    as whole words, diacritics and case ignored. None when the text holds no word (nothing to filter)."""
    patterns = term_patterns(parse_query(query))
    if not patterns:
        return None
    return lambda question: holds_every_term(fold(public_text(question)), patterns)
