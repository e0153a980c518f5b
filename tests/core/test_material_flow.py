"""The foundation flow through the API, on the real embedded stack: upload -> ingest -> submit ->
review -> publish -> search -> view/download, and what a student may not reach before approval."""

from __future__ import annotations

import io

import pytest

from review.config import DEFAULT_CRITERIA
from tests.conftest import bearer
from tests.core.documents import HTML_AS_PDF, encrypted_pdf, newton_pdf, truncated_pdf

METADATA = {"title": "Bài 15. Định luật 2 Newton", "description": "Bài giảng vật lí lớp 10",
            "kind": "sach-giao-khoa", "level": "thpt", "grade": "10", "subject": "vat-li", "series": "kntt",
            "chapter": "Chương III. Động lực học", "lesson": "Bài 15. Định luật 2 Newton",
            "licence": "CC-BY-4.0"}

#: A complete rubric (every default criterion scored 4), which every review decision needs.
SCORES = dict.fromkeys(DEFAULT_CRITERIA, 4)


def upload(client, token: str, data: bytes, filename: str = "newton.pdf", **fields):
    form = {**METADATA, **fields, "file": (io.BytesIO(data), filename)}
    return client.post("/api/v1/materials", data=form, headers=bearer(token),
                       content_type="multipart/form-data")


def test_whole_flow_from_upload_to_student_download(app, client, tokens):
    created = upload(client, tokens["teacher"], newton_pdf())
    assert created.status_code == 201, created.json
    material_id, job_id = created.json["id"], created.json["job_id"]
    assert created.json["status"] == "draft"

    job = client.get(f"/api/v1/jobs/{job_id}", headers=bearer(tokens["teacher"])).json
    assert job["status"] == "succeeded" and job["progress"] == 100

    own = client.get(f"/api/v1/materials/{material_id}", headers=bearer(tokens["teacher"])).json
    assert own["pages"] == 2 and own["ingest_status"] == "succeeded"
    assert own["files"][0]["content_type"] == "application/pdf"
    assert len(own["files"][0]["sha256"]) == 64

    # Before approval: invisible to a student by id, by file URL and by search.
    file_url = own["files"][0]["url"]
    assert client.get(f"/api/v1/materials/{material_id}", headers=bearer(tokens["student"])).status_code == 404
    assert client.get(file_url, headers=bearer(tokens["student"])).status_code == 404
    assert client.get(file_url).status_code == 404
    assert client.get("/api/v1/search?q=newton").json["total"] == 0

    assert client.post(f"/api/v1/materials/{material_id}/submit",
                       headers=bearer(tokens["teacher"])).json["status"] == "in_review"
    queue = client.get("/api/v1/review/queue", headers=bearer(tokens["reviewer"])).json["materials"]
    assert [m["id"] for m in queue] == [material_id]
    decided = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                          json={"decision": "approve", "comment": "Chính xác, trình bày tốt.", "scores": SCORES})
    assert decided.status_code == 200 and decided.json["status"] == "published"

    for query in ("định luật newton", "dinh luat newton", "ĐỊNH LUẬT", "gia toc ti le nghich"):
        result = client.get("/api/v1/search", query_string={"q": query}).json
        assert [h["id"] for h in result["hits"]] == [material_id], query
    faceted = client.get("/api/v1/search?q=newton&subject=vat-li&grade=10").json
    assert faceted["total"] == 1
    assert {"value": "vat-li", "count": 1} in faceted["facets"]["subject"]

    anonymous = client.get(f"/api/v1/materials/{material_id}").json
    assert anonymous["status"] == "published"
    viewed = client.get(file_url.replace("/download", "/view"))
    assert viewed.status_code == 200 and viewed.mimetype == "application/pdf"
    assert viewed.headers["Content-Disposition"].startswith("inline")
    downloaded = client.get(file_url, headers=bearer(tokens["student"]))
    assert downloaded.headers["Content-Disposition"].startswith("attachment")
    assert downloaded.data == newton_pdf()
    ranged = client.get(file_url, headers={"Range": "bytes=0-4"})
    assert ranged.status_code == 206 and ranged.data == b"%PDF-"


def test_reviewer_can_request_changes_and_reject_with_comment(app, client, tokens):
    material_id = upload(client, tokens["teacher"], newton_pdf()).json["id"]
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"]))
    no_comment = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                             json={"decision": "request_changes"})
    assert no_comment.status_code == 400 and no_comment.json["error"]["field"] == "comment"
    changes = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                          json={"decision": "request_changes", "comment": "Bổ sung ví dụ.", "scores": SCORES})
    assert changes.json["status"] == "changes_requested"
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"]))
    rejected = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                           json={"decision": "reject", "comment": "Sai kiến thức ở trang 2.", "scores": SCORES})
    assert rejected.json["status"] == "rejected"
    audit = client.get(f"/api/v1/materials/{material_id}/audit", headers=bearer(tokens["reviewer"])).json
    assert [(r["action"], r["from"], r["to"]) for r in audit["records"]] == [
        ("upload", "", "draft"), ("submit", "draft", "in_review"),
        ("request_changes", "in_review", "changes_requested"),
        ("submit", "changes_requested", "in_review"),
        ("assign", "in_review", "in_review"),  # the revision goes back to the reviewer who asked for changes
        ("reject", "in_review", "rejected")]
    assert audit["records"][2]["actor"] == "reviewer@truong.edu.vn"
    assert audit["records"][2]["comment"] == "Bổ sung ví dụ."
    assert client.get("/api/v1/search?q=newton").json["total"] == 0


