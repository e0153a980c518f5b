"""A small Vietnamese collection (real GDPT 2018 lesson titles) and fresh indexes built from it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from search.interfaces import PageText, SearchDocument
from search.sqlite_fts import SqliteFtsIndex
from tests.conftest import CORPUS

SUBJECT_NAMES = {"toan": "Toán", "vat-li": "Vật lí", "hoa-hoc": "Hóa học", "sinh-hoc": "Sinh học",
                 "ngu-van": "Ngữ văn", "lich-su": "Lịch sử", "dia-li": "Địa lí", "gdcd": "Giáo dục công dân",
                 "tieng-viet": "Tiếng Việt", "hdtn": "Hoạt động trải nghiệm (hướng nghiệp)",
                 "gd-ktpl": "Giáo dục kinh tế và pháp luật"}

# (title, subject, level, grade, kind, chapter, description, body)
LESSONS = [
    ("Định luật II Newton", "vat-li", "thpt", 10, "bai-giang", "Chương III. Động lực học",
     "Bài giảng về mối liên hệ giữa gia tốc, lực và khối lượng.",
     "Gia tốc của một vật cùng hướng với lực tác dụng lên vật. Độ lớn của gia tốc tỉ lệ thuận với "
     "độ lớn của lực và tỉ lệ nghịch với khối lượng của vật: F = m.a"),
    ("Định luật III Newton", "vat-li", "thpt", 10, "bai-giang", "Chương III. Động lực học",
     "Lực và phản lực.", "Khi vật A tác dụng lên vật B một lực thì vật B cũng tác dụng lại vật A."),
    ("Chuyển động thẳng biến đổi đều", "vat-li", "thpt", 10, "ke-hoach-bai-day", "Chương II. Động học",
     "Giáo án vận tốc và gia tốc.", "Vận tốc tức thời, gia tốc, đồ thị vận tốc theo thời gian."),
    ("Động năng. Định lí động năng", "vat-li", "thpt", 10, "bai-giang", "Chương IV. Năng lượng",
     "Công và động năng.", "Động năng của vật bằng một nửa tích khối lượng và bình phương tốc độ."),
    ("Phương trình bậc hai một ẩn", "toan", "thcs", 9, "bai-giang", "Chương VI. Hàm số y = ax²",
     "Cách giải phương trình bậc hai bằng công thức nghiệm.",
     "Phương trình bậc hai một ẩn có dạng ax² + bx + c = 0 với a khác 0. Biệt thức Δ = b² − 4ac."),
    ("Hệ thức Vi-ét và ứng dụng", "toan", "thcs", 9, "bai-giang", "Chương VI. Hàm số y = ax²",
     "Tổng và tích các nghiệm của phương trình bậc hai.", "Nếu x1, x2 là hai nghiệm thì x1 + x2 = −b/a."),
    ("Phương trình đường thẳng", "toan", "thpt", 10, "bai-giang", "Chương VII. Phương pháp toạ độ",
     "Vectơ chỉ phương và vectơ pháp tuyến của đường thẳng.",
     "Phương trình tổng quát của đường thẳng: ax + by + c = 0."),
    ("Đường tròn trong mặt phẳng toạ độ", "toan", "thpt", 10, "bai-giang",
     "Chương VII. Phương pháp toạ độ", "Phương trình đường tròn.", "Tâm I(a; b), bán kính R."),
    ("Hàm số bậc hai và đồ thị", "toan", "thpt", 10, "sach-giao-khoa", "Chương III. Hàm số",
     "Đồ thị là một đường parabol.", "Hàm số bậc hai y = ax² + bx + c."),
    ("Truyện Kiều (trích Trao duyên)", "ngu-van", "thpt", 10, "bai-giang", "Bài 6. Nguyễn Du",
     "Đoạn trích Trao duyên trong Truyện Kiều của Nguyễn Du.",
     "Cậy em em có chịu lời, ngồi lên cho chị lạy rồi sẽ thưa."),
    ("Chị em Thuý Kiều", "ngu-van", "thcs", 9, "bai-giang", "Truyện Kiều",
     "Bức chân dung Thuý Vân, Thuý Kiều.", "Đầu lòng hai ả tố nga, Thuý Kiều là chị em là Thuý Vân."),
    ("Cảnh ngày xuân", "ngu-van", "thcs", 9, "tai-lieu-tham-khao", "Truyện Kiều",
     "Bức tranh thiên nhiên mùa xuân.",
     "Ngày xuân con én đưa thoi, thiều quang chín chục đã ngoài sáu mươi."),
    ("Tây Tiến", "ngu-van", "thpt", 12, "bai-giang", "Thơ Việt Nam", "Bài thơ của Quang Dũng.",
     "Sông Mã xa rồi Tây Tiến ơi! Nhớ về rừng núi nhớ chơi vơi."),
    ("Việt Bắc", "ngu-van", "thpt", 12, "bai-giang", "Thơ Việt Nam", "Bài thơ của Tố Hữu.",
     "Mình về mình có nhớ ta? Mười lăm năm ấy thiết tha mặn nồng."),
    ("Cấu tạo nguyên tử", "hoa-hoc", "thpt", 10, "bai-giang", "Chương 1. Cấu tạo nguyên tử",
     "Hạt nhân và vỏ nguyên tử.", "Nguyên tử gồm hạt nhân mang điện dương và lớp vỏ electron."),
    ("Bảng tuần hoàn các nguyên tố hoá học", "hoa-hoc", "thpt", 10, "sach-giao-khoa",
     "Chương 2. Bảng tuần hoàn", "Cấu tạo bảng tuần hoàn.", "Ô nguyên tố, chu kì, nhóm."),
    ("Liên kết ion", "hoa-hoc", "thpt", 10, "ngan-hang-cau-hoi", "Chương 3. Liên kết hoá học",
     "Câu hỏi trắc nghiệm về liên kết ion.", "Ion dương và ion âm hút nhau bằng lực hút tĩnh điện."),
    ("Tế bào nhân sơ", "sinh-hoc", "thpt", 10, "bai-giang", "Phần 2. Sinh học tế bào",
     "Cấu trúc tế bào nhân sơ.", "Tế bào nhân sơ chưa có nhân hoàn chỉnh."),
    ("Quang hợp ở thực vật", "sinh-hoc", "thpt", 11, "bai-giang", "Chương 1. Trao đổi chất",
     "Vai trò của quang hợp.", "Quang hợp tạo ra chất hữu cơ và giải phóng khí oxygen."),
    ("Phép cộng trong phạm vi 10", "toan", "tieu-hoc", 1, "bai-giang", "Chủ đề 2",
     "Làm quen với phép cộng.", "3 + 4 = 7. Em hãy đếm số quả táo."),
    ("Bảng nhân 2", "toan", "tieu-hoc", 2, "de-kiem-tra", "Chủ đề 4", "Luyện tập bảng nhân 2.", "2 × 3 = 6."),
    ("Học vần: bài 1", "tieng-viet", "tieu-hoc", 1, "bai-giang", "Làm quen với chữ cái",
     "Âm a, chữ a.", "Bé làm quen với chữ a."),
    ("Chiến thắng Điện Biên Phủ", "lich-su", "thpt", 12, "da-phuong-tien", "Kháng chiến chống Pháp",
     "Chiến dịch Điện Biên Phủ năm 1954.", "Ngày 7 tháng 5 năm 1954, chiến dịch Điện Biên Phủ toàn thắng."),
    ("Đường lối đổi mới", "lich-su", "thpt", 12, "bai-giang", "Việt Nam từ năm 1986",
     "Đại hội VI của Đảng.", "Đổi mới toàn diện đất nước."),
    ("Vị trí địa lí và phạm vi lãnh thổ Việt Nam", "dia-li", "thpt", 12, "bai-giang", "Địa lí tự nhiên",
     "Vị trí địa lí nước ta.", "Việt Nam nằm ở rìa phía đông bán đảo Đông Dương."),
    ("Học sinh với an toàn giao thông", "gdcd", "thcs", 6, "bai-giang", "Chủ đề an toàn",
     "Quy tắc đi đường.", "Học sinh đi bộ trên vỉa hè."),
    ("Sinh hoạt dưới cờ", "hdtn", "thcs", 6, "bai-giang", "Chủ đề nhà trường",
     "Nhà trường, học tập và rèn luyện.", "Sinh hoạt tập thể đầu tuần, học tập nội quy."),
    ("Kiểm tra giữa kì I", "toan", "thpt", 10, "de-kiem-tra", "Ôn tập",
     "Đề kiểm tra môn Toán lớp 10.", "Câu 1. Giải phương trình x² − 5x + 6 = 0."),
    ("Toàn cầu hoá và khu vực hoá kinh tế", "gd-ktpl", "thpt", 11, "bai-giang", "Kinh tế thế giới",
     "Xu hướng toàn cầu hoá.", "Toàn cầu hoá là quá trình tăng lên mạnh mẽ các mối liên hệ."),
    ("Đề thi tốt nghiệp THPT", "toan", "thpt", 12, "de-kiem-tra", "Ôn thi",
     "Đề minh hoạ môn Toán năm 2025.", "Câu 1. Cho hàm số y = f(x) có bảng biến thiên."),
]
PROVINCES = ("HN", "HUE", "HP")
START = datetime(2025, 1, 1, tzinfo=UTC)


def collection() -> list[SearchDocument]:
    """The lessons as index documents; ids from 1, newest last, spread over three provinces."""
    docs = []
    for number, (title, subject, level, grade, kind, chapter, description, body) in enumerate(LESSONS, 1):
        docs.append(SearchDocument(
            material_id=number, title=title, description=description, chapter=chapter, body=body,
            kind=kind, level=level, grade=grade, subject=subject, subject_name=SUBJECT_NAMES[subject],
            series="kntt" if number % 2 else "canh-dieu", licence="CC-BY-4.0",
            province=PROVINCES[number % 3], published_at=START + timedelta(days=number),
            pages=[PageText(1, body)]))
    return docs


@pytest.fixture
def index(tmp_path: Path) -> Iterator[SqliteFtsIndex]:
    engine = SqliteFtsIndex(tmp_path / "search.db")
    yield engine
    engine.close()


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SqliteFtsIndex]:
    """The whole collection, indexed once per module; tests using it must not write."""
    engine = SqliteFtsIndex(tmp_path_factory.mktemp("library") / "search.db")
    engine.upsert(collection())
    yield engine
    engine.close()


def corpus_dir(name: str) -> Path:
    path = CORPUS / name
    if not path.is_dir():
        pytest.skip(f"test corpus folder {path} is absent (it lives in ../shared/corpus beside the checkout)")
    return path
