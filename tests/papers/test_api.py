"""POST /api/v1/papers and friends on a real app and database, with banks published through review."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from repository.banks.store import add_questions
from repository.models import Material, User
from repository.papers.models import TestPaper
from tests.conftest import bearer
from tests.papers.conftest import exam_questions, make_bank
from tests.papers.factory import single_choice

MATRIX = [{"topic": "Hàm số", "level": "biet", "part": "I", "count": 12},
          {"topic": "Hàm số", "level": "hieu", "part": "II", "count": 4},
          {"topic": "Hàm số", "level": "van-dung", "part": "III", "count": 6}]


def draw_paper(client, token, banks, matrix=MATRIX, **extra):
    return client.post("/api/v1/papers", json={"banks": banks, "matrix": matrix, "seed": "hk1", "versions": 4,
                                               **extra}, headers=bearer(token))


def paper_count(app) -> int:
    with app.extensions["db"].session() as session:
        return session.scalar(select(func.count()).select_from(TestPaper))


def test_draw_four_versions_with_keys_and_the_same_seed_gives_the_same_paper(app, client, tokens, bank_id):
    first = draw_paper(client, tokens["teacher"], [bank_id])
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert [v["code"] for v in body["versions"]] == ["101", "102", "103", "104"] and body["shortfall"] == []
    for version in body["versions"]:
        assert len(version["questions"]) == 22 and len(version["key"]) == 22
        assert {q["source"]["bank_id"] for q in version["questions"]} == {bank_id}
    assert len(body["key_table"]["rows"]) == 22
    again = draw_paper(client, tokens["teacher2"], [bank_id]).get_json()
    assert again["versions"] == body["versions"] and again["id"] != body["id"]
    other = draw_paper(client, tokens["teacher"], [bank_id], seed="hk2").get_json()
    assert other["versions"] != body["versions"]


def test_shortfall_says_which_cells_and_how_many(app, client, tokens, bank_id):
    matrix = [*MATRIX[:2], {**MATRIX[2], "count": 9}, {"topic": "Xác suất", "level": "biet", "part": "I", "count": 2}]
    body = draw_paper(client, tokens["teacher"], [bank_id], matrix=matrix).get_json()
    assert body["shortfall"] == [
        {"topic": "Hàm số", "level": "van-dung", "part": "III", "count": 9, "requested": 9, "available": 7,
         "missing": 2},
        {"topic": "Xác suất", "level": "biet", "part": "I", "count": 2, "requested": 2, "available": 0,
         "missing": 2}]
    publish = client.post(f"/api/v1/papers/{body['id']}/publish", headers=bearer(tokens["teacher"]))
    assert publish.status_code == 409 and publish.get_json()["error"]["code"] == "incomplete"


def test_only_published_questions_of_published_banks_are_drawn(app, client, tokens, users, bank_id):
    with app.extensions["db"].session() as session:
        bank = session.get(Material, bank_id)
        extra = [single_choice(900 + n, "Hình học", "biet") for n in range(3)]
        add_questions(session, bank, extra, author=session.get(User, users["teacher"].id),
                      storage=app.extensions["storage"])  # added after publication: pending review
        session.commit()
    matrix = [{"topic": "Hình học", "level": "biet", "part": "I", "count": 1}]
    body = draw_paper(client, tokens["teacher"], [bank_id], matrix=matrix).get_json()
    assert body["shortfall"][0]["available"] == 0


def test_banks_from_several_sources_fill_one_cell(app, client, tokens, users, bank_id):
    second = make_bank(app, users, exam_questions(singles=3, clusters=0, shorts=0), owner="teacher2")
    matrix = [{"topic": "Hàm số", "level": "biet", "part": "I", "count": 23}]
    body = draw_paper(client, tokens["teacher"], [bank_id, second], matrix=matrix).get_json()
    assert body["shortfall"] == []
    assert {q["source"]["bank_id"] for q in body["versions"][0]["questions"]} == {bank_id, second}


@pytest.mark.parametrize("who, status", [("teacher", 409), ("teacher2", 404), ("student", 403)])
def test_an_unpublished_bank_cannot_be_drawn_from(app, client, tokens, users, who, status):
    draft = make_bank(app, users, exam_questions(), publish=False)
    response = draw_paper(client, tokens[who], [draft])
    assert response.status_code == status
    assert paper_count(app) == 0


def test_unknown_ids_and_materials_that_are_not_banks_are_not_found(app, client, tokens, users, bank_id):
    with app.extensions["db"].session() as session:
        lecture = Material(owner_id=users["teacher"].id, title="Bài giảng", kind="bai-giang", level="thpt",
                           subject="toan", licence="CC-BY-4.0", status="published", published_version_id=1)
        session.add(lecture)
        session.commit()
        lecture_id = lecture.id
    for banks in ([lecture_id], [bank_id, 99999]):
        response = draw_paper(client, tokens["teacher"], banks)
        assert response.status_code == 404 and response.get_json()["error"]["field"] == "banks"
    assert paper_count(app) == 0


def test_anonymous_callers_are_refused(client, bank_id):
    assert client.post("/api/v1/papers", json={"banks": [bank_id], "matrix": MATRIX}).status_code == 401


@pytest.mark.parametrize("payload, field", [
    ({"banks": [], "matrix": MATRIX}, "banks"),
    ({"banks": ["1"], "matrix": MATRIX}, "banks"),
    ({"matrix": [{"topic": "Hàm số", "level": "biet", "part": "V", "count": 1}]}, "part"),
    ({"matrix": MATRIX, "versions": 0}, "versions"),
    ({"matrix": MATRIX, "versions": 100}, "versions"),
    ({"matrix": MATRIX, "seed": "x" * 101}, "seed"),
    ({"matrix": MATRIX, "points": {"I": "nhiều"}}, "points"),
    ({"matrix": MATRIX, "header": "Trường"}, "header"),
])
def test_bad_requests_name_the_field_and_save_nothing(app, client, tokens, bank_id, payload, field):
    payload = {"banks": [bank_id], **payload}
    response = client.post("/api/v1/papers", json=payload, headers=bearer(tokens["teacher"]))
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["field"] == field and error["message"]
    assert paper_count(app) == 0


def test_not_json_is_a_clear_error(client, tokens):
    response = client.post("/api/v1/papers", data="banks=1", headers=bearer(tokens["teacher"]))
    assert response.status_code == 400 and "JSON" in response.get_json()["error"]["message"]


def test_saved_matrix_is_used_by_id_and_private_to_its_owner(app, client, tokens, bank_id):
    saved = client.post("/api/v1/matrices", json={"name": "Giữa kì I", "matrix": MATRIX, "points": {"III": 0.25}},
                        headers=bearer(tokens["teacher"]))
    assert saved.status_code == 201
    matrix_id = saved.get_json()["id"]
    listed = client.get("/api/v1/matrices", headers=bearer(tokens["teacher"])).get_json()["matrices"]
    assert [m["name"] for m in listed] == ["Giữa kì I"]
    assert client.get("/api/v1/matrices", headers=bearer(tokens["teacher2"])).get_json()["matrices"] == []
    body = client.post("/api/v1/papers", json={"banks": [bank_id], "matrix_id": matrix_id, "seed": 5},
                       headers=bearer(tokens["teacher"])).get_json()
    assert body["matrix"] == MATRIX and body["points"]["III"] == 0.25
    assert {k["points"] for k in body["versions"][0]["key"] if k["part"] == "III"} == {0.25}
    stranger = client.post("/api/v1/papers", json={"banks": [bank_id], "matrix_id": matrix_id},
                           headers=bearer(tokens["teacher2"]))
    assert stranger.status_code == 404 and stranger.get_json()["error"]["field"] == "matrix_id"
    bad = client.post("/api/v1/matrices", json={"name": "", "matrix": MATRIX}, headers=bearer(tokens["teacher"]))
    assert bad.status_code == 400 and bad.get_json()["error"]["field"] == "name"


def test_draft_paper_is_private_and_a_published_one_hides_its_keys(app, client, tokens, bank_id):
    paper = draw_paper(client, tokens["teacher"], [bank_id]).get_json()
    url = f"/api/v1/papers/{paper['id']}"
    assert client.get(url, headers=bearer(tokens["student"])).status_code == 404
    assert client.get(url, headers=bearer(tokens["teacher2"])).status_code == 404
    assert client.post(f"{url}/publish", headers=bearer(tokens["teacher2"])).status_code == 404
    assert client.post(f"{url}/publish", headers=bearer(tokens["teacher"])).get_json()["status"] == "published"
    seen = client.get(url, headers=bearer(tokens["student"])).get_json()
    assert "key_table" not in seen and "seed" not in seen
    assert all("key" not in v for v in seen["versions"])
    assert client.post(f"{url}/publish", headers=bearer(tokens["student"])).status_code == 404


def test_attempt_through_the_api_is_graded_with_the_exam_rules(app, client, tokens, bank_id):
    paper = draw_paper(client, tokens["teacher"], [bank_id]).get_json()
    client.post(f"/api/v1/papers/{paper['id']}/publish", headers=bearer(tokens["teacher"]))
    key = paper["versions"][1]["key"]
    answers = {}
    for entry in key:
        name = f"{entry['part']}.{entry['number']}"
        if entry["part"] == "I":
            answers[name] = entry["answer"]
        elif entry["part"] == "II":  # three statements of four right: 0,5 point
            answers[name] = {**entry["answer"], "d": not entry["answer"]["d"]}
        else:
            answers[name] = entry["answer"].replace(",", ".")  # decimal point instead of comma
    response = client.post(f"/api/v1/papers/{paper['id']}/attempts", json={"version": "102", "answers": answers},
                           headers=bearer(tokens["student"]))
    assert response.status_code == 200, response.get_json()
    result = response.get_json()
    assert result["max_score"] == 10.0 and result["score"] == 12 * 0.25 + 4 * 0.5 + 6 * 0.5
    wrong_version = client.post(f"/api/v1/papers/{paper['id']}/attempts", json={"version": "999", "answers": {}},
                                headers=bearer(tokens["student"]))
    assert wrong_version.status_code == 404
    missing = client.post(f"/api/v1/papers/{paper['id']}/attempts", json={"version": "102"},
                          headers=bearer(tokens["student"]))
    assert missing.status_code == 400


def test_a_flood_of_answers_is_bounded_before_it_is_stored(app, client, tokens, bank_id):
    from repository.papers.models import PracticeAttempt

    paper = draw_paper(client, tokens["teacher"], [bank_id]).get_json()
    client.post(f"/api/v1/papers/{paper['id']}/publish", headers=bearer(tokens["teacher"]))
    too_big = {f"I.{n}": "A" * 10_000 for n in range(1, 5000)}
    refused = client.post(f"/api/v1/papers/{paper['id']}/attempts", json={"version": "101", "answers": too_big},
                          headers=bearer(tokens["student"]))
    assert refused.status_code == 413
    answers = {f"I.{n}": "A" * 5_000 for n in range(1, 500)}
    answers["II.1"] = {f"x{n}": True for n in range(1000)}
    answers["III.1"] = {"nested": {"deep": ["-1,5"]}}
    response = client.post(f"/api/v1/papers/{paper['id']}/attempts", json={"version": "101", "answers": answers},
                           headers=bearer(tokens["student"]))
    assert response.status_code == 200 and response.get_json()["score"] == 0.0
    with app.extensions["db"].session() as session:
        stored = session.scalars(select(PracticeAttempt)).one().answers
    assert set(stored) <= {f"I.{n}" for n in range(1, 13)} | {"II.1"}
    assert all(len(v) <= 100 for k, v in stored.items() if k.startswith("I."))
    assert len(stored["II.1"]) <= 8


def test_without_a_seed_one_is_chosen_and_returned_so_the_paper_can_be_drawn_again(app, client, tokens, bank_id):
    payload = {"banks": [bank_id], "matrix": MATRIX, "versions": 2}
    first = client.post("/api/v1/papers", json=payload, headers=bearer(tokens["teacher"])).get_json()
    second = client.post("/api/v1/papers", json=payload, headers=bearer(tokens["teacher"])).get_json()
    assert first["seed"] and first["seed"] != second["seed"]
    again = client.post("/api/v1/papers", json={**payload, "seed": first["seed"]},
                        headers=bearer(tokens["teacher"])).get_json()
    assert again["versions"] == first["versions"]
