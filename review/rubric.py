"""Checking a reviewer's rubric: every criterion scored 1–5, a comment where the score is low."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from review.config import SCORE_MAX, SCORE_MIN, Rubric
from review.services import ReviewError

VALID_SCORES = frozenset(str(n) for n in range(SCORE_MIN, SCORE_MAX + 1))


@dataclass
class RubricScores:
    scores: dict[str, int] = field(default_factory=dict)
    comments: dict[str, str] = field(default_factory=dict)


def _score(rubric: Rubric, code: str, raw: Any) -> int:
    label = rubric.criteria[code]
    if raw is None or raw == "":
        raise ReviewError("score_missing", f"Chưa chấm tiêu chí “{label}”.", 400, f"scores.{code}")
    text = str(raw).strip()
    if isinstance(raw, bool) or text not in VALID_SCORES:
        raise ReviewError("score_invalid", f"Điểm tiêu chí “{label}” phải là số nguyên từ {SCORE_MIN} đến "
                          f"{SCORE_MAX}.", 400, f"scores.{code}")
    return int(text)


def check_rubric(rubric: Rubric, scores: Any, comments: Any) -> RubricScores:
    """The validated scores and comments, or a ReviewError naming the first criterion at fault."""
    scores = scores or {}
    comments = comments or {}
    if not isinstance(scores, dict) or not isinstance(comments, dict):
        raise ReviewError("rubric_invalid", "Điểm và nhận xét theo tiêu chí phải là bảng {tiêu chí: giá trị}.",
                          400, "scores")
    unknown = sorted((set(scores) | set(comments)) - set(rubric.criteria))
    if unknown:
        raise ReviewError("criterion_unknown", f"Không có tiêu chí “{unknown[0]}” trong phiếu thẩm định.",
                          400, f"scores.{unknown[0]}")
    if not scores and not rubric.required:
        return RubricScores()
    result = RubricScores()
    for code, label in rubric.criteria.items():
        result.scores[code] = _score(rubric, code, scores.get(code))
        note = str(comments.get(code) or "").strip()
        if result.scores[code] < rubric.comment_below and not note:
            raise ReviewError("criterion_comment_required", f"Tiêu chí “{label}” dưới {rubric.comment_below} "
                              "điểm: hãy ghi nhận xét cho tiêu chí này.", 400, f"comments.{code}")
        if note:
            result.comments[code] = note
    return result
