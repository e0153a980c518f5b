"""Reviewers' comments anchored where they apply (a PDF page, a video time, a slide, a question), each recorded
in the audit trail in the same transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.models import AuditRecord, Material, MaterialVersion, User
from review.models import ReviewComment
from review.services import ReviewError

#: anchor kind -> Vietnamese label of the anchor (None: the comment is about the whole material).
ANCHORS: dict[str, str | None] = {"general": None, "page": "Trang", "time": "Thời điểm", "slide": "Trang chiếu",
                                  "question": "Câu"}
MAX_BODY = 2000
MAX_ANCHOR = 1_000_000


def anchor_label(kind: str, anchor: int | None) -> str:
    """"Trang 3", "Thời điểm 01:05", "Câu 12", or "Toàn bộ học liệu"."""
    label = ANCHORS.get(kind)
    if label is None or anchor is None:
        return "Toàn bộ học liệu"
    if kind == "time":
        return f"{label} {anchor // 3600:d}:{anchor // 60 % 60:02d}:{anchor % 60:02d}" if anchor >= 3600 \
            else f"{label} {anchor // 60:02d}:{anchor % 60:02d}"
    return f"{label} {anchor}"


def _anchor(kind: str, raw: Any, version: MaterialVersion | None) -> int | None:
    if kind not in ANCHORS:
        raise ReviewError("invalid_anchor", "Vị trí nhận xét không hợp lệ (trang, thời điểm, trang chiếu, câu "
                          "hoặc toàn bộ).", 400, "anchor_kind")
    if ANCHORS[kind] is None:
        return None
    text = str(raw if raw is not None else "").strip()
    if kind == "time" and ":" in text:
        parts = text.split(":")
        if len(parts) > 3 or not all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts):
            raise ReviewError("invalid_anchor", "Thời điểm phải có dạng phút:giây, ví dụ 1:05.", 400, "anchor")
        seconds = 0
        for part in parts:
            seconds = seconds * 60 + int(part)
        text = str(seconds)
    if not (text.isascii() and text.isdigit() and len(text) <= 7) or not 0 <= int(text) <= MAX_ANCHOR:
        raise ReviewError("invalid_anchor", f"{ANCHORS[kind]} phải là một số không âm.", 400, "anchor")
    value = int(text)
    if kind in {"page", "slide"}:
        pages = version.page_count if version else None
        if value < 1 or (pages and value > pages):
            raise ReviewError("invalid_anchor", f"{ANCHORS[kind]} {value} không có trong tài liệu"
                              + (f" ({pages} trang)." if pages else "."), 400, "anchor")
    if kind == "time":
        duration = ((version.doc_metadata or {}).get("media") or {}).get("duration") if version else None
        if duration is not None and value > float(duration):
            raise ReviewError("invalid_anchor", f"Thời điểm vượt quá thời lượng bài giảng ({int(duration)} giây).",
                              400, "anchor")
    return value


def add_comment(session: Session, material: Material, author: User, kind: str, raw_anchor: Any,
                body: str) -> ReviewComment:
    """Store the comment and its audit record; commits. Raises ReviewError (nothing stored) on bad input."""
    body = (body or "").strip()
    if not body:
        raise ReviewError("comment_required", "Hãy nhập nội dung nhận xét.", 400, "body")
    if len(body) > MAX_BODY:
        raise ReviewError("comment_too_long", f"Nhận xét dài quá {MAX_BODY} ký tự.", 400, "body")
    version = session.get(MaterialVersion, material.current_version_id or 0)
    anchor = _anchor((kind or "general").strip(), raw_anchor, version)
    kind = (kind or "general").strip()
    audit = AuditRecord(material_id=material.id, version_id=material.current_version_id, actor_id=author.id,
                        action="comment", from_state=material.status, to_state=material.status,
                        comment=f"[{anchor_label(kind, anchor)}] {body}")
    comment = ReviewComment(material_id=material.id, version_id=material.current_version_id, author_id=author.id,
                            anchor_kind=kind, anchor=anchor, body=body, audit=audit)
    session.add_all([audit, comment])
    session.commit()
    return comment


def comments_of(session: Session, material_id: int) -> list[ReviewComment]:
    return list(session.scalars(select(ReviewComment).where(ReviewComment.material_id == material_id)
                                .order_by(ReviewComment.anchor_kind, ReviewComment.anchor, ReviewComment.id)))
