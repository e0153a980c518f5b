"""Publication scope with the shipped policy (config.toml): a province approval reaches the province only; the
national scope needs a further review by a ministry reviewer and then reaches everybody. Visibility holds on
the material page, its files, the API, search, suggestions and the home page. Policy variations come from
configuration."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from repository.models import AuditRecord, Material, User
from repository.publication import PublishedScope
from review.models import ReviewAssignment, ReviewDecision
from review.scopes import eligible
from search.service import drain_outbox
from tests.conftest import bearer, login, make_test_app
from tests.review.scoped import SHIPPED, make_people, review, search_ids, status_for, submit, upload


@pytest.fixture
def scoped_app(tmp_path, database_url):
    app = make_test_app(tmp_path, database_url, review=SHIPPED)
    yield app
    app.extensions["search"].close()
    app.extensions["db"].dispose()


@pytest.fixture
def people(scoped_app) -> dict[str, str]:
    return make_people(scoped_app)


def _urls(client, token: str, material_id: int) -> list[str]:
    own = client.get(f"/api/v1/materials/{material_id}", headers=bearer(token)).json
    return [f"/materials/{material_id}", f"/api/v1/materials/{material_id}", own["files"][0]["url"],
            f"/api/v1/materials/{material_id}/pages/1"]


def _reaches(client, token: str | None, urls: list[str], material_id: int) -> bool:
    """Every way to the material answers 200 (True) or every one answers 404 and search finds nothing (False)."""
    codes = {status_for(client, token, url) for url in urls}
    found = material_id in search_ids(client, token)
    assert codes in ({200}, {404}), codes
    assert found == (codes == {200})
    return codes == {200}


def test_province_scope_reaches_the_province_and_national_review_reaches_everybody(scoped_app, people):
    client = scoped_app.test_client()
    material_id = upload(client, people["gv"])
    urls = _urls(client, people["gv"], material_id)
    author = scoped_app.test_client()  # the submit form offers the scopes open now, province preselected
    login(author, "gv")
    form = author.get(f"/materials/{material_id}").get_data(as_text=True)
    assert '<option value="province" selected>' in form and '<option value="school" >' in form
    assert 'value="national"' not in form
    assert submit(client, people["gv"], material_id).json["status"] == "in_review"  # default scope: province

    # A reviewer of another province's department may not approve for Hà Nội.
    foreign = review(client, people["td-hcm"], material_id)
    assert foreign.status_code == 403 and foreign.json["error"]["code"] == "not_eligible"
    assert review(client, people["td-hn"], material_id).json["status"] == "published"
    drain_outbox(scoped_app)

    assert _reaches(client, people["hs"], urls, material_id)          # same school
    assert _reaches(client, people["hs-hn"], urls, material_id)       # same province
    assert not _reaches(client, people["hs-dn"], urls, material_id)   # another province
    assert not _reaches(client, None, urls, material_id)              # anonymous visitor
    assert "Định luật 2 Newton" not in client.get("/").get_data(as_text=True)
    assert client.get("/api/v1/suggest?q=dinh+luat").json["suggestions"] == []

    # National scope: a further review, by national reviewers only; the province publication stays meanwhile.
    form = author.get(f"/materials/{material_id}").get_data(as_text=True)
    assert '<option value="national" selected>' in form and 'value="school"' not in form
    assert 'value="province"' not in form   # the published version at its published scope: nothing to review
    assert submit(client, people["gv"], material_id, "national").json["status"] == "in_review"
    assert _reaches(client, people["hs-hn"], urls, material_id)
    assert not _reaches(client, people["hs-dn"], urls, material_id)
    provincial = review(client, people["td-hn2"], material_id)
    assert provincial.status_code == 403 and provincial.json["error"]["code"] == "not_eligible"
    wrong_scope = review(client, people["td-bo"], material_id, scope="province")
    assert wrong_scope.status_code == 409 and wrong_scope.json["error"]["code"] == "scope_mismatch"
    assert review(client, people["td-bo"], material_id, scope="national").json["status"] == "published"
    drain_outbox(scoped_app)

    assert _reaches(client, people["hs-dn"], urls, material_id)
    assert _reaches(client, None, urls, material_id)
    assert "Định luật 2 Newton" in client.get("/").get_data(as_text=True)
    assert 'data-action="submit"' not in author.get(f"/materials/{material_id}").get_data(as_text=True)
    assert 'id="publication-scope">Toàn quốc<' in client.get(f"/materials/{material_id}").get_data(as_text=True)
    with scoped_app.extensions["db"].session() as session:
        assert session.get(PublishedScope, material_id).scope == "national"
        decisions = session.scalars(select(ReviewDecision).where(ReviewDecision.material_id == material_id)
                                    .order_by(ReviewDecision.id)).all()
        assert [(d.scope, d.round) for d in decisions] == [("province", 1), ("national", 2)]


def test_school_scope_reaches_only_that_school(scoped_app, people):
    client = scoped_app.test_client()
    material_id = upload(client, people["gv"])
    urls = _urls(client, people["gv"], material_id)
    submit(client, people["gv"], material_id, "school")
    other_school = review(client, people["td-tp"], material_id)
    assert other_school.status_code == 403 and other_school.json["error"]["code"] == "not_eligible"
    with scoped_app.extensions["db"].session() as session:  # routed to a reviewer the school scope accepts
        assigned = session.scalar(select(ReviewAssignment).where(ReviewAssignment.material_id == material_id))
        assert assigned.reviewer.email.split("@")[0] in {"td-hn", "td-hn2", "td-cva"}
        reviewer = assigned.reviewer.email.split("@")[0]
        material, cfg = session.get(Material, material_id), scoped_app.extensions["review"]
        by_email = {u.email.split("@")[0]: u for u in session.scalars(select(User))}
        fits = {key for key in ("td-cva", "td-tp", "td-hn", "td-hcm", "td-bo")
                if eligible(session, by_email[key], material, cfg.scopes["school"])}
        assert fits == {"td-cva", "td-hn"}
    assert review(client, people[reviewer], material_id).json["status"] == "published"
    drain_outbox(scoped_app)
    assert _reaches(client, people["hs"], urls, material_id)
    assert not _reaches(client, people["hs-hn"], urls, material_id)
    assert not _reaches(client, None, urls, material_id)
    assert _reaches(client, people["td-hcm"], urls, material_id)  # reviewers and administrators see all


def test_submissions_refuse_unknown_scopes_unmet_prerequisites_and_narrowing(scoped_app, people):
    client = scoped_app.test_client()
    material_id = upload(client, people["gv"])
    unknown = submit(client, people["gv"], material_id, "galaxy")
    assert unknown.status_code == 400 and unknown.json["error"]["field"] == "scope"
    national_first = submit(client, people["gv"], material_id, "national")
    assert national_first.status_code == 409 and national_first.json["error"]["code"] == "scope_requires"
    with scoped_app.extensions["db"].session() as session:  # refused submissions changed nothing
        assert session.scalar(select(AuditRecord.id).where(AuditRecord.material_id == material_id,
                                                           AuditRecord.action == "submit")) is None
    submit(client, people["gv"], material_id, "province")
    review(client, people["td-hn"], material_id)
    narrowing = submit(client, people["gv"], material_id, "school")
    assert narrowing.status_code == 409 and narrowing.json["error"]["field"] == "scope"
    same_again = submit(client, people["gv"], material_id, "province")
    assert same_again.status_code == 409 and same_again.json["error"]["code"] == "nothing_to_review"


def test_assignment_goes_to_reviewers_the_scope_accepts_with_the_scopes_due_date(scoped_app, people):
    client = scoped_app.test_client()
    material_id = upload(client, people["gv"])
    submit(client, people["gv"], material_id)
    with scoped_app.extensions["db"].session() as session:
        first = session.scalar(select(ReviewAssignment).where(ReviewAssignment.material_id == material_id))
        assert first.reviewer.email in {"td-hn@truong.edu.vn", "td-hn2@truong.edu.vn"}
        assert (first.due_at - first.assigned_at).days == 7            # [review.scopes.province] due_days
        reviewer = first.reviewer.email.split("@")[0]
    review(client, people[reviewer], material_id)
    submit(client, people["gv"], material_id, "national")
    with scoped_app.extensions["db"].session() as session:
        second = session.scalar(select(ReviewAssignment).where(ReviewAssignment.material_id == material_id,
                                                               ReviewAssignment.status == "open"))
        assert second.reviewer.email == "td-bo@truong.edu.vn"
        assert (second.due_at - second.assigned_at).days == 14         # [review.scopes.national] due_days
    queue = client.get("/api/v1/review/queue?scope=national", headers=bearer(people["td-bo"])).json["materials"]
    assert [(m["id"], m["scope"]) for m in queue] == [(material_id, "national")]
    assert client.get("/api/v1/review/queue?scope=province", headers=bearer(people["td-bo"])).json["materials"] == []
    login(client, "td-bo")
    page = client.get("/review/queue?scope=national").get_data(as_text=True)
    assert f'href="/review/materials/{material_id}"' in page and 'data-scope="national"' in page
    assert f'href="/review/materials/{material_id}"' not in client.get("/review/queue?scope=school").get_data(
        as_text=True)


def test_two_approvals_from_configuration(tmp_path, database_url):
    policy = {**SHIPPED, "scopes": {"province": {"approvals": 2, "reviewer_units": ["province"],
                                                 "same_province": True}}}
    app = make_test_app(tmp_path, database_url, review=policy)
    try:
        people = make_people(app)
        client = app.test_client()
        material_id = upload(client, people["gv"])
        submit(client, people["gv"], material_id)
        first = review(client, people["td-hn"], material_id)
        assert first.status_code == 200 and first.json["status"] == "in_review" and not first.json["published"]
        again = review(client, people["td-hn"], material_id)
        assert again.status_code == 409 and again.json["error"]["code"] == "already_approved"
        with app.extensions["db"].session() as session:  # the round went on to the other Hà Nội reviewer
            open_one = session.scalar(select(ReviewAssignment).where(ReviewAssignment.material_id == material_id,
                                                                     ReviewAssignment.status == "open"))
            assert open_one.reviewer.email == "td-hn2@truong.edu.vn"
        assert status_for(client, people["hs"], f"/api/v1/materials/{material_id}") == 404
        assert review(client, people["td-hn2"], material_id).json["status"] == "published"
        assert status_for(client, people["hs"], f"/api/v1/materials/{material_id}") == 200
        assert status_for(client, people["hs-dn"], f"/api/v1/materials/{material_id}") == 404
        with app.extensions["db"].session() as session:
            actions = session.scalars(select(AuditRecord.action).where(AuditRecord.material_id == material_id)
                                      .order_by(AuditRecord.id)).all()
            assert [a for a in actions if a in {"endorse", "approve"}] == ["endorse", "approve"]
    finally:
        app.extensions["search"].close()
        app.extensions["db"].dispose()


def test_the_endorse_step_cannot_be_taken_directly(scoped_app, people):
    client = scoped_app.test_client()
    material_id = upload(client, people["gv"])
    submit(client, people["gv"], material_id)
    direct = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(people["td-hn"]),
                         json={"decision": "endorse", "comment": "x"})
    assert direct.status_code == 400
