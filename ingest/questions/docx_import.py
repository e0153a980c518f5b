"""Import question banks from DOCX files in the layout Vietnamese teachers use.

Recognised, paragraph by paragraph in document order:

* part headers ``PHẦN I`` / ``PHẦN II`` / ``PHẦN III`` (single choice / true-false cluster / short answer;
  ``PHẦN IV`` or ``TỰ LUẬN`` → essay); without headers the type is inferred from what a question holds;
* stems ``Câu 1.``, ``Câu 1:``, ``Câu 1 (0,25 điểm):`` (the points are kept);
* options ``A.`` … ``D.``, several on one line when separated by tabs or spaces; the key is the option whose
  letter or whole text is underlined, bold or red (a style that every option carries is ignored);
* statements ``a)`` … ``d)``; marked statements are true, or the key comes from the answer table;
* ``Đáp án: -1,5`` inside a question (short answer);
* ``Lời giải`` / ``Hướng dẫn giải`` → explanation (model answer for essays);
* an ``ĐÁP ÁN`` heading followed by tables ``Câu | Đáp án`` (vertical or horizontal; ``A``, ``ĐSĐS`` /
  ``a) Đ b) S …``, or a number), per part when the answer section has its own ``PHẦN`` headers;
* Word equations (OMML ``m:oMath``) become LaTeX between ``\\(`` … ``\\)`` (see :func:`omml_to_latex`).

Not covered: questions laid out inside tables, images in the document, numbered lists made with Word's
automatic numbering (the "Câu 1." text must be typed). A DOCX without any question is unusable as a
whole: :class:`QuestionFileError`, not an empty report.
"""

from __future__ import annotations

import io
import itertools
import logging
import re
from dataclasses import dataclass, field

import docx
import docx.document
import docx.table
from docx.opc.exceptions import PackageNotFoundError
from lxml import etree

from ingest.questions.archive import open_ooxml
from ingest.questions.html import plain_to_html
from ingest.questions.limits import (
    QuestionFileError,
    check_file_size,
    check_question_count,
    file_label,
    parse_number,
    text_too_long,
)
from ingest.questions.model import (
    ImportReport,
    Option,
    Question,
    QuestionType,
    Rejection,
    ShortAnswerKey,
    Statement,
)

log = logging.getLogger(__name__)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
M = "http://schemas.openxmlformats.org/officeDocument/2006/math"
_w = f"{{{W}}}"
_m = f"{{{M}}}"

_PART = re.compile(r"^\s*PHẦN\s+(IV|III|II|I|[1-4])\b", re.IGNORECASE)
_ESSAY_HEADER = re.compile(r"^\s*(?:PHẦN\s+)?TỰ\s+LUẬN\b", re.IGNORECASE)
_QUESTION = re.compile(r"^\s*Câu\s+(\d+)\s*(?:\(([^)]*)\))?\s*[.:]?\s*", re.IGNORECASE)
_OPTION = re.compile(r"(?:(?<=\s)|^)([A-D])\s*\.\s*")
_STATEMENT = re.compile(r"^\s*([a-d])\)\s*")
_KEY_LINE = re.compile(r"^\s*(?:Đáp\s+án|Đáp\s+số)\s*[:：]\s*(.+)$", re.IGNORECASE)
_SOLUTION = re.compile(r"^\s*(?:Lời\s+giải|Hướng\s+dẫn\s+giải|Hướng\s+dẫn)\s*(?:chi\s+tiết)?\s*[.:]?\s*",
                       re.IGNORECASE)
_ANSWER_HEADING = re.compile(r"^\s*(?:BẢNG\s+)?ĐÁP\s+ÁN(?:\s+VÀ\s+HƯỚNG\s+DẪN\s+(?:GIẢI|CHẤM))?\s*[.:]?\s*$",
                             re.IGNORECASE)
