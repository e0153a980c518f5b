"""The question-text sanitiser and the text-format conversions."""

from __future__ import annotations

import pytest

from ingest.questions.html import TextFormat, clean_html, html_to_plain, plain_to_html, to_html


def test_clean_html_removes_scripts_handlers_and_javascript_urls() -> None:
    dirty = ('<p onclick="steal()">Tính <b>x</b><script>alert(1)</script></p>'
             '<img src="x.png" onerror="alert(2)"><a href="javascript:alert(3)">link</a>'
             '<iframe src="https://evil.example"></iframe><style>p{color:red}</style>')
    clean = clean_html(dirty)
    assert "script" not in clean and "alert" not in clean
    assert "onerror" not in clean and "onclick" not in clean and "javascript" not in clean
    assert "iframe" not in clean and "color:red" not in clean
    assert clean.startswith("<p>Tính <b>x</b></p>")
    assert '<img src="x.png">' in clean


def test_clean_html_keeps_question_markup_and_moodle_image_references() -> None:
    source = ('<p>Cho H<sub>2</sub>O và x<sup>2</sup> = 4, \\(x &gt; 0\\)</p>'
              '<table><tr><td colspan="2">ô</td></tr></table>'
              '<img src="@@PLUGINFILE@@/hinh-1.png" alt="Hình 1" width="50">')
    clean = clean_html(source)
    assert "<sub>2</sub>" in clean and "<sup>2</sup>" in clean
    assert "\\(x &gt; 0\\)" in clean
    assert '<td colspan="2">ô</td>' in clean
    assert 'src="@@PLUGINFILE@@/hinh-1.png"' in clean and 'alt="Hình 1"' in clean


def test_clean_html_filters_style_properties() -> None:
    clean = clean_html('<span style="color: red; position: fixed; background-image: url(x)">đỏ</span>')
    assert clean == '<span style="color:red">đỏ</span>'


@pytest.mark.parametrize("source", [
    '<p>a <b>b</b> <a href="https://moet.gov.vn">c</a></p>',
    'x < y & z',
    '<p><!-- comment -->text<br/>more</p>',
])
def test_clean_html_is_stable(source: str) -> None:
    once = clean_html(source)
    assert clean_html(once) == once


def test_plain_to_html_escapes_markup() -> None:
    assert plain_to_html('Moodle <html class="cool"> & ảnh') == 'Moodle &lt;html class="cool"&gt; &amp; ảnh'
    assert plain_to_html("dòng 1\ndòng 2") == "dòng 1<br>dòng 2"


def test_html_to_plain_strips_tags_and_unescapes() -> None:
    assert html_to_plain("<b>Hà</b> Nội &amp; <script>x()</script>Huế") == "Hà Nội & Huế"
    assert html_to_plain("a < b") == "a < b"


def test_to_html_by_format() -> None:
    markdown = to_html("**đậm** và _nghiêng_", TextFormat.MARKDOWN)
    assert markdown == "<p><strong>đậm</strong> và <em>nghiêng</em></p>"
    assert to_html("<b>x</b>", TextFormat.PLAIN) == "&lt;b&gt;x&lt;/b&gt;"
    assert to_html("dòng 1\ndòng 2", TextFormat.MOODLE) == "dòng 1<br>dòng 2"
    assert to_html("<p>x</p><script>y</script>", TextFormat.HTML) == "<p>x</p>"
