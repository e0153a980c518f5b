"""SCORM packages end to end on the real embedded stack: upload a ZIP -> manifest checked, package extracted
into the blob store -> launched behind per-learner grants with a strict CSP -> the runtime endpoint stores
each learner's completion, score and suspend data (CSRF-protected, signed-in learners who may see it)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from sqlalchemy import func, select

from repository.materials.scorm_models import ScormAttempt
from repository.models import MaterialFile, User
from tests.conftest import bearer, csrf_from, login
from tests.core.test_material_flow import SCORES
from tests.scorm.packages import MANIFEST_12, PAGE, package_12, package_2004, package_with

METADATA = {"kind": "bai-giang", "level": "thcs", "grade": "6", "subject": "toan", "licence": "CC-BY-4.0"}
RUNTIME_12 = {"cmi.core.lesson_status": "passed", "cmi.core.score.raw": "85", "cmi.core.score.max": "100",
              "cmi.core.lesson_location": "trang-3", "cmi.suspend_data": "trang=3;đáp án=B",
              "cmi.core.exit": "suspend", "cmi.core.session_time": "0000:01:30.00",
              "cmi.interactions.0.id": "cau-1", "cmi.interactions.0.result": "correct"}


def upload(client, token: str, data: bytes, filename: str = "phan-so.zip", **fields):
    form = {**METADATA, "title": "", **fields, "file": (io.BytesIO(data), filename)}
    return client.post("/api/v1/materials", data=form, headers=bearer(token), content_type="multipart/form-data")


def ingested(client, tokens, data: bytes, **fields) -> dict:
    created = upload(client, tokens["teacher"], data, **fields)
    assert created.status_code == 201, created.json
    job = client.get(f"/api/v1/jobs/{created.json['job_id']}", headers=bearer(tokens["teacher"])).json
    assert job["status"] == "succeeded", job
    return client.get(f"/api/v1/materials/{created.json['id']}", headers=bearer(tokens["teacher"])).json


def failed_job(client, tokens, data: bytes) -> str:
    created = upload(client, tokens["teacher"], data, title="Gói hỏng")
    assert created.status_code == 201, created.json
    job = client.get(f"/api/v1/jobs/{created.json['job_id']}", headers=bearer(tokens["teacher"])).json
    assert job["status"] == "failed", job
    return client.get(f"/api/v1/materials/{created.json['id']}",
                      headers=bearer(tokens["teacher"])).json["ingest_status"] + ":" + job["error"]


def publish(client, tokens, material_id: int) -> None:
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"]))
    decided = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                          json={"decision": "approve", "comment": "Đạt.", "scores": SCORES})
    assert decided.json["status"] == "published", decided.json


def frame_src(html: str) -> str:
    match = re.search(r'<iframe id="scorm-frame"[^>]* src="([^"]+)"\s+sandbox="([^"]*)"', html)
    assert match, "no SCORM frame on the page"
    assert "allow-same-origin" not in match.group(2)
    return match.group(1).replace("&amp;", "&")


def runtime(client, material_id: int, body: dict, csrf: str | None):
    headers = {"X-CSRFToken": csrf} if csrf else {}
    return client.post(f"/materials/{material_id}/scorm/1/runtime", json=body, headers=headers)


def attempts(app) -> list[ScormAttempt]:
    with app.extensions["db"].session() as session:
        return list(session.scalars(select(ScormAttempt).order_by(ScormAttempt.id)))


def test_package_is_stored_and_described_with_its_title(app, client, tokens):
    material = ingested(client, tokens, package_12())
    assert material["title"] == "Phân số lớp 6"  # the form left it empty
    assert material["scorm"]["version"] == "1.2"
    assert [i["title"] for i in material["scorm"]["items"]] == ["Bài 1. Phân số"]
    assert material["scorm"]["launch_url"].startswith("/scorm/") and material["scorm"]["launch_url"].endswith(
        "/index.html")
    with app.extensions["db"].session() as session:
        names = set(session.scalars(select(MaterialFile.filename).where(MaterialFile.role == "scorm")))
    assert names == {"imsmanifest.xml", "index.html", "lesson.js", "hinh.png"}


def test_launch_page_gets_the_runtime_and_a_strict_sandboxing_csp(client, tokens):
    material = ingested(client, tokens, package_12())
    page = client.get(material["scorm"]["launch_url"])
    assert page.status_code == 200 and page.mimetype == "text/html"
    csp = page.headers["Content-Security-Policy"]
    assert "sandbox allow-scripts" in csp and "allow-same-origin" not in csp
    assert "frame-ancestors 'self'" in csp and "object-src 'none'" in csp
    html = page.get_data(as_text=True)
    head = html.split("<head>", 1)[1]
    assert head.startswith('<script src="/static/js/scorm-api.js" id="hoclieu-scorm-api" data-version="1.2"')
    assert "&#34;cmi.core.entry&#34;: &#34;ab-initio&#34;" in head
    asset = client.get(material["scorm"]["launch_url"].replace("index.html", "lesson.js"))
    assert asset.status_code == 200 and "findAPI" in asset.get_data(as_text=True)
    assert asset.headers["Content-Security-Policy"] == csp


def test_grants_are_checked_on_every_file(app, client, tokens, users):
    material = ingested(client, tokens, package_12())
    url = material["scorm"]["launch_url"]
    token = url.split("/")[2]
    assert client.get(url.replace(token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))).status_code == 404
    assert client.get(url.replace("index.html", "khong-co.html")).status_code == 404
    assert client.get(url.replace("index.html", "../index.html")).status_code == 404
    assert client.get(url).status_code == 200
    # The teacher's grant does not survive a password change (which bumps the session version).
    with app.extensions["db"].session() as session:
        session.get(User, users["teacher"].id).session_version += 1
        session.commit()
    assert client.get(url).status_code == 404


def test_unpublished_package_does_not_reach_students(client, tokens):
    material = ingested(client, tokens, package_12())
    login(client, "student")
    assert client.get(f"/materials/{material['id']}").status_code == 404
    csrf = csrf_from(client, "/account")
    assert runtime(client, material["id"], {"sco": "bai1", "values": {}}, csrf).status_code == 404


def test_runtime_stores_completion_score_and_suspend_data_for_the_learner(app, client, tokens):
    material = ingested(client, tokens, package_12())
    publish(client, tokens, material["id"])
    login(client, "student")
    html = client.get(f"/materials/{material['id']}").get_data(as_text=True)
    csrf = re.search(r'data-csrf="([^"]+)"', html).group(1)
    saved = runtime(client, material["id"], {"sco": "bai1", "values": RUNTIME_12, "finish": True}, csrf)
    assert saved.status_code == 200, saved.json
    [attempt] = attempts(app)
    assert (attempt.completion_status, attempt.success_status) == ("passed", "passed")
    assert (attempt.score_raw, attempt.score_max, attempt.location) == (85.0, 100.0, "trang-3")
    assert attempt.suspend_data == "trang=3;đáp án=B" and attempt.total_seconds == 90.0
    assert attempt.values["cmi.interactions.0.result"] == "correct"
    [progress] = client.get(f"/api/v1/materials/{material['id']}").json["scorm"]["progress"]
    assert (progress["sco"], progress["completion_status"], progress["score_raw"]) == ("bai1", "passed", 85.0)
    # The next launch resumes with the stored data.
    head = client.get(frame_src(client.get(f"/materials/{material['id']}").get_data(as_text=True)))
    state = head.get_data(as_text=True)
    assert "&#34;cmi.core.entry&#34;: &#34;resume&#34;" in state
    assert "&#34;cmi.suspend_data&#34;: &#34;trang=3;đáp án=B&#34;" in state
    assert "&#34;cmi.core.lesson_status&#34;: &#34;passed&#34;" in state


def test_runtime_needs_the_csrf_token_and_a_signed_in_learner(app, client, tokens):
    material = ingested(client, tokens, package_12())
    publish(client, tokens, material["id"])
    body = {"sco": "bai1", "values": {"cmi.core.lesson_status": "passed"}}
    anonymous = runtime(client, material["id"], body, csrf_from(client, "/login"))
    assert anonymous.status_code == 401
    login(client, "student")
    assert runtime(client, material["id"], body, None).status_code == 400
    assert runtime(client, material["id"], body, "forged").status_code == 400
    assert attempts(app) == []


@pytest.mark.parametrize(("values", "fragment"), [
    ({"cmi.core.student_name": "Kẻ gian"}, "cmi.core.student_name"),
    ({"cmi.core.lesson_status": "xuất sắc"}, "cmi.core.lesson_status"),
    ({"cmi.core.score.raw": "120"}, "0 đến 100"),
    ({"cmi.suspend_data": "x" * 4097}, "4096"),
    ({"cmi.core.lesson_location": "trang-2", "cmi.core.score.raw": "NaN"}, "cmi.core.score.raw"),
    ({"cmi.core.lesson_location": 5}, "chuỗi"),
])
def test_bad_runtime_values_are_refused_and_change_nothing(app, client, tokens, values, fragment):
    material = ingested(client, tokens, package_12())
    publish(client, tokens, material["id"])
    login(client, "student")
    csrf = csrf_from(client, "/account")
    refused = runtime(client, material["id"], {"sco": "bai1", "values": values}, csrf)
    assert refused.status_code == 400 and fragment in refused.json["error"]["message"]
    assert attempts(app) == []
    unknown = runtime(client, material["id"], {"sco": "khong-co", "values": {}}, csrf)
    assert unknown.status_code == 400 and unknown.json["error"]["code"] == "unknown_sco"


def test_runtime_data_of_one_attempt_is_bounded(app, client, tokens):
    from repository.materials.scorm_data import MAX_VALUES

    material = ingested(client, tokens, package_12())
    publish(client, tokens, material["id"])
    login(client, "student")
    csrf = csrf_from(client, "/account")

    def responses(numbers: range, text: str) -> dict[str, str]:
        return {f"cmi.interactions.{n}.student_response": text for n in numbers}
    for numbers in (range(750), range(750, 1500)):  # two commits of ~330 kB: 1500 elements, ~660k characters
        assert runtime(client, material["id"], {"sco": "bai1", "values": responses(numbers, "x" * 400)},
                       csrf).status_code == 200
    too_many = {f"cmi.interactions.{n}.result": "wrong" for n in range(1500, 1500 + MAX_VALUES)}
    refused = runtime(client, material["id"], {"sco": "bai1", "values": too_many}, csrf)
    assert refused.status_code == 400 and str(MAX_VALUES) in refused.json["error"]["message"]
    too_long = responses(range(1500, 1800), "y" * 1500)  # 300 more elements, ~460k more characters
    refused = runtime(client, material["id"], {"sco": "bai1", "values": too_long}, csrf)
    assert refused.status_code == 400 and "1.000.000" in refused.json["error"]["message"]
    [attempt] = attempts(app)
    assert len(attempt.values) == 1500  # the refused commits stored nothing


def test_scorm_2004_items_each_keep_their_own_data(app, client, tokens):
    material = ingested(client, tokens, package_2004())
    assert material["scorm"]["version"] == "2004"
    assert [i["id"] for i in material["scorm"]["items"]] == ["bai1", "bai2"]
    publish(client, tokens, material["id"])
    login(client, "student")
    csrf = csrf_from(client, "/account")
    for sco, status in (("bai1", "completed"), ("bai2", "incomplete")):
        saved = runtime(client, material["id"], {"sco": sco, "finish": True, "values": {
            "cmi.completion_status": status, "cmi.score.scaled": "0.5", "cmi.session_time": "PT1M30S"}}, csrf)
        assert saved.status_code == 200, saved.json
    rows = attempts(app)
    assert [(a.sco, a.completion_status, a.score_scaled, a.total_seconds) for a in rows] == [
        ("bai1", "completed", 0.5, 90.0), ("bai2", "incomplete", 0.5, 90.0)]
    refused = runtime(client, material["id"], {"sco": "bai1", "values": {"cmi.score.scaled": "1.5"}}, csrf)
    assert refused.status_code == 400


def test_the_material_page_plays_the_package_in_a_sandbox(client, tokens):
    material = ingested(client, tokens, package_2004())
    publish(client, tokens, material["id"])
    html = client.get(f"/materials/{material['id']}").get_data(as_text=True)
    assert frame_src(html).endswith("/index.html")
    assert html.count('target="scorm-frame"') == 2
    assert "Đăng nhập để lưu kết quả học tập." in html and "data-runtime-url" not in html


@pytest.mark.parametrize(("entries", "fragment"), [
    ({"imsmanifest.xml": MANIFEST_12, "index.html": PAGE, "lesson.js": "", "hinh.png": b"",
      "../../etc/cron.d/x": "* * * * * root true"}, "../../etc/cron.d/x"),
    ({"index.html": PAGE}, "imsmanifest.xml"),
    ({"imsmanifest.xml": MANIFEST_12, "lesson.js": "", "hinh.png": b""}, "index.html"),
])
def test_bad_packages_fail_with_a_clear_error_and_store_nothing(app, client, tokens, entries, fragment):
    outcome = failed_job(client, tokens, package_with(entries))
    assert outcome.startswith("failed:") and fragment in outcome
    with app.extensions["db"].session() as session:
        assert session.scalar(select(func.count()).select_from(MaterialFile)
                              .where(MaterialFile.role == "scorm")) == 0
    derived = app.extensions["settings"].data_dir / "blobs" / "derived"
    assert not derived.exists() or not any(p.is_file() for p in derived.rglob("*"))


@pytest.mark.parametrize(("name", "version", "first"), [
    ("golf_scorm12_multisco_onefilepersco.zip", "1.2", "How to Play"),
    ("golf_scorm2004_3rd_metadata.zip", "2004", "Golf Explained"),
])
def test_corpus_packages_become_lectures(client, tokens, scorm_corpus, name, version, first):
    data = (scorm_corpus / name).read_bytes()
    material = ingested(client, tokens, data, title="Golf")
    assert material["scorm"]["version"] == version
    assert material["scorm"]["items"][0]["title"] == first
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert len(archive.namelist()) > 20
    page = client.get(material["scorm"]["launch_url"])
    assert page.status_code == 200 and b"hoclieu-scorm-api" in page.data