_TF_PAIR = re.compile(r"([a-d])\s*[).:\-]?\s*(Đ|S|Đúng|Sai)\b", re.IGNORECASE)
_TF_LETTERS = re.compile(r"^[ĐđSs](?:[\s,;-]*[ĐđSs]){3}$")
_PART_TYPES = {"I": QuestionType.SINGLE_CHOICE, "1": QuestionType.SINGLE_CHOICE,
               "II": QuestionType.TRUE_FALSE_CLUSTER, "2": QuestionType.TRUE_FALSE_CLUSTER,
               "III": QuestionType.SHORT_ANSWER, "3": QuestionType.SHORT_ANSWER,
               "IV": QuestionType.ESSAY, "4": QuestionType.ESSAY}
_MARKS = ("underline", "bold", "red")


# --- runs and marks -------------------------------------------------------------------------------------

@dataclass
class _Segment:
    text: str
    marks: frozenset[str] = frozenset()


@dataclass
class _Paragraph:
    number: int                      # 1-based, paragraphs only, for "đoạn N"
    segments: list[_Segment]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.segments)

    def marks_over(self, start: int, end: int) -> set[str]:
        """Marks carried by every non-blank character of ``text[start:end]``."""
        common: set[str] | None = None
        pos = 0
        for seg in self.segments:
            seg_start, pos = pos, pos + len(seg.text)
            overlap = seg.text[max(start - seg_start, 0):max(end - seg_start, 0)]
            if overlap.strip():
                common = set(seg.marks) if common is None else common & seg.marks
        return common or set()


def _is_red(color: str | None) -> bool:
    if not color or not re.fullmatch(r"[0-9A-Fa-f]{6}", color):
        return color is not None and color.lower() == "red"
    r, g, b = (int(color[i:i + 2], 16) for i in (0, 2, 4))
    return r >= 0xB0 and g <= 0x50 and b <= 0x50


def _run_marks(run: etree._Element) -> frozenset[str]:
    props = run.find(f"{_w}rPr")
    if props is None:
        return frozenset()
    marks = set()
    underline = props.find(f"{_w}u")
    if underline is not None and underline.get(f"{_w}val", "single") != "none":
        marks.add("underline")
    bold = props.find(f"{_w}b")
    if bold is not None and bold.get(f"{_w}val", "true") not in ("0", "false", "off"):
        marks.add("bold")
    color = props.find(f"{_w}color")
    if color is not None and _is_red(color.get(f"{_w}val")):
        marks.add("red")
    return frozenset(marks)


def _run_text(run: etree._Element) -> str:
    parts = []
    for child in run:
        if child.tag == f"{_w}t":
            parts.append(child.text or "")
        elif child.tag == f"{_w}tab":
            parts.append("\t")
        elif child.tag in (f"{_w}br", f"{_w}cr"):
            parts.append("\n")
    return "".join(parts)


def _segments(container: etree._Element) -> list[_Segment]:
    """Runs of a paragraph (and of hyperlinks, insertions, smart tags inside it) plus equations."""
    out: list[_Segment] = []
    for child in container:
        if child.tag == f"{_w}r":
            out.append(_Segment(_run_text(child), _run_marks(child)))
        elif child.tag in (f"{_m}oMath", f"{_m}oMathPara"):
            out.append(_Segment(f"\\({omml_to_latex(child)}\\)"))
        elif child.tag in (f"{_w}hyperlink", f"{_w}ins", f"{_w}smartTag", f"{_w}sdt", f"{_w}sdtContent",
                           f"{_w}fldSimple"):
            out.extend(_segments(child))
    return out


# --- OMML → LaTeX ---------------------------------------------------------------------------------------

_SYMBOLS = {"≤": r"\le ", "≥": r"\ge ", "≠": r"\ne ", "×": r"\times ", "·": r"\cdot ", "±": r"\pm ",
            "∞": r"\infty ", "π": r"\pi ", "α": r"\alpha ", "β": r"\beta ", "Δ": r"\Delta ", "∈": r"\in ",
            "→": r"\to ", "°": r"^\circ ", "≈": r"\approx ", "∑": r"\sum", "∫": r"\int", "∏": r"\prod"}


