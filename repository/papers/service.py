"""Making, saving and publishing test papers, and the object-level rules on who may see them.

A teacher draws only from banks they may see, and only their published questions: an unknown bank, a
material that is not a bank, or a bank the caller may not see is answered "not found", so ids do not leak.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.banks.models import BANK_KIND
from repository.models import Material, User, utcnow
from repository.papers.draw import Draw, draw
from repository.papers.matrix import MAX_VERSIONS, PARTS, Matrix, MatrixError, parse_matrix
from repository.papers.models import ExamMatrix, TestPaper
from repository.papers.source import eligible_pool, with_content
from repository.papers.versions import build_versions
from repository.permissions import can_view_material, has_permission

MAX_BANKS = 20
MAX_SEED_LENGTH = 100
HEADER_FIELDS = {"school": 200, "subject": 100, "exam": 200, "duration": 20}
DEFAULT_HEADER = {"school": "", "subject": "", "exam": "ĐỀ KIỂM TRA", "duration": "50"}


class PaperError(Exception):
    """A request about papers that cannot be met; ``message`` is for the user (Vietnamese)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


def may_make_papers(user: User) -> bool:
    return has_permission(user, "upload")


def may_manage(user: User, paper: TestPaper) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and (user.role == "admin" or paper.owner_id == user.id)


def visible_paper(session: Session, user: User, paper_id: int) -> TestPaper:
    """The paper if the user may see it (its author, an administrator, anyone once published), else 404."""
    paper = session.get(TestPaper, paper_id)
    if paper is None or not (paper.status == "published" or may_manage(user, paper)):
        raise PaperError(404, "not_found", "Không tìm thấy đề kiểm tra này.")
    return paper


def checked_banks(session: Session, user: User, raw: Any) -> list[int]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_BANKS \
            or not all(isinstance(b, int) and not isinstance(b, bool) for b in raw):
        raise PaperError(400, "bad_request", f"'banks' phải là danh sách 1–{MAX_BANKS} mã ngân hàng (số nguyên).",
                         "banks")
    for bank_id in dict.fromkeys(raw):
        bank = session.get(Material, bank_id)
        if bank is None or bank.kind != BANK_KIND or not can_view_material(user, bank):
            raise PaperError(404, "not_found", f"Không tìm thấy ngân hàng câu hỏi {bank_id}.", "banks")
        if bank.published_version_id is None:
            raise PaperError(409, "bank_not_published", f"Ngân hàng câu hỏi {bank_id} chưa được xuất bản; "
                             "chỉ rút câu hỏi từ ngân hàng đã xuất bản.", "banks")
    return list(dict.fromkeys(raw))


def checked_seed(raw: Any) -> str:
    if raw is None:
        return secrets.token_hex(8)
    if isinstance(raw, bool) or not isinstance(raw, str | int) or not str(raw).strip() \
            or len(str(raw)) > MAX_SEED_LENGTH:
        raise PaperError(400, "bad_request", f"'seed' phải là số hoặc chuỗi, tối đa {MAX_SEED_LENGTH} ký tự.",
                         "seed")
    return str(raw).strip()


def checked_versions(raw: Any) -> int:
    if raw is None:
        return 1
    if isinstance(raw, bool) or not isinstance(raw, int) or not 1 <= raw <= MAX_VERSIONS:
        raise PaperError(400, "bad_request", f"'versions' phải là số nguyên từ 1 đến {MAX_VERSIONS}.", "versions")
    return raw


def checked_header(raw: Any) -> dict[str, str]:
    if raw is None:
        return dict(DEFAULT_HEADER)
    if not isinstance(raw, dict):
        raise PaperError(400, "bad_request", "'header' phải là đối tượng {school, subject, exam, duration}.",
                         "header")
    header = dict(DEFAULT_HEADER)
    for name, limit in HEADER_FIELDS.items():
        value = raw.get(name)
        if value is None:
            continue
        if not isinstance(value, str | int) or isinstance(value, bool) or len(str(value)) > limit:
            raise PaperError(400, "bad_request", f"'header.{name}' phải là chuỗi tối đa {limit} ký tự.", "header")
        header[name] = str(value).strip()
    return header


