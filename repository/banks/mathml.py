"""LaTeX in question text rendered to MathML on the server, so pages need no maths script.

latex2mathml (pure Python, no Node or TeX install, maintained, MIT) does the conversion; browsers render
MathML Core natively. Its output is not safe as it comes (``\\text{<script>}`` is copied through, ``\\href``
becomes an attribute), so every result is re-parsed and kept only when it holds MathML elements and
attributes from the allowlists below; anything else shows the LaTeX source as escaped text.
"""

from __future__ import annotations

import html
import logging
import re

from latex2mathml.converter import convert
from lxml import etree
from markupsafe import Markup, escape

from ingest.questions.html import clean_html

log = logging.getLogger(__name__)

MATHML_NS = "http://www.w3.org/1998/Math/MathML"
MAX_FORMULA_CHARS = 2000
MATHML_TAGS = frozenset({
    "math", "mrow", "mi", "mn", "mo", "ms", "mtext", "mspace", "mfrac", "msqrt", "mroot", "msub", "msup",
    "msubsup", "munder", "mover", "munderover", "mtable", "mtr", "mtd", "mstyle", "mpadded", "mphantom",
    "menclose", "mfenced", "merror", "mmultiscripts", "mprescripts", "none", "semantics",
})
MATHML_ATTRIBUTES = frozenset({
    "display", "mathvariant", "stretchy", "fence", "separator", "lspace", "rspace", "accent", "accentunder",
    "movablelimits", "columnalign", "rowspacing", "columnspacing", "columnlines", "rowlines", "displaystyle",
    "scriptlevel", "width", "height", "depth", "linethickness", "notation", "open", "close", "separators",
    "minsize", "maxsize", "form", "largeop", "symmetric",
})
#: Delimiters of mathematics in question text: \[ \], $$ $$, \( \), $ $ (display ones first). A single $ pair
#: follows pandoc's rule (no space inside either dollar, no digit after the closing one), so prices stay text.
_FORMULA = re.compile(r"\\\[(?P<b1>.+?)\\\]|\$\$(?P<b2>.+?)\$\$|\\\((?P<i1>.+?)\\\)"
                      r"|(?<![\\$])\$(?P<i2>[^\s$](?:[^$]*?[^\s\\$])?)\$(?!\d)", re.DOTALL)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def latex_to_mathml(latex: str, *, block: bool = False) -> str | None:
    """Safe MathML for one formula, or None when it cannot be converted safely."""
    if len(latex) > MAX_FORMULA_CHARS:
        return None
    try:
        raw = convert(latex, display="block" if block else "inline")
        tree = etree.fromstring(raw.encode(), _PARSER)
    except Exception as exc:  # latex2mathml raises many kinds of errors on bad LaTeX
        log.info("LaTeX not converted (%s): %.80s", type(exc).__name__, latex)
        return None
    if not _only_mathml(tree):
        log.info("LaTeX converted to something outside the MathML allowlist: %.80s", latex)
        return None
    return etree.tostring(tree, encoding="unicode")


def _only_mathml(tree: etree._Element) -> bool:
    for element in tree.iter():
        if not isinstance(element.tag, str):
            return False
        qname = etree.QName(element)
        if qname.namespace != MATHML_NS or qname.localname not in MATHML_TAGS:
            return False
        if any(name not in MATHML_ATTRIBUTES for name in element.attrib):
            return False
    return True


def render_math(text: str) -> Markup:
    """Question HTML, sanitised again here, with every LaTeX formula replaced by allowlisted MathML;
    formulas that cannot be converted stay as written (escaped)."""

    def replace(match: re.Match[str]) -> str:
        source = next(group for group in match.groups() if group is not None)
        if "<" in source or ">" in source:  # crosses a tag: not a formula
            return match.group(0)
        block = match.group("b1") is not None or match.group("b2") is not None
        mathml = latex_to_mathml(html.unescape(source), block=block)
        return mathml if mathml is not None else str(escape(html.unescape(match.group(0))))

    return Markup(_FORMULA.sub(replace, clean_html(text)))  # noqa: S704  (sanitised, MathML allowlisted)