def _arg(elem: etree._Element, name: str) -> str:
    child = elem.find(f"{_m}{name}")
    return omml_to_latex(child) if child is not None else ""


def _prop(elem: etree._Element, props: str, name: str, default: str) -> str:
    node = elem.find(f"{_m}{props}/{_m}{name}")
    return default if node is None else node.get(f"{_m}val", default)


def _math_node(node: etree._Element) -> str:
    tag = etree.QName(node).localname if isinstance(node.tag, str) else ""
    if tag == "r":
        text = "".join(t.text or "" for t in node.iter(f"{_m}t", f"{_w}t"))
        return "".join(_SYMBOLS.get(ch, ch) for ch in text)
    if tag == "f":
        return f"\\frac{{{_arg(node, 'num')}}}{{{_arg(node, 'den')}}}"
    if tag == "sSup":
        return f"{{{_arg(node, 'e')}}}^{{{_arg(node, 'sup')}}}"
    if tag == "sSub":
        return f"{{{_arg(node, 'e')}}}_{{{_arg(node, 'sub')}}}"
    if tag == "sSubSup":
        return f"{{{_arg(node, 'e')}}}_{{{_arg(node, 'sub')}}}^{{{_arg(node, 'sup')}}}"
    if tag == "rad":
        degree = _arg(node, "deg")
        hidden = _prop(node, "radPr", "degHide", "0") in ("1", "on", "true")
        radicand = _arg(node, "e")
        return f"\\sqrt[{degree}]{{{radicand}}}" if degree and not hidden else f"\\sqrt{{{radicand}}}"
    if tag == "d":
        begin, end = _prop(node, "dPr", "begChr", "("), _prop(node, "dPr", "endChr", ")")
        separator = _prop(node, "dPr", "sepChr", "|")
        inner = separator.join(omml_to_latex(e) for e in node.findall(f"{_m}e"))
        return f"\\left{_delimiter(begin)}{inner}\\right{_delimiter(end)}"
    if tag == "nary":
        operator = _SYMBOLS.get(_prop(node, "naryPr", "chr", "∫"), _prop(node, "naryPr", "chr", "∫"))
        lower, upper = _arg(node, "sub"), _arg(node, "sup")
        limits = (f"_{{{lower}}}" if lower else "") + (f"^{{{upper}}}" if upper else "")
        return f"{operator}{limits}{{{_arg(node, 'e')}}}"
    if tag.endswith("Pr"):
        return ""
    return omml_to_latex(node)


def _delimiter(char: str) -> str:
    return {"": ".", "{": r"\{", "}": r"\}", "|": "|"}.get(char, char)


def omml_to_latex(elem: etree._Element) -> str:
    """Convert an Office Math (OMML) element to LaTeX, without the ``\\(`` ``\\)`` delimiters.

    Covers plain runs (with a few symbols mapped to commands), fractions, superscripts, subscripts, both,
    radicals (with degree), delimiters and n-ary operators (∑, ∫ with limits). Not covered — their text is
    kept but their structure is lost: matrices, equation arrays, accents and bars, group characters,
    lower/upper limits (``lim``), boxes, and function names (``sin`` stays italic letters).
    """
    return "".join(_math_node(child) for child in elem).strip()


# --- the document as a list of blocks -------------------------------------------------------------------

@dataclass
class _Table:
    rows: list[list[str]]


def _blocks(document: docx.document.Document) -> list[_Paragraph | _Table]:
    blocks: list[_Paragraph | _Table] = []
    number = 0
    for child in document.element.body.iterchildren():
        if child.tag == f"{_w}p":
            number += 1
            blocks.append(_Paragraph(number, _segments(child)))
        elif child.tag == f"{_w}tbl":
            table = docx.table.Table(child, document)
            blocks.append(_Table([[cell.text.strip() for cell in row.cells] for row in table.rows]))
    return blocks


