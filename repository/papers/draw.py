"""Drawing questions to fill a matrix: reproducible from a seed, uniform over the eligible questions of
each cell, and honest about the cells the banks cannot fill.

Each cell has its own random generator seeded from (seed, cell), so the same seed over the same banks
gives the same paper, and changing one cell of a matrix does not redraw the others. ``random.sample``
over the cell's eligible questions in a fixed order (bank id, question id) gives every subset of the
requested size the same probability, hence every eligible question the same chance to appear.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ingest.questions.model import Question
from repository.papers.matrix import PART_OF_TYPE, Cell, Matrix, normalise_label


@dataclass(frozen=True)
class Candidate:
    """A published question that may be drawn: where it comes from and what cell it fits. ``question`` is
    the content, loaded up front for small pools or only for the drawn few (see repository.papers.source)."""

    bank_id: int
    question_id: int
    type: str
    topic: str
    level: str
    version_id: int = 0
    question: Question | None = None

    @classmethod
    def of(cls, bank_id: int, question_id: int, question: Question, version_id: int = 0) -> Candidate:
        return cls(bank_id, question_id, question.type.value, question.topic, question.cognitive_level,
                   version_id, question)

    @property
    def cell_key(self) -> tuple[str, str, str] | None:
        part = PART_OF_TYPE.get(self.type)
        if part is None:
            return None
        return normalise_label(self.topic), normalise_label(self.level), part


@dataclass(frozen=True)
class Shortfall:
    cell: Cell
    available: int

    @property
    def missing(self) -> int:
        return self.cell.count - self.available

    def as_dict(self) -> dict[str, Any]:
        return {**self.cell.as_dict(), "requested": self.cell.count, "available": self.available,
                "missing": self.missing}


@dataclass
class Draw:
    picked: list[tuple[Cell, list[Candidate]]] = field(default_factory=list)  # in matrix order
    shortfall: list[Shortfall] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.shortfall


def index_by_cell(candidates: Iterable[Candidate]) -> dict[tuple[str, str, str], list[Candidate]]:
    """Eligible questions of every (topic, level, part), each list in a fixed order."""
    groups: dict[tuple[str, str, str], list[Candidate]] = defaultdict(list)
    for candidate in candidates:
        key = candidate.cell_key
        if key is not None:
            groups[key].append(candidate)
    for group in groups.values():
        group.sort(key=lambda c: (c.bank_id, c.question_id))
    return groups


def cell_rng(seed: str, cell: Cell) -> random.Random:
    topic, level, part = cell.key
    return random.Random(f"draw\x1f{seed}\x1f{part}\x1f{topic}\x1f{level}")  # noqa: S311 (not security)


def draw(candidates: Iterable[Candidate], matrix: Matrix, seed: str) -> Draw:
    """Fill every cell of the matrix; a cell with too few eligible questions takes all it has and is
    reported in ``shortfall`` with how many are missing."""
    groups = index_by_cell(candidates)
    result = Draw()
    for cell in matrix.cells:
        eligible = groups.get(cell.key, [])
        if len(eligible) < cell.count:
            result.shortfall.append(Shortfall(cell, len(eligible)))
            chosen = list(eligible)
        else:
            chosen = cell_rng(seed, cell).sample(eligible, cell.count)
        result.picked.append((cell, chosen))
    return result
