"""Question import speed: N generated questions (Vietnamese text, LaTeX) in each of the six formats, parsed
by the importer and then stored in a real bank (SQLite, blob store in a temporary directory). Prints
questions/second per format, against a reference measured in the same run: lxml parsing the same Moodle
XML file without building any question. Moodle XML and GIFT have no true/false cluster, so the exporters
that write their files turn each cluster into four true/false questions: those files hold more questions.

    .venv/bin/python bench/bench_question_import.py [--questions 10000] [--formats moodle_xml,gift,...]
"""

from __future__ import annotations

import argparse
import io
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import docx
import openpyxl
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine_summary

from ingest.questions import gift, moodle_xml, qti
from ingest.questions.model import Option, Question, QuestionType, ShortAnswerKey, Statement
from ingest.questions.xlsx_import import COLUMNS, SHEET_NAME
from repository import create_app
from repository.auth.services import create_user
from repository.banks.importing import import_into_bank
from repository.banks.models import BANK_KIND
from repository.migrate import upgrade
from repository.models import Material

TOPICS = ("Hàm số", "Tích phân", "Số phức", "Hình học không gian")
LEVELS = ("biet", "hieu", "van-dung", "van-dung-cao")


def generate(n: int, *, choice_only: bool = False) -> list[Question]:
    """Single choice, true/false clusters, short answers and essays in turn (only single choice for Aiken)."""
    questions = []
    for i in range(n):
        kind = 0 if choice_only else i % 4
        common = {"name": f"Câu {i + 1}", "topic": TOPICS[i % 4], "cognitive_level": LEVELS[i % 4],
                  "explanation": f"Lời giải: \\(x = {i}\\)." if kind != 3 else ""}
        stem = f"Câu số {i + 1}: cho hàm số \\(f(x) = x^2 + {i}\\). Tìm giá trị đúng"
        if kind == 0:
            questions.append(Question(QuestionType.SINGLE_CHOICE, stem, options=[
                Option(f"Phương án {c} của câu {i + 1}", correct=c == "B") for c in "ABCD"], **common))
        elif kind == 1:
            questions.append(Question(QuestionType.TRUE_FALSE_CLUSTER, stem, statements=[
                Statement(label, f"Mệnh đề {label} của câu {i + 1}", label in "ac") for label in "abcd"], **common))
        elif kind == 2:
            questions.append(Question(QuestionType.SHORT_ANSWER, stem,
                                      answers=[ShortAnswerKey(f"{i},5", i + 0.5)], **common))
        else:
            questions.append(Question(QuestionType.ESSAY, stem, model_answer=f"Đáp án mẫu {i}", **common))
    return questions


def aiken_file(questions: list[Question]) -> bytes:
    blocks = []
    for q in questions:
        lines = [q.stem] + [f"{c}) {o.text}" for c, o in zip("ABCD", q.options, strict=True)]
        key = "ABCD"[next(k for k, o in enumerate(q.options) if o.correct)]
        blocks.append("\n".join([*lines, f"ANSWER: {key}"]))
    return ("\n\n".join(blocks) + "\n").encode()


