"""LaTeX rendered to MathML on the server, safely, and shown on the bank page."""

from __future__ import annotations

from lxml import etree

from repository.banks.mathml import MATHML_NS, latex_to_mathml, render_math


def test_inline_and_display_formulas_become_mathml() -> None:
    html = str(render_math(r"<p>Tính \(\frac{1}{2}\) rồi \[\sqrt{x^2+1}\] và $$a_1$$ và $x^2$</p>"))
    tree = etree.fromstring(html.encode())
    maths = tree.findall(f".//{{{MATHML_NS}}}math")
    assert [m.get("display") for m in maths] == ["inline", "block", "block", "inline"]
    assert maths[0].find(f".//{{{MATHML_NS}}}mfrac") is not None
    assert maths[1].find(f".//{{{MATHML_NS}}}msqrt") is not None
    assert "\\frac" not in html and "$" not in html


def test_escaped_html_inside_a_formula_is_read_as_latex() -> None:
    html = str(render_math(r"<p>\(a &lt; b\)</p>"))
    assert "<mo>&lt;</mo>" in html


def test_prices_and_lone_dollars_stay_text() -> None:
    assert str(render_math("<p>Giá $5 và $10.</p>")) == "<p>Giá $5 và $10.</p>"


def test_hostile_latex_is_never_passed_through() -> None:
    assert latex_to_mathml(r"\text{<script>alert(1)</script>}") is None
    assert latex_to_mathml(r"\href{javascript:alert(1)}{x}") is None
    html = str(render_math(r"<p>\(\href{javascript:alert(1)}{x}\) <img src=x onerror=alert(1)></p>"))
    assert "href=" not in html and "onerror" not in html
    assert r"\(\href{javascript:alert(1)}{x}\)" in html  # shown as written, as text


def test_broken_latex_is_shown_as_written() -> None:
    assert latex_to_mathml(r"\frac{1}{") is None
    assert str(render_math(r"<p>\(\frac{1}{\)</p>")) == r"<p>\(\frac{1}{\)</p>"
    assert latex_to_mathml("x" * 5000) is None
