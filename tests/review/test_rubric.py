"""The rubric: criteria from configuration, each scored 1–5, a comment under the threshold, the decision
stored with its scores; errors name the criterion in Vietnamese."""

from __future__ import annotations

import pytest

from repository.config import ConfigError, load_settings
from repository.models import AuditRecord, Material
from review.config import DEFAULT_CRITERIA, Rubric, review_config
from review.models import ReviewDecision
from review.rubric import check_rubric
from review.services import ReviewError
from review.workflow import decide
from tests.conftest import bearer, csrf_from, login, make_test_app
from tests.core.documents import newton_pdf
from tests.core.test_material_flow import upload
from tests.review.conftest import SCORES, make_material, user

RUBRIC = Rubric(dict(DEFAULT_CRITERIA), comment_below=3, required=True)


def test_the_default_rubric_is_the_issue_s_six_criteria():
    cfg = review_config(load_settings(environ={}))
    assert list(cfg.rubric.criteria) == list(DEFAULT_CRITERIA)
    assert len(cfg.rubric.criteria) == 6 and cfg.rubric.required and cfg.rubric.comment_below == 3


def test_a_complete_rubric_is_accepted_with_comments_kept():
    checked = check_rubric(RUBRIC, {**SCORES, "su_pham": "2"}, {"su_pham": " Thiếu hoạt động nhóm "})
    assert checked.scores["su_pham"] == 2 and checked.comments == {"su_pham": "Thiếu hoạt động nhóm"}


@pytest.mark.parametrize(("scores", "comments", "code", "field", "words"), [
    ({k: v for k, v in SCORES.items() if k != "ban_quyen"}, {}, "score_missing", "scores.ban_quyen",
     "Chưa chấm tiêu chí “Bản quyền và tính hợp pháp”"),
    ({**SCORES, "chinh_xac": 6}, {}, "score_invalid", "scores.chinh_xac", "từ 1 đến 5"),
    ({**SCORES, "chinh_xac": 0}, {}, "score_invalid", "scores.chinh_xac", "số nguyên"),
    ({**SCORES, "chinh_xac": 4.5}, {}, "score_invalid", "scores.chinh_xac", "số nguyên"),
    ({**SCORES, "chinh_xac": True}, {}, "score_invalid", "scores.chinh_xac", "số nguyên"),
    ({**SCORES, "chinh_xac": "bốn"}, {}, "score_invalid", "scores.chinh_xac", "số nguyên"),
    ({**SCORES, "hinh_anh": 3}, {}, "criterion_unknown", "scores.hinh_anh", "Không có tiêu chí “hinh_anh”"),
    ({**SCORES, "ky_thuat": 2}, {}, "criterion_comment_required", "comments.ky_thuat", "hãy ghi nhận xét"),
    ({**SCORES, "ky_thuat": 1}, {"ky_thuat": "   "}, "criterion_comment_required", "comments.ky_thuat",
     "dưới 3 điểm"),
    ([4, 4], {}, "rubric_invalid", "scores", "bảng"),
])
def test_rubric_errors_name_the_criterion_in_vietnamese(scores, comments, code, field, words):
    with pytest.raises(ReviewError) as raised:
        check_rubric(RUBRIC, scores, comments)
    assert (raised.value.code, raised.value.field, raised.value.status) == (code, field, 400)
    assert words in raised.value.message_vi


def test_criteria_threshold_and_requirement_come_from_configuration(tmp_path, database_url, users):
    app = make_test_app(tmp_path, database_url, review={"criteria": {"dung": "Đúng", "dep": "Đẹp"},
                                                       "comment_below": 5, "require_scores": False})
    rubric = app.extensions["review"].rubric
    assert rubric.criteria == {"dung": "Đúng", "dep": "Đẹp"}
    assert check_rubric(rubric, {}, {}).scores == {}  # optional now
    with pytest.raises(ReviewError) as raised:
        check_rubric(rubric, {"dung": 5, "dep": 4}, {})
    assert raised.value.field == "comments.dep"  # 4 < 5 needs a comment
    with pytest.raises(ReviewError):
        check_rubric(rubric, {"dung": 5}, {})  # once scoring, every criterion
    app.extensions["db"].dispose()
    app.extensions["search"].close()


def test_bad_rubric_configuration_is_refused():
    with pytest.raises(ConfigError, match="comment_below"):
        review_config(load_settings(environ={}, overrides={"review": {"comment_below": 9}}))


