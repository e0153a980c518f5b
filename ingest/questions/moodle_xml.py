"""Moodle XML import and export.

Import reads the file with defusedxml's SAX parser with DTDs forbidden, so a DOCTYPE, an entity
(billion laughs) or an external reference (``file:///etc/passwd``) refuses the whole file before anything
is resolved. SAX also gives the line of every ``<question>``, which rejections name.

Type mapping: ``multichoice`` → single or multiple choice (by ``<single>``), ``truefalse`` → single choice
with the options "Đúng" and "Sai", ``shortanswer``/``numerical`` → short answer (only the 100 % answers
are keys; numerical tolerance kept), ``essay`` → essay (``graderinfo`` → model answer). ``category`` sets
the topic of the questions after it; ``generalfeedback`` is the explanation; ``<file encoding="base64">``
becomes an :class:`Image`. Every other type is rejected by name.

Moodle has no fields for subject, grade, cognitive level or difficulty; they travel as question tags
``hoclieu:subject=toan``, ``hoclieu:grade=12``, ``hoclieu:level=biet``, ``hoclieu:difficulty=0.4`` (other
tags are ignored), so a bank exported to Moodle and imported back keeps them.
"""

from __future__ import annotations

import base64
import binascii
import logging
import xml.sax
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from xml.etree.ElementTree import Element, SubElement, indent, tostring
from xml.sax.handler import ContentHandler

import defusedxml
import defusedxml.sax

from ingest.questions.html import TextFormat, html_to_plain, to_html
from ingest.questions.limits import (
    MAX_IMAGE_BYTES,
    MAX_IMAGES_PER_QUESTION,
    QuestionFileError,
    check_file_size,
    check_question_count,
    file_label,
    format_number,
    parse_number,
    text_too_long,
)
from ingest.questions.model import (
    Image,
    ImportReport,
    Option,
    Question,
    QuestionType,
    Rejection,
    ShortAnswerKey,
)

log = logging.getLogger(__name__)

TRUE_TEXT = "Đúng"
FALSE_TEXT = "Sai"

_FORMATS = {
    "html": TextFormat.HTML,
    "moodle_auto_format": TextFormat.MOODLE,
    "plain_text": TextFormat.PLAIN,
    "markdown": TextFormat.MARKDOWN,
}
_UNSUPPORTED = {
    "cloze": "Loại câu hỏi 'multianswer' (cloze) chưa được hỗ trợ",
    "multianswer": "Loại câu hỏi 'multianswer' (cloze) chưa được hỗ trợ",
    "matching": "Loại câu hỏi 'matching' (ghép đôi) chưa được hỗ trợ",
    "description": "Mục 'description' chỉ là đoạn mô tả, không phải câu hỏi, nên không được nhập",
}
_IMAGE_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
)
_FULL_CREDIT = 0.9999999


class _Rejected(Exception):
    """One question cannot be imported; the message is the Vietnamese reason."""


# ---------------------------------------------------------------------------------------------- reading


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.parts)

    def child(self, tag: str) -> _Node | None:
        return next((node for node in self.children if node.tag == tag), None)

    def all(self, tag: str) -> list[_Node]:
        return [node for node in self.children if node.tag == tag]

    def value(self, tag: str) -> str:
        """The text directly inside child ``tag`` (``<defaultgrade>1</defaultgrade>``)."""
        node = self.child(tag)
        return node.text.strip() if node is not None else ""

    def inner_text(self, tag: str) -> str:
        """The ``<text>`` of child ``tag`` (Moodle wraps most values as ``<tag><text>…</text></tag>``)."""
        node = self.child(tag)
        inner = node.child("text") if node is not None else None
        return inner.text if inner is not None else ""

    def descendants(self) -> Iterator[_Node]:
        for node in self.children:
            yield node
            yield from node.descendants()


