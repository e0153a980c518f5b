"""A deterministic stream of demo lessons built from the catalogue.

The stream is endless and drawn from one ``random.Random(seed)``, consumed in the same order whatever
``n`` is, so ``generate_lessons(k)`` is always a prefix of ``generate_lessons(n)`` for k <= n and a bigger
demo collection extends a smaller one. Every cycle visits each (catalogue lesson, grade) slot once in a
fresh shuffled order, so any prefix is spread across levels, grades, subjects and chapters; series, kind,
licence and province are drawn per lesson.
"""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from repository.demo.catalogue import CatalogueLesson, ReferenceCodes, catalogue, reference

#: Relative weights of the kinds a demo lesson is rendered as (all are PDFs); codes missing from the
#: reference data are skipped.
KIND_WEIGHTS = {"bai-giang": 5, "sach-giao-khoa": 3, "tai-lieu-tham-khao": 3, "ke-hoach-bai-day": 1}
SERIES_WEIGHTS = {"kntt": 4, "ctst": 3, "canh-dieu": 3, "other": 1}
LABELLED = re.compile(r"^(Bài|Lesson|Tiết)\s+\d+\.")

OPENINGS = (
    "{lesson} thuộc {chapter}, môn {subject} lớp {grade}.",
    "Bài học {name} nằm trong {chapter} của chương trình {subject} lớp {grade}.",
    "Tài liệu này trình bày {name} ({chapter}), môn {subject} lớp {grade}.",
)
GOALS = (
    "Sau bài học, học sinh hiểu rằng {p0} và biết liên hệ với các tình huống quen thuộc.",
    "Mục tiêu của bài là giúp học sinh nắm được: {p0}.",
    "Học xong bài này, em cần giải thích được vì sao {p0}.",
)
KEY_POINTS = (
    "Nội dung trọng tâm: {p1}.",
    "Điểm cần ghi nhớ: {p1}.",
    "Bài học cũng nhấn mạnh rằng {p1}.",
)
ACTIVITIES = (
    "Giáo viên tổ chức cho học sinh thảo luận theo nhóm về {name_lower}, sau đó đại diện các nhóm trình bày.",
    "Học sinh quan sát ví dụ minh họa, ghi lại nhận xét vào vở rồi so sánh với bạn bên cạnh.",
    "Lớp cùng phân tích một tình huống thực tế để thấy rõ {p0}.",
)
PRACTICE = (
    "Câu hỏi luyện tập. 1) Em hãy giải thích vì sao {p0}. 2) Nêu một ví dụ trong đời sống cho thấy {p1}.",
    "Luyện tập: trình bày ngắn gọn ý chính của bài {name_lower}, rồi tự đặt một câu hỏi về {p1}.",
    "Vận dụng: tìm một ví dụ ở địa phương em liên quan đến {name_lower} và chia sẻ với cả lớp.",
)
SUMMARIES = (
    "Ghi nhớ: {p0}; {p1}.",
    "Tóm tắt bài học: {P0}. {P1}.",
)


@dataclass(frozen=True)
class DemoLesson:
    key: str
    title: str
    description: str
    kind: str
    level: str
    grade: int
    subject: str
    series: str
    chapter: str
    lesson: str
    licence: str
    pages: tuple[str, ...]
    province: str


@dataclass(frozen=True)
class _Slot:
    entry: CatalogueLesson
    level: str
    grade: int


def generate_lessons(n: int, seed: int = 2018) -> Iterator[DemoLesson]:
    """The first ``n`` lessons of the demo stream for ``seed`` (same n and seed, same lessons)."""
    if n < 0:
        raise ValueError(f"Số bài học phải không âm (nhận được {n}).")
    return islice(_stream(seed, reference()), n)


def _stream(seed: int, ref: ReferenceCodes) -> Iterator[DemoLesson]:
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not secrets
    slots = _slots(ref)
    kinds = [k for k in KIND_WEIGHTS if k in ref.kinds]
    series = list(ref.series)
    seen: set[str] = set()
    while True:
        order = list(slots)
        rng.shuffle(order)
        for slot in order:
            kind = rng.choices(kinds, weights=[KIND_WEIGHTS[k] for k in kinds])[0]
            chosen_series = rng.choices(series, weights=[SERIES_WEIGHTS.get(s, 1) for s in series])[0]
            yield _lesson(slot, kind, chosen_series, rng, ref, seen)