def matrix_of_request(session: Session, user: User, payload: dict[str, Any]) -> Matrix:
    """The matrix sent inline, or a saved one (``matrix_id``) the caller owns."""
    if payload.get("matrix_id") is not None:
        saved = session.get(ExamMatrix, payload["matrix_id"]) if isinstance(payload["matrix_id"], int) else None
        if saved is None or not (saved.owner_id == user.id or user.role == "admin"):
            raise PaperError(404, "not_found", "Không tìm thấy ma trận đề này.", "matrix_id")
        return parse_matrix(saved.cells, payload.get("points", saved.points))
    return parse_matrix(payload.get("matrix"), payload.get("points"))


def draw_from_banks(session: Session, bank_ids: list[int], matrix: Matrix, seed: str) -> Draw:
    types = {PARTS[cell.part].question_type.value for cell in matrix.cells}
    result = draw(eligible_pool(session, bank_ids, types), matrix, seed)
    result.picked = [(cell, with_content(session, chosen)) for cell, chosen in result.picked]
    return result


def create_paper(session: Session, user: User, payload: Any) -> TestPaper:
    """Validate the request, draw, build the versions and save the paper as a draft. The caller commits."""
    if not may_make_papers(user):
        raise PaperError(403, "forbidden", "Chỉ giáo viên và quản trị viên được tạo đề kiểm tra.")
    if not isinstance(payload, dict):
        raise PaperError(400, "bad_request", "Nội dung yêu cầu phải là một đối tượng JSON.")
    try:
        matrix = matrix_of_request(session, user, payload)
    except MatrixError as exc:
        raise PaperError(400, "bad_matrix", exc.message, exc.field) from exc
    bank_ids = checked_banks(session, user, payload.get("banks"))
    seed, count, header = checked_seed(payload.get("seed")), checked_versions(payload.get("versions")), \
        checked_header(payload.get("header"))
    title = str(payload.get("title") or header["exam"])[:300]
    result = draw_from_banks(session, bank_ids, matrix, seed)
    paper = TestPaper(owner_id=user.id, title=title, header=header, seed=seed, bank_ids=bank_ids,
                      matrix=[cell.as_dict() for cell in matrix.cells], points=matrix.points,
                      versions=build_versions(result, matrix, seed, count),
                      shortfall=[s.as_dict() for s in result.shortfall], status="draft")
    session.add(paper)
    session.flush()
    return paper


def publish_paper(session: Session, user: User, paper: TestPaper) -> None:
    if not may_manage(user, paper):
        raise PaperError(404, "not_found", "Không tìm thấy đề kiểm tra này.")
    if paper.shortfall:
        raise PaperError(409, "incomplete", "Đề còn thiếu câu so với ma trận; không thể xuất bản cho học sinh.")
    if not any(v["questions"] for v in paper.versions):
        raise PaperError(409, "empty", "Đề không có câu hỏi nào.")
    paper.status, paper.published_at = "published", utcnow()


def save_matrix(session: Session, user: User, payload: Any) -> ExamMatrix:
    if not may_make_papers(user):
        raise PaperError(403, "forbidden", "Chỉ giáo viên và quản trị viên được lưu ma trận đề.")
    if not isinstance(payload, dict):
        raise PaperError(400, "bad_request", "Nội dung yêu cầu phải là một đối tượng JSON.")
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise PaperError(400, "bad_request", "'name' phải là chuỗi không rỗng, tối đa 200 ký tự.", "name")
    try:
        matrix = parse_matrix(payload.get("matrix"), payload.get("points"))
    except MatrixError as exc:
        raise PaperError(400, "bad_matrix", exc.message, exc.field) from exc
    saved = ExamMatrix(owner_id=user.id, name=name.strip(), cells=[c.as_dict() for c in matrix.cells],
                       points=matrix.points)
    session.add(saved)
    session.flush()
    return saved


def my_matrices(session: Session, user: User) -> list[ExamMatrix]:
    return list(session.scalars(select(ExamMatrix).where(ExamMatrix.owner_id == user.id)
                                .order_by(ExamMatrix.id.desc()).limit(200)))


def version_of(paper: TestPaper, code: str | None) -> dict[str, Any]:
    for version in paper.versions:
        if version["code"] == code:
            return version
    raise PaperError(404, "not_found", f"Đề không có mã đề {code}.", "version")