# --- questions being read -------------------------------------------------------------------------------

@dataclass
class _Draft:
    number: int
    part: str | None
    paragraph: int
    points: float | None
    stem: list[str] = field(default_factory=list)
    options: list[tuple[str, str, set[str]]] = field(default_factory=list)      # letter, text, marks
    statements: list[tuple[str, str, set[str]]] = field(default_factory=list)   # label, text, marks
    key_line: str = ""
    explanation: list[str] = field(default_factory=list)
    in_solution: bool = False


def _split_options(paragraph: _Paragraph, already: int) -> list[tuple[str, str, set[str]]]:
    """``A. x<TAB>B. y`` → [(A, x, marks), (B, y, marks)]; a letter must open the line or follow a blank.

    Letters must continue the question's sequence (``already`` options so far), so "Vitamin C." inside
    option A stays text.
    """
    text = paragraph.text
    starts: list[re.Match[str]] = []
    for match in _OPTION.finditer(text):
        expected = "ABCD"[(already + len(starts)) % 4]
        if match.group(1) == expected and (starts or not text[:match.start()].strip()):
            starts.append(match)
    if not starts:
        return []
    options = []
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        body = text[match.end():end].strip()
        marks = paragraph.marks_over(match.start(1), match.start(1) + 1)
        marks |= paragraph.marks_over(match.end(), end)
        options.append((match.group(1), body, marks))
    return options


def _marked(items: list[tuple[str, str, set[str]]]) -> list[bool]:
    """Which items carry a key mark; a mark that every item carries is layout, not a key."""
    usable = [m for m in _MARKS if not all(m in marks for _, _, marks in items)]
    return [any(m in marks for m in usable) for _, _, marks in items]


# --- answer tables --------------------------------------------------------------------------------------

def _norm(cell: str) -> str:
    return re.sub(r"\s+", " ", cell).strip().lower()


def _table_keys(rows: list[list[str]]) -> dict[int, str]:
    keys: dict[int, str] = {}
    if not rows:
        return keys
    header = [_norm(c) for c in rows[0]]
    if len(header) >= 2 and header[0].startswith("câu") and header[1].startswith("đáp án"):
        for row in rows[1:]:  # vertical: Câu | Đáp án
            if len(row) >= 2 and row[0].strip().isdigit():
                keys[int(row[0].strip())] = row[1].strip()
        return keys
    for upper, lower in itertools.pairwise(rows):  # horizontal: Câu row over Đáp án row
        if _norm(upper[0]).startswith("câu") and _norm(lower[0]).startswith("đáp án"):
            for number, key in zip(upper[1:], lower[1:], strict=False):
                if number.strip().isdigit():
                    keys[int(number.strip())] = key.strip()
    return keys


def parse_true_false_key(text: str) -> dict[str, bool] | None:
    """``a) Đ, b) S, …`` / ``a-Đ b-S`` / ``ĐSĐS`` → {label: is_true}; None when it is not such a key."""
    pairs = _TF_PAIR.findall(text)
    if pairs:
        return {label.lower(): value.lower() in ("đ", "đúng") for label, value in pairs}
    compact = text.strip()
    if _TF_LETTERS.fullmatch(compact):
        letters = [c for c in compact if c.lower() in ("đ", "s")]
        return {label: c.lower() == "đ" for label, c in zip("abcd", letters, strict=True)}
    return None


# --- building questions ---------------------------------------------------------------------------------

class _Reject(Exception):
    pass


def _infer_type(draft: _Draft, table_key: str | None) -> QuestionType:
    if draft.part in _PART_TYPES:
        return _PART_TYPES[draft.part]
    if draft.options:
        return QuestionType.SINGLE_CHOICE
    if draft.statements:
        return QuestionType.TRUE_FALSE_CLUSTER
    if draft.key_line or (table_key and parse_number(table_key) is not None):
        return QuestionType.SHORT_ANSWER
    return QuestionType.ESSAY


