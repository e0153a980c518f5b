"""IMS QTI 2.x import (single ``assessmentItem`` files and IMS content packages) and QTI 2.1 export.

Supported on import: ``choiceInteraction`` (single / multiple cardinality, ``mapping`` → option fractions,
``feedbackInline`` → option feedback), ``textEntryInteraction`` (string or numeric keys; accepted
answers from ``correctResponse``, full-credit ``mapping`` entries and the ``equal`` / ``stringMatch``
tests of the response processing; ``equal`` tolerances, relative ones turned absolute),
``extendedTextInteraction`` (essay; ``correctResponse`` → model answer), and the true/false cluster as a
``matchInteraction`` whose target set is exactly {TRUE, FALSE} (the shape :func:`export` writes).
Every other interaction, templated items and items with several interactions become a Rejection.
``modalFeedback`` with identifier ``SOLUTION`` (or titled "Lời giải") becomes the explanation. Numeric keys
come back with a decimal comma (``4,136``), the way numbers are shown to Vietnamese users.

Subject, grade, topic, cognitive level and difficulty travel in the manifest as LOM classifications whose
source is ``hoclieu:<field>``. XML goes through defusedxml: a DTD anywhere makes the whole file unusable.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser
from xml.etree import ElementTree as ET

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError
from defusedxml.ElementTree import fromstring as _defused_fromstring

from ingest.questions.archive import ArchiveLimits, SafeArchive, open_archive, resolve_href
from ingest.questions.html import clean_html
from ingest.questions.limits import (
    MAX_IMAGE_BYTES,
    MAX_IMAGES_PER_QUESTION,
    MAX_QUESTIONS,
    QuestionFileError,
    check_file_size,
    check_question_count,
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
    Statement,
)

log = logging.getLogger(__name__)

QTI21_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
IMSCP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
LOM_NS = "http://ltsc.ieee.org/xsd/LOM"
_QTI_NS_PREFIX = "http://www.imsglobal.org/xsd/imsqti_v2p"
_META_SOURCE = "hoclieu:"
_META_FIELDS = ("subject", "grade", "topic", "cognitive_level", "difficulty")
_SOLUTION_TITLES = {"lời giải", "hướng dẫn giải", "solution"}
_TRUE_IDS = {"true", "đúng", "dung", "đ"}
_FALSE_IDS = {"false", "sai", "s"}
_BLANK = "_____"
_SPACES = re.compile(r"\s+")
_VOID = {"br", "img", "hr", "col", "area", "wbr"}
_NOT_IN_STEM = {"feedbackInline", "feedbackBlock", "templateBlock", "templateInline", "rubricBlock",
                "printedVariable", "stylesheet", "prompt"}
_IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"),
                (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))

ImageLoader = Callable[[str], Image | None]


class _Reject(Exception):
    """One item cannot be imported; the message is Vietnamese and goes into a Rejection."""


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(elem: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in elem if _local(c.tag) == name]


def _descendants(elem: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in elem.iter() if _local(c.tag) == name]


def _parse_xml(data: bytes, what: str) -> ET.Element:
    """Parse untrusted XML; a DTD is a hostile file (QuestionFileError), bad syntax raises ``_Reject``."""
    try:
        return _defused_fromstring(data, forbid_dtd=True)
    except DefusedXmlException as exc:
        raise QuestionFileError(f"{what}: tệp XML chứa DOCTYPE/thực thể (entity), không được phép",
                                f"DTD or entity in {what}: {exc!r}") from exc
    except ParseError as exc:
        raise _Reject(f"XML không hợp lệ ({exc})") from exc


# --- HTML out of QTI XHTML ------------------------------------------------------------------------------

def _attrs(elem: ET.Element) -> str:
    parts = [f' {k}="{escape(v)}"' for k, v in elem.attrib.items() if not k.startswith("{")]
    return "".join(parts)


def _html(elem: ET.Element, replace: Callable[[ET.Element], str | None]) -> str:
    """Inner HTML of ``elem``: QTI namespace dropped, ``replace`` decides what an interaction becomes."""
    out = [_text_html(elem.text)]
    for child in elem:
        name = _local(child.tag)
        if not name:  # comment or processing instruction
            pass
        elif (replacement := replace(child)) is not None:
            out.append(replacement)
        elif name not in _NOT_IN_STEM:
            inner = "" if name in _VOID else _html(child, replace) + f"</{name}>"
            out.append(f"<{name}{_attrs(child)}>{inner}")
        out.append(_text_html(child.tail))
    return "".join(out)


def _text_html(text: str | None) -> str:
    """XML text as HTML text: escaped, source indentation collapsed to single spaces."""
    return escape(_SPACES.sub(" ", text or ""), quote=False)


def _plain_html(elem: ET.Element) -> str:
    return clean_html(_html(elem, lambda e: None).strip())


def _text(elem: ET.Element | None) -> str:
    return "".join(elem.itertext()).strip() if elem is not None else ""


# --- reading one item -----------------------------------------------------------------------------------

@dataclass
class _Response:
    cardinality: str
    base_type: str
    correct: list[str]
    mapping: dict[str, float]
    upper_bound: float | None


def _response(item: ET.Element, identifier: str) -> _Response:
    for decl in _children(item, "responseDeclaration"):
        if decl.get("identifier") == identifier:
            correct = [_text(v) for c in _children(decl, "correctResponse") for v in _children(c, "value")]
            mapping: dict[str, float] = {}
            upper = None
            for m in _children(decl, "mapping"):
                upper = _float(m.get("upperBound"))
                for entry in _children(m, "mapEntry"):
                    mapping[entry.get("mapKey", "")] = _float(entry.get("mappedValue")) or 0.0
            return _Response(decl.get("cardinality", "single"), decl.get("baseType", ""), correct, mapping,
                             upper)
    raise _Reject(f"thiếu khai báo đáp án (responseDeclaration) '{identifier}'")


def _float(text: str | None) -> float | None:
    return parse_number(text) if text else None


def _points(item: ET.Element) -> float | None:
    for decl in _children(item, "outcomeDeclaration"):
        if decl.get("identifier") == "MAXSCORE":
            return _float(_text(decl))
    for decl in _children(item, "outcomeDeclaration"):
        if decl.get("identifier") == "SCORE" and _float(decl.get("normalMaximum")):
            return _float(decl.get("normalMaximum"))
    return None


def _explanation(item: ET.Element) -> str:
    for fb in _children(item, "modalFeedback"):
        if fb.get("identifier") == "SOLUTION" or fb.get("title", "").strip().lower() in _SOLUTION_TITLES:
            return _plain_html(fb)
    return ""


def _interactions(body: ET.Element) -> list[ET.Element]:
    return [e for e in body.iter() if _local(e.tag).endswith("Interaction")]


def _stem(body: ET.Element, interaction: ET.Element) -> str:
    def replace(elem: ET.Element) -> str | None:
        if elem is not interaction:
            return None
        if _local(elem.tag) == "textEntryInteraction":
            return _BLANK
        prompt = _children(elem, "prompt")
        return f"<p>{_html(prompt[0], lambda e: None).strip()}</p>" if prompt else ""

    return clean_html(_html(_stem_root(body), replace).strip())


def _stem_root(body: ET.Element) -> ET.Element:
    """Our exporter puts the stem in ``<div class="stem">``; read it back without the wrapper."""
    wrapper = [c for c in body if _local(c.tag) == "div" and c.get("class") == "stem"]
    return wrapper[0] if len(wrapper) == 1 else body


def _choice_question(item: ET.Element, interaction: ET.Element, stem: str) -> Question:
    resp = _response(item, interaction.get("responseIdentifier", ""))
    positive = max([v for v in resp.mapping.values() if v > 0], default=0.0)
    scale = resp.upper_bound or sum(v for v in resp.mapping.values() if v > 0) or 1.0
    correct_ids = set(resp.correct) or {k for k, v in resp.mapping.items() if v > 0 and v == positive}
    options = []
    for choice in _children(interaction, "simpleChoice"):
        cid = choice.get("identifier", "")
        feedback = " ".join(_plain_html(f) for f in _descendants(choice, "feedbackInline"))
        fraction = max(-1.0, min(1.0, resp.mapping[cid] / scale)) if cid in resp.mapping else None
        options.append(Option(text=_plain_html(choice), correct=cid in correct_ids,
                              feedback=feedback, fraction=fraction))
    if len(options) < 2:
        raise _Reject("câu trắc nghiệm cần ít nhất hai phương án")
    n_correct = sum(o.correct for o in options)
    if n_correct == 0:
        raise _Reject("câu trắc nghiệm không có đáp án đúng (correctResponse)")
    single = resp.cardinality == "single"
    if single and n_correct > 1:
        raise _Reject("câu một lựa chọn nhưng khai báo nhiều đáp án đúng")
    qtype = QuestionType.SINGLE_CHOICE if single else QuestionType.MULTIPLE_CHOICE
    return Question(type=qtype, stem=stem, options=options)


def _rp_tests(item: ET.Element, identifier: str) -> list[tuple[str, float, str]]:
    """(value, tolerance, mode) of every ``equal``/``stringMatch``/``match`` against a constant."""
    found = []
    for rp in _children(item, "responseProcessing"):
        for test in rp.iter():
            if _local(test.tag) not in ("equal", "stringMatch", "match"):
                continue
            operands = list(test)
            if not any(_local(o.tag) == "variable" and o.get("identifier") == identifier for o in operands):
                continue
            tol = (test.get("tolerance") or "0").split()[0]
            mode = test.get("toleranceMode", "exact")
            for op in operands:
                if _local(op.tag) == "baseValue":
                    found.append((_text(op), _float(tol) or 0.0, mode))
                elif _local(op.tag) == "correct":
                    found.append(("", _float(tol) or 0.0, mode))
    return found


def _short_answer_question(item: ET.Element, interaction: ET.Element, stem: str) -> Question:
    identifier = interaction.get("responseIdentifier", "")
    resp = _response(item, identifier)
    numeric_type = resp.base_type in ("float", "integer")
    best = max(resp.mapping.values(), default=0.0)
    values = list(resp.correct) + [k for k, v in resp.mapping.items() if best > 0 and v == best]
    tests = _rp_tests(item, identifier)
    values += [v for v, _, _ in tests if v]
    answers: list[ShortAnswerKey] = []
    for value in dict.fromkeys(v for v in values if v):
        answers.append(_short_key(value, numeric_type, tests))
    if not answers:
        raise _Reject("câu trả lời ngắn không có đáp án (correctResponse)")
    return Question(type=QuestionType.SHORT_ANSWER, stem=stem, answers=answers)


def _short_key(value: str, numeric_type: bool, tests: list[tuple[str, float, str]]) -> ShortAnswerKey:
    numeric = _float(value)
    if not numeric_type or numeric is None:
        return ShortAnswerKey(value=value, numeric=numeric if numeric_type else _float(value))
    tolerance = 0.0
    for test_value, tol, mode in tests:
        if test_value in ("", value):
            tolerance = abs(numeric) * tol / 100 if mode == "relative" else tol
            if test_value == value:
                break
    return ShortAnswerKey(value=value.strip().replace(".", ","), numeric=numeric, tolerance=tolerance)


def _essay_question(item: ET.Element, interaction: ET.Element, stem: str) -> Question:
    resp = _response(item, interaction.get("responseIdentifier", ""))
    return Question(type=QuestionType.ESSAY, stem=stem, model_answer=clean_html("\n".join(resp.correct)))


def _true_false_question(item: ET.Element, interaction: ET.Element, stem: str) -> Question:
    sets = _children(interaction, "simpleMatchSet")
    if len(sets) != 2:
        raise _Reject("tương tác không được hỗ trợ: matchInteraction")
    targets = {c.get("identifier", "").lower(): c.get("identifier", "")
               for c in _children(sets[1], "simpleAssociableChoice")}
    true_id = next((v for k, v in targets.items() if k in _TRUE_IDS), None)
    false_id = next((v for k, v in targets.items() if k in _FALSE_IDS), None)
    if len(targets) != 2 or true_id is None or false_id is None:
        raise _Reject("tương tác không được hỗ trợ: matchInteraction (không phải dạng Đúng/Sai)")
    resp = _response(item, interaction.get("responseIdentifier", ""))
    pairs = dict(v.split(None, 1) for v in resp.correct if len(v.split()) == 2)
    statements = []
    for pos, choice in enumerate(_children(sets[0], "simpleAssociableChoice")):
        sid = choice.get("identifier", "")
        if sid not in pairs:
            raise _Reject(f"mệnh đề '{sid}' không có đáp án Đúng/Sai")
        label = sid if re.fullmatch(r"[a-z]", sid) else "abcdefgh"[min(pos, 7)]
        statements.append(Statement(label=label, text=_plain_html(choice), is_true=pairs[sid] == true_id))
    if len(statements) != 4:
        raise _Reject(f"câu Đúng/Sai cần đúng 4 mệnh đề a)–d), tệp có {len(statements)}")
    return Question(type=QuestionType.TRUE_FALSE_CLUSTER, stem=stem, statements=statements)


_BUILDERS = {
    "choiceInteraction": _choice_question,
    "textEntryInteraction": _short_answer_question,
    "extendedTextInteraction": _essay_question,
    "matchInteraction": _true_false_question,
}


def _item_question(item: ET.Element, load_image: ImageLoader | None) -> Question:
    if _local(item.tag) != "assessmentItem" or not (item.tag.startswith("{" + _QTI_NS_PREFIX)):
        raise _Reject("không phải câu hỏi QTI 2.x (assessmentItem)")
    if _children(item, "templateDeclaration"):
        raise _Reject("câu hỏi có biến mẫu (templateDeclaration), chưa được hỗ trợ")
    bodies = _children(item, "itemBody")
    interactions = _interactions(bodies[0]) if bodies else []
    if not interactions:
        raise _Reject("câu hỏi không có tương tác nào")
    names = sorted({_local(i.tag) for i in interactions})
    if len(interactions) > 1:
        raise _Reject(f"câu hỏi có nhiều tương tác ({', '.join(names)}), chưa được hỗ trợ")
    interaction = interactions[0]
    builder = _BUILDERS.get(_local(interaction.tag))
    if builder is None:
        raise _Reject(f"tương tác không được hỗ trợ: {_local(interaction.tag)}")
    question = builder(item, interaction, _stem(bodies[0], interaction))
    texts = [question.stem, *(o.text for o in question.options), *(s.text for s in question.statements)]
    if reason := text_too_long(*texts, question.model_answer):
        raise _Reject(reason)
    question.name = item.get("title", "")
    question.points = _points(item)
    question.explanation = _explanation(item)
    question.source_ref = f"item {item.get('identifier', '')}".strip()
    if load_image is not None:
        question.images = _images(bodies[0], load_image)
    return question


def _images(body: ET.Element, load_image: ImageLoader) -> list[Image]:
    refs = [e.get("src") for e in _descendants(body, "img")]
    refs += [e.get("data") for e in _descendants(body, "object")]
    images = []
    for ref in list(dict.fromkeys(r for r in refs if r))[:MAX_IMAGES_PER_QUESTION]:
        image = load_image(ref)
        if image is not None:
            images.append(image)
    return images


def _sniff_image(data: bytes) -> str | None:
    return next((mime for magic, mime in _IMAGE_MAGIC if data.startswith(magic)), None)


# --- single files and packages --------------------------------------------------------------------------

def parse(data: bytes, *, filename: str = "") -> ImportReport:
    """Import a QTI 2.x item (XML) or an IMS content package (ZIP)."""
    label = filename or "QTI"
    check_file_size(data, filename)
    if data.startswith(b"PK") or filename.lower().endswith(".zip"):
        return _parse_package(data, label)
    if not data.strip():
        raise QuestionFileError(f"{label}: tệp rỗng", "empty QTI file")
    try:
        root = _parse_xml(data, label)
    except _Reject as exc:
        raise QuestionFileError(f"{label}: {exc}", f"unparsable QTI XML: {exc}") from exc
    if _local(root.tag) == "assessmentTest":
        raise QuestionFileError(f"{label}: đây là đề (assessmentTest) chỉ tham chiếu câu hỏi; "
                                "hãy tải lên gói IMS (.zip) có imsmanifest.xml", "bare assessmentTest")
    if _local(root.tag) != "assessmentItem" or not root.tag.startswith("{" + _QTI_NS_PREFIX):
        raise QuestionFileError(f"{label}: không phải câu hỏi QTI 2.x (assessmentItem)",
                                f"root element {root.tag!r} is not a QTI 2.x assessmentItem")
    report = ImportReport()
    where = f"{label}, item {root.get('identifier', '')}".strip()
    try:
        report.questions.append(_item_question(root, None))
    except _Reject as exc:
        report.rejected.append(Rejection(where=where, reason=str(exc)))
    return report


def _find_manifest(archive: SafeArchive, label: str) -> str:
    if archive.has("imsmanifest.xml"):
        return "imsmanifest.xml"
    nested = [n for n in archive.names() if n.count("/") == 1 and n.endswith("/imsmanifest.xml")]
    if len(nested) == 1:  # the user zipped the package folder itself
        return nested[0]
    raise QuestionFileError(f"{label}: gói không có imsmanifest.xml ở thư mục gốc", "no imsmanifest.xml")


#: A content package holds one file per item (plus its images): as many entries as a bank may have
#: questions, twice over, and the manifest. Sizes and ratios keep the archive's default limits.
PACKAGE_LIMITS = ArchiveLimits(max_entries=2 * MAX_QUESTIONS + 100)


def _parse_package(data: bytes, label: str) -> ImportReport:
    archive = open_archive(data, filename=label, limits=PACKAGE_LIMITS)
    manifest_name = _find_manifest(archive, label)
    root_dir = posixpath.dirname(manifest_name)
    try:
        manifest = _parse_xml(archive.read(manifest_name), f"{label}/{manifest_name}")
    except _Reject as exc:
        raise QuestionFileError(f"{label}: imsmanifest.xml không hợp lệ: {exc}",
                                f"bad manifest: {exc}") from exc
    resources = [r for r in _descendants(manifest, "resource")
                 if r.get("type", "").startswith("imsqti_item_xmlv2")]
    if not resources:
        raise QuestionFileError(f"{label}: gói không chứa câu hỏi QTI (resource imsqti_item_xmlv2p*)",
                                "no QTI item resources in manifest")
    check_question_count(len(resources), label)
    report = ImportReport()
    for resource in resources:
        href = resource.get("href", "")
        where = f"{label}, {href or resource.get('identifier', '')}"
        try:
            question = _package_item(archive, root_dir, href, label)
        except _Reject as exc:
            report.rejected.append(Rejection(where=where, reason=str(exc)))
            continue
        _apply_metadata(question, resource)
        report.questions.append(question)
    return report


def _package_item(archive: SafeArchive, root_dir: str, href: str, label: str) -> Question:
    path = resolve_href(root_dir, href, filename=label)
    if not archive.has(path):
        raise _Reject(f"tệp câu hỏi '{href}' khai báo trong imsmanifest.xml không có trong gói")
    item = _parse_xml(archive.read(path), f"{label}/{path}")
    item_dir = posixpath.dirname(path)

    def load_image(ref: str) -> Image | None:
        try:
            target = resolve_href(item_dir, ref, filename=label)
        except QuestionFileError:
            raise _Reject(f"ảnh '{ref}' trỏ ra ngoài gói") from None
        if not archive.has(target) or archive.size(target) > MAX_IMAGE_BYTES:
            return None
        blob = archive.read(target)
        mime = _sniff_image(blob)
        return Image(name=ref, content_type=mime, data=blob) if mime else None

    return _item_question(item, load_image)


def _apply_metadata(question: Question, resource: ET.Element) -> None:
    for path in _descendants(resource, "taxonPath"):
        source = _text(next(iter(_descendants(path, "source")), None))
        if not source.startswith(_META_SOURCE):
            continue
        field_name = source.removeprefix(_META_SOURCE)
        value = _text(next(iter(_descendants(path, "entry")), None))
        if field_name in ("grade",):
            question.grade = int(value) if value.isdigit() else None
        elif field_name == "difficulty":
            question.difficulty = _float(value)
        elif field_name in _META_FIELDS:
            setattr(question, field_name, value)


# --- export ---------------------------------------------------------------------------------------------

class _XhtmlBuilder(HTMLParser):
    """Sanitised HTML as QTI-namespaced elements under ``parent`` (the HTML need not be well-formed XML)."""

    def __init__(self, parent: ET.Element) -> None:
        super().__init__(convert_charrefs=True)
        self.stack = [parent]
        self.last: ET.Element | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        elem = ET.SubElement(self.stack[-1], _q(tag), {k: v or "" for k, v in attrs})
        self.last = elem
        if tag not in _VOID:
            self.stack.append(elem)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.last = ET.SubElement(self.stack[-1], _q(tag), {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == _q(tag):
                self.last = self.stack[depth]
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        parent = self.stack[-1]
        if len(parent) and self.last is not None and self.last is parent[-1]:
            self.last.tail = (self.last.tail or "") + data
        else:
            parent.text = (parent.text or "") + data


def _q(name: str) -> str:
    """Export tree tags stay unqualified; the root carries ``xmlns`` (ElementTree's default_namespace
    option cannot serialise unqualified attributes)."""
    return name


def _add_html(parent: ET.Element, html: str) -> ET.Element:
    builder = _XhtmlBuilder(parent)
    builder.feed(html)
    builder.close()
    return parent


def _sub(parent: ET.Element, name: str, text: str | None = None, **attrs: str) -> ET.Element:
    elem = ET.SubElement(parent, _q(name), attrs)
    if text is not None:
        elem.text = text
    return elem


def _declare(item: ET.Element, identifier: str, cardinality: str, base_type: str,
             values: Iterable[str] = ()) -> ET.Element:
    decl = _sub(item, "responseDeclaration", identifier=identifier, cardinality=cardinality,
                baseType=base_type)
    values = list(values)
    if values:
        correct = _sub(decl, "correctResponse")
        for value in values:
            _sub(correct, "value", value)
    return decl


def _number(key: ShortAnswerKey) -> str:
    as_written = _float(key.value)
    return format_number(as_written if as_written is not None else key.numeric or 0.0)


def _export_choice(item: ET.Element, body: ET.Element, q: Question) -> ET.Element:
    ids = [f"C{i + 1}" for i in range(len(q.options))]
    single = q.type == QuestionType.SINGLE_CHOICE
    decl = _declare(item, "RESPONSE", "single" if single else "multiple", "identifier",
                    [cid for cid, o in zip(ids, q.options, strict=True) if o.correct])
    if any(o.fraction is not None for o in q.options):
        mapping = _sub(decl, "mapping", lowerBound="0", upperBound="1", defaultValue="0")
        for cid, option in zip(ids, q.options, strict=True):
            if option.fraction is not None:
                _sub(mapping, "mapEntry", mapKey=cid, mappedValue=repr(option.fraction))
    interaction = _sub(body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="false",
                       maxChoices="1" if single else "0")
    for cid, option in zip(ids, q.options, strict=True):
        choice = _add_html(_sub(interaction, "simpleChoice", identifier=cid, fixed="false"), option.text)
        if option.feedback:
            _add_html(_sub(choice, "feedbackInline", outcomeIdentifier="FEEDBACK", identifier=cid,
                           showHide="show"), option.feedback)
    return decl


def _export_true_false(item: ET.Element, body: ET.Element, q: Question) -> ET.Element:
    decl = _declare(item, "RESPONSE", "multiple", "directedPair",
                    [f"{s.label} {'TRUE' if s.is_true else 'FALSE'}" for s in q.statements])
    interaction = _sub(body, "matchInteraction", responseIdentifier="RESPONSE", shuffle="false",
                       maxAssociations=str(len(q.statements)))
    sources = _sub(interaction, "simpleMatchSet")
    for statement in q.statements:
        _add_html(_sub(sources, "simpleAssociableChoice", identifier=statement.label, matchMax="1"),
                  statement.text)
    targets = _sub(interaction, "simpleMatchSet")
    for identifier, text in (("TRUE", "Đúng"), ("FALSE", "Sai")):
        _sub(targets, "simpleAssociableChoice", text, identifier=identifier, matchMax=str(len(q.statements)))
    return decl


def _export_short(item: ET.Element, body: ET.Element, q: Question) -> ET.Element:
    numeric = bool(q.answers) and all(a.numeric is not None for a in q.answers)
    first = q.answers[0] if q.answers else ShortAnswerKey(value="")
    decl = _declare(item, "RESPONSE", "single", "float" if numeric else "string",
                    [_number(first) if numeric else first.value])
    _sub(_sub(body, "p"), "textEntryInteraction", responseIdentifier="RESPONSE", expectedLength="20")
    return decl


def _export_essay(item: ET.Element, body: ET.Element, q: Question) -> ET.Element:
    decl = _declare(item, "RESPONSE", "single", "string", [q.model_answer] if q.model_answer else [])
    _sub(body, "extendedTextInteraction", responseIdentifier="RESPONSE")
    return decl


_EXPORTERS = {
    QuestionType.SINGLE_CHOICE: _export_choice,
    QuestionType.MULTIPLE_CHOICE: _export_choice,
    QuestionType.TRUE_FALSE_CLUSTER: _export_true_false,
    QuestionType.SHORT_ANSWER: _export_short,
    QuestionType.ESSAY: _export_essay,
}


def _score_rule(q: Question) -> ET.Element:
    """The test that decides full credit: the key(s) for short answers, the correct response otherwise."""
    if q.type != QuestionType.SHORT_ANSWER:
        match = ET.Element(_q("match"))
        _sub(match, "variable", identifier="RESPONSE")
        _sub(match, "correct", identifier="RESPONSE")
        return match
    numeric = all(a.numeric is not None for a in q.answers)
    any_of = ET.Element(_q("or"))
    for key in q.answers:
        if numeric:
            test = _sub(any_of, "equal", toleranceMode="absolute" if key.tolerance else "exact")
            if key.tolerance:
                test.set("tolerance", repr(key.tolerance))
            _sub(test, "variable", identifier="RESPONSE")
            _sub(test, "baseValue", _number(key), baseType="float")
        else:
            test = _sub(any_of, "stringMatch", caseSensitive="false")
            _sub(test, "variable", identifier="RESPONSE")
            _sub(test, "baseValue", key.value, baseType="string")
    return any_of


def _response_processing(item: ET.Element, q: Question, decl: ET.Element) -> None:
    rp = _sub(item, "responseProcessing")
    if q.points is None:
        max_score = ET.Element(_q("baseValue"), baseType="float")
        max_score.text = "1"
    else:
        max_score = ET.Element(_q("variable"), identifier="MAXSCORE")
    if q.type != QuestionType.ESSAY and (q.answers or q.type != QuestionType.SHORT_ANSWER):
        condition = _sub(rp, "responseCondition")
        if_ = _sub(condition, "responseIf")
        if _children(decl, "mapping"):
            _sub(_sub(_sub(if_, "not"), "isNull"), "variable", identifier="RESPONSE")
            product = _sub(_sub(if_, "setOutcomeValue", identifier="SCORE"), "product")
            _sub(product, "mapResponse", identifier="RESPONSE")
            product.append(max_score)
        else:
            if_.append(_score_rule(q))
            _sub(if_, "setOutcomeValue", identifier="SCORE").append(max_score)
    feedback = _sub(_sub(rp, "setOutcomeValue", identifier="FEEDBACK"), "multiple")
    if q.type in (QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE):
        _sub(feedback, "variable", identifier="RESPONSE")
    _sub(feedback, "baseValue", "SOLUTION", baseType="identifier")


def _item_xml(q: Question, identifier: str, number: int) -> bytes:
    item = ET.Element(_q("assessmentItem"), identifier=identifier, title=q.name or f"Câu {number}",
                      adaptive="false", timeDependent="false")
    body = ET.Element(_q("itemBody"))
    _add_html(_sub(body, "div", **{"class": "stem"}), q.stem)
    decl = _EXPORTERS[q.type](item, body, q)
    score = _sub(item, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float")
    if q.type == QuestionType.ESSAY:
        score.set("externalScored", "human")
    if q.points is not None:
        max_decl = _sub(item, "outcomeDeclaration", identifier="MAXSCORE", cardinality="single",
                        baseType="float")
        _sub(_sub(max_decl, "defaultValue"), "value", format_number(q.points))
    _sub(item, "outcomeDeclaration", identifier="FEEDBACK", cardinality="multiple", baseType="identifier")
    item.append(body)
    _response_processing(item, q, decl)
    if q.explanation:
        _add_html(_sub(item, "modalFeedback", outcomeIdentifier="FEEDBACK", identifier="SOLUTION",
                       showHide="show", title="Lời giải"), q.explanation)
    item.set("xmlns", QTI21_NS)
    return ET.tostring(item, encoding="utf-8", xml_declaration=True)


def _safe_image_name(name: str) -> str | None:
    try:
        path = resolve_href("", name)
    except QuestionFileError:
        return None
    return path or None


def _manifest(resources: list[tuple[str, str, Question, list[str]]]) -> bytes:
    manifest = ET.Element("manifest", {"xmlns": IMSCP_NS, "xmlns:imsmd": LOM_NS,
                                       "identifier": "MANIFEST-hoclieu"})
    meta = ET.SubElement(manifest, "metadata")
    ET.SubElement(meta, "schema").text = "QTIv2.1 Package"
    ET.SubElement(meta, "schemaversion").text = "1.0.0"
    ET.SubElement(manifest, "organizations")
    res_parent = ET.SubElement(manifest, "resources")
    for identifier, href, question, files in resources:
        res = ET.SubElement(res_parent, "resource", identifier=identifier, type="imsqti_item_xmlv2p1",
                            href=href)
        _lom(ET.SubElement(res, "metadata"), question)
        for file_href in [href, *files]:
            ET.SubElement(res, "file", href=file_href)
    return ET.tostring(manifest, encoding="utf-8", xml_declaration=True)


def _lom(parent: ET.Element, q: Question) -> None:
    md = "imsmd:"
    values = {"subject": q.subject, "grade": "" if q.grade is None else str(q.grade), "topic": q.topic,
              "cognitive_level": q.cognitive_level,
              "difficulty": "" if q.difficulty is None else repr(q.difficulty)}
    present = {k: v for k, v in values.items() if v}
    if not present:
        return
    classification = ET.SubElement(ET.SubElement(parent, f"{md}lom"), f"{md}classification")
    for key, value in present.items():
        path = ET.SubElement(classification, f"{md}taxonPath")
        ET.SubElement(ET.SubElement(path, f"{md}source"), f"{md}string").text = _META_SOURCE + key
        entry = ET.SubElement(ET.SubElement(path, f"{md}taxon"), f"{md}entry")
        ET.SubElement(entry, f"{md}string").text = value


def _write(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    zf.writestr(info, data)


def export(questions: Iterable[Question]) -> bytes:
    """Write an IMS content package (QTI 2.1): imsmanifest.xml plus ``items/Q0001/qti.xml`` per question."""
    buffer = io.BytesIO()
    resources = []
    with zipfile.ZipFile(buffer, "w") as zf:
        for number, question in enumerate(questions, start=1):
            identifier = f"Q{number:04d}"
            folder = f"items/{identifier}"
            files = []
            for image in question.images:
                name = _safe_image_name(image.name)
                if name is None:
                    log.warning("QTI export: image name %r skipped (not a safe relative path)", image.name)
                    continue
                _write(zf, f"{folder}/{name}", image.data)
                files.append(f"{folder}/{name}")
            _write(zf, f"{folder}/qti.xml", _item_xml(question, identifier, number))
            resources.append((identifier, f"{folder}/qti.xml", question, files))
        _write(zf, "imsmanifest.xml", _manifest(resources))
    return buffer.getvalue()
