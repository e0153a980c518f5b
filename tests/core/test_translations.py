"""The English locale covers every string the interface marks for translation."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

REPO = Path(__file__).resolve().parents[2]
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
PACKAGES = ("repository", "review", "search", "ingest")


def marked_strings() -> set[str]:
    found: set[str] = set()
    for package in PACKAGES:
        for _file, _line, message, _comments, _context in extract_from_dir(REPO / package, METHODS):
            found.update(message if isinstance(message, tuple) else (message,))
    return {text for text in found if text}


def test_every_marked_string_has_an_english_translation():
    with (REPO / "repository" / "translations" / "en" / "LC_MESSAGES" / "messages.po").open("rb") as po_file:
        catalog = read_po(po_file)
    strings = marked_strings()
    assert len(strings) > 100  # the extraction really read the templates
    missing = sorted(text for text in strings if text not in catalog or not catalog[text].string)
    assert missing == []
