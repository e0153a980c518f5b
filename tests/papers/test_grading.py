"""Grading with the 2025 rules: part I per question, part II's scale, part III with decimal comma or point."""

from __future__ import annotations

import pytest

from repository.papers.grading import grade, parse_number, short_answer_matches, true_false_points

KEY_TF = {"a": True, "b": False, "c": True, "d": False}


@pytest.mark.parametrize("given, points, right", [
    ({"a": True, "b": False, "c": True, "d": False}, 1.0, 4),
    ({"a": True, "b": False, "c": True, "d": True}, 0.5, 3),
    ({"a": True, "b": False, "c": False, "d": True}, 0.25, 2),
    ({"a": True, "b": True, "c": False, "d": True}, 0.1, 1),
    ({"a": False, "b": True, "c": False, "d": True}, 0.0, 0),
    ({}, 0.0, 0),                                         # nothing answered
    ({"a": True, "b": False, "c": True}, 0.5, 3),         # d) left blank is not right
    ({"a": "true", "b": 0, "c": 1, "d": None}, 0.0, 0),   # only real booleans count
    ({"a": True, "b": False, "c": True, "d": False, "e": True}, 1.0, 4),  # extra labels are ignored
])
def test_true_false_cluster_follows_the_official_scale(given, points, right):
    assert true_false_points(given, KEY_TF, 1.0) == (pytest.approx(points), right)


def test_true_false_scale_is_scaled_for_a_question_worth_two_points():
    assert true_false_points({"a": True, "b": False}, KEY_TF, 2.0)[0] == pytest.approx(0.5)


@pytest.mark.parametrize("text, value", [
    ("-1,5", -1.5), ("-1.5", -1.5), ("0,25", 0.25), (" 0.25 ", 0.25), (",5", 0.5), ("12", 12.0),
    ("\u22121,5", -1.5), ("+3", 3.0), ("1,", 1.0),
])
def test_numbers_with_decimal_comma_or_point(text, value):
    assert parse_number(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "1,000.5", "1.2.3", "1e3", "nan", "inf", "--1", "1,5,",
                                  "9" * 200])
def test_not_numbers(text):
    assert parse_number(text) is None


NUMERIC = [{"value": "-1,5", "numeric": -1.5, "tolerance": 0.0}]


@pytest.mark.parametrize("given, ok", [
    ("-1,5", True), ("-1.5", True), ("-1,50", True), ("-1,51", False), ("1,5", False), ("", False),
    ("-3/2", False), (None, False), (["-1,5"], False),
])
def test_short_numeric_answers(given, ok):
    assert short_answer_matches(given, NUMERIC) is ok


def test_tolerance_is_inclusive_and_absolute():
    key = [{"value": "3,14", "numeric": 3.14, "tolerance": 0.01}]
    assert short_answer_matches("3,15", key) and short_answer_matches("3.13", key)
    assert not short_answer_matches("3,16", key)


def test_decimal_rounding_does_not_refuse_an_exact_answer():
    assert short_answer_matches("0,3", [{"value": "0,3", "numeric": 0.1 + 0.2, "tolerance": 0.0}])


def test_key_value_is_parsed_when_numeric_is_missing_and_text_keys_ignore_case():
    assert short_answer_matches("0.25", [{"value": "0,25", "numeric": None, "tolerance": 0}])
    assert short_answer_matches("  hà   NỘI ", [{"value": "Hà Nội", "numeric": None, "tolerance": 0}])
    assert not short_answer_matches("Hà Nam", [{"value": "Hà Nội", "numeric": None, "tolerance": 0}])


def test_any_of_several_accepted_answers():
    keys = [{"value": "2", "numeric": 2.0, "tolerance": 0}, {"value": "-2", "numeric": -2.0, "tolerance": 0}]
    assert short_answer_matches("-2", keys) and short_answer_matches("2,0", keys)


KEY = [{"part": "I", "number": 1, "points": 0.25, "answer": "C"},
       {"part": "I", "number": 2, "points": 0.25, "answer": "A"},
       {"part": "II", "number": 1, "points": 1.0, "answer": KEY_TF},
       {"part": "III", "number": 1, "points": 0.5, "answer": "-1,5", "accepted": NUMERIC}]


def test_grade_a_whole_version():
    answers = {"I.1": "c", "I.2": "B", "II.1": {"a": True, "b": False, "c": True, "d": True}, "III.1": "-1.5"}
    result = grade(KEY, answers)
    assert result["score"] == 1.25 and result["max_score"] == 2.0
    assert [q["earned"] for q in result["questions"]] == [0.25, 0.0, 0.5, 0.5]
    assert result["questions"][2]["right_statements"] == 3


def test_grade_with_nothing_answered_and_with_junk():
    assert grade(KEY, {})["score"] == 0.0
    junk = {"I.1": ["C"], "II.1": "Đúng", "III.1": 15, "I.9": "A"}
    assert grade(KEY, junk)["score"] == 0.0


def test_perfect_paper_scores_the_maximum():
    answers = {"I.1": "C", "I.2": "A", "II.1": dict(KEY_TF), "III.1": "-1,5"}
    assert grade(KEY, answers)["score"] == 2.0


def test_essays_wait_for_the_teacher_and_stay_out_of_the_automatic_maximum():
    key = [*KEY, {"part": "TL", "number": 1, "points": 2.0, "answer": "<p>Hướng dẫn chấm</p>"}]
    result = grade(key, {"I.1": "C", "TL.1": "Bài làm của em"})
    assert result["score"] == 0.25 and result["max_score"] == 2.0 and result["pending_points"] == 2.0
    assert result["questions"][-1] == {"part": "TL", "number": 1, "points": 2.0, "earned": 0.0, "correct": False,
                                       "pending": True}