def _build(draft: _Draft, table_key: str | None) -> Question:
    qtype = _infer_type(draft, table_key)
    stem = plain_to_html("\n".join(draft.stem))
    if not stem:
        raise _Reject("câu hỏi không có nội dung")
    question = Question(type=qtype, stem=stem, points=draft.points, name=f"Câu {draft.number}",
                        explanation=plain_to_html("\n".join(draft.explanation)))
    if qtype == QuestionType.SINGLE_CHOICE:
        question.options = _choice_options(draft, table_key)
    elif qtype == QuestionType.TRUE_FALSE_CLUSTER:
        question.statements = _statements(draft, table_key)
    elif qtype == QuestionType.SHORT_ANSWER:
        question.answers = [_short_key(draft.key_line or table_key or "")]
    else:
        question.model_answer, question.explanation = question.explanation, ""
    texts = [question.stem, question.explanation, *(o.text for o in question.options),
             *(s.text for s in question.statements)]
    if reason := text_too_long(*texts):
        raise _Reject(reason)
    return question


def _choice_options(draft: _Draft, table_key: str | None) -> list[Option]:
    if len(draft.options) < 2:
        raise _Reject("câu trắc nghiệm cần các phương án A., B., C., D.")
    marked = _marked(draft.options)
    letters = [letter for (letter, _, _), m in zip(draft.options, marked, strict=True) if m]
    table = (table_key or "").strip().upper()
    if len(letters) > 1:
        raise _Reject(f"có {len(letters)} đáp án được đánh dấu ({', '.join(letters)}); cần đúng một")
    if letters and table and table != letters[0]:
        raise _Reject(f"đáp án đánh dấu ({letters[0]}) khác bảng đáp án ({table})")
    key = letters[0] if letters else table
    if key not in {letter for letter, _, _ in draft.options}:
        raise _Reject("không có đáp án: hãy gạch chân/tô đậm/tô đỏ phương án đúng hoặc thêm bảng ĐÁP ÁN")
    return [Option(text=plain_to_html(text), correct=letter == key) for letter, text, _ in draft.options]


def _statements(draft: _Draft, table_key: str | None) -> list[Statement]:
    if len(draft.statements) != 4:
        raise _Reject(f"câu Đúng/Sai cần đúng 4 mệnh đề a) – d), ở đây có {len(draft.statements)}")
    marked = _marked(draft.statements) if any(marks for _, _, marks in draft.statements) else None
    table = parse_true_false_key(table_key) if table_key else None
    if marked is None or not any(marked):
        if table is None or set(table) != {"a", "b", "c", "d"}:
            raise _Reject("không có đáp án Đúng/Sai cho các mệnh đề a) – d)")
        truth = [table[label] for label, _, _ in draft.statements]
    else:
        truth = marked
    return [Statement(label=label, text=plain_to_html(text), is_true=value)
            for (label, text, _), value in zip(draft.statements, truth, strict=True)]


def _short_key(text: str) -> ShortAnswerKey:
    value = text.strip().rstrip(".")
    if not value:
        raise _Reject("câu trả lời ngắn không có đáp án (\"Đáp án: …\" hoặc bảng ĐÁP ÁN)")
    return ShortAnswerKey(value=value, numeric=parse_number(value))


# --- the reader -----------------------------------------------------------------------------------------

