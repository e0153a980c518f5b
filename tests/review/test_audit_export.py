"""The audit trail: exported as CSV per material and per period (reviewers and administrators only), with the
rubric beside each decision; records cannot be changed or deleted through the product."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from repository.models import AuditRecord, utcnow
from review.audit import AuditImmutable
from review.workflow import decide
from tests.conftest import bearer
from tests.review.conftest import SCORES, make_material, user


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _decided(db, users, cfg, title: str = "Phương trình bậc hai") -> int:
    with db.session() as session:
        material_id = make_material(session, user(session, users, "teacher"), title=title)
        decide(session, material_id, user(session, users, "reviewer"), cfg, "approve", "=HYPERLINK(\"x\")",
               {**SCORES, "su_pham": 5})
    return material_id


def test_per_material_export_has_every_record_with_the_rubric(app, client, users, tokens, db, cfg):
    material_id = _decided(db, users, cfg)
    rows = _rows(client.get(f"/api/v1/materials/{material_id}/audit.csv", headers=bearer(tokens["admin"])))
    assert rows[0][0] == "Thời điểm (UTC)" and rows[0][-1] == "Điểm theo tiêu chí"
    assert len(rows) == 2
    decision = rows[1]
    assert decision[1] == str(material_id) and decision[2] == "Phương trình bậc hai"
    assert decision[4:8] == ["reviewer@truong.edu.vn", "Phê duyệt", "Đang thẩm định", "Đã xuất bản"]
    assert decision[8] == "'=HYPERLINK(\"x\")"  # a formula is never handed to a spreadsheet
    assert "su_pham=5" in decision[9] and "chinh_xac=4" in decision[9]


def test_per_period_export_takes_days_inclusive(app, client, users, tokens, db, cfg):
    first = _decided(db, users, cfg, "Bài một")
    second = _decided(db, users, cfg, "Bài hai")
    with db.session() as session:  # move the first material's history a month back, as if older
        session.execute(AuditRecord.__table__.update().where(AuditRecord.material_id == first)
                        .values(at=utcnow() - timedelta(days=30)))
        session.commit()
    today = utcnow().date().isoformat()
    rows = _rows(client.get(f"/api/v1/review/audit.csv?since={today}&until={today}",
                            headers=bearer(tokens["reviewer"])))
    assert {r[1] for r in rows[1:]} == {str(second)}
    everything = _rows(client.get("/api/v1/review/audit.csv", headers=bearer(tokens["admin"])))
    assert {r[1] for r in everything[1:]} == {str(first), str(second)}
    bad = client.get("/api/v1/review/audit.csv?since=hôm-qua", headers=bearer(tokens["admin"]))
    assert bad.status_code == 400 and bad.json["error"]["field"] == "since"


def test_reviewers_period_export_leaves_out_drafts_they_cannot_see(app, client, users, tokens, db):
    with db.session() as session:
        draft = make_material(session, user(session, users, "teacher"), status="draft", title="Bản nháp bí mật")
        session.add(AuditRecord(material_id=draft, actor_id=users["teacher"].id, action="upload", to_state="draft"))
        session.commit()
    reviewer_rows = _rows(client.get("/api/v1/review/audit.csv", headers=bearer(tokens["reviewer"])))
    assert "Bản nháp bí mật" not in {r[2] for r in reviewer_rows}
    admin_rows = _rows(client.get("/api/v1/review/audit.csv", headers=bearer(tokens["admin"])))
    assert "Bản nháp bí mật" in {r[2] for r in admin_rows}


@pytest.mark.parametrize("who", ["teacher", "student"])
def test_only_reviewers_and_admins_export(app, client, users, tokens, db, cfg, who):
    material_id = _decided(db, users, cfg)
    for url in (f"/api/v1/materials/{material_id}/audit.csv", "/api/v1/review/audit.csv"):
        assert client.get(url, headers=bearer(tokens[who])).status_code == 403
    assert client.get("/api/v1/review/audit.csv").status_code in {302, 401}


def test_audit_records_cannot_be_edited_or_deleted(app, client, users, tokens, db, cfg):
    material_id = _decided(db, users, cfg)
    with db.session() as session:
        record = session.scalar(select(AuditRecord).where(AuditRecord.material_id == material_id))
        record.comment = "sửa lại lịch sử"
        with pytest.raises(AuditImmutable):
            session.commit()
        session.rollback()
        session.delete(session.get(AuditRecord, record.id))
        with pytest.raises(AuditImmutable):
            session.commit()
    for method in ("put", "patch", "delete"):
        response = getattr(client, method)(f"/api/v1/materials/{material_id}/audit", headers=bearer(tokens["admin"]))
        assert response.status_code == 405
    with db.session() as session:
        assert session.scalar(select(AuditRecord.comment).where(AuditRecord.material_id == material_id)) != \
            "sửa lại lịch sử"
