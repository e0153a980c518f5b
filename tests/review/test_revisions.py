"""Revisions: the author answers with a new version (file and metadata); reviewers see what changed since the
version they reviewed; a published material stays as it was published until its successor is approved, then
the successor (file and metadata) replaces it in one transaction."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from repository.models import MaterialVersion
from search.service import drain_outbox
from tests.conftest import bearer, csrf_from, login
from tests.core.test_material_flow import METADATA
from tests.review.scoped import pdf, review, search_ids, submit, upload


def _revise(client, material_id: int, data: bytes | None = None, **fields):
    """The author's revision form, as the browser sends it."""
    form = {**METADATA, **fields, "csrf_token": csrf_from(client, f"/materials/{material_id}/revise")}
    if data is not None:
        form["file"] = (io.BytesIO(data), "newton-v2.pdf")
    return client.post(f"/materials/{material_id}/revise", data=form, content_type="multipart/form-data")


def _file_urls(client, token: str, material_id: int) -> list[str]:
    return [f["url"] for f in client.get(f"/api/v1/materials/{material_id}", headers=bearer(token)).json["files"]]


def test_published_version_stays_until_the_revision_is_approved(app, client, tokens):
    material_id = upload(client, tokens["teacher"])
    submit(client, tokens["teacher"], material_id)
    review(client, tokens["reviewer"], material_id)
    drain_outbox(app)
    [v1_url] = _file_urls(client, tokens["student"], material_id)

    login(client, "teacher")
    revised = _revise(client, material_id, pdf("Định luật 2 Newton — có bài tập", "Bài tập vận dụng: F = m.a."),
                      title="Định luật 2 Newton (có bài tập)")
    assert revised.status_code == 303
    [v2_url] = _file_urls(client, tokens["teacher"], material_id)
    assert v2_url != v1_url

    def student_view():
        return client.get(f"/api/v1/materials/{material_id}", headers=bearer(tokens["student"])).json

    assert student_view()["title"] == "Bài 15. Định luật 2 Newton"   # the published metadata, not the proposal
    assert client.get(v1_url, headers=bearer(tokens["student"])).status_code == 200
    assert client.get(v2_url, headers=bearer(tokens["student"])).status_code == 404
    assert submit(client, tokens["teacher"], material_id).json["status"] == "in_review"
    drain_outbox(app)
    assert student_view()["title"] == "Bài 15. Định luật 2 Newton"
    assert search_ids(client, tokens["student"], "bai tap") == []
    assert client.get(v1_url, headers=bearer(tokens["student"])).status_code == 200

    # The reviewer sees what changed since the version they approved.
    login(client, "reviewer")
    page = client.get(f"/review/materials/{material_id}").get_data(as_text=True)
    assert 'data-field="title"' in page and "Định luật 2 Newton (có bài tập)" in page
    assert 'data-field="file_sha256"' in page and 'data-field="file_name"' in page
    assert 'data-field="level"' not in page                            # unchanged fields are not listed

    assert review(client, tokens["reviewer"], material_id).json["status"] == "published"
    drain_outbox(app)
    assert student_view()["title"] == "Định luật 2 Newton (có bài tập)"
    assert client.get(v2_url, headers=bearer(tokens["student"])).status_code == 200
    assert client.get(v1_url, headers=bearer(tokens["student"])).status_code == 404
    assert search_ids(client, tokens["student"], "bai tap") == [material_id]


def test_changes_requested_then_revision_shows_the_reviewer_the_changes(app, client, tokens):
    material_id = upload(client, tokens["teacher"])
    submit(client, tokens["teacher"], material_id)
    asked = review(client, tokens["reviewer"], material_id, "request_changes", "Thiếu phần bài tập.")
    assert asked.json["status"] == "changes_requested"
    login(client, "teacher")
    assert _revise(client, material_id, description="Có thêm 5 bài tập vận dụng.").status_code == 303
    assert submit(client, tokens["teacher"], material_id).json["status"] == "in_review"
    login(client, "reviewer")
    page = client.get(f"/review/materials/{material_id}").get_data(as_text=True)
    assert 'id="changes"' not in page      # same version as the one reviewed: nothing to compare yet
    login(client, "teacher")
    assert submit(client, tokens["teacher"], material_id).status_code == 409   # already in review
    review(client, tokens["reviewer"], material_id, "request_changes", "Vẫn thiếu hình minh hoạ.")
    login(client, "teacher")
    assert _revise(client, material_id, pdf("Định luật 2 Newton", "Hình 15.1 minh hoạ lực và gia tốc."),
                   chapter="Chương III. Động lực học (bản sửa)").status_code == 303
    with app.extensions["db"].session() as session:
        version = session.scalar(select(MaterialVersion).where(MaterialVersion.material_id == material_id)
                                 .order_by(MaterialVersion.number.desc()))
        assert version.number == 2 and version.ingest_status == "succeeded"
    submit(client, tokens["teacher"], material_id)
    login(client, "reviewer")
    page = client.get(f"/review/materials/{material_id}").get_data(as_text=True)
    assert "(phiên bản 1 → 2)" in page
    assert 'data-field="chapter"' in page and 'data-field="file_sha256"' in page


def test_a_bad_revision_is_refused_and_changes_nothing(app, client, tokens):
    material_id = upload(client, tokens["teacher"])
    submit(client, tokens["teacher"], material_id)
    review(client, tokens["reviewer"], material_id)
    login(client, "teacher")
    no_file = _revise(client, material_id, title="Tiêu đề mới")
    assert no_file.status_code == 400 and "tải lên tệp của phiên bản mới" in no_file.get_data(as_text=True)
    bad_grade = _revise(client, material_id, pdf(), grade="5")
    assert bad_grade.status_code == 400 and "Lớp 5 không thuộc" in bad_grade.get_data(as_text=True)
    other_kind = _revise(client, material_id, pdf(), kind="bai-giang")
    assert other_kind.status_code == 400
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(MaterialVersion)
                              .where(MaterialVersion.material_id == material_id)) == 1
    login(client, "teacher2")
    assert client.get(f"/materials/{material_id}/revise").status_code == 403
