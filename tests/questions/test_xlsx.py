"""XLSX import from the template, on workbooks written here with openpyxl."""

from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest

from ingest.questions import xlsx_import
from ingest.questions.limits import QuestionFileError
from ingest.questions.model import QuestionType
from ingest.questions.xlsx_template import EXAMPLES, build_template

HEADER = ["STT", "Loại (I/II/III/TL)", "Câu hỏi", "A", "B", "C", "D", "Đáp án", "Lời giải", "Chủ đề",
          "Mức độ", "Lớp", "Môn"]


def workbook(rows: list[list[object]], header: list[str] = HEADER, title: str = "Câu hỏi") -> bytes:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.title = title
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_template_examples_import_as_every_type():
    report = xlsx_import.parse(build_template(), filename="mau.xlsx")
    assert report.rejected == []
    assert len(report.questions) == len(EXAMPLES)
    choice, tf, short, essay = report.questions
    assert choice.type == QuestionType.SINGLE_CHOICE
    assert [o.text for o in choice.options] == ["Huế", "Đà Nẵng", "Hà Nội", "Cần Thơ"]
    assert [o.correct for o in choice.options] == [False, False, True, False]
    assert (choice.subject, choice.grade, choice.cognitive_level, choice.topic) == \
        ("Địa lí", 12, "biet", "Địa lí Việt Nam")
    assert choice.explanation == "Hà Nội là thủ đô từ năm 1945."
    assert [(s.label, s.is_true) for s in tf.statements] == [("a", True), ("b", False), ("c", True),
                                                              ("d", False)]
    assert (short.answers[0].value, short.answers[0].numeric) == ("-1,5", -1.5)
    assert short.cognitive_level == "van-dung"
    assert essay.type == QuestionType.ESSAY
    assert essay.model_answer == "Mở ra kỷ nguyên độc lập, tự do cho dân tộc."
    assert essay.explanation == ""


def test_template_has_the_header_and_a_type_validation():
    wb = openpyxl.load_workbook(io.BytesIO(build_template()))
    sheet = wb["Câu hỏi"]
    assert [c.value for c in sheet[1]] == HEADER
    formulas = [v.formula1 for v in sheet.data_validations.dataValidation]
    assert '"I,II,III,TL"' in formulas
    assert "Hướng dẫn" in wb.sheetnames


def test_numeric_cells_and_multiple_keys():
    data = workbook([
        [1, "III", "Tính 3 : 2", None, None, None, None, 1.5, None, None, None, None, "Toán"],
        [2, "I", "Số nguyên tố là", "2", "4", "5", "9", "A, C", None, None, "Nhận biết", 6, "Toán"],
    ])
    short, multiple = xlsx_import.parse(data).questions
    assert (short.answers[0].value, short.answers[0].numeric) == ("1,5", 1.5)
    assert multiple.type == QuestionType.MULTIPLE_CHOICE
    assert [o.correct for o in multiple.options] == [True, False, True, False]
    assert multiple.grade == 6


def test_formula_cells_are_rejected_naming_sheet_row_and_column():
    data = workbook([
        [1, "I", "Thủ đô của Việt Nam là", "Huế", "Đà Nẵng", "Hà Nội", "Cần Thơ", "C"],
        [2, "III", "Hai cộng hai bằng", None, None, None, None, "=2+2"],
    ])
    report = xlsx_import.parse(data, filename="cong-thuc.xlsx")
    assert len(report.questions) == 1
    assert report.rejected[0].where == "sheet Câu hỏi, row 3"
    assert "công thức" in report.rejected[0].reason
    assert "H (Đáp án)" in report.rejected[0].reason


def test_bad_rows_become_rejections():
    data = workbook([
        [1, "V", "Loại lạ", "x", "y", None, None, "A"],
        [2, "I", "Thiếu đáp án", "x", "y", "z", "t", ""],
        [3, "I", "Đáp án không có", "x", "y", None, None, "D"],
        [4, "II", "Ba mệnh đề", "p", "q", "r", None, "ĐSĐ"],
        [5, "III", "Lớp sai", None, None, None, None, "7", None, None, None, 13],
        [6, "I", "Mức độ sai", "x", "y", None, None, "A", None, None, "Siêu khó"],
    ])
    report = xlsx_import.parse(data)
    assert report.questions == []
    reasons = [r.reason for r in report.rejected]
    assert "cần một trong I, II, III, TL" in reasons[0]
    assert "cột Đáp án trống" in reasons[1]
    assert "\"D\"" in reasons[2]
    assert "4 mệnh đề" in reasons[3]
    assert "cột Lớp" in reasons[4]
    assert "cột Mức độ" in reasons[5]
    assert report.rejected[0].where == "sheet Câu hỏi, row 2"


def test_wrong_or_missing_columns_refuse_the_file_naming_the_expected_ones():
    wrong = ["STT", "Loại", "Nội dung", "A", "B", "C", "D", "Đáp án"]
    with pytest.raises(QuestionFileError) as err:
        xlsx_import.parse(workbook([[1, "I", "x", "a", "b", "c", "d", "A"]], header=wrong),
                          filename="sai.xlsx")
    message = err.value.message_vi
    assert "Nội dung" in message and "thiếu cột: Câu hỏi" in message
    assert "STT | Loại (I/II/III/TL) | Câu hỏi | A | B | C | D | Đáp án" in message


def test_xlsx_zip_bomb_is_refused():
    source = zipfile.ZipFile(io.BytesIO(build_template()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item.filename))
        target.writestr("xl/worksheets/sheet9.xml", b" " * (8 * 1024 * 1024))
    with pytest.raises(QuestionFileError) as err:
        xlsx_import.parse(out.getvalue(), filename="bom.xlsx")
    assert "bom nén" in err.value.message_vi


def test_not_an_xlsx_is_refused():
    with pytest.raises(QuestionFileError):
        xlsx_import.parse(b"STT;Loai;Cau hoi\n1;I;x\n", filename="de.xlsx")