@dataclass
class _Reader:
    drafts: list[_Draft] = field(default_factory=list)
    keys: dict[tuple[str | None, int], str] = field(default_factory=dict)
    part: str | None = None
    in_answers: bool = False
    answer_part: str | None = None

    @property
    def current(self) -> _Draft | None:
        return self.drafts[-1] if self.drafts and not self.in_answers else None

    def feed(self, block: _Paragraph | _Table) -> None:
        if isinstance(block, _Table):
            if self.in_answers:
                for number, key in _table_keys(block.rows).items():
                    self.keys[(self.answer_part, number)] = key
            return
        text = block.text.strip()
        if not text:
            return
        if self._header(text):
            return
        if self.in_answers:
            return
        self._paragraph(block, text)

    def _header(self, text: str) -> bool:
        if _ANSWER_HEADING.match(text):
            self.in_answers, self.answer_part = True, None
            return True
        part = _PART.match(text)
        if part or _ESSAY_HEADER.match(text):
            code = part.group(1).upper() if part else "IV"
            if self.in_answers:
                self.answer_part = code
            else:
                self.part = code
            return True
        return False

    def _paragraph(self, paragraph: _Paragraph, text: str) -> None:
        if match := _QUESTION.match(paragraph.text):
            points = _points(match.group(2))
            self.drafts.append(_Draft(int(match.group(1)), self.part, paragraph.number, points))
            rest = paragraph.text[match.end():].strip()
            if rest:
                self.drafts[-1].stem.append(rest)
            return
        draft = self.current
        if draft is None:
            return
        if solution := _SOLUTION.match(text):
            draft.in_solution = True
            if rest := text[solution.end():].strip():
                draft.explanation.append(rest)
        elif draft.in_solution:
            draft.explanation.append(text)
        elif key := _KEY_LINE.match(text):
            draft.key_line = key.group(1).strip()
        elif options := _split_options(paragraph, len(draft.options)):
            draft.options.extend(options)
        elif statement := _STATEMENT.match(paragraph.text):
            start = statement.end()
            marks = paragraph.marks_over(statement.start(1), statement.start(1) + 1)
            marks |= paragraph.marks_over(start, len(paragraph.text))
            draft.statements.append((statement.group(1), paragraph.text[start:].strip(), marks))
        else:
            self._continuation(draft, text)

    @staticmethod
    def _continuation(draft: _Draft, text: str) -> None:
        """A paragraph with no prefix continues the stem, or the last option / statement (wrapped line)."""
        if draft.statements:
            label, body, marks = draft.statements[-1]
            draft.statements[-1] = (label, f"{body}\n{text}", marks)
        elif draft.options:
            letter, body, marks = draft.options[-1]
            draft.options[-1] = (letter, f"{body}\n{text}", marks)
        else:
            draft.stem.append(text)

    def table_key(self, draft: _Draft) -> str | None:
        return self.keys.get((draft.part, draft.number)) or self.keys.get((None, draft.number))


def _points(note: str | None) -> float | None:
    if not note:
        return None
    number = re.search(r"[-+]?\d+(?:[.,]\d+)?", note)
    return parse_number(number.group(0)) if number and "điểm" in note.lower() else None


def _open(data: bytes, label: str) -> docx.document.Document:
    check_file_size(data, label)
    open_ooxml(data, filename=label)
    try:
        return docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, etree.XMLSyntaxError) as exc:
        raise QuestionFileError(f"{label}: không đọc được tệp DOCX (tệp hỏng hoặc không phải Word)",
                                f"python-docx cannot open the file: {exc!r}") from exc


def parse(data: bytes, *, filename: str = "") -> ImportReport:
    """Read a DOCX question bank; see the module docstring for the layout."""
    label = file_label(filename)
    document = _open(data, label)
    reader = _Reader()
    for block in _blocks(document):
        reader.feed(block)
    if not reader.drafts:
        raise QuestionFileError(f"{label}: không tìm thấy câu hỏi nào (mỗi câu bắt đầu bằng \"Câu 1.\", "
                                "\"Câu 2:\"…)", "no questions found in DOCX")
    check_question_count(len(reader.drafts), label)
    report = ImportReport()
    for draft in reader.drafts:
        where = f"{label}, đoạn {draft.paragraph} (Câu {draft.number})"
        try:
            question = _build(draft, reader.table_key(draft))
        except _Reject as exc:
            report.rejected.append(Rejection(where=where, reason=str(exc)))
            continue
        question.source_ref = f"đoạn {draft.paragraph}"
        report.questions.append(question)
    log.info("docx %s: %d questions, %d rejected", label, len(report.questions), len(report.rejected))
    return report