class _TreeBuilder(ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[_Node] = []
        self.root: _Node | None = None

    def startElement(self, name: str, attrs: xml.sax.xmlreader.AttributesImpl) -> None:
        node = _Node(name, dict(attrs), self._locator.getLineNumber() if self._locator else 0)
        if self.stack:
            self.stack[-1].children.append(node)
        else:
            self.root = node
        self.stack.append(node)

    def endElement(self, name: str) -> None:
        self.stack.pop()

    def characters(self, content: str) -> None:
        if self.stack:
            self.stack[-1].parts.append(content)


def _read_tree(data: bytes, filename: str) -> _Node:
    check_file_size(data, filename)
    builder = _TreeBuilder()
    label = file_label(filename)
    try:
        defusedxml.sax.parseString(data, builder, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except defusedxml.DefusedXmlException as exc:
        log.warning("refused hostile XML in %r: %s", filename, exc)
        raise QuestionFileError(
            f"{label}: tệp XML có khai báo DOCTYPE/thực thể (entity) — bị từ chối vì lý do an toàn",
            f"XML with a DTD, entity or external reference refused: {exc!r}") from exc
    except xml.sax.SAXParseException as exc:
        raise QuestionFileError(
            f"{label}: không phải tệp XML hợp lệ (dòng {exc.getLineNumber()}: {exc.getMessage()})",
            f"not well-formed XML at line {exc.getLineNumber()}: {exc.getMessage()}") from exc
    if builder.root is None or builder.root.tag != "quiz":
        raise QuestionFileError(f"{label}: không phải tệp Moodle XML (thiếu thẻ gốc <quiz>)",
                                "XML root element is not <quiz>")
    return builder.root


def _formatted(node: _Node | None) -> str:
    """The sanitised HTML of a ``<… format="…"><text>…</text></…>`` element."""
    if node is None:
        return ""
    inner = node.child("text")
    text = inner.text if inner is not None else ""
    return to_html(text, _FORMATS.get(node.attrs.get("format", "html"), TextFormat.HTML))


def category_topic(path: str) -> str:
    """``$course$/top/Đại số/Hàm số`` → ``Đại số/Hàm số``."""
    parts = [part.strip() for part in html_to_plain(path).split("/")]
    if parts and parts[0].startswith("$") and parts[0].endswith("$"):
        parts = parts[1:]
    if parts and parts[0] == "top":
        parts = parts[1:]
    return "/".join(part for part in parts if part)


def _content_type(data: bytes) -> str | None:
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for magic, kind in _IMAGE_SIGNATURES if data.startswith(magic)), None)


def _image(node: _Node) -> Image:
    name = node.attrs.get("name", "")
    encoded = "".join(node.text.split())
    if len(encoded) * 3 // 4 > MAX_IMAGE_BYTES:
        raise _Rejected(f"Hình '{name}' quá lớn (tối đa {MAX_IMAGE_BYTES // (1024 * 1024)} MB)")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise _Rejected(f"Hình '{name}' không giải mã được (base64 lỗi)") from exc
    content_type = _content_type(data)
    if content_type is None:
        raise _Rejected(f"Tệp đính kèm '{name}' không phải ảnh PNG, JPEG, GIF hay WebP")
    return Image(name=name, content_type=content_type, data=data)


def _images(question: _Node) -> list[Image]:
    files = [node for node in question.descendants() if node.tag == "file"]
    if len(files) > MAX_IMAGES_PER_QUESTION:
        raise _Rejected(f"Câu hỏi có quá nhiều tệp đính kèm ({len(files)}, tối đa {MAX_IMAGES_PER_QUESTION})")
    return [_image(node) for node in files if node.attrs.get("encoding", "base64") == "base64"]


def _fraction(answer: _Node) -> float:
    raw = answer.attrs.get("fraction", "0")
    value = parse_number(raw)
    if value is None or not -100 <= value <= 100:
        raise _Rejected(f"Điểm (fraction) '{raw}' của một phương án không hợp lệ")
    return value / 100


#: Our metadata carried as Moodle tags "hoclieu:<key>=<value>": key -> Question field.
TAG_PREFIX = "hoclieu:"
TAG_FIELDS = {"subject": "subject", "grade": "grade", "level": "cognitive_level", "difficulty": "difficulty"}


