"""Video and audio uploads are recognised by content and accepted only for lectures ("bai-giang")."""

from __future__ import annotations

import pytest

from ingest.detect import detect_bytes
from ingest.pipeline import ACCEPTED_FAMILIES, MEDIA_FAMILIES, sniff_for_kind
from repository.materials.services import MaterialError


@pytest.mark.parametrize(("head", "family"), [
    (b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41", "mp4"),
    (b"\x00\x00\x00\x1cftypM4A \x00\x00\x02\x00M4A isom", "m4a"),
    (b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  ", "mov"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm", "webm"),
    (b"\x1a\x45\xdf\xa3\xa3\x42\x86\x81\x01\x42\x82\x88matroska", "mkv"),
    (b"ID3\x03\x00\x00\x00\x00\x00\x00", "mp3"),
    (b"fLaC\x00\x00\x00\x22", "flac"),
])
def test_media_containers_are_detected_by_content(head, family):
    assert detect_bytes(head + bytes(64), complete=False).family == family
    assert family in MEDIA_FAMILIES


def test_only_lectures_accept_media(tmp_path):
    head = tmp_path / "upload.head"
    head.write_bytes(b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41" + bytes(64))
    assert sniff_for_kind(head, "bai-giang") == ("mp4", "video/mp4")
    assert "pdf" in ACCEPTED_FAMILIES["sach-giao-khoa"] and not ACCEPTED_FAMILIES["sach-giao-khoa"] & MEDIA_FAMILIES
    with pytest.raises(MaterialError) as refused:
        sniff_for_kind(head, "sach-giao-khoa")
    assert refused.value.status == 415 and "Nội dung tệp là MP4" in refused.value.message_vi
