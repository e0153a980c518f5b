"""Server-rendered pages: Vietnamese by default, English on request, role checks on every page."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_from, login


def test_home_is_vietnamese_by_default_and_english_on_request(client):
    home = client.get("/").get_data(as_text=True)
    assert 'lang="vi"' in home and "Tìm kiếm" in home and "Duyệt theo cấp học" in home
    english = client.get("/?lang=en").get_data(as_text=True)
    assert 'lang="en"' in english and "Browse by school level" in english
    assert "Browse by school level" in client.get("/").get_data(as_text=True)  # the choice is remembered


def test_browser_language_is_honoured(app):
    page = app.test_client().get("/", headers={"Accept-Language": "en-GB,en;q=0.9"})
    assert "Browse by school level" in page.get_data(as_text=True)


@pytest.mark.parametrize(("who", "path", "status"), [
    (None, "/admin/users", 302), ("teacher", "/admin/users", 403), ("reviewer", "/admin/jobs", 403),
    ("student", "/materials/new", 403), ("student", "/review/queue", 403), ("teacher", "/review/queue", 403),
    ("admin", "/admin/users", 200), ("admin", "/admin/materials", 200), ("admin", "/admin/jobs", 200),
    ("admin", "/admin/units", 200), ("reviewer", "/review/queue", 200), ("teacher", "/materials/new", 200),
])
def test_pages_check_the_role(client, users, who, path, status):
    if who:
        login(client, who)
    assert client.get(path).status_code == status


def test_admin_creates_a_user_with_role_and_unit(client, users):
    login(client, "admin")
    response = client.post("/admin/users", data={
        "csrf_token": csrf_from(client, "/admin/users"), "email": "co.hoa@thpt-chu-van-an.edu.vn",
        "name": "Cô Hoa", "password": "mat-khau-co-hoa-1", "role": "reviewer", "unit": "so-hn"},
        follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Đã tạo tài khoản co.hoa@thpt-chu-van-an.edu.vn" in page
    fresh = client.application.test_client()
    login_page = csrf_from(fresh)
    ok = fresh.post("/login", data={"email": "co.hoa@thpt-chu-van-an.edu.vn", "password": "mat-khau-co-hoa-1",
                                    "csrf_token": login_page})
    assert ok.status_code == 302
    assert fresh.get("/review/queue").status_code == 200


def test_admin_adds_a_school_under_a_province(client, users):
    login(client, "admin")
    client.post("/admin/units", data={"csrf_token": csrf_from(client, "/admin/units"),
                                      "code": "thpt-chu-van-an", "name": "THPT Chu Văn An", "province": "HN"})
    assert "THPT Chu Văn An" in client.get("/admin/units").get_data(as_text=True)


def test_unknown_material_page_is_a_vietnamese_404(client):
    response = client.get("/materials/999999")
    assert response.status_code == 404 and "Không tìm thấy" in response.get_data(as_text=True)


def test_upload_form_lists_reference_data(client, users):
    login(client, "teacher")
    form = client.get("/materials/new").get_data(as_text=True)
    for text in ("Trung học phổ thông", "Vật lí", "Kết nối tri thức với cuộc sống", 'data-levels="thcs;thpt"'):
        assert text in form
    assert 'name="csrf_token"' in form


def test_openapi_document_lists_the_endpoints(client):
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    for path in ("/api/v1/materials", "/api/v1/materials/{id}", "/api/v1/jobs/{id}", "/api/v1/search",
                 "/api/v1/materials/{id}/review", "/api/v1/materials/{id}/submit", "/healthz"):
        assert path in doc["paths"]


def test_every_api_route_is_documented(app, client):
    documented = set(client.get("/api/v1/openapi.json").json["paths"])
    routes = {re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/")}
    routes = {re.sub(r"\{material_id\}|\{job_id\}", "{id}", route) for route in routes}
    assert routes - documented == set()