def _tag_value(key: str, raw: str) -> object:
    if key == "grade":
        if not raw.isdigit() or not 1 <= int(raw) <= 12:
            raise _Rejected(f"Thẻ lớp '{raw}' không hợp lệ (1–12)")
        return int(raw)
    if key == "difficulty":
        value = parse_number(raw)
        if value is None:
            raise _Rejected(f"Thẻ độ khó '{raw}' không phải là số")
        return value
    return raw[:300]


def _apply_tags(node: _Node, question: Question) -> None:
    tags = node.child("tags")
    for tag in tags.all("tag") if tags is not None else []:
        text = html_to_plain(tag.value("text")).strip()
        key, _, raw = text.removeprefix(TAG_PREFIX).partition("=")
        if text.startswith(TAG_PREFIX) and key in TAG_FIELDS:
            setattr(question, TAG_FIELDS[key], _tag_value(key, raw.strip()))


def _base(node: _Node, qtype: QuestionType, topic: str) -> Question:
    points = parse_number(node.value("defaultgrade"))
    question = Question(type=qtype, stem=_formatted(node.child("questiontext")),
                        explanation=_formatted(node.child("generalfeedback")),
                        name=html_to_plain(node.inner_text("name")), topic=topic, points=points,
                        images=_images(node), source_ref=f"line {node.line}")
    _apply_tags(node, question)
    return question


def _options(node: _Node) -> list[Option]:
    options = [Option(text=_formatted(answer), feedback=_formatted(answer.child("feedback")),
                      fraction=_fraction(answer)) for answer in node.all("answer")]
    if len(options) < 2:
        raise _Rejected(f"Câu trắc nghiệm cần ít nhất 2 phương án, chỉ có {len(options)}")
    return options


def _multichoice(node: _Node, topic: str) -> Question:
    single = node.value("single") or "true"
    options = _options(node)
    if single.strip().lower() in ("false", "0"):
        for option in options:
            option.correct = (option.fraction or 0) > 0
        if not any(option.correct for option in options):
            raise _Rejected("Câu nhiều đáp án không có phương án nào được điểm")
        qtype = QuestionType.MULTIPLE_CHOICE
    else:
        for option in options:
            option.correct = (option.fraction or 0) >= _FULL_CREDIT
        correct = sum(option.correct for option in options)
        if correct != 1:
            raise _Rejected("Câu một đáp án không có phương án đúng 100%" if correct == 0 else
                            f"Câu một đáp án có {correct} phương án đúng 100% (chỉ được có một)")
        qtype = QuestionType.SINGLE_CHOICE
    question = _base(node, qtype, topic)
    question.options = options
    return question


def _truefalse(node: _Node, topic: str) -> Question:
    verdicts: dict[bool, Option] = {}
    for answer in node.all("answer"):
        said = html_to_plain(answer.value("text")).lower()
        if said not in ("true", "false"):
            raise _Rejected(f"Câu đúng/sai có đáp án '{said}' (chỉ chấp nhận 'true' hoặc 'false')")
        verdicts[said == "true"] = Option(text=TRUE_TEXT if said == "true" else FALSE_TEXT,
                                          correct=_fraction(answer) >= _FULL_CREDIT,
                                          feedback=_formatted(answer.child("feedback")))
    if set(verdicts) != {True, False} or sum(option.correct for option in verdicts.values()) != 1:
        raise _Rejected("Câu đúng/sai cần đúng hai đáp án 'true' và 'false', một trong hai được 100%")
    question = _base(node, QuestionType.SINGLE_CHOICE, topic)
    question.options = [verdicts[True], verdicts[False]]
    return question


def _short_key(answer: _Node, numerical: bool) -> ShortAnswerKey | None:
    value = html_to_plain(answer.value("text"))
    if _fraction(answer) < _FULL_CREDIT or value == "*":
        return None
    numeric = parse_number(value)
    if numerical and numeric is None:
        raise _Rejected(f"Đáp án số '{value}' không phải là số")
    tolerance_text = answer.value("tolerance")
    tolerance = parse_number(tolerance_text) if tolerance_text else 0.0
    if tolerance is None or tolerance < 0:
        raise _Rejected(f"Sai số '{tolerance_text}' của đáp án '{value}' không hợp lệ")
    return ShortAnswerKey(value=value, numeric=numeric, tolerance=tolerance)


