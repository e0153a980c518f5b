"""HTML for question text: an allowlist sanitiser (nh3) and conversions from the other text formats.

Every text field an importer stores goes through :func:`clean_html` (HTML sources) or
:func:`plain_to_html` (plain sources), so what reaches the database holds no script, no event handler
and no ``javascript:`` URL. The output is stable: cleaning it again returns it unchanged.
"""

from __future__ import annotations

import html
from enum import StrEnum

import markdown
import nh3

ALLOWED_TAGS = frozenset({
    "p", "br", "div", "span", "b", "strong", "i", "em", "u", "s", "sub", "sup", "small", "mark",
    "ul", "ol", "li", "dl", "dt", "dd", "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
    "img", "a", "pre", "code", "blockquote", "hr", "h1", "h2", "h3", "h4", "h5", "h6",
})
ALLOWED_ATTRIBUTES = {
    "img": {"src", "alt", "width", "height", "style"},
    "a": {"href", "title"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "style"},
    "ol": {"start", "type"},
    "p": {"style"},
    "span": {"style"},
    "div": {"style"},
}
# Presentation only: nothing that positions, loads a URL or hides content.
ALLOWED_STYLE_PROPERTIES = frozenset({
    "color", "background-color", "font-weight", "font-style", "text-decoration", "text-align",
    "vertical-align", "font-size",
})

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
    clean_content_tags={"script", "style"},
    url_schemes={"http", "https", "mailto"},
    filter_style_properties=set(ALLOWED_STYLE_PROPERTIES),
    strip_comments=True,
)
_TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"})


class TextFormat(StrEnum):
    """The text formats of Moodle XML and GIFT (``[html]``, ``[moodle]``, ``[plain]``, ``[markdown]``)."""

    HTML = "html"
    MOODLE = "moodle"      # Moodle's auto-format: HTML allowed, line breaks kept
    PLAIN = "plain"
    MARKDOWN = "markdown"


def clean_html(text: str) -> str:
    """Sanitise an HTML fragment with the allowlist; unknown tags are dropped, their text kept."""
    return _CLEANER.clean(text).strip()


def plain_to_html(text: str) -> str:
    """Plain text as safe HTML: ``<``, ``>`` and ``&`` escaped, line breaks as ``<br>``."""
    return html.escape(text.strip(), quote=False).replace("\n", "<br>")


def html_to_plain(text: str) -> str:
    """The text of an HTML fragment, without any markup (for names, categories and answer keys)."""
    return html.unescape(_TEXT_ONLY.clean(text)).strip()


def markdown_to_html(text: str) -> str:
    return clean_html(markdown.markdown(text.strip()))


def to_html(text: str, text_format: TextFormat) -> str:
    """Convert ``text`` written in ``text_format`` to sanitised HTML."""
    if text_format is TextFormat.PLAIN:
        return plain_to_html(text)
    if text_format is TextFormat.MARKDOWN:
        return markdown_to_html(text)
    if text_format is TextFormat.MOODLE:
        return clean_html(text.strip().replace("\n", "<br>"))
    return clean_html(text)
