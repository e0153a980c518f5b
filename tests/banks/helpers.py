"""Helpers of the bank tests: create a bank through the API, import a file, publish it through review."""

from __future__ import annotations

import io

from review.config import DEFAULT_CRITERIA
from tests.conftest import bearer

BANK = {"title": "Ngân hàng Toán 12 — Hàm số", "kind": "ngan-hang-cau-hoi", "level": "thpt", "grade": "12",
        "subject": "toan", "licence": "CC-BY-4.0"}
SCORES = dict.fromkeys(DEFAULT_CRITERIA, 4)

GIFT_TWO_GOOD_ONE_BAD = """\
$CATEGORY: $course$/top/Hàm số

::Đạo hàm::Đạo hàm của \\\\(x^2\\\\) là {=2x ~x ~x^2 ~2}

::Nghiệm::Nghiệm của 2x + 3 \\= 0 là {#-1,5:0,01}

::Hỏng::Câu này thiếu ngoặc đóng {=a ~b
""".encode()

GIFT_GOOD = """\
$CATEGORY: $course$/top/Hàm số

::Đạo hàm::Đạo hàm của \\\\(x^2\\\\) là {=2x ~x ~x^2 ~2}

::Nghiệm::Nghiệm của 2x + 3 \\= 0 là {#-1,5:0,01}
""".encode()


def create_bank(client, token: str, **fields: str) -> int:
    response = client.post("/api/v1/materials", headers=bearer(token), data={**BANK, **fields})
    assert response.status_code == 201, response.json
    return response.json["id"]


def import_file(client, token: str, bank_id: int, data: bytes, *, filename: str = "cau-hoi.gift.txt",
                fmt: str = "auto", mode: str = "dry_run"):
    return client.post(f"/api/v1/banks/{bank_id}/import", headers=bearer(token),
                       data={"file": (io.BytesIO(data), filename), "format": fmt, "mode": mode},
                       content_type="multipart/form-data")


def publish(client, tokens: dict[str, str], bank_id: int, owner: str = "teacher") -> None:
    submitted = client.post(f"/api/v1/materials/{bank_id}/submit", headers=bearer(tokens[owner]))
    assert submitted.status_code == 200, submitted.json
    decided = client.post(f"/api/v1/materials/{bank_id}/review", headers=bearer(tokens["reviewer"]),
                          json={"decision": "approve", "comment": "Đạt.", "scores": SCORES})
    assert decided.status_code == 200 and decided.json["status"] == "published", decided.json
