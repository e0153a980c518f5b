"""Interface languages: Vietnamese first, English second (Flask-Babel)."""

from __future__ import annotations

import logging
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import request, session

log = logging.getLogger(__name__)


def select_locale(locales: list[str]) -> str:
    """The language chosen with ?lang= (kept in the session), else the browser's, else Vietnamese."""
    chosen = session.get("lang")
    if chosen in locales:
        return chosen
    return request.accept_languages.best_match(locales) or locales[0]


def compile_translations(directory: Path) -> None:
    """Compile each messages.po whose messages.mo is missing or older (compiled files are not committed)."""
    for po_path in directory.glob("*/LC_MESSAGES/messages.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file)
        tmp = mo_path.with_suffix(".mo.tmp")
        with tmp.open("wb") as mo_file:
            write_mo(mo_file, catalog)
        tmp.replace(mo_path)
        log.info("compiled %s", mo_path)
