"""The downloadable XLSX template that :mod:`.xlsx_import` reads back."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from ingest.questions.xlsx_import import COLUMNS, SHEET_NAME

#: One example per type; each one imports cleanly, so a teacher can overwrite them row by row.
EXAMPLES: list[list[object]] = [
    [1, "I", "Thủ đô của Việt Nam là", "Huế", "Đà Nẵng", "Hà Nội", "Cần Thơ", "C",
     "Hà Nội là thủ đô từ năm 1945.", "Địa lí Việt Nam", "Biết", 12, "Địa lí"],
    [2, "II", "Cho hàm số f(x) = x².", "f(0) = 0", "f đồng biến trên ℝ", "f(−x) = f(x)", "f(1) = 2",
     "ĐSĐS", "", "Hàm số", "Hiểu", 12, "Toán"],
    [3, "III", "Nghiệm của phương trình 2x + 3 = 0 là bao nhiêu?", "", "", "", "", "-1,5",
     "2x = −3 nên x = −1,5.", "Phương trình", "Vận dụng", 10, "Toán"],
    [4, "TL", "Trình bày ý nghĩa lịch sử của Cách mạng tháng Tám năm 1945.", "", "", "", "", "",
     "Mở ra kỷ nguyên độc lập, tự do cho dân tộc.", "Lịch sử Việt Nam", "Hiểu", 12, "Lịch sử"],
]
WIDTHS = {"Câu hỏi": 50, "Lời giải": 40, "Loại (I/II/III/TL)": 18, "Chủ đề": 20}
GUIDE = [
    "Mỗi dòng của sheet \"Câu hỏi\" là một câu. Không đổi tên, thêm hay bớt cột tiêu đề.",
    "Loại: I = trắc nghiệm nhiều phương án (đáp án A/B/C/D; nhiều đáp án: \"A,C\"),",
    "II = đúng/sai 4 mệnh đề ở các cột A–D (đáp án dạng ĐSĐS), III = trả lời ngắn (đáp án là số "
    "hoặc từ, ví dụ -1,5), TL = tự luận (Lời giải là đáp án mẫu).",
    "Mức độ: Biết, Hiểu, Vận dụng, Vận dụng cao. Lớp: số từ 1 đến 12.",
    "Không dùng công thức trong ô: dòng có công thức sẽ bị từ chối (hãy dán giá trị).",
]


def build_template() -> bytes:
    """The template workbook as XLSX bytes: sheet "Câu hỏi" (headers, examples, validations) and a guide."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_NAME
    headers = [header for header, _ in COLUMNS]
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = PatternFill("solid", fgColor="1F4E78")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for row in EXAMPLES:
        sheet.append(row)
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(header, 12)
    sheet.freeze_panes = "A2"
    _validations(sheet, headers)
    guide = workbook.create_sheet("Hướng dẫn")
    for line in GUIDE:
        guide.append([line])
    guide.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _validations(sheet: Worksheet, headers: list[str]) -> None:
    lists = {"Loại (I/II/III/TL)": '"I,II,III,TL"', "Mức độ": '"Biết,Hiểu,Vận dụng,Vận dụng cao"'}
    for header, formula in lists.items():
        column = get_column_letter(headers.index(header) + 1)
        validation = DataValidation(type="list", formula1=formula, allow_blank=True,
                                    error="Giá trị không nằm trong danh sách", errorTitle="Sai giá trị")
        validation.add(f"{column}2:{column}5000")
        sheet.add_data_validation(validation)
