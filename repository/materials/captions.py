"""Captions of a video or audio lecture: one sanitised WebVTT per language, whose text is searchable."""

from __future__ import annotations

import io

from sqlalchemy import delete
from sqlalchemy.orm import Session

from ingest.media import MediaError, caption_text, sanitize_vtt, srt_to_vtt
from ingest.media.captions import MAX_CAPTION_BYTES
from repository.materials.services import MaterialError
from repository.models import MaterialFile, MaterialVersion, PageText
from repository.storage import BlobStore

#: Caption languages offered, in the order their text is numbered for the search index.
CAPTION_LANGUAGES = {"vi": "Tiếng Việt", "en": "English"}


def to_webvtt(data: bytes) -> str:
    """SRT or WebVTT in (decided by the header, not the file name), sanitised WebVTT out."""
    head = data[:16].lstrip(b"\xef\xbb\xbf")
    try:
        return sanitize_vtt(data) if head.startswith(b"WEBVTT") else srt_to_vtt(data)
    except MediaError as exc:
        raise MaterialError("captions", exc.message_vi, exc.code) from exc


def attach_captions(session: Session, version: MaterialVersion, lang: str, data: bytes,
                    storage: BlobStore) -> MaterialFile:
    """Store (or replace) the captions of ``lang`` for this version and index their text (not committed)."""
    if lang not in CAPTION_LANGUAGES:
        raise MaterialError("lang", "Hãy chọn ngôn ngữ của phụ đề.", "invalid")
    if not (version.doc_metadata or {}).get("media") or version.ingest_status != "succeeded":
        raise MaterialError("captions", "Chỉ thêm được phụ đề cho bài giảng video hoặc âm thanh đã xử lý xong.",
                            "not_media", 409)
    if not data:
        raise MaterialError("captions", "Hãy chọn tệp phụ đề (SRT hoặc WebVTT).", "missing")
    body = to_webvtt(data[:MAX_CAPTION_BYTES + 1]).encode("utf-8")
    blob = storage.put_stream(io.BytesIO(body), max_bytes=len(body) + 1, content_type="text/vtt")
    filename = f"captions/{lang}.vtt"
    number = list(CAPTION_LANGUAGES).index(lang) + 1
    session.execute(delete(MaterialFile).where(MaterialFile.version_id == version.id,
                                               MaterialFile.role == "captions", MaterialFile.filename == filename))
    session.execute(delete(PageText).where(PageText.version_id == version.id, PageText.number == number))
    stored = MaterialFile(version_id=version.id, role="captions", filename=filename, size=blob.size,
                          sha256=blob.sha256, content_type="text/vtt", storage_backend=storage.name,
                          storage_key=blob.key)
    session.add(stored)
    session.add(PageText(version_id=version.id, number=number, text=caption_text(body.decode("utf-8")),
                         source="captions"))
    return stored
