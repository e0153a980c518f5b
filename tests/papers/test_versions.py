"""Versions (mã đề): shuffled within parts, options shuffled with the key following, a combined key table."""

from __future__ import annotations

from repository.papers.draw import draw
from repository.papers.matrix import parse_matrix
from repository.papers.versions import answer_text, build_versions, combined_key
from tests.papers.factory import bank

SIZES = {("I", "Hàm số", "biet"): 30, ("II", "Hàm số", "hieu"): 6, ("III", "Hàm số", "van-dung"): 8}
MATRIX = [{"topic": "Hàm số", "level": "biet", "part": "I", "count": 12},
          {"topic": "Hàm số", "level": "hieu", "part": "II", "count": 4},
          {"topic": "Hàm số", "level": "van-dung", "part": "III", "count": 6}]


def make(seed: str = "de-1", count: int = 4):
    candidates = bank(SIZES)
    matrix = parse_matrix(MATRIX)
    by_id = {c.question_id: c.question for c in candidates}
    return build_versions(draw(candidates, matrix, seed), matrix, seed, count), by_id


def test_versions_have_codes_same_questions_and_restart_numbering_per_part():
    versions, _ = make()
    assert [v["code"] for v in versions] == ["101", "102", "103", "104"]
    sets = [{(q["part"], q["source"]["question_id"]) for q in v["questions"]} for v in versions]
    assert all(s == sets[0] for s in sets) and len(sets[0]) == 22
    numbers = [(q["part"], q["number"]) for q in versions[0]["questions"]]
    assert numbers == [("I", n) for n in range(1, 13)] + [("II", n) for n in range(1, 5)] + \
        [("III", n) for n in range(1, 7)]


def test_question_order_and_options_differ_between_versions_but_keys_follow():
    versions, by_id = make()
    orders = [[q["source"]["question_id"] for q in v["questions"] if q["part"] == "I"] for v in versions]
    assert len({tuple(o) for o in orders}) == 4
    keys_seen = set()
    for version in versions:
        for shown, key in zip(version["questions"], version["key"], strict=True):
            assert (shown["part"], shown["number"]) == (key["part"], key["number"])
            if shown["part"] != "I":
                continue
            original = by_id[shown["source"]["question_id"]]
            correct_text = next(o.text for o in original.options if o.correct)
            assert next(o["text"] for o in shown["options"] if o["label"] == key["answer"]) == correct_text
            assert sorted(o["text"] for o in shown["options"]) == sorted(o.text for o in original.options)
            keys_seen.add(key["answer"])
    assert keys_seen == {"A", "B", "C", "D"}  # the author's key was always the third option


def test_true_false_statements_keep_their_labels_and_key():
    versions, _ = make()
    for version in versions:
        for shown, key in zip(version["questions"], version["key"], strict=True):
            if shown["part"] == "II":
                assert [s["label"] for s in shown["statements"]] == ["a", "b", "c", "d"]
                assert key["answer"] == {"a": True, "b": False, "c": True, "d": False}
                assert answer_text(key) == "a) Đ b) S c) Đ d) S"


def test_same_seed_same_versions():
    assert make("x")[0] == make("x")[0]
    assert make("x")[0] != make("y")[0]


def test_shown_questions_carry_no_key():
    versions, _ = make()
    for question in versions[0]["questions"]:
        assert "answer" not in question and "accepted" not in question
        assert all(set(o) == {"label", "text"} for o in question.get("options", []))
        assert all(set(s) == {"label", "text"} for s in question.get("statements", []))


def test_combined_key_has_a_row_per_question_and_a_column_per_version():
    versions, _ = make(count=3)
    table = combined_key(versions)
    assert table["codes"] == ["101", "102", "103"]
    assert len(table["rows"]) == 22
    first = table["rows"][0]
    assert first["part"] == "I" and first["number"] == 1
    assert first["answers"] == [v["key"][0]["answer"] for v in versions]
    assert table["rows"][-1]["answers"] == ["-1,5"] * 3


def test_essays_form_their_own_part_last_with_the_model_answer_as_key():
    candidates = bank({("I", "Hàm số", "biet"): 5, ("TL", "Hàm số", "van-dung"): 3})
    matrix = parse_matrix([{"topic": "Hàm số", "level": "van-dung", "part": "TL", "count": 2},
                           {"topic": "Hàm số", "level": "biet", "part": "I", "count": 2}])
    assert matrix.points["TL"] == 1.0
    version = build_versions(draw(candidates, matrix, "tl"), matrix, "tl", 1)[0]
    assert [(q["part"], q["number"]) for q in version["questions"]] == [("I", 1), ("I", 2), ("TL", 1), ("TL", 2)]
    essay_key = version["key"][2]
    assert essay_key["answer"].startswith("<p>Tập xác định") and "accepted" not in essay_key
    assert answer_text(essay_key).startswith("Tập xác định D = R") and "<p>" not in answer_text(essay_key)
    assert "answer" not in version["questions"][2] and "options" not in version["questions"][2]
