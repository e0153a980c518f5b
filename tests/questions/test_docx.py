"""DOCX import in the common Vietnamese exam layout, on files written here with python-docx."""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.shared import RGBColor
from lxml import etree

from ingest.questions import docx_import
from ingest.questions.limits import QuestionFileError
from ingest.questions.model import QuestionType

M = "http://schemas.openxmlformats.org/officeDocument/2006/math"


def run(text: str, **marks: bool) -> tuple[str, dict[str, bool]]:
    return text, marks


def para(document, *parts) -> None:
    """Add a paragraph; each part is plain text or ``run(text, underline=…, bold=…, red=…)``."""
    paragraph = document.add_paragraph()
    for part in parts:
        text, marks = (part, {}) if isinstance(part, str) else part
        r = paragraph.add_run(text)
        r.underline = marks.get("underline")
        r.bold = marks.get("bold")
        if marks.get("red"):
            r.font.color.rgb = RGBColor(0xFF, 0x00, 0x00)


def table(document, rows: list[list[str]]) -> None:
    t = document.add_table(rows=len(rows), cols=len(rows[0]))
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            t.cell(r, c).text = value


def save(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def omath(xml: str):
    return etree.fromstring(f'<m:oMath xmlns:m="{M}">{xml}</m:oMath>')


def mr(text: str) -> str:
    return f"<m:r><m:t>{text}</m:t></m:r>"


def exam_2025() -> bytes:
    d = docx.Document()
    para(d, "ĐỀ KIỂM TRA GIỮA KỲ — MÔN TOÁN 12")
    para(d, "PHẦN I. Câu trắc nghiệm nhiều phương án lựa chọn")
    para(d, "Câu 1 (0,25 điểm): Hàm số y = x³ − 3x đồng biến trên khoảng nào?")
    para(d, "A. (−1; 1)")
    para(d, run("B", underline=True), ". (1; +∞)")
    para(d, "C. (−∞; 1)")
    para(d, "D. (0; 2)")
    para(d, "Lời giải: y' = 3x² − 3 > 0 khi |x| > 1.")
    para(d, "Câu 2. Thủ đô của Việt Nam là")
    para(d, "A. Huế\tB. Đà Nẵng\t", run("C. Hà Nội", red=True), "\tD. Cần Thơ")
    para(d, "Câu 3: Nguyên tố nào là kim loại kiềm?")
    para(d, "A. Na\tB. Cl\tC. O\tD. N")
    para(d, "PHẦN II. Câu trắc nghiệm đúng sai")
    para(d, "Câu 1. Cho hàm số f(x) = x².")
    para(d, "a) f(0) = 0")
    para(d, "b) f đồng biến trên ℝ")
    para(d, "c) f(−x) = f(x)")
    para(d, "d) f(1) = 2")
    para(d, "PHẦN III. Câu trắc nghiệm trả lời ngắn")
    para(d, "Câu 1. Nghiệm của phương trình 2x + 3 = 0 là bao nhiêu?")
    para(d, "Đáp án: -1,5")
    para(d, "Câu 2. Có bao nhiêu số nguyên tố nhỏ hơn 10?")
    para(d, "ĐÁP ÁN")
    para(d, "PHẦN I")
    table(d, [["Câu", "1", "2", "3"], ["Đáp án", "B", "C", "A"]])
    para(d, "PHẦN II")
    table(d, [["Câu", "Đáp án"], ["1", "a) Đ, b) S, c) Đ, d) S"]])
    para(d, "PHẦN III")
    table(d, [["Câu", "Đáp án"], ["2", "4"]])
    return save(d)


def test_exam_2025_layout_gives_every_part_with_its_key():
    report = docx_import.parse(exam_2025(), filename="de-thi.docx")
    assert report.rejected == []
    types = [q.type for q in report.questions]
    assert types == [QuestionType.SINGLE_CHOICE] * 3 + [QuestionType.TRUE_FALSE_CLUSTER] + \
        [QuestionType.SHORT_ANSWER] * 2

    q1, q2, q3, tf, sa1, sa2 = report.questions
    assert q1.stem == "Hàm số y = x³ − 3x đồng biến trên khoảng nào?"
    assert q1.points == 0.25
    assert [o.text for o in q1.options] == ["(−1; 1)", "(1; +∞)", "(−∞; 1)", "(0; 2)"]
    assert [o.correct for o in q1.options] == [False, True, False, False]
    assert q1.explanation == "y' = 3x² − 3 &gt; 0 khi |x| &gt; 1."

    assert [o.text for o in q2.options] == ["Huế", "Đà Nẵng", "Hà Nội", "Cần Thơ"]   # one line, tabs
    assert [o.correct for o in q2.options] == [False, False, True, False]             # red run
    assert [o.correct for o in q3.options] == [True, False, False, False]             # answer table

    assert [(s.label, s.is_true) for s in tf.statements] == [("a", True), ("b", False), ("c", True),
                                                              ("d", False)]
    assert tf.statements[3].text == "f(1) = 2"
    assert (sa1.answers[0].value, sa1.answers[0].numeric) == ("-1,5", -1.5)
    assert (sa2.answers[0].value, sa2.answers[0].numeric) == ("4", 4.0)
    assert sa2.source_ref.startswith("đoạn ")


def test_equations_become_latex():
    d = docx.Document()
    para(d, "Câu 1. Tính giá trị biểu thức")
    equation = omath(
        f"<m:f><m:num>{mr('1')}</m:num><m:den>{mr('2')}</m:den></m:f>{mr('+')}"
        f"<m:sSup><m:e>{mr('x')}</m:e><m:sup>{mr('2')}</m:sup></m:sSup>{mr('+')}"
        f"<m:rad><m:radPr><m:degHide m:val='1'/></m:radPr><m:deg/><m:e>{mr('3')}</m:e></m:rad>{mr('≤')}"
        f"<m:sSub><m:e>{mr('a')}</m:e><m:sub>{mr('n')}</m:sub></m:sSub>"
    )
    d.paragraphs[-1]._p.append(equation)
    para(d, "Đáp án: 2")
    q = docx_import.parse(save(d)).questions[0]
    assert q.stem == r"Tính giá trị biểu thức\(\frac{1}{2}+{x}^{2}+\sqrt{3}\le {a}_{n}\)"
    assert q.type == QuestionType.SHORT_ANSWER


def test_omml_cube_root_and_brackets():
    element = omath(f"<m:rad><m:deg>{mr('3')}</m:deg><m:e>{mr('8')}</m:e></m:rad>"
                    f"<m:d><m:e>{mr('a')}</m:e><m:e>{mr('b')}</m:e></m:d>")
    assert docx_import.omml_to_latex(element) == r"\sqrt[3]{8}\left(a|b\right)"


def test_bold_on_every_option_is_layout_not_a_key():
    d = docx.Document()
    para(d, "Câu 1. Số nào là số chẵn?")
    for letter, text in zip("ABCD", ["3", "5", "8", "9"], strict=True):
        para(d, run(f"{letter}.", bold=True), f" {text}", )
    para(d, "ĐÁP ÁN")
    table(d, [["Câu", "Đáp án"], ["1", "C"]])
    q = docx_import.parse(save(d)).questions[0]
    assert [o.correct for o in q.options] == [False, False, True, False]


def test_bad_questions_become_rejections_with_their_paragraph():
    d = docx.Document()
    para(d, "Câu 1. Câu không có đáp án")
    para(d, "A. một\tB. hai\tC. ba\tD. bốn")
    para(d, "Câu 2. Câu có hai đáp án")
    para(d, run("A.", underline=True), " một")
    para(d, run("B.", underline=True), " hai")
    para(d, "C. ba")
    para(d, "D. bốn")
    para(d, "PHẦN II")
    para(d, "Câu 1. Chùm chỉ có ba mệnh đề")
    para(d, run("a) đúng", bold=True))
    para(d, "b) sai")
    para(d, "c) sai")
    para(d, "PHẦN III")
    para(d, "Câu 2. Trả lời ngắn mà thiếu đáp án")
    report = docx_import.parse(save(d), filename="loi.docx")
    assert report.questions == []
    reasons = [r.reason for r in report.rejected]
    assert "không có đáp án" in reasons[0]
    assert "có 2 đáp án được đánh dấu (A, B)" in reasons[1]
    assert "4 mệnh đề" in reasons[2] and "có 3" in reasons[2]
    assert "không có đáp án" in reasons[3]
    assert report.rejected[0].where == "loi.docx, đoạn 1 (Câu 1)"
    assert report.rejected[1].where == "loi.docx, đoạn 3 (Câu 2)"
    assert report.found == 4


def test_marked_key_contradicting_the_table_is_rejected():
    d = docx.Document()
    para(d, "Câu 1. Hai cộng hai bằng")
    para(d, "A. 3\t", run("B. 4", underline=True), "\tC. 5\tD. 6")
    para(d, "ĐÁP ÁN")
    table(d, [["Câu", "1"], ["Đáp án", "C"]])
    report = docx_import.parse(save(d))
    assert "khác bảng đáp án" in report.rejected[0].reason


def test_essay_without_part_takes_the_solution_as_model_answer():
    d = docx.Document()
    para(d, "Câu 1. Trình bày ý nghĩa của Cách mạng tháng Tám.")
    para(d, "Hướng dẫn giải")
    para(d, "Mở ra kỷ nguyên độc lập, tự do.")
    q = docx_import.parse(save(d)).questions[0]
    assert q.type == QuestionType.ESSAY
    assert q.model_answer == "Mở ra kỷ nguyên độc lập, tự do."


def test_docx_without_questions_is_refused():
    d = docx.Document()
    para(d, "Biên bản họp tổ chuyên môn")
    para(d, "Nội dung: phân công ra đề.")
    with pytest.raises(QuestionFileError) as err:
        docx_import.parse(save(d), filename="bien-ban.docx")
    assert "không tìm thấy câu hỏi" in err.value.message_vi


def _rewrite(data: bytes, replace: dict[str, bytes], compress: int = zipfile.ZIP_DEFLATED) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compress) as target:
        for item in source.infolist():
            target.writestr(item.filename, replace.pop(item.filename, source.read(item.filename)))
        for name, content in replace.items():
            target.writestr(name, content)
    return out.getvalue()


def test_docx_zip_bomb_is_refused_before_python_docx_reads_it():
    bomb = _rewrite(exam_2025(), {"word/media/padding.bin": b"\0" * (4 * 1024 * 1024)})
    assert len(bomb) < 200_000
    with pytest.raises(QuestionFileError) as err:
        docx_import.parse(bomb, filename="bom.docx")
    assert "bom nén" in err.value.message_vi


def test_docx_with_a_doctype_is_refused():
    data = exam_2025()
    document_xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml")
    head, _, rest = document_xml.partition(b"?>")
    hostile = head + b'?><!DOCTYPE w [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + rest
    with pytest.raises(QuestionFileError) as err:
        docx_import.parse(_rewrite(data, {"word/document.xml": hostile}), filename="xxe.docx")
    assert "DOCTYPE" in err.value.message_vi


def test_not_a_docx_is_refused():
    with pytest.raises(QuestionFileError):
        docx_import.parse(b"%PDF-1.7 not a word file", filename="de.docx")
