"""Vietnamese text analysis: folding, normalising, syllables, query parsing, snippets."""

from __future__ import annotations

import unicodedata

import pytest

from search.analysis import adjacent_pairs, clean, fold, highlight, normalise, parse_query, tokens


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize(("text", "folded"), [
    ("Đường thẳng", "duong thang"),
    ("TOÁN", "toan"),
    ("Định luật II Newton", "dinh luat ii newton"),
    ("Phương trình bậc hai một ẩn", "phuong trinh bac hai mot an"),
    ("Truyện Kiều", "truyen kieu"),
    ("Địa lí và Lịch sử", "dia li va lich su"),
    ("Ngữ văn, Tiếng Việt: Ơ ơ Ư ư", "ngu van, tieng viet: o o u u"),
])
def test_fold_removes_every_vietnamese_mark(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_maps_d_with_stroke_which_is_not_a_decomposition() -> None:
    assert unicodedata.normalize("NFD", "đ") == "đ"  # why fold must map it explicitly
    assert fold("đĐ") == "dd"


def test_decomposed_input_gives_the_same_results_as_composed() -> None:
    text = "Đường thẳng song song, Hoá học và Thuỷ Kiều"
    assert nfd(text) != text
    assert fold(nfd(text)) == fold(text)
    assert normalise(nfd(text)) == normalise(text)
    assert tokens(nfd(text)) == tokens(text) == ["Đường", "thẳng", "song", "song", "Hoá", "học", "và",
                                                  "Thuỷ", "Kiều"]


def test_normalise_keeps_diacritics_and_lowercases() -> None:
    assert normalise("TOÁN Học") == "toán học"
    assert normalise("Đường") == "đường"


@pytest.mark.parametrize(("old_style", "new_style"), [
    ("Hóa học", "hoá học"), ("thủy điện", "thuỷ điện"), ("khỏe", "khoẻ"), ("ủy ban", "uỷ ban"),
])
def test_normalise_puts_tones_in_one_place(old_style: str, new_style: str) -> None:
    assert normalise(old_style) == normalise(new_style) == new_style


@pytest.mark.parametrize("word", ["hoàng", "quý", "huỳnh", "ngoài", "toán"])
def test_normalise_leaves_syllables_with_one_tone_position_alone(word: str) -> None:
    assert normalise(word) == word


def test_tokens_split_on_anything_but_letters_and_digits() -> None:
    assert tokens("Bài 6: Truyện Kiều (trích) — x² + 3,5cm; a_b") == [
        "Bài", "6", "Truyện", "Kiều", "trích", "x²", "3", "5cm", "a", "b"]
    assert tokens("!!! ... ---") == []


def test_parse_query_turns_operators_into_plain_words() -> None:
    terms = parse_query('title:(toán* OR "đường thẳng" NEAR( -x ^y')
    assert [t.folded for t in terms] == [("title",), ("toan",), ("or",), ("duong", "thang"), ("near",),
                                         ("x",), ("y",)]
    assert [t.exact for t in terms][1] == ("toán",)
    assert terms[3].quoted


def test_parse_query_ignores_an_unpaired_quote() -> None:
    assert [t.folded for t in parse_query('"học sinh')] == [("hoc",), ("sinh",)]
    assert [t.folded for t in parse_query('a "b c" "d e')] == [("a",), ("b", "c"), ("d",), ("e",)]
    assert parse_query('"""') == []


def test_parse_query_caps_the_number_of_terms() -> None:
    assert len(parse_query(" ".join(f"w{i}" for i in range(100)))) == 32


def test_adjacent_pairs_come_from_unquoted_text() -> None:
    assert [p.folded for p in adjacent_pairs('học sinh giỏi "định luật"')] == [("hoc", "sinh"),
                                                                               ("sinh", "gioi")]


def test_clean_replaces_what_sqlite_refuses() -> None:
    assert clean("a\x00b\ud800c") == "a\ufffdb\ufffdc"
    assert clean(nfd("Đường")) == "Đường"


def test_highlight_marks_the_accented_words_and_escapes_everything_else() -> None:
    snippet = highlight(["<script>alert(1)</script> Phương trình đường thẳng & đường tròn"], ["duong"])
    assert snippet == ("&lt;script&gt;alert(1)&lt;/script&gt; Phương trình <mark>đường</mark> thẳng "
                       "&amp; <mark>đường</mark> tròn")


def test_highlight_marks_whole_words_only() -> None:
    assert highlight(["toàn toán toan toanh"], ["toan"]) == (
        "<mark>toàn</mark> <mark>toán</mark> <mark>toan</mark> toanh")


def test_highlight_picks_the_field_and_window_holding_most_query_words() -> None:
    body = "Mở đầu. " + "Lời dẫn dài. " * 100 + "Định luật II Newton nói về gia tốc. " + "Kết. " * 100
    snippet = highlight(["Bài giảng về lực", body, "Định luật"], ["dinh", "luat", "gia", "toc"])
    assert "<mark>Định</mark> <mark>luật</mark> II Newton nói về <mark>gia</mark> <mark>tốc</mark>" in snippet
    assert snippet.startswith("…") and snippet.endswith("…")
    assert len(snippet) < 400


def test_highlight_without_query_words_is_the_escaped_start_of_the_first_field() -> None:
    assert highlight(["", "Giá < 5 đồng\n\nvà hơn"], []) == "Giá &lt; 5 đồng và hơn"
    assert highlight(["", "  "], ["x"]) == ""
