"""Fixtures of the review tests: materials made directly in the database in any state, reviewers'
expertise, and the review configuration of the app under test."""

from __future__ import annotations

from typing import Any

import pytest

from repository.models import Material, MaterialVersion, User
from review.config import DEFAULT_CRITERIA, ReviewConfig
from review.models import ReviewerExpertise

SCORES = dict.fromkeys(DEFAULT_CRITERIA, 4)


def make_material(session, owner: User, status: str = "in_review", subject: str = "toan", level: str = "thpt",
                  title: str = "Phương trình bậc hai") -> int:
    material = Material(owner_id=owner.id, unit_id=owner.unit_id, title=title, kind="bai-giang", level=level,
                        grade=10, subject=subject, licence="CC-BY-4.0", status=status)
    session.add(material)
    session.flush()
    version = MaterialVersion(material_id=material.id, number=1, created_by=owner.id, ingest_status="succeeded")
    session.add(version)
    session.flush()
    material.current_version_id = version.id
    if status == "published":
        material.published_version_id = version.id
    session.commit()
    return material.id


def add_expertise(session, user: User, *pairs: tuple[str, str]) -> None:
    for subject, level in pairs:
        session.add(ReviewerExpertise(user_id=user.id, subject=subject, level=level))
    session.commit()


@pytest.fixture
def db(app):
    return app.extensions["db"]


@pytest.fixture
def cfg(app) -> ReviewConfig:
    return app.extensions["review"]


@pytest.fixture
def material_in_review(db, users) -> int:
    with db.session() as session:
        return make_material(session, session.get(User, users["teacher"].id))


def user(session, users: dict[str, Any], key: str) -> User:
    return session.get(User, users[key].id)