def docx_file(questions: list[Question]) -> bytes:
    """The common Vietnamese layout: parts I–IV, keys as underlined option letters and statement labels,
    Đáp án / Lời giải lines."""
    document = docx.Document()
    parts = {QuestionType.SINGLE_CHOICE: "PHẦN I.", QuestionType.TRUE_FALSE_CLUSTER: "PHẦN II.",
             QuestionType.SHORT_ANSWER: "PHẦN III.", QuestionType.ESSAY: "PHẦN IV. TỰ LUẬN"}
    for qtype, heading in parts.items():
        document.add_paragraph(heading)
        for number, q in enumerate((q for q in questions if q.type is qtype), start=1):
            document.add_paragraph(f"Câu {number}. {q.stem}")
            for c, option in zip("ABCD", q.options, strict=False):
                paragraph = document.add_paragraph()
                paragraph.add_run(c).underline = option.correct
                paragraph.add_run(f". {option.text}")
            for s in q.statements:  # a true statement has its label underlined
                paragraph = document.add_paragraph()
                paragraph.add_run(f"{s.label})").underline = s.is_true
                paragraph.add_run(f" {s.text}")
            if q.answers:
                document.add_paragraph(f"Đáp án: {q.answers[0].value}")
            if q.explanation:
                document.add_paragraph(f"Lời giải: {q.explanation}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def xlsx_file(questions: list[Question]) -> bytes:
    codes = {QuestionType.SINGLE_CHOICE: "I", QuestionType.TRUE_FALSE_CLUSTER: "II",
             QuestionType.SHORT_ANSWER: "III", QuestionType.ESSAY: "TL"}
    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet(SHEET_NAME)
    sheet.append([header for header, _ in COLUMNS])
    for number, q in enumerate(questions, start=1):
        cells = [o.text for o in q.options] or [s.text for s in q.statements] or ["", "", "", ""]
        if q.options:
            key = "ABCD"[next(k for k, o in enumerate(q.options) if o.correct)]
        elif q.statements:
            key = "".join("Đ" if s.is_true else "S" for s in q.statements)
        else:
            key = q.answers[0].value if q.answers else ""
        explanation = q.model_answer if q.type is QuestionType.ESSAY else q.explanation
        sheet.append([number, codes[q.type], q.stem, *cells, key, explanation, q.topic, "Hiểu", 12, "Toán"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


#: format -> (file name, how to write N questions in it).
WRITERS: dict[str, tuple[str, Callable[[int], bytes]]] = {
    "moodle_xml": ("cau-hoi.xml", lambda n: moodle_xml.export(generate(n))),
    "gift": ("cau-hoi.gift.txt", lambda n: gift.export(generate(n))),
    "aiken": ("cau-hoi.aiken.txt", lambda n: aiken_file(generate(n, choice_only=True))),
    "qti": ("cau-hoi.zip", lambda n: qti.export(generate(n))),
    "docx": ("de-thi.docx", lambda n: docx_file(generate(n))),
    "xlsx": ("cau-hoi.xlsx", lambda n: xlsx_file(generate(n))),
}


def measure(app, fmt: str, data: bytes, filename: str) -> tuple[int, float, float]:
    """(questions imported, seconds to parse only, seconds to parse and store)."""
    with app.app_context(), app.extensions["db"].session() as session:
        owner = create_user(session, email=f"bench-{fmt}@truong.edu.vn", password=secrets.token_urlsafe(16),
                            role="teacher", unit_code="so-hn", name="Bench")
        bank = Material(owner_id=owner.id, title=f"Bench {fmt}", kind=BANK_KIND, level="thpt", grade=12,
                        subject="toan", licence="CC-BY-4.0", status="draft")
        session.add(bank)
        session.flush()
        storage = app.extensions["storage"]
        started = time.perf_counter()
        dry = import_into_bank(session, bank, data=data, filename=filename, fmt=fmt, mode="dry_run",
                               author=owner, storage=storage)
        parse_only = time.perf_counter() - started
        started = time.perf_counter()
        outcome = import_into_bank(session, bank, data=data, filename=filename, fmt=fmt, mode="all_or_nothing",
                                   author=owner, storage=storage)
        session.commit()
        full = time.perf_counter() - started
        if dry.rejected or outcome.imported != dry.found:
            raise SystemExit(f"{fmt}: {len(dry.rejected)} rejected, first: {dry.rejected[:1]}")
        return outcome.imported, parse_only, full


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--formats", default=",".join(WRITERS))
    args = parser.parse_args()
    n = args.questions
    print(machine_summary())
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"data_dir": tmp, "database": {"url": f"sqlite:///{tmp}/bench.db"},
                          "queue": {"backend": "memory"}})
        upgrade(app.extensions["db"])
        reference_file = moodle_xml.export(generate(n))
        started = time.perf_counter()
        etree.fromstring(reference_file)
        reference = time.perf_counter() - started
        print(f"reference: lxml parses the {n}-question Moodle XML file ({len(reference_file):,} bytes) in "
              f"{reference:.3f} s ({n / reference:,.0f} questions/s), building no question")
        print(f"{'format':<11} {'bytes':>11} {'questions':>9} {'parse q/s':>10} {'parse+store q/s':>16}")
        for fmt in args.formats.split(","):
            filename, write = WRITERS[fmt]
            data = write(n)
            count, parse_only, full = measure(app, fmt, data, filename)
            print(f"{fmt:<11} {len(data):>11,} {count:>9} {count / parse_only:>10,.0f} {count / full:>16,.0f}")
        app.extensions["search"].close()
        app.extensions["db"].dispose()


if __name__ == "__main__":
    main()
