"""The demo catalogue: lessons of the GDPT 2018 curriculum (lessons_vi.csv) and the reference codes.

``lessons_vi.csv`` is UTF-8 with ``|`` as the delimiter (Vietnamese text is full of commas) and the
columns ``subject|grades|chapter|lesson|points``: ``grades`` is a band such as ``10`` or ``6-9`` whose
lessons are reused for every grade of the band, ``lesson`` is the name without its number (numbers are
given in file order within a subject's band), and ``points`` holds two or more short Vietnamese clauses,
separated by ``;``, that the generator turns into page text.

The reference codes come from the CSVs shipped in ``repository/reference`` (the same files the database
is seeded from), so a change of curriculum or provinces is a change of data, not of code.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CATALOGUE_FILE = Path(__file__).with_name("lessons_vi.csv")
REFERENCE_DIR = Path(__file__).resolve().parent.parent / "reference"
COLUMNS = ("subject", "grades", "chapter", "lesson", "points")


@dataclass(frozen=True)
class CatalogueLesson:
    subject: str
    grades: tuple[int, ...]
    chapter: str
    chapter_number: int
    lesson_number: int
    name: str
    points: tuple[str, ...]


@dataclass(frozen=True)
class Subject:
    code: str
    name: str
    levels: tuple[str, ...]
    grades: tuple[int, ...]


@dataclass(frozen=True)
class ReferenceCodes:
    level_grades: dict[str, tuple[int, ...]]
    subjects: dict[str, Subject]
    kinds: dict[str, str]
    series: dict[str, str]
    provinces: tuple[str, ...]
    licences: tuple[str, ...]

    def level_of(self, subject: str, grade: int) -> str | None:
        """The level (among those teaching ``subject``) whose grades include ``grade``."""
        item = self.subjects[subject]
        if grade not in item.grades:
            return None
        return next((level for level in item.levels if grade in self.level_grades.get(level, ())), None)


def parse_grades(text: str) -> tuple[int, ...]:
    """``'10'`` -> (10,); ``'6-9'`` -> (6, 7, 8, 9); ``'1-5;7'`` -> (1, 2, 3, 4, 5, 7); ``''`` -> ()."""
    grades: list[int] = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        low, _, high = part.partition("-")
        grades.extend(range(int(low), int(high or low) + 1))
    return tuple(grades)


def _read_csv(path: Path, delimiter: str = ",") -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def read_catalogue(path: Path = CATALOGUE_FILE) -> tuple[CatalogueLesson, ...]:
    """Parse and check a catalogue file; a bad row raises ValueError naming its line and field."""
    lessons: list[CatalogueLesson] = []
    chapters: dict[tuple[str, tuple[int, ...]], list[str]] = {}
    numbers: dict[tuple[str, tuple[int, ...]], int] = {}
    for line, row in enumerate(_read_csv(path, delimiter="|"), start=2):
        missing = [name for name in COLUMNS if not (row.get(name) or "").strip()]
        if missing or None in row:
            problem = f"thiếu cột {', '.join(missing)}" if missing else "thừa cột"
            raise ValueError(f"{path.name}, dòng {line}: {problem}")
        try:
            grades = parse_grades(row["grades"])
        except ValueError as exc:
            raise ValueError(f"{path.name}, dòng {line}: khối lớp không hợp lệ: {row['grades']!r}") from exc
        points = tuple(p.strip() for p in row["points"].split(";") if p.strip())
        if len(points) < 2:
            raise ValueError(f"{path.name}, dòng {line}: cần ít nhất hai ý chính (points)")
        band = (row["subject"].strip(), grades)
        band_chapters = chapters.setdefault(band, [])
        if row["chapter"] not in band_chapters:
            band_chapters.append(row["chapter"])
        numbers[band] = numbers.get(band, 0) + 1
        lessons.append(CatalogueLesson(subject=band[0], grades=grades, chapter=row["chapter"].strip(),
                                       chapter_number=band_chapters.index(row["chapter"]) + 1,
                                       lesson_number=numbers[band], name=row["lesson"].strip(),
                                       points=points))
    return tuple(lessons)


def read_reference(folder: Path = REFERENCE_DIR) -> ReferenceCodes:
    """The codes the demo lessons may use, from the reference CSVs in ``folder``."""
    subjects = {row["code"]: Subject(code=row["code"], name=row["name_vi"],
                                     levels=tuple(filter(None, row["levels"].split(";"))),
                                     grades=parse_grades(row["grades"]))
                for row in _read_csv(folder / "subjects_gdpt2018.csv")}
    return ReferenceCodes(
        level_grades={row["code"]: parse_grades(row["grades"]) for row in _read_csv(folder / "levels.csv")},
        subjects=subjects,
        kinds={row["code"]: row["name_vi"] for row in _read_csv(folder / "material_kinds.csv")},
        series={row["code"]: row["name_vi"] for row in _read_csv(folder / "textbook_series.csv")},
        provinces=tuple(row["code"] for row in _read_csv(folder / "provinces_2025.csv")),
        licences=tuple(row["code"] for row in _read_csv(folder / "licences.csv")
                       if row["code"].startswith("CC")),
    )


@cache
def catalogue() -> tuple[CatalogueLesson, ...]:
    return read_catalogue()


@cache
def reference() -> ReferenceCodes:
    return read_reference()