def test_decision_stores_the_rubric_with_its_audit_record(app, users, db, cfg):
    with db.session() as session:
        material_id = make_material(session, user(session, users, "teacher"))
        scores = {**SCORES, "ngon_ngu": 2}
        decide(session, material_id, user(session, users, "reviewer"), cfg, "request_changes", "Sửa lỗi chính tả",
               scores, {"ngon_ngu": "Nhiều lỗi chính tả ở trang 3"})
    with db.session() as session:
        stored = session.query(ReviewDecision).filter_by(material_id=material_id).one()
        assert stored.scores == scores and stored.comments == {"ngon_ngu": "Nhiều lỗi chính tả ở trang 3"}
        assert stored.decision == "request_changes" and stored.summary == "Sửa lỗi chính tả"
        audit = session.get(AuditRecord, stored.audit_id)
        assert (audit.action, audit.to_state, audit.comment) == ("request_changes", "changes_requested",
                                                                  "Sửa lỗi chính tả")


def test_invalid_rubric_changes_nothing(app, users, db, cfg):
    with db.session() as session:
        material_id = make_material(session, user(session, users, "teacher"))
        with pytest.raises(ReviewError):
            decide(session, material_id, user(session, users, "reviewer"), cfg, "approve", "Tốt", {"chinh_xac": 5})
    with db.session() as session:
        assert session.get(Material, material_id).status == "in_review"
        assert session.query(ReviewDecision).count() == 0
        assert session.query(AuditRecord).filter_by(material_id=material_id).count() == 0


def test_api_requires_scores_and_summary(app, client, users, tokens, db):
    with db.session() as session:
        material_id = make_material(session, user(session, users, "teacher"))
    url = f"/api/v1/materials/{material_id}/review"
    no_scores = client.post(url, headers=bearer(tokens["reviewer"]), json={"decision": "approve", "comment": "Tốt"})
    assert no_scores.status_code == 400 and no_scores.json["error"]["field"] == "scores.chinh_xac"
    no_summary = client.post(url, headers=bearer(tokens["reviewer"]), json={"decision": "approve", "scores": SCORES})
    assert no_summary.status_code == 400 and no_summary.json["error"]["field"] == "comment"
    author = client.post(url, headers=bearer(tokens["teacher"]), json={"decision": "approve", "scores": SCORES,
                                                                       "comment": "Tự duyệt"})
    assert author.status_code == 403 and "chính mình" in author.json["error"]["message"]
    done = client.post(url, headers=bearer(tokens["reviewer"]),
                       json={"decision": "approve", "comment": "Đạt yêu cầu", "scores": SCORES})
    assert done.status_code == 200 and done.json["status"] == "published"


def test_review_page_shows_the_viewer_beside_the_rubric_and_records_the_form(app, client, tokens):
    material_id = upload(client, tokens["teacher"], newton_pdf()).json["id"]
    client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"]))
    login(client, "reviewer")
    page = client.get(f"/review/materials/{material_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="pdf-viewer"' in html and 'id="rubric"' in html
    for label in DEFAULT_CRITERIA.values():
        assert label in html
    form = {"csrf_token": csrf_from(client, f"/review/materials/{material_id}"), "decision": "approve",
            "comment": "Nội dung chính xác", "lock_version": str(_lock(app, material_id)),
            **{f"score-{code}": "5" for code in DEFAULT_CRITERIA}}
    incomplete = client.post(f"/review/materials/{material_id}/decision", data={**form, "score-su_pham": ""})
    assert incomplete.status_code == 303
    assert "Chưa chấm tiêu chí" in client.get(incomplete.location).get_data(as_text=True)
    done = client.post(f"/review/materials/{material_id}/decision", data=form)
    assert done.status_code == 303 and done.location.endswith("/review/queue")
    with app.extensions["db"].session() as session:
        assert session.get(Material, material_id).status == "published"


def _lock(app, material_id: int) -> int:
    with app.extensions["db"].session() as session:
        return session.get(Material, material_id).lock_version


def test_with_a_required_rubric_decisions_are_taken_on_the_review_page(app, client, users, db):
    with db.session() as session:
        material_id = make_material(session, user(session, users, "teacher"))
    login(client, "reviewer")
    page = client.get(f"/materials/{material_id}").get_data(as_text=True)
    assert 'data-action="approve"' not in page
    token = csrf_from(client, f"/materials/{material_id}")
    bare = client.post(f"/materials/{material_id}/actions/approve", data={"csrf_token": token, "comment": "Đạt"})
    assert bare.status_code == 303 and bare.location.endswith(f"/review/materials/{material_id}")
    with db.session() as session:
        assert session.get(Material, material_id).status == "in_review"
