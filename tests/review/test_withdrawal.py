"""Withdrawal: the author or an administrator unpublishes with a reason; the material leaves the search index
through the outbox row written with the state change. Nobody else may withdraw."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from repository.models import AuditRecord, Material, SearchOutbox
from review.models import MailOutbox
from search.service import drain_outbox
from tests.conftest import bearer, csrf_from, login
from tests.core.documents import newton_pdf
from tests.core.test_material_flow import upload
from tests.review.conftest import SCORES


def _published(client, tokens) -> int:
    material_id = upload(client, tokens["teacher"], newton_pdf()).json["id"]
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"]))
    approved = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                           json={"decision": "approve", "comment": "Đạt", "scores": SCORES})
    assert approved.json["status"] == "published"
    drain_outbox(client.application)
    assert client.get("/api/v1/search?q=newton").json["total"] == 1
    return material_id


@pytest.mark.parametrize("who", ["teacher", "admin"])
def test_author_or_admin_withdraws_with_a_reason_and_it_leaves_search(app, client, tokens, who):
    material_id = _published(client, tokens)
    url = f"/api/v1/materials/{material_id}/withdraw"
    no_reason = client.post(url, headers=bearer(tokens[who]), json={})
    assert no_reason.status_code == 400 and no_reason.json["error"]["field"] == "comment"
    done = client.post(url, headers=bearer(tokens[who]), json={"reason": "Vi phạm bản quyền hình ảnh"})
    assert done.status_code == 200 and done.json == {**done.json, "status": "withdrawn", "published": False}
    with app.extensions["db"].session() as session:
        assert session.scalar(select(SearchOutbox).where(SearchOutbox.material_id == material_id,
                                                         SearchOutbox.operation == "delete")) is not None
        record = session.scalars(select(AuditRecord).where(AuditRecord.material_id == material_id)
                                 .order_by(AuditRecord.id.desc())).first()
        assert (record.action, record.from_state, record.to_state, record.comment) == \
            ("withdraw", "published", "withdrawn", "Vi phạm bản quyền hình ảnh")
        mails = session.scalars(select(MailOutbox).where(MailOutbox.subject.startswith("Học liệu đã bị gỡ"))).all()
        assert len(mails) == (1 if who == "admin" else 0)  # the author is told when someone else withdrew
    drain_outbox(app)
    assert client.get("/api/v1/search?q=newton").json["total"] == 0
    assert client.get(f"/api/v1/materials/{material_id}", headers=bearer(tokens["student"])).status_code == 404


@pytest.mark.parametrize(("who", "status"), [("teacher2", 403), ("reviewer", 403), ("student", 403)])
def test_nobody_else_may_withdraw(app, client, tokens, who, status):
    material_id = _published(client, tokens)
    refused = client.post(f"/api/v1/materials/{material_id}/withdraw", headers=bearer(tokens[who]),
                          json={"reason": "Không thích"})
    assert refused.status_code == status
    with app.extensions["db"].session() as session:
        assert session.get(Material, material_id).status == "published"


def test_author_can_pull_a_submission_back_from_review(app, client, tokens):
    material_id = upload(client, tokens["teacher"], newton_pdf()).json["id"]
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"]))
    client.post(f"/api/v1/materials/{material_id}/claim", headers=bearer(tokens["reviewer"]))
    pulled = client.post(f"/api/v1/materials/{material_id}/withdraw", headers=bearer(tokens["teacher"]),
                         json={"reason": "Nộp nhầm tệp"})
    assert pulled.json["status"] == "withdrawn"
    queue = client.get("/api/v1/review/queue", headers=bearer(tokens["reviewer"])).json["materials"]
    assert material_id not in [m["id"] for m in queue]
    late = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                       json={"decision": "approve", "comment": "Đạt", "scores": SCORES})
    assert late.status_code == 409 and "Đã gỡ xuống" in late.json["error"]["message"]


def test_material_page_withdraws_with_a_reason(app, client, tokens):
    material_id = _published(client, tokens)
    login(client, "teacher")
    page = client.get(f"/materials/{material_id}").get_data(as_text=True)
    assert 'data-action="withdraw"' in page
    token = csrf_from(client, f"/materials/{material_id}")
    done = client.post(f"/materials/{material_id}/actions/withdraw", data={"csrf_token": token,
                                                                            "comment": "Cần cập nhật số liệu"})
    assert done.status_code == 303
    with app.extensions["db"].session() as session:
        assert session.get(Material, material_id).status == "withdrawn"
