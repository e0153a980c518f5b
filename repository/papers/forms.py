"""The "new paper" page's form turned into the same request the API takes, so both go through one
validation (repository.papers.service.create_paper)."""

from __future__ import annotations

from typing import Any

from werkzeug.datastructures import MultiDict

from repository.papers.matrix import PARTS

MATRIX_ROWS = 12


def _number(text: str) -> float | str:
    """``0,25`` or ``0.25`` → 0.25; anything else is passed on for the validator to name."""
    try:
        return float(text.strip().replace(",", "."))
    except ValueError:
        return text


def _integer(text: str | None) -> int | str | None:
    if text is None or not text.strip():
        return None
    return int(text) if text.strip().isdigit() else text


def matrix_rows(form: MultiDict) -> list[dict[str, Any]]:
    """Rows the teacher filled (a row with no topic is an empty row of the form, not an error)."""
    rows = []
    for index in range(MATRIX_ROWS):
        topic = form.get(f"topic-{index}", "").strip()
        if topic:
            rows.append({"topic": topic, "level": form.get(f"level-{index}", ""),
                         "part": form.get(f"part-{index}", ""), "count": _integer(form.get(f"count-{index}"))})
    return rows


def payload_from_form(form: MultiDict) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "banks": [_integer(b) for b in form.getlist("banks")],
        "seed": form.get("seed", "").strip() or None,
        "versions": _integer(form.get("versions")),
        "title": form.get("title", "").strip() or None,
        "header": {name: form.get(name, "").strip() for name in ("school", "subject", "exam", "duration")},
        "points": {part: _number(form.get(f"points-{part}", "")) for part in PARTS if form.get(f"points-{part}")},
    }
    saved = _integer(form.get("matrix_id"))
    if saved is not None:  # a saved matrix brings its own points
        payload["matrix_id"] = saved
        del payload["points"]
    else:
        payload["matrix"] = matrix_rows(form)
    return payload