def _short_answer(node: _Node, topic: str) -> Question:
    numerical = node.attrs.get("type") == "numerical"
    keys = [key for answer in node.all("answer") if (key := _short_key(answer, numerical))]
    if not keys:
        raise _Rejected("Câu trả lời ngắn không có đáp án đúng 100%")
    question = _base(node, QuestionType.SHORT_ANSWER, topic)
    question.answers = keys
    return question


def _essay(node: _Node, topic: str) -> Question:
    question = _base(node, QuestionType.ESSAY, topic)
    question.model_answer = _formatted(node.child("graderinfo"))
    return question


_BUILDERS = {
    "multichoice": _multichoice,
    "truefalse": _truefalse,
    "shortanswer": _short_answer,
    "numerical": _short_answer,
    "essay": _essay,
}


def _check_lengths(question: Question) -> None:
    texts = [question.stem, question.explanation, question.model_answer, question.name]
    texts += [part for option in question.options for part in (option.text, option.feedback)]
    texts += [key.value for key in question.answers]
    if reason := text_too_long(*texts):
        raise _Rejected(reason)


def _build(node: _Node, topic: str) -> Question:
    qtype = node.attrs.get("type", "")
    builder = _BUILDERS.get(qtype)
    if builder is None:
        raise _Rejected(_UNSUPPORTED.get(qtype, f"Loại câu hỏi '{qtype}' chưa được hỗ trợ"))
    question = builder(node, topic)
    _check_lengths(question)
    return question


def parse(data: bytes, *, filename: str = "") -> ImportReport:
    """Read a Moodle XML file. Bad questions become rejections; a hostile or broken file raises
    :class:`QuestionFileError`."""
    root = _read_tree(data, filename)
    report = ImportReport()
    topic = ""
    for node in root.all("question"):
        if node.attrs.get("type") == "category":
            topic = category_topic(node.inner_text("category"))
            continue
        try:
            report.questions.append(_build(node, topic))
        except _Rejected as rejected:
            name = html_to_plain(node.inner_text("name"))
            reason = f"Câu hỏi '{name}': {rejected}" if name else str(rejected)
            where = f"{file_label(filename)}, dòng {node.line}"
            report.rejected.append(Rejection(where=where, reason=reason))
        check_question_count(report.found, filename)
    return report


# ---------------------------------------------------------------------------------------------- writing


def _text(parent: Element, tag: str, html: str, **attrs: str) -> Element:
    element = SubElement(parent, tag, {"format": "html", **attrs})
    SubElement(element, "text").text = html
    return element


def _plain(parent: Element, tag: str, value: str) -> None:
    SubElement(parent, tag).text = value


def is_true_false(question: Question) -> bool:
    """Whether ``question`` is a plain true/false question (a single choice between Đúng and Sai)."""
    texts = [option.text for option in question.options]
    return (question.type is QuestionType.SINGLE_CHOICE and texts == [TRUE_TEXT, FALSE_TEXT]
            and all(option.fraction is None for option in question.options))


def _fraction_text(option: Option, question: Question) -> str:
    if option.fraction is not None:
        return format_number(option.fraction * 100)
    if not option.correct:
        return "0"
    if question.type is QuestionType.MULTIPLE_CHOICE:
        return format_number(100 / sum(other.correct for other in question.options))
    return "100"


def _answer(parent: Element, fraction: str, html: str, feedback: str = "") -> Element:
    answer = _text(parent, "answer", html, fraction=fraction)
    _text(answer, "feedback", feedback)
    return answer


def _numeric_text(key: ShortAnswerKey) -> str:
    if parse_number(key.value) == key.numeric and "," not in key.value:
        return key.value.strip()
    return format_number(key.numeric or 0.0)


