"""Helpers of the publication-scope tests: an app running the shipped scope policy (config.toml), people in
schools, departments and the ministry, and the API steps of the workflow."""

from __future__ import annotations

import io
from typing import Any

from repository.auth.services import create_token, create_user
from repository.demo.pdfgen import render_pdf
from repository.units import create_school
from review.models import ReviewerExpertise
from tests.conftest import PASSWORD, bearer
from tests.core.test_material_flow import METADATA
from tests.review.conftest import SCORES

#: The shipped policy of config.toml (the test suite's default is single-step publication).
SHIPPED = {"single_step_publication": False}

#: account -> (role, unit code); schools are made by ``make_people``.
PEOPLE: dict[str, tuple[str, str]] = {
    "gv": ("teacher", "thpt-chu-van-an"),        # a teacher of a Hà Nội school
    "hs": ("student", "thpt-chu-van-an"),        # a student of the same school
    "hs-hn": ("student", "thpt-tran-phu-hn"),    # a student of another Hà Nội school
    "hs-dn": ("student", "thpt-phan-chau-trinh"),  # a student of Đà Nẵng: another province
    "td-hn": ("reviewer", "so-hn"),              # reviewers of the Hà Nội department
    "td-hn2": ("reviewer", "so-hn"),
    "td-hcm": ("reviewer", "so-hcm"),            # a reviewer of another province's department
    "td-bo": ("reviewer", "bo-gddt"),            # a national reviewer (the ministry)
    "td-cva": ("reviewer", "thpt-chu-van-an"),   # a reviewer of the teacher's school
    "td-tp": ("reviewer", "thpt-tran-phu-hn"),   # a reviewer of another Hà Nội school
    "qt": ("admin", "bo-gddt"),
}
SCHOOLS = (("thpt-chu-van-an", "THPT Chu Văn An", "HN"), ("thpt-tran-phu-hn", "THPT Trần Phú", "HN"),
           ("thpt-phan-chau-trinh", "THPT Phan Châu Trinh", "DN"))


def make_people(app) -> dict[str, str]:
    """Create the schools and PEOPLE (reviewers expert in physics, upper secondary); returns their tokens."""
    tokens = {}
    with app.extensions["db"].session() as session:
        for code, name, province in SCHOOLS:
            create_school(session, code=code, name=name, province_code=province)
        for key, (role, unit) in PEOPLE.items():
            user = create_user(session, email=f"{key}@truong.edu.vn", password=PASSWORD, role=role,
                               unit_code=unit, name=key.upper())
            session.flush()
            if role == "reviewer":
                session.add(ReviewerExpertise(user_id=user.id, subject="vat-li", level="thpt"))
            tokens[key] = create_token(session, user, "test")
        session.commit()
    return tokens


def pdf(title: str = "Bài 15. Định luật 2 Newton", *pages: str) -> bytes:
    return render_pdf(title, pages or ("Định luật 2 Newton: gia tốc tỉ lệ thuận với lực.",
                                       "Gia tốc tỉ lệ nghịch với khối lượng của vật."))


def upload(client, token: str, data: bytes | None = None, **fields: Any) -> int:
    form = {**METADATA, **fields, "file": (io.BytesIO(data or pdf()), "newton.pdf")}
    created = client.post("/api/v1/materials", data=form, headers=bearer(token), content_type="multipart/form-data")
    assert created.status_code == 201, created.json
    return created.json["id"]


def submit(client, token: str, material_id: int, scope: str | None = None):
    return client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(token),
                       json={"scope": scope} if scope else {})


def review(client, token: str, material_id: int, decision: str = "approve", comment: str = "Đạt yêu cầu.",
           **extra: Any):
    return client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(token),
                       json={"decision": decision, "comment": comment, "scores": SCORES, **extra})


def status_for(client, token: str | None, url: str) -> int:
    return client.get(url, headers=bearer(token) if token else {}).status_code


def search_ids(client, token: str | None, query: str = "newton") -> list[int]:
    found = client.get("/api/v1/search", query_string={"q": query}, headers=bearer(token) if token else {})
    assert found.status_code == 200, found.json
    return [hit["id"] for hit in found.json["hits"]]
