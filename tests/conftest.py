"""Shared fixtures: a real app on a fresh database (SQLite, and PostgreSQL when
HOCLIEU_TEST_DATABASE_URL is set), real blob store and search index in a temporary data directory,
and the Huey queue in immediate mode (jobs run synchronously through the real job runner)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from repository import create_app
from repository.auth.services import create_user
from repository.migrate import upgrade

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
PASSWORD = "mat-khau-thu-nghiem-1"

DATABASES = ["sqlite"] + (["postgresql"] if os.environ.get("HOCLIEU_TEST_DATABASE_URL") else [])


@pytest.fixture
def corpus() -> Path:
    """The shared corpus beside the checkout (tests using it skip when it is absent)."""
    if not CORPUS.is_dir():
        pytest.skip(f"test corpus {CORPUS} is absent (it lives in ../shared/corpus beside the checkout)")
    return CORPUS


def corpus_dir(name: str) -> Path:
    path = CORPUS / name
    if not path.is_dir():
        pytest.skip(f"test corpus folder {path} is absent (it lives in ../shared/corpus beside the checkout)")
    return path


def reset_postgres(url: str) -> None:
    """Create the test database if needed and empty its public schema."""
    target = make_url(url)
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                              {"n": target.database}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=DATABASES)
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'hoclieu.db'}"
    url = os.environ["HOCLIEU_TEST_DATABASE_URL"]
    reset_postgres(url)
    return url


def make_test_app(tmp_path: Path, database_url: str, **sections: Any):
    overrides: dict[str, Any] = {"data_dir": str(tmp_path / "data"),
                                 "database": {"url": database_url},
                                 "queue": {"backend": "memory", "retry_delay_seconds": 0.01},
                                 "storage": {"max_upload_mb": 5},
                                 # One approval publishes to everybody, unless a test configures publication
                                 # scopes (tests/review/test_scopes.py runs the shipped policy).
                                 "review": {"single_step_publication": True}}
    for name, values in sections.items():
        if isinstance(values, dict):
            overrides.setdefault(name, {}).update(values)
        else:
            overrides[name] = values
    app = create_app(overrides)
    app.config["TESTING"] = True
    upgrade(app.extensions["db"])
    return app


@pytest.fixture
def app(tmp_path, database_url) -> Iterator:
    app = make_test_app(tmp_path, database_url)
    yield app
    app.extensions["usage"].close()  # stops the usage flusher before the database goes
    app.extensions["search"].close()
    app.extensions["db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def users(app) -> dict[str, Any]:
    """One account per role (plus a second teacher and reviewer), all with PASSWORD."""
    made = {}
    with app.extensions["db"].session() as session:
        for key, role, unit in (("teacher", "teacher", "so-hn"), ("teacher2", "teacher", "so-hn"),
                                ("reviewer", "reviewer", "so-hcm"), ("reviewer2", "reviewer", "so-hcm"),
                                ("student", "student", "so-dn"), ("admin", "admin", "bo-gddt")):
            user = create_user(session, email=f"{key}@truong.edu.vn", password=PASSWORD, role=role,
                               unit_code=unit, name=key.capitalize())
            made[key] = user
        session.commit()
    return made


CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client, path: str = "/login") -> str:
    page = client.get(path)
    match = CSRF_RE.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, who: str, password: str = PASSWORD, remember: bool = False):
    token = csrf_from(client)
    data = {"email": f"{who}@truong.edu.vn", "password": password, "csrf_token": token}
    if remember:
        data["remember"] = "1"
    return client.post("/login", data=data)


@pytest.fixture
def tokens(app, users) -> dict[str, str]:
    """A personal access token per test account, for API calls."""
    from repository.auth.services import create_token
    from repository.models import User

    made = {}
    with app.extensions["db"].session() as session:
        for key, user in users.items():
            made[key] = create_token(session, session.get(User, user.id), "test")
        session.commit()
    return made


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
