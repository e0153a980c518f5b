"""Drawing a paper from a matrix: reproducible, uniform, exact about shortfalls, strict about bad matrices."""

from __future__ import annotations

from collections import Counter

import pytest

from repository.papers.draw import draw
from repository.papers.matrix import MatrixError, parse_matrix
from tests.papers.factory import bank, single_choice

SIZES = {("I", "Hàm số", "biet"): 30, ("I", "Hàm số", "hieu"): 20, ("II", "Hàm số", "hieu"): 6,
         ("III", "Hàm số", "van-dung"): 8, ("I", "Xác suất", "biet"): 3}
MATRIX = [{"topic": "Hàm số", "level": "biet", "part": "I", "count": 6},
          {"topic": "Hàm số", "level": "hieu", "part": "I", "count": 4},
          {"topic": "Hàm số", "level": "hieu", "part": "II", "count": 2},
          {"topic": "Hàm số", "level": "van-dung", "part": "III", "count": 3}]


def picked_ids(result) -> list[list[int]]:
    return [[c.question_id for c in chosen] for _, chosen in result.picked]


def test_same_seed_gives_the_same_questions_and_another_seed_others():
    candidates, matrix = bank(SIZES), parse_matrix(MATRIX)
    first = draw(candidates, matrix, "hk1-2026")
    assert picked_ids(first) == picked_ids(draw(list(reversed(candidates)), matrix, "hk1-2026"))
    assert picked_ids(first) != picked_ids(draw(candidates, matrix, "hk2-2026"))
    assert first.complete and [len(ids) for ids in picked_ids(first)] == [6, 4, 2, 3]


def test_every_drawn_question_fits_its_cell_and_none_repeats():
    result = draw(bank(SIZES), parse_matrix(MATRIX), "7")
    for cell, chosen in result.picked:
        assert {(c.question.topic, c.question.cognitive_level) for c in chosen} == {(cell.topic, cell.level)}
    ids = [i for ids in picked_ids(result) for i in ids]
    assert len(ids) == len(set(ids))


def test_topics_match_regardless_of_case_and_spacing():
    candidates = bank({("I", "Hàm  số", "biet"): 3})
    result = draw(candidates, parse_matrix([{"topic": "HÀM SỐ", "level": "Biet", "part": "I", "count": 2}]), "x")
    assert result.complete and len(result.picked[0][1]) == 2


def test_shortfall_names_each_cell_and_how_many_are_missing():
    matrix = parse_matrix([*MATRIX, {"topic": "Xác suất", "level": "biet", "part": "I", "count": 5},
                           {"topic": "Hình học", "level": "hieu", "part": "II", "count": 2}])
    result = draw(bank(SIZES), matrix, "s")
    assert [s.as_dict() for s in result.shortfall] == [
        {"topic": "Xác suất", "level": "biet", "part": "I", "count": 5, "requested": 5, "available": 3,
         "missing": 2},
        {"topic": "Hình học", "level": "hieu", "part": "II", "count": 2, "requested": 2, "available": 0,
         "missing": 2}]
    assert len(result.picked[4][1]) == 3  # what there is is still drawn


def test_a_question_of_another_type_does_not_fill_a_part():
    candidates = bank({("I", "Hàm số", "hieu"): 5})  # single choice only
    result = draw(candidates, parse_matrix([{"topic": "Hàm số", "level": "hieu", "part": "II", "count": 1}]), "t")
    assert result.shortfall[0].missing == 1


def test_changing_one_cell_keeps_the_other_cells():
    base = draw(bank(SIZES), parse_matrix(MATRIX), "k")
    changed = [*MATRIX[:3], {**MATRIX[3], "count": 2}]
    other = draw(bank(SIZES), parse_matrix(changed), "k")
    assert picked_ids(base)[:3] == picked_ids(other)[:3]


#: chi-square with 11 degrees of freedom at p = 0.001
CRITICAL_11 = 31.26


def chi_square_of(drawer, draws: int = 2000, eligible: int = 12, count: int = 3) -> float:
    """Chi-square of how often each of ``eligible`` questions is drawn in ``draws`` seeded draws of ``count``."""
    candidates = bank({("I", "Hàm số", "biet"): eligible})
    matrix = parse_matrix([{"topic": "Hàm số", "level": "biet", "part": "I", "count": count}])
    counts = Counter(c.question_id for seed in range(draws) for c in drawer(candidates, matrix, str(seed)))
    expected = draws * count / eligible
    return sum((counts[i] - expected) ** 2 / expected for i in range(1, eligible + 1))


def test_draw_is_uniform_over_eligible_questions():
    """2 000 draws of 3 among 12: each question is expected 500 times; a uniform draw stays below the
    critical value of chi-square with 11 degrees of freedom at p = 0.001."""
    assert chi_square_of(lambda c, m, seed: draw(c, m, seed).picked[0][1]) < CRITICAL_11


def test_the_uniformity_check_catches_a_biased_draw():
    """A draw that favours low ids (sampling from the first two thirds only) fails the same check."""
    def biased(candidates, matrix, seed):
        return draw(candidates[:8], matrix, seed).picked[0][1]

    assert chi_square_of(biased) > CRITICAL_11


@pytest.mark.parametrize("cells, field", [
    ([], "matrix"),
    ("Hàm số", "matrix"),
    ([{"topic": "Hàm số", "level": "biet", "part": "IV", "count": 1}], "part"),
    ([{"topic": "Hàm số", "level": "biet", "part": "tự luận", "count": 1}], "part"),
    ([{"topic": "Hàm số", "level": "biet", "part": "I", "count": 0}], "count"),
    ([{"topic": "Hàm số", "level": "biet", "part": "I", "count": "3"}], "count"),
    ([{"topic": "Hàm số", "level": "biet", "part": "I", "count": True}], "count"),
    ([{"topic": "", "level": "biet", "part": "I", "count": 1}], "topic"),
    ([{"topic": "Hàm số", "part": "I", "count": 1}], "level"),
    ([{"topic": "Hàm số", "level": "biet", "part": "I", "count": 1},
      {"topic": "hàm số", "level": "BIET", "part": "i", "count": 2}], "matrix"),
    ([{"topic": f"Chủ đề {n}", "level": "biet", "part": "I", "count": 150} for n in range(2)], "count"),
])
def test_bad_matrices_are_refused_with_the_field(cells, field):
    with pytest.raises(MatrixError) as caught:
        parse_matrix(cells)
    assert caught.value.field == field and caught.value.message


def test_bad_points_are_refused_and_defaults_follow_the_exam():
    assert parse_matrix(MATRIX).points == {"I": 0.25, "II": 1.0, "III": 0.5, "TL": 1.0}
    assert parse_matrix(MATRIX, {"III": 0.25}).points["III"] == 0.25
    for bad in ({"IV": 1}, {"I": -1}, {"I": "0,25"}, [0.25]):
        with pytest.raises(MatrixError):
            parse_matrix(MATRIX, bad)


def test_questions_without_topic_are_not_drawn_for_a_topic():
    from repository.papers.draw import Candidate
    candidates = [Candidate.of(1, 1, single_choice(1, topic="", level="biet"))]
    result = draw(candidates, parse_matrix([{"topic": "Hàm số", "level": "biet", "part": "I", "count": 1}]), "z")
    assert result.shortfall[0].available == 0
