"""Importing a question file into a bank: parse, report, then store all, the valid ones, or nothing.

The report always lists every question found and every rejection with where it stood and why; the mode
decides what is stored. Nothing is ever stored silently in part: ``all_or_nothing`` stores nothing when
anything was rejected, ``valid_only`` stores the valid questions and says which were left out.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from ingest.questions.limits import QuestionFileError, check_file_size
from ingest.questions.model import ImportReport, Question, Rejection
from repository.banks.formats import PARSERS, detect_format
from repository.banks.store import add_questions
from repository.models import Material, User
from repository.storage import BlobStore

log = logging.getLogger(__name__)

MODES = ("all_or_nothing", "valid_only", "dry_run")
FORMATS = (*PARSERS, "auto")


@dataclass
class ImportOutcome:
    format: str
    mode: str
    found: int
    imported: int
    rejected: list[Rejection] = field(default_factory=list)
    questions: list[Question] = field(default_factory=list)

    @property
    def refused(self) -> bool:
        """All or nothing, and something was rejected: nothing was stored."""
        return self.mode == "all_or_nothing" and bool(self.rejected)

    def as_dict(self) -> dict[str, object]:
        return {"found": self.found, "imported": self.imported, "format": self.format, "mode": self.mode,
                "rejected": [{"where": r.where, "reason": r.reason} for r in self.rejected]}


class BankImportError(ValueError):
    """The request itself is wrong (unknown format or mode, unusable file). Vietnamese message."""

    def __init__(self, field_name: str, message_vi: str) -> None:
        super().__init__(message_vi)
        self.field, self.message_vi = field_name, message_vi


def parse_file(data: bytes, filename: str, fmt: str) -> tuple[str, ImportReport]:
    if fmt not in FORMATS:
        raise BankImportError("format", f"Định dạng không hợp lệ: {fmt}. Chọn một trong: {', '.join(FORMATS)}.")
    try:
        check_file_size(data, filename)
        chosen = detect_format(data, filename) if fmt == "auto" else fmt
        return chosen, PARSERS[chosen](data, filename=filename)
    except QuestionFileError as exc:
        log.info("question import refused: %s", exc.message_en)
        raise BankImportError("file", exc.message_vi) from exc


def with_bank_defaults(question: Question, bank: Material) -> Question:
    """A question that does not say its subject or grade has those of its bank."""
    question.subject = question.subject or bank.subject
    question.grade = question.grade if question.grade is not None else bank.grade
    return question


def import_into_bank(session: Session, bank: Material, *, data: bytes, filename: str, fmt: str, mode: str,
                     author: User, storage: BlobStore) -> ImportOutcome:
    """Parse and, depending on the mode, store. The caller commits when ``imported`` > 0."""
    if mode not in MODES:
        raise BankImportError("mode", f"Chế độ nhập không hợp lệ: {mode}. Chọn một trong: {', '.join(MODES)}.")
    chosen, report = parse_file(data, filename, fmt)
    if report.found == 0:
        raise BankImportError("file", "Không tìm thấy câu hỏi nào trong tệp.")
    outcome = ImportOutcome(format=chosen, mode=mode, found=report.found, imported=0, rejected=report.rejected,
                            questions=report.questions)
    if mode == "dry_run" or outcome.refused or not report.questions:
        return outcome
    questions = [with_bank_defaults(q, bank) for q in report.questions]
    add_questions(session, bank, questions, author=author, storage=storage)
    outcome.imported = len(questions)
    return outcome
