"""Hostile and absurd input on the search API and pages: a sane answer or a clear 400, never a 500,
and never user text acting as engine syntax. Runs through the Flask test client on the real app."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.search.conftest import collection

OPERATOR_QUERIES = [
    "NEAR(gia tốc", 'NEAR(gia tốc lực, 2)', "gia tốc OR", "gia tốc -lực", "gia* tốc*", "title_f:gia tốc",
    "{title_f title_x}: gia tốc", "^gia tốc", "gia + tốc", "gia AND tốc NOT", "(gia tốc", "gia tốc)",
    "gia~2 tốc", "title:gia tốc", "gia tốc /.*/", "gia\\ tốc", "gia:tốc", "gia tốc &&", "gia tốc ||",
]
JUNK_QUERIES = ["", " ", "!!!...,,,;;", '"', '"""', "\"'`", "*", "title:*", "NEAR(", "-", "OR", "AND", "( )",
                "\x00", "\u200b\u200b", "🙂🙂", "\ufeff", "%s%n", "'; DROP TABLE documents; --"]


@pytest.fixture
def indexed(app) -> Any:
    app.extensions["search"].upsert(collection())
    return app


def search(client, **args: object) -> Any:
    response = client.get("/api/v1/search", query_string=args)
    assert response.status_code in (200, 400), (args, response.status_code)
    return response


def hit_ids(response) -> list[int]:
    return [hit["id"] for hit in response.get_json()["hits"]]


def assert_result_shape(response) -> None:
    assert response.status_code == 200
    body = response.get_json()
    assert isinstance(body["total"], int) and isinstance(body["hits"], list)
    assert set(body["facets"]) == {"level", "grade", "subject", "kind"}


def assert_bad_request(response, field: str) -> None:
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "invalid_query" and error["field"] == field and error["message"]


@pytest.mark.parametrize("text", OPERATOR_QUERIES)
def test_engine_operators_are_plain_separators(indexed, client, text: str) -> None:
    """Typed operators find exactly what their words alone find: nothing typed becomes syntax."""
    response = search(client, q=text)
    assert_result_shape(response)
    assert hit_ids(response) == hit_ids(search(client, q=re.sub(r"[\W_]+", " ", text)))


@pytest.mark.parametrize("text", ["gia* tốc*", "^gia tốc", "(gia tốc", "gia:tốc", "gia tốc ||"])
def test_punctuation_around_words_finds_the_words(indexed, client, text: str) -> None:
    expected = hit_ids(search(client, q="gia tốc"))
    assert expected and hit_ids(search(client, q=text)) == expected


@pytest.mark.parametrize("text", JUNK_QUERIES)
def test_junk_queries_answer_without_error(indexed, client, text: str) -> None:
    response = search(client, q=text)
    assert_result_shape(response)
    assert response.get_json()["total"] in (0, len(collection()))  # nothing matched, or no words: browse all


def test_title_star_does_not_match_everything(indexed, client) -> None:
    """`title:*` is the word "title" (absent from the collection), not "any title"."""
    assert search(client, q="title:*").get_json()["total"] == 0


def test_ten_thousand_characters(indexed, client) -> None:
    long_words = search(client, q="gia tốc " * 1250)
    assert_result_shape(long_words)
    assert hit_ids(long_words) == hit_ids(search(client, q="gia tốc"))
    assert_result_shape(search(client, q="a" * 10_000))
    assert_result_shape(search(client, q="đ" * 10_000))
    assert_result_shape(search(client, q=" ".join(["x"] * 5000)))


@pytest.mark.parametrize("value", ["1000000000", "0", "-1", "1.5", "1e3", "abc", "²", "١", "9" * 5000, " 1"])
@pytest.mark.parametrize("name", ["page", "per_page"])
def test_out_of_range_paging_is_a_clear_400(indexed, client, name: str, value: str) -> None:
    assert_bad_request(search(client, q="gia tốc", **{name: value}), name)


def test_per_page_of_a_million_is_refused_with_the_limit(indexed, client) -> None:
    response = search(client, per_page=10**6)
    assert_bad_request(response, "per_page")
    assert "100" in response.get_json()["error"]["message"]


def test_last_allowed_page_beyond_results_is_empty(indexed, client) -> None:
    response = search(client, q="toán", page=1000, per_page=100)
    assert_result_shape(response)
    assert response.get_json()["hits"] == [] and response.get_json()["total"] > 0


@pytest.mark.parametrize("args", [{"subject": "khong-co-mon-nay"}, {"level": "dai-hoc"}, {"grade": "99"},
                                  {"kind": "<script>"}, {"province": "XX"}, {"series": "'"}, {"licence": "?"}])
def test_unknown_facet_values_find_nothing(indexed, client, args: dict[str, str]) -> None:
    response = search(client, q="toán", **args)
    assert_result_shape(response)
    assert response.get_json()["total"] == 0


@pytest.mark.parametrize(("args", "field"), [({"grade": "abc"}, "grade"), ({"grade": "10; DROP"}, "grade"),
                                             ({"subject": "\u200b"}, "subject"), ({"level": "x" * 300}, "filter"),
                                             ({"sort": "score desc"}, "sort")])
def test_malformed_filters_and_sort_are_a_clear_400(indexed, client, args: dict[str, str], field: str) -> None:
    assert_bad_request(search(client, q="toán", **args), field)


def test_unknown_parameters_are_ignored(indexed, client) -> None:
    assert hit_ids(search(client, q="toán", foo="bar", q2="x")) == hit_ids(search(client, q="toán"))


def test_undecodable_bytes_in_the_query_string(indexed, client) -> None:
    assert_result_shape(client.get("/api/v1/search?q=%ff%fe%ed%a0%80"))
    assert_bad_request(client.get("/api/v1/search?page=%00"), "page")


@pytest.mark.parametrize("text", ["NEAR(", "title:*", '"học sinh', "a" * 10_000, "!!!", "\x00"])
def test_results_page_and_suggest_never_fail(indexed, client, text: str) -> None:
    assert client.get("/search", query_string={"q": text}).status_code == 200
    assert client.get("/search", query_string={"q": text, "page": 10**9}).status_code == 400
    suggest = client.get("/api/v1/suggest", query_string={"q": text})
    assert suggest.status_code == 200 and isinstance(suggest.get_json()["suggestions"], list)