def test_teacher_cannot_approve_own_material(app, client, tokens, users):
    material_id = upload(client, tokens["admin"], newton_pdf()).json["id"]
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["admin"]))
    own = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["admin"]),
                      json={"decision": "approve"})
    assert own.status_code == 403
    assert "chính mình" in own.json["error"]["message"]
    teacher = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["teacher"]),
                          json={"decision": "approve"})
    assert teacher.status_code == 404  # a teacher cannot even see someone else's submission
    status = client.get(f"/api/v1/materials/{material_id}", headers=bearer(tokens["admin"])).json["status"]
    assert status == "in_review"


def _nothing_stored(app) -> bool:
    from sqlalchemy import func, select

    from repository.models import Material, MaterialFile

    blobs = list((app.extensions["settings"].data_dir / "blobs").rglob("*"))
    with app.extensions["db"].session() as session:
        rows = session.scalar(select(func.count()).select_from(Material)) + \
            session.scalar(select(func.count()).select_from(MaterialFile))
    return rows == 0 and not [b for b in blobs if b.is_file()]


@pytest.mark.parametrize(("data", "fields", "status", "field", "words"), [
    (HTML_AS_PDF, {}, 415, "file", "HTML"),
    (b"", {}, 400, "file", "rỗng"),
    (newton_pdf(), {"subject": "thien-van-hoc"}, 400, "subject", "danh mục"),
    (newton_pdf(), {"grade": "7"}, 400, "grade", "Lớp 7"),
    (newton_pdf(), {"title": ""}, 400, "title", "tiêu đề"),
    (newton_pdf(), {"licence": "WTFPL"}, 400, "licence", "Giấy phép"),
    (newton_pdf(), {"level": "tieu-hoc", "grade": "3"}, 400, "subject", "không được dạy"),
], ids=["html-renamed-pdf", "empty", "unknown-subject", "grade-outside-level", "no-title", "bad-licence",
        "subject-not-at-level"])
def test_bad_uploads_are_refused_and_store_nothing(app, client, tokens, data, fields, status, field, words):
    response = upload(client, tokens["teacher"], data, **fields)
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["field"] == field and words in error["message"]
    assert _nothing_stored(app)


def test_upload_over_the_size_limit_is_refused(app, client, tokens):
    big = b"%PDF-1.7\n" + b"0" * (6 * 1024 * 1024)  # the test app's limit is 5 MB
    response = upload(client, tokens["teacher"], big)
    assert response.status_code == 413
    assert response.json["error"]["code"] == "too_large"
    assert _nothing_stored(app)


def test_interrupted_upload_stores_nothing(app, client, tokens):
    fields = b"".join(f'--B\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode()
                      for k, v in METADATA.items())
    body = fields + (b'--B\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
                     b"Content-Type: application/pdf\r\n\r\n" + newton_pdf()[:300])
    response = client.post("/api/v1/materials", input_stream=io.BytesIO(body),
                           headers={**bearer(tokens["teacher"]), "Content-Length": str(len(body) + 50000),
                                    "Content-Type": "multipart/form-data; boundary=B"})
    assert response.status_code == 400
    assert _nothing_stored(app)


@pytest.mark.parametrize(("data", "words"), [
    (truncated_pdf(), "PDF"),
    (encrypted_pdf(), "mật khẩu"),
], ids=["truncated", "encrypted"])
def test_broken_pdfs_fail_ingest_with_a_clear_reason(app, client, tokens, data, words):
    created = upload(client, tokens["teacher"], data)
    assert created.status_code == 201
    job = client.get(f"/api/v1/jobs/{created.json['job_id']}", headers=bearer(tokens["teacher"])).json
    assert job["status"] == "failed" and words in job["error"]
    material = client.get(f"/api/v1/materials/{created.json['id']}", headers=bearer(tokens["teacher"])).json
    assert material["ingest_status"] == "failed"
    submit = client.post(f"/api/v1/materials/{created.json['id']}/submit", headers=bearer(tokens["teacher"]))
    assert submit.status_code == 409


def test_student_cannot_upload_or_see_jobs(app, client, tokens):
    assert upload(client, tokens["student"], newton_pdf()).status_code == 403
    job_id = upload(client, tokens["teacher"], newton_pdf()).json["job_id"]
    assert client.get(f"/api/v1/jobs/{job_id}", headers=bearer(tokens["student"])).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}", headers=bearer(tokens["teacher2"])).status_code == 404
    assert client.get(f"/api/v1/jobs/{job_id}", headers=bearer(tokens["admin"])).status_code == 200


def test_same_file_uploaded_twice_is_stored_once(app, client, tokens):
    first = upload(client, tokens["teacher"], newton_pdf()).json
    second = upload(client, tokens["teacher2"], newton_pdf()).json
    assert first["id"] != second["id"]
    files = [client.get(f"/api/v1/materials/{m['id']}", headers=bearer(tokens["admin"])).json["files"][0]
             for m in (first, second)]
    assert files[0]["sha256"] == files[1]["sha256"]
    stored = [p for p in (app.extensions["settings"].data_dir / "blobs").rglob("*")
              if p.is_file() and p.stat().st_size == len(newton_pdf())]
    assert len(stored) == 1
