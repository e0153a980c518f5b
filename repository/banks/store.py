"""Storing questions in a bank and reading them back: what imports, pages, exports and test papers call."""

from __future__ import annotations

import io
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ingest.questions.model import Image, Question
from repository.banks.models import BANK_KIND, BankQuestion, QuestionImage, QuestionVersion
from repository.banks.records import fill_version, to_question
from repository.banks.text import text_matcher
from repository.models import Material, User
from repository.storage import BlobStore

#: Largest image a question may carry (the importers' own limits are stricter per format).
MAX_IMAGE_BYTES = 10 * 1024 * 1024


@dataclass
class StoredQuestion:
    """A question as stored: its identity, the version shown, its bank, and its content."""

    id: int
    version: int
    version_id: int
    bank_id: int
    status: str
    question: Question
    position: int = 0   # BankQuestion.position: the number the bank page shows ("Câu 4") and search hits name



@dataclass(frozen=True)
class QuestionFilter:
    topic: str | None = None
    level: str | None = None
    type: str | None = None
    text: str | None = None   # words of the question's public text (repository.banks.text), diacritics ignored


def is_bank(material: Material | None) -> bool:
    return material is not None and material.kind == BANK_KIND


def add_questions(session: Session, bank: Material, questions: list[Question], *, author: User,
                  storage: BlobStore) -> list[BankQuestion]:
    """Add new questions at the end of the bank. The caller commits. In a bank not yet published they are
    drafts, published with the bank; added to a published bank, they wait for review (``pending``)."""
    status = "pending" if bank.published_version_id else "draft"
    position = session.scalar(select(func.max(BankQuestion.position)).where(BankQuestion.bank_id == bank.id)) or 0
    added = []
    for offset, question in enumerate(questions, start=1):
        record = BankQuestion(bank_id=bank.id, position=position + offset, created_by=author.id)
        version = fill_version(QuestionVersion(number=1, status=status, created_by=author.id), question)
        version.images = [store_image(storage, image) for image in question.images]
        record.versions.append(version)
        session.add(record)
        added.append(record)
    session.flush()
    for record in added:
        record.current_version_id = record.versions[0].id
    return added


def store_image(storage: BlobStore, image: Image) -> QuestionImage:
    blob = storage.put_stream(io.BytesIO(image.data), max_bytes=MAX_IMAGE_BYTES, content_type=image.content_type)
    return QuestionImage(name=image.name[:255], content_type=image.content_type, size=blob.size,
                         sha256=blob.sha256, storage_backend=storage.name, storage_key=blob.key)


def load_images(storage: BlobStore | None, version: QuestionVersion) -> list[Image]:
    if storage is None:
        return []
    images = []
    for row in version.images:
        with storage.open(row.storage_key) as fh:
            images.append(Image(name=row.name, content_type=row.content_type, data=fh.read()))
    return images


def _filtered(query, filters: QuestionFilter):
    if filters.topic:
        query = query.where(QuestionVersion.topic == filters.topic)
    if filters.level:
        query = query.where(QuestionVersion.cognitive_level == filters.level)
    if filters.type:
        query = query.where(QuestionVersion.type == filters.type)
    return query


def bank_questions(session: Session, bank_id: int, filters: QuestionFilter = QuestionFilter(), *,
                   published_only: bool = False, storage: BlobStore | None = None) -> list[StoredQuestion]:
    """The questions of one bank in order: the current version of each (what its owner edits), or only
    the published version when ``published_only`` (what everyone else sees). The text filter reads the
    questions themselves, so it runs after the others."""
    shown = BankQuestion.published_version_id if published_only else BankQuestion.current_version_id
    query = (select(BankQuestion, QuestionVersion).join(QuestionVersion, QuestionVersion.id == shown)
             .where(BankQuestion.bank_id == bank_id).order_by(BankQuestion.position, BankQuestion.id))
    matches = text_matcher(filters.text or "")
    rows = session.execute(_filtered(query, filters))
    if matches is None:
        return [_stored(record, version, storage) for record, version in rows]
    found = [(record, version) for record, version in rows if matches(to_question(version))]
    return [_stored(record, version, storage) for record, version in found]


def published_questions(session: Session, bank_ids: list[int], *, topic: str | None = None,
                        level: str | None = None, type: str | None = None,
                        storage: BlobStore | None = None) -> list[StoredQuestion]:
    """The published version of every question of the given banks that are themselves published, in a
    stable order (bank, position). Unpublished or unknown banks contribute nothing. Images are loaded only
    when a blob store is given."""
    query = (select(BankQuestion, QuestionVersion)
             .join(QuestionVersion, QuestionVersion.id == BankQuestion.published_version_id)
             .join(Material, Material.id == BankQuestion.bank_id)
             .where(BankQuestion.bank_id.in_(list(bank_ids)), Material.kind == BANK_KIND,
                    Material.published_version_id.is_not(None))
             .order_by(BankQuestion.bank_id, BankQuestion.position, BankQuestion.id))
    query = _filtered(query, QuestionFilter(topic, level, type))
    return [_stored(record, version, storage) for record, version in session.execute(query)]


def _stored(record: BankQuestion, version: QuestionVersion, storage: BlobStore | None) -> StoredQuestion:
    return StoredQuestion(id=record.id, version=version.number, version_id=version.id, bank_id=record.bank_id,
                          status=version.status, question=to_question(version, load_images(storage, version)),
                          position=record.position)