def _slots(ref: ReferenceCodes) -> list[_Slot]:
    """Every (catalogue lesson, grade) pair whose subject is taught in that grade, with its level."""
    slots = []
    for entry in catalogue():
        if entry.subject not in ref.subjects:
            continue
        for grade in entry.grades:
            level = ref.level_of(entry.subject, grade)
            if level is not None:
                slots.append(_Slot(entry, level, grade))
    if not slots:
        raise RuntimeError("The demo catalogue has no lesson matching the reference subjects and grades.")
    return slots


def _unique_key(base: str, seen: set[str]) -> str:
    key, copy = base, 1
    while key in seen:
        copy += 1
        key = f"{base}-{copy}"
    seen.add(key)
    return key


def _lesson(slot: _Slot, kind: str, series: str, rng: random.Random, ref: ReferenceCodes,
            seen: set[str]) -> DemoLesson:
    entry = slot.entry
    lesson = entry.name if LABELLED.match(entry.name) else f"Bài {entry.lesson_number}. {entry.name}"
    subject_name = ref.subjects[entry.subject].name
    words = _words(entry, lesson, subject_name, slot.grade)
    base = (f"{slot.level}-{slot.grade}-{entry.subject}-{series}"
            f"-c{entry.chapter_number}-b{entry.lesson_number}-{kind}")
    return DemoLesson(
        key=_unique_key(base, seen),
        title=_title(kind, lesson, entry, subject_name, slot.grade),
        description=_description(rng, ref, kind, series, words),
        kind=kind, level=slot.level, grade=slot.grade, subject=entry.subject, series=series,
        chapter=entry.chapter, lesson=lesson,
        licence=rng.choice(ref.licences),
        pages=_pages(rng, words),
        province=rng.choice(ref.provinces),
    )


def _words(entry: CatalogueLesson, lesson: str, subject_name: str, grade: int) -> dict[str, str]:
    points = list(entry.points)
    p0, p1 = points[0], points[1 % len(points)]
    return {"lesson": lesson, "name": entry.name, "name_lower": _lower_first(entry.name),
            "chapter": entry.chapter, "subject": subject_name, "grade": str(grade),
            "p0": p0, "p1": p1, "P0": _upper_first(p0), "P1": _upper_first(p1)}


def _title(kind: str, lesson: str, entry: CatalogueLesson, subject_name: str, grade: int) -> str:
    core = f"{entry.chapter} – {entry.name}" if entry.chapter.startswith("Unit ") else lesson
    if kind == "sach-giao-khoa":
        return f"{subject_name} {grade} – {core}"
    if kind == "tai-lieu-tham-khao":
        return f"Tài liệu tham khảo: {entry.name} ({subject_name} {grade})"
    if kind == "ke-hoach-bai-day":
        return f"Kế hoạch bài dạy: {core} – {subject_name} {grade}"
    return core


def _description(rng: random.Random, ref: ReferenceCodes, kind: str, series: str,
                 words: dict[str, str]) -> str:
    sentences = [f"{ref.kinds[kind]} môn {words['subject']} lớp {words['grade']}, bộ sách "
                 f"{ref.series[series]}, {words['chapter']}.",
                 f"Nội dung chính: {words['p0']}."]
    if rng.random() < 0.5:
        sentences.append("Phù hợp để giáo viên chuẩn bị bài dạy và học sinh tự học ở nhà.")
    return " ".join(sentences)


def _pages(rng: random.Random, words: dict[str, str]) -> tuple[str, ...]:
    count = rng.choice((1, 2, 2, 3))
    first = [rng.choice(OPENINGS), rng.choice(GOALS), rng.choice(KEY_POINTS)]
    middle = [rng.choice(ACTIVITIES), rng.choice(KEY_POINTS), rng.choice(SUMMARIES)]
    last = [rng.choice(PRACTICE), rng.choice(SUMMARIES)]
    plans = {1: [[*first, rng.choice(PRACTICE)]], 2: [first, middle + last[:1]], 3: [first, middle, last]}
    return tuple(" ".join(template.format(**words) for template in page) for page in plans[count])


def _upper_first(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """Lower-case a name's first letter, unless it reads as a proper name ("Chí Phèo", "Tây Tiến")."""
    words = text.split(" ")
    if len(words) > 1 and words[1][:1].isupper():
        return text
    return text[:1].lower() + text[1:]
