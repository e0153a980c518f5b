"""The judged query set and the relevance measures reported per engine.

``judged_queries_vi.csv`` holds Vietnamese queries a teacher would type, each with the demo materials
(by their deterministic key in ``generate_lessons(JUDGED_LESSONS)``) that should come first, graded:
3 the material asked for, 2 the right lesson in another kind or grade than asked, 1 a related lesson.
Unjudged materials count as 0.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

JUDGED_FILE = Path(__file__).with_name("judged_queries_vi.csv")
JUDGED_LESSONS = 2000  # the judgments name materials of generate_lessons(2000)
BEST = 3


@dataclass(frozen=True)
class JudgedQuery:
    text: str
    grades: dict[str, int]   # material key -> grade (1..3)


@dataclass(frozen=True)
class QueryScore:
    text: str
    ndcg: float
    success: bool
    ranked: tuple[str, ...]  # keys of the first results, as the engine returned them


def load_judged(path: Path = JUDGED_FILE) -> list[JudgedQuery]:
    """Queries in file order; a malformed row raises ValueError naming its line."""
    queries: dict[str, dict[str, int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            try:
                grade = int(row["grade"])
            except (TypeError, ValueError) as exc:
                raise ValueError(f"{path.name}, dòng {line}: cột grade không phải số") from exc
            if not row.get("query") or not row.get("key") or not 1 <= grade <= BEST:
                raise ValueError(f"{path.name}, dòng {line}: cần query, key và grade từ 1 đến {BEST}")
            queries.setdefault(row["query"], {})[row["key"]] = grade
    return [JudgedQuery(text, grades) for text, grades in queries.items()]


def dcg(gains: Sequence[int]) -> float:
    return sum((2 ** gain - 1) / math.log2(rank + 2) for rank, gain in enumerate(gains))


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain of the first k results (exponential gains)."""
    ideal = dcg(sorted(grades.values(), reverse=True)[:k])
    return dcg([grades.get(key, 0) for key in ranked[:k]]) / ideal if ideal else 0.0


def success_at(ranked: Sequence[str], grades: dict[str, int], k: int = 3) -> bool:
    """Whether a material of the best grade is among the first k results."""
    return any(grades.get(key, 0) == BEST for key in ranked[:k])


def evaluate(queries: Sequence[JudgedQuery], ranked_keys: Callable[[str], Sequence[str]]) -> list[QueryScore]:
    """Score each query with the keys ``ranked_keys(text)`` returns, best first."""
    scores = []
    for query in queries:
        ranked = tuple(ranked_keys(query.text))
        scores.append(QueryScore(query.text, ndcg_at(ranked, query.grades), success_at(ranked, query.grades),
                                 ranked[:10]))
    return scores