def _write_body(element: Element, question: Question) -> None:
    if question.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        if is_true_false(question):
            for option, word in zip(question.options, ("true", "false"), strict=True):
                _answer(element, "100" if option.correct else "0", word, option.feedback)
            return
        _plain(element, "single", "true" if question.type is QuestionType.SINGLE_CHOICE else "false")
        _plain(element, "shuffleanswers", "true")
        _plain(element, "answernumbering", "ABCD")
        for option in question.options:
            _answer(element, _fraction_text(option, question), option.text, option.feedback)
    elif question.type is QuestionType.SHORT_ANSWER:
        numeric = all(key.numeric is not None for key in question.answers)
        if not numeric:
            _plain(element, "usecase", "0")
        for key in question.answers:
            answer = _answer(element, "100", _numeric_text(key) if numeric else key.value)
            if numeric:
                _plain(answer, "tolerance", format_number(key.tolerance))
    elif question.type is QuestionType.ESSAY:
        _plain(element, "responseformat", "editor")
        _text(element, "graderinfo", question.model_answer)


def _moodle_type(question: Question) -> str:
    if question.type is QuestionType.SHORT_ANSWER:
        return "numerical" if all(key.numeric is not None for key in question.answers) else "shortanswer"
    if question.type is QuestionType.ESSAY:
        return "essay"
    return "truefalse" if is_true_false(question) else "multichoice"


def _write_question(quiz: Element, question: Question) -> None:
    element = SubElement(quiz, "question", {"type": _moodle_type(question)})
    name = SubElement(element, "name")
    SubElement(name, "text").text = question.name
    stem = _text(element, "questiontext", question.stem)
    for image in question.images:
        file = SubElement(stem, "file", {"name": image.name, "encoding": "base64"})
        file.text = base64.b64encode(image.data).decode("ascii")
    _text(element, "generalfeedback", question.explanation)
    if question.points is not None:
        _plain(element, "defaultgrade", format_number(question.points))
    _write_body(element, question)
    _write_tags(element, question)


def _write_tags(element: Element, question: Question) -> None:
    values = {key: getattr(question, name) for key, name in TAG_FIELDS.items()}
    written = {key: format_number(value) if isinstance(value, float) else str(value)
               for key, value in values.items() if value not in (None, "")}
    if not written:
        return
    tags = SubElement(element, "tags")
    for key, value in written.items():
        SubElement(SubElement(tags, "tag"), "text").text = f"{TAG_PREFIX}{key}={value}"


def cluster_parts(question: Question) -> list[Question]:
    """A true/false cluster as one true/false question per statement, for formats with no such type."""
    parts = []
    for statement in question.statements:
        part = Question(type=QuestionType.SINGLE_CHOICE,
                        stem=f"{question.stem}\n<p>{statement.label}) {statement.text}</p>",
                        options=[Option(TRUE_TEXT, correct=statement.is_true),
                                 Option(FALSE_TEXT, correct=not statement.is_true)],
                        explanation=question.explanation, name=f"{question.name} {statement.label})".strip(),
                        topic=question.topic, images=question.images, subject=question.subject,
                        grade=question.grade, cognitive_level=question.cognitive_level,
                        difficulty=question.difficulty)
        parts.append(part)
    return parts


def expand_clusters(questions: Iterable[Question]) -> Iterator[Question]:
    """The questions with every true/false cluster replaced by its :func:`cluster_parts`."""
    for question in questions:
        if question.type is QuestionType.TRUE_FALSE_CLUSTER:
            yield from cluster_parts(question)
        else:
            yield question


def export(questions: Iterable[Question]) -> bytes:
    """Write questions as Moodle XML (UTF-8), with a category entry whenever the topic changes.

    Moodle has no type for the four-statement true/false cluster of the 2025 exam (part II), so a
    ``TRUE_FALSE_CLUSTER`` is written as four consecutive ``truefalse`` questions named ``"<name> a)"`` …
    ``"<name> d)"``, each with the shared stem followed by its statement. The grouping is lost: importing
    the file again gives four true/false questions, not one cluster.
    """
    quiz = Element("quiz")
    topic = ""
    for question in expand_clusters(questions):
        if question.topic != topic:
            category = SubElement(quiz, "question", {"type": "category"})
            _text(category, "category", f"$course$/top/{question.topic}").attrib.pop("format")
            topic = question.topic
        _write_question(quiz, question)
    indent(quiz)
    return tostring(quiz, encoding="utf-8", xml_declaration=True) + b"\n"
