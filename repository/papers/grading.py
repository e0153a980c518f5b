"""Automatic grading of a practice attempt with the 2025 exam rules.

Part I: the question's points for the right option. Part II: the official scale for a cluster of four
statements (1 right → 0.1, 2 → 0.25, 3 → 0.5, 4 → 1 point), scaled when a question is worth other than
1 point. Part III: a number written with a decimal comma or point, within the key's tolerance, or an
exact text compared without regard to case and spacing.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

#: Statements right in a true/false cluster -> share of the question's points (official 2025 rule).
TRUE_FALSE_SCALE: dict[int, float] = {0: 0.0, 1: 0.1, 2: 0.25, 3: 0.5, 4: 1.0}
NUMBER_RE = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)$")
MAX_ANSWER_LENGTH = 100
#: Room for the binary rounding of decimal keys: 0,1 + 0,2 must equal 0,3 with tolerance 0.
EPSILON = 1e-9


def parse_number(text: str) -> float | None:
    """``-1,5`` / ``-1.5`` / ``0,25`` / ``,5`` → float; anything else (``1,000.5``, ``1e3``, ``abc``) → None."""
    cleaned = unicodedata.normalize("NFKC", text).strip().replace("\u2212", "-").replace(" ", "")
    if not cleaned or len(cleaned) > MAX_ANSWER_LENGTH or not NUMBER_RE.match(cleaned):
        return None
    value = float(cleaned.replace(",", "."))
    return value if math.isfinite(value) else None


def _normalise_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def short_answer_matches(given: str, accepted: list[dict[str, Any]]) -> bool:
    if not isinstance(given, str) or not given.strip() or len(given) > MAX_ANSWER_LENGTH:
        return False
    number = parse_number(given)
    for key in accepted:
        expected = key.get("numeric")
        if expected is None:
            expected = parse_number(str(key.get("value", "")))
        if expected is not None:
            tolerance = abs(float(key.get("tolerance") or 0.0))
            if number is not None and abs(number - float(expected)) <= tolerance + EPSILON:
                return True
        elif _normalise_text(given) == _normalise_text(str(key.get("value", ""))):
            return True
    return False


def true_false_points(given: dict[str, Any], answer: dict[str, bool], points: float) -> tuple[float, int]:
    """Points and number of statements judged right; an unanswered statement is not right."""
    right = sum(1 for label, value in answer.items() if isinstance(given.get(label), bool)
                and given[label] is value)
    if not answer:
        return 0.0, 0
    share = TRUE_FALSE_SCALE[right] if len(answer) == 4 else right / len(answer)
    return points * share, right


def grade_entry(entry: dict[str, Any], given: Any) -> dict[str, Any]:
    """The result of one question: ``{"part", "number", "earned", "points", "correct", "answer"}``."""
    points = float(entry["points"])
    result = {"part": entry["part"], "number": entry["number"], "points": points}
    if entry["part"] == "II":
        earned, right = true_false_points(given if isinstance(given, dict) else {}, entry["answer"], points)
        result.update(earned=earned, right_statements=right, correct=right == len(entry["answer"]))
    elif entry["part"] == "TL":
        result.update(earned=0.0, correct=False, pending=True)  # the teacher grades essays
    elif entry["part"] == "III":
        correct = short_answer_matches(given, entry.get("accepted", []))
        result.update(earned=points if correct else 0.0, correct=correct)
    else:
        correct = isinstance(given, str) and given.strip().upper() == entry["answer"]
        result.update(earned=points if correct else 0.0, correct=correct)
    return result


def answer_id(part: str, number: int) -> str:
    """How an answer is named in a submission: ``I.3``, ``II.1``, ``III.6``."""
    return f"{part}.{number}"


def grade(key: list[dict[str, Any]], answers: dict[str, Any]) -> dict[str, Any]:
    """Grade every question of a version; missing answers earn nothing. Scores are rounded to 0.01.
    ``max_score`` counts the automatically graded parts; essay points are reported as ``pending_points``."""
    results = [grade_entry(entry, answers.get(answer_id(entry["part"], entry["number"]))) for entry in key]
    for item in results:
        item["earned"] = round(item["earned"], 4)
    return {"score": round(sum(r["earned"] for r in results), 2),
            "max_score": round(sum(r["points"] for r in results if not r.get("pending")), 2),
            "pending_points": round(sum(r["points"] for r in results if r.get("pending")), 2),
            "questions": results}
