"""Editing questions through the API: checked like an import, and the version rule end to end (an edit of a
published question is a pending version the public does not see until a reviewer approves it)."""

from __future__ import annotations

from tests.banks.helpers import GIFT_GOOD, create_bank, import_file, publish
from tests.conftest import bearer


def _first_question(client, bank_id: int, token: str) -> dict:
    return client.get(f"/api/v1/banks/{bank_id}/questions", headers=bearer(token)).json["questions"][0]


def _edit(client, bank_id: int, question_id: int, token: str, body: dict):
    return client.put(f"/api/v1/banks/{bank_id}/questions/{question_id}", headers=bearer(token), json=body)


def test_edit_of_a_published_question_waits_for_a_reviewer(client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    publish(client, tokens, bank_id)
    question = _first_question(client, bank_id, tokens["teacher"])
    edited = _edit(client, bank_id, question["id"], tokens["teacher"],
                   {"stem": "<p>Đạo hàm của \\(x^3\\) là</p><script>alert(1)</script>", "cognitive_level": "hieu",
                    "options": [{"text": "3x^2", "correct": True}, {"text": "x^2"}, {"text": "3x"}]})
    assert edited.status_code == 200, edited.json
    assert (edited.json["version"], edited.json["status"]) == (2, "pending")
    assert "<script>" not in edited.json["stem"] and edited.json["cognitive_level"] == "hieu"
    assert edited.json["explanation"] == question["explanation"]  # fields not sent are kept

    public = _first_question(client, bank_id, tokens["student"])
    assert public["version"] == 1 and "x^2" in public["stem"]
    assert _first_question(client, bank_id, tokens["teacher"])["version"] == 2

    url = f"/api/v1/banks/{bank_id}/questions/{question['id']}/review"
    assert client.post(url, headers=bearer(tokens["teacher"]), json={"decision": "approve"}).status_code == 403
    assert client.post(url, headers=bearer(tokens["student"]), json={"decision": "approve"}).status_code == 403
    approved = client.post(url, headers=bearer(tokens["reviewer"]), json={"decision": "approve"})
    assert approved.status_code == 200 and approved.json["published_version_id"] == edited.json["version_id"]
    public = _first_question(client, bank_id, tokens["student"])
    assert public["version"] == 2 and "x^3" in public["stem"]
    history = client.get(f"/api/v1/banks/{bank_id}/questions/{question['id']}/versions",
                         headers=bearer(tokens["teacher"])).json
    assert [(v["version"], v["status"]) for v in history["versions"]] == [(1, "superseded"), (2, "published")]
    assert client.post(url, headers=bearer(tokens["reviewer"]), json={"decision": "approve"}).status_code == 409


def test_an_edit_is_checked_like_an_import_and_bad_edits_change_nothing(client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    question = _first_question(client, bank_id, tokens["teacher"])
    qid = question["id"]
    two_keys = _edit(client, bank_id, qid, tokens["teacher"],
                     {"options": [{"text": "a", "correct": True}, {"text": "b", "correct": True}]})
    assert two_keys.status_code == 400 and two_keys.json["error"]["field"] == "options"
    three = _edit(client, bank_id, qid, tokens["teacher"], {"type": "true_false", "statements": [
        {"label": "a", "text": "x", "is_true": True}, {"label": "b", "text": "y"}, {"label": "c", "text": "z"}]})
    assert three.status_code == 400 and "4 mệnh đề" in three.json["error"]["message"]
    assert _edit(client, bank_id, qid, tokens["teacher"], {"type": "poll"}).status_code == 400
    assert _edit(client, bank_id, qid, tokens["teacher"], {"grade": 13}).status_code == 400
    assert _edit(client, bank_id, qid, tokens["teacher"], {"stem": "   "}).status_code == 400
    assert _first_question(client, bank_id, tokens["teacher"]) == question
    # a draft question is edited in place
    fine = _edit(client, bank_id, qid, tokens["teacher"], {"topic": "Đạo hàm"})
    assert (fine.json["version"], fine.json["status"], fine.json["topic"]) == (1, "draft", "Đạo hàm")


def test_only_the_owner_edits(client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    qid = _first_question(client, bank_id, tokens["teacher"])["id"]
    assert _edit(client, bank_id, qid, tokens["teacher2"], {"topic": "x"}).status_code == 404
    publish(client, tokens, bank_id)
    assert _edit(client, bank_id, qid, tokens["teacher2"], {"topic": "x"}).status_code == 403
    other_bank = create_bank(client, tokens["teacher"])
    assert _edit(client, other_bank, qid, tokens["teacher"], {"topic": "x"}).status_code == 404
