"""Images of the drawn questions: links to the bank's image route for pages, bytes from the blob store for
printing. Both use the exact question version a paper drew, which a later edit never changes."""

from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.banks.models import BankQuestion, QuestionImage, QuestionVersion
from repository.papers.printing import PRINTABLE_IMAGES, Figures
from repository.storage import BlobStore


def _version_ids(version: dict[str, Any]) -> set[int]:
    return {q["source"]["version_id"] for q in version["questions"]}


def image_urls(session: Session, version: dict[str, Any]) -> dict[int, dict[str, str]]:
    """Question version id -> {image name: URL of the bank's image route}."""
    query = (select(QuestionImage.id, QuestionImage.name, QuestionImage.version_id, BankQuestion.bank_id)
             .join(QuestionVersion, QuestionVersion.id == QuestionImage.version_id)
             .join(BankQuestion, BankQuestion.id == QuestionVersion.question_id)
             .where(QuestionImage.version_id.in_(_version_ids(version))))
    urls: dict[int, dict[str, str]] = {}
    for image_id, name, version_id, bank_id in session.execute(query):
        urls.setdefault(version_id, {})[name] = url_for("banks.image", bank_id=bank_id, image_id=image_id)
    return urls


def printable_figures(session: Session, storage: BlobStore, version: dict[str, Any]) -> Figures:
    """The printable images of each question of the version, in the order they were imported."""
    keys: dict[int, list[str]] = {}
    query = (select(QuestionImage.version_id, QuestionImage.storage_key)
             .where(QuestionImage.version_id.in_(_version_ids(version)),
                    QuestionImage.content_type.in_(PRINTABLE_IMAGES)).order_by(QuestionImage.id))
    for version_id, key in session.execute(query):
        keys.setdefault(version_id, []).append(key)
    figures: Figures = {}
    for question in version["questions"]:
        for key in keys.get(question["source"]["version_id"], []):
            with storage.open(key) as fh:
                figures.setdefault((question["part"], question["number"]), []).append(fh.read())
    return figures
