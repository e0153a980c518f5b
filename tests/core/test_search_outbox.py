"""Publication reaches the search index through the outbox; a failing index keeps the changes; reindex
rebuilds everything from the database."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from repository.models import SearchOutbox
from search.service import drain_outbox, reindex, single_index_writer
from tests.conftest import bearer
from tests.core.documents import newton_pdf
from tests.core.test_material_flow import SCORES, upload


def _publish(client, tokens, **fields) -> int:
    material_id = upload(client, tokens["teacher"], newton_pdf(), **fields).json["id"]
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"]))
    client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                json={"decision": "approve", "comment": "Đạt.", "scores": SCORES})
    return material_id


def _pending(app) -> int:
    with app.extensions["db"].session() as session:
        return session.scalar(select(func.count()).select_from(SearchOutbox)
                              .where(SearchOutbox.processed_at.is_(None)))


class BrokenIndex:
    """Stands in for an unreachable search server (the outside service), to show nothing is lost."""

    name = "unreachable"

    def __init__(self, real):
        self.real = real

    def upsert(self, documents):
        raise ConnectionError("search server unreachable")

    delete = upsert

    def __getattr__(self, name):
        return getattr(self.real, name)


def test_outbox_is_drained_on_publication(app, client, tokens):
    material_id = _publish(client, tokens)
    assert _pending(app) == 0
    assert [h["id"] for h in client.get("/api/v1/search?q=newton").json["hits"]] == [material_id]


def test_unreachable_index_keeps_changes_until_it_is_back(app, client, tokens):
    real = app.extensions["search"]
    app.extensions["search"] = BrokenIndex(real)
    material_id = _publish(client, tokens)
    assert _pending(app) == 1
    app.extensions["search"] = real
    assert client.get("/api/v1/search?q=newton").json["total"] == 0
    assert drain_outbox(app) == 1
    assert _pending(app) == 0
    assert [h["id"] for h in client.get("/api/v1/search?q=newton").json["hits"]] == [material_id]


def test_withdrawal_removes_from_the_index(app, client, tokens):
    material_id = _publish(client, tokens)
    from review.services import apply_transition

    with app.extensions["db"].session() as session:
        from repository.models import User

        admin = session.scalar(select(User).where(User.role == "admin"))
        apply_transition(session, material_id, "withdraw", admin, "Vi phạm bản quyền")
    drain_outbox(app)
    assert client.get("/api/v1/search?q=newton").json["total"] == 0
    assert client.get(f"/api/v1/materials/{material_id}", headers=bearer(tokens["student"])).status_code == 404


def test_reindex_rebuilds_a_lost_index(app, client, tokens):
    ids = {_publish(client, tokens, title=f"Định luật Newton phần {n}") for n in range(3)}
    app.extensions["search"].clear()
    assert client.get("/api/v1/search?q=newton").json["total"] == 0
    assert reindex(app) == 3
    assert {h["id"] for h in client.get("/api/v1/search?q=newton").json["hits"]} == ids


def test_a_drain_waits_while_another_writer_holds_the_index(app, client, tokens):
    real = app.extensions["search"]
    app.extensions["search"] = BrokenIndex(real)
    material_id = _publish(client, tokens)  # the change waits in the outbox
    app.extensions["search"] = real
    drained: list[int] = []
    with single_index_writer(app):
        worker = threading.Thread(target=lambda: drained.append(drain_outbox(app)))
        worker.start()
        worker.join(timeout=1.0)
        assert worker.is_alive() and drained == [] and _pending(app) == 1
    worker.join(timeout=60)
    assert drained == [1] and _pending(app) == 0
    assert [h["id"] for h in client.get("/api/v1/search?q=newton").json["hits"]] == [material_id]
