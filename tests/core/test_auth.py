"""Log-in, sessions, remember cookies, CSRF, rate limiting and personal access tokens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie

from tests.conftest import PASSWORD, bearer, csrf_from, login


def test_login_and_logout(client, users):
    assert login(client, "teacher").status_code == 302
    assert client.get("/my/materials").status_code == 200
    token = csrf_from(client, "/my/materials")
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/my/materials").status_code == 302


def test_wrong_password_is_refused_in_vietnamese(client, users):
    response = login(client, "teacher", password="sai-mat-khau-roi")
    assert response.status_code == 401
    assert "không đúng" in response.get_data(as_text=True)
    assert client.get("/my/materials").status_code == 302


def test_form_post_without_csrf_token_is_refused(client, users):
    response = client.post("/login", data={"email": "teacher@truong.edu.vn", "password": PASSWORD})
    assert response.status_code == 400
    assert "CSRF" in response.get_data(as_text=True)
    login(client, "teacher")
    api = client.post("/api/v1/materials", data={"title": "x"})  # session cookie, no token
    assert api.status_code == 400 and api.json["error"]["code"] == "csrf"


def test_remember_cookie_is_secure_httponly_samesite_and_days_long(client, users):
    response = login(client, "teacher", remember=True)
    cookies = [SimpleCookie(h) for h in response.headers.getlist("Set-Cookie")]
    remember = next(c["remember_token"] for c in cookies if "remember_token" in c)
    assert remember["secure"] and remember["httponly"] and remember["samesite"] == "Lax"
    expires = datetime.strptime(remember["expires"], "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=UTC)
    assert timedelta(days=13) < expires - datetime.now(UTC) <= timedelta(days=14, minutes=1)
    session_cookie = next(c["hoclieu_session"] for c in cookies if "hoclieu_session" in c)
    assert session_cookie["httponly"]


def test_session_is_renewed_at_login(client, users):
    client.get("/login")
    client.set_cookie("hoclieu_session", "planted-by-attacker")
    response = login(client, "teacher")
    new_session = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("hoclieu_session=")]
    assert new_session and "planted-by-attacker" not in new_session[0]


def test_login_attempts_are_rate_limited(app, client, users):
    limit = int(app.extensions["settings"].get("auth", "login_rate_limit").split()[0])
    statuses = [login(client, "teacher", password=f"sai-{i}-mat-khau").status_code for i in range(limit + 1)]
    assert statuses[:limit] == [401] * limit
    assert statuses[limit] == 429
    # Even the right password is refused while the limit holds.
    assert login(client, "teacher").status_code == 429


def test_personal_access_token_and_password_change_revokes_it(app, client, users):
    login(client, "teacher")
    token_page = client.post("/account", data={"csrf_token": csrf_from(client, "/account"),
                                               "action": "create_token", "name": "script"})
    token = token_page.get_data(as_text=True).split('id="new-token">')[1].split("<")[0]
    assert token.startswith("hl_")
    fresh = app.test_client()
    assert fresh.get("/api/v1/materials", headers=bearer(token)).status_code == 200
    assert fresh.get("/api/v1/materials", headers=bearer(token + "x")).status_code == 401
    changed = client.post("/account", data={"csrf_token": csrf_from(client, "/account"),
                                            "action": "change_password", "current_password": PASSWORD,
                                            "new_password": "mat-khau-moi-dai-hon"})
    assert changed.status_code == 302
    assert fresh.get("/api/v1/materials", headers=bearer(token)).status_code == 401


def test_password_change_ends_other_sessions(app, client, users):
    other = app.test_client()
    login(other, "teacher")
    login(client, "teacher")
    client.post("/account", data={"csrf_token": csrf_from(client, "/account"), "action": "change_password",
                                  "current_password": PASSWORD, "new_password": "mat-khau-moi-dai-hon"})
    assert client.get("/my/materials").status_code == 200
    assert other.get("/my/materials").status_code == 302


def test_unauthenticated_api_call_gets_json_401(client):
    response = client.post("/api/v1/materials")
    assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_bearer_call_ignores_an_anonymous_session_cookie(client, tokens):
    client.get("/login")  # the login form puts a CSRF token in a session cookie
    assert client.get_cookie("hoclieu_session") is not None
    response = client.get("/api/v1/materials", headers={"Authorization": f"Bearer {tokens['teacher']}"})
    assert response.status_code == 200


def test_session_login_cannot_post_to_the_api_without_csrf(client, users):
    login(client, "teacher")
    response = client.post("/api/v1/materials", data={})
    assert response.status_code == 400 and response.json["error"]["code"] == "csrf"


def test_security_headers_on_pages(client):
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
