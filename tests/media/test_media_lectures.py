"""Video and audio lectures through the API on the real embedded stack, with real ffmpeg on lavfi clips:
upload -> probe -> transcode (real progress) -> stored renditions -> authorised streaming with Range."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from review.config import DEFAULT_CRITERIA
from tests.conftest import bearer, make_test_app
from tests.media.mediatools import ffmpeg, lavfi_clip, needs_ffmpeg

pytestmark = needs_ffmpeg

METADATA = {"title": "Bài 15. Định luật 2 Newton (video)", "description": "Bài giảng quay tại lớp",
            "kind": "bai-giang", "level": "thpt", "grade": "10", "subject": "vat-li",
            "chapter": "Chương III", "lesson": "Bài 15", "licence": "CC-BY-4.0"}
MEDIA = {"segment_seconds": 2, "transcode_timeout_seconds": 120, "cpu_seconds": 240}


@pytest.fixture
def app(tmp_path, database_url):
    app = make_test_app(tmp_path, database_url, media=MEDIA)
    yield app
    app.extensions["search"].close()
    app.extensions["db"].dispose()


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    truncated = lavfi_clip(folder / "whole.mp4", size="320x180", seconds=8, extra=("-movflags", "+faststart"))
    data = truncated.read_bytes()
    (folder / "truncated.mp4").write_bytes(data[:len(data) * 2 // 5])
    mp3 = folder / "lecture.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=f=330:d=3", "-c:a", "libmp3lame", "-b:a", "64k", str(mp3))
    return {"video": lavfi_clip(folder / "lecture.mp4", size="640x360", seconds=4),
            "truncated": folder / "truncated.mp4", "audio": mp3}


def upload(client, token: str, data: bytes, filename: str):
    form = {**METADATA, "file": (io.BytesIO(data), filename)}
    return client.post("/api/v1/materials", data=form, headers=bearer(token), content_type="multipart/form-data")


def derived_blobs(app) -> list[Path]:
    root = app.extensions["settings"].data_dir / "blobs" / "derived"
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def publish(client, tokens, material_id: int) -> None:
    assert client.post(f"/api/v1/materials/{material_id}/submit", headers=bearer(tokens["teacher"])).status_code == 200
    decided = client.post(f"/api/v1/materials/{material_id}/review", headers=bearer(tokens["reviewer"]),
                          json={"decision": "approve", "comment": "Rõ ràng.",
                                "scores": dict.fromkeys(DEFAULT_CRITERIA, 4)})
    assert decided.json["status"] == "published", decided.json


def test_video_lecture_streams_only_when_published(app, client, tokens, clips):
    reports: list[tuple[int, str]] = []
    runner = app.extensions["jobs"]
    original_report = runner._report
    runner._report = lambda job_id, pct, msg: (reports.append((pct, msg)), original_report(job_id, pct, msg))
    created = upload(client, tokens["teacher"], clips["video"].read_bytes(), "bai-15.mp4")
    assert created.status_code == 201, created.json
    material_id = created.json["id"]
    job = client.get(f"/api/v1/jobs/{created.json['job_id']}", headers=bearer(tokens["teacher"])).json
    assert job["status"] == "succeeded", job
    # ffmpeg's own progress reached the job: several distinct percentages between 20 and 88.
    transcoding = sorted({pct for pct, msg in reports if msg.startswith("Đang chuyển mã")})
    assert len(transcoding) >= 3 and transcoding[0] >= 20 and transcoding[-1] <= 88

    media = client.get(f"/api/v1/materials/{material_id}", headers=bearer(tokens["teacher"])).json["media"]
    assert media["duration"] == pytest.approx(4, abs=0.3)
    assert [r["height"] for r in media["renditions"]] == [234, 360, None]
    assert all(r["bandwidth"] > 0 for r in media["renditions"]) and media["captions"] == []
    master = client.get(media["hls"], headers=bearer(tokens["teacher"]))
    assert master.status_code == 200 and master.mimetype == "application/vnd.apple.mpegurl"
    variant_path = re.search(r"^360p/index\.m3u8$", master.get_data(as_text=True), re.M).group(0)
    variant_url = media["hls"].rsplit("/", 1)[0] + "/" + variant_path
    variant = client.get(variant_url, headers=bearer(tokens["teacher"])).get_data(as_text=True)
    segment_url = variant_url.rsplit("/", 1)[0] + "/" + re.search(r"^seg_\d+\.ts$", variant, re.M).group(0)
    sprite_url = media["thumbnails"].replace("thumbnails.vtt", "sprite-001.jpg")
    urls = [media["hls"], variant_url, segment_url, media["mp4"], media["poster"], media["thumbnails"], sprite_url]

    for url in urls:  # before approval: 404 for a student and for a visitor
        assert client.get(url, headers=bearer(tokens["student"])).status_code == 404, url
        assert client.get(url).status_code == 404, url
    publish(client, tokens, material_id)
    for url in urls:
        assert client.get(url, headers=bearer(tokens["student"])).status_code == 200, url
    cues = client.get(media["thumbnails"])
    assert cues.mimetype == "text/vtt" and "sprite-001.jpg#xywh=160,0,160,90" in cues.get_data(as_text=True)
    assert client.get(sprite_url).data[:3] == b"\xff\xd8\xff"
    segment = client.get(segment_url)
    assert segment.mimetype == "video/mp2t" and segment.data[:1] == b"\x47"  # MPEG-TS sync byte
    ranged = client.get(media["mp4"], headers={"Range": "bytes=100-199"})
    assert ranged.status_code == 206 and len(ranged.data) == 100
    assert re.fullmatch(r"bytes 100-199/\d+", ranged.headers["Content-Range"])
    assert client.get(media["hls"].replace("master.m3u8", "../original")).status_code == 404
    for url in (segment_url, media["hls"]):  # conditional requests: the ETag is the file's SHA-256
        etag = client.get(url).headers["ETag"]
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304, url


def test_audio_lecture_gets_an_audio_rendition_and_m4a(app, client, tokens, clips):
    created = upload(client, tokens["teacher"], clips["audio"].read_bytes(), "bai-giang.mp3")
    assert created.status_code == 201, created.json
    media = client.get(f"/api/v1/materials/{created.json['id']}", headers=bearer(tokens["teacher"])).json["media"]
    assert media["renditions"] == [{"name": "audio", "height": None, "bandwidth": media["renditions"][0]["bandwidth"]}]
    assert media["mp4"].endswith("/audio.m4a") and media["poster"] is None
    assert client.get(media["mp4"], headers=bearer(tokens["teacher"])).mimetype == "audio/mp4"


@pytest.mark.parametrize(("data", "filename"), [
    ("Đây là bài giảng, không phải video.\n".encode(), "bai-giang.mp4"),
    (b"#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n", "crafted.mp4"),
])
def test_fake_videos_are_refused_and_store_nothing(app, client, tokens, data, filename):
    refused = upload(client, tokens["teacher"], data, filename)
    assert refused.status_code == 415
    assert refused.json["error"]["code"] == "unsupported_type"
    assert "văn bản thuần" in refused.json["error"]["message"]
    assert client.get("/api/v1/materials", headers=bearer(tokens["teacher"])).json["materials"] == []
    blobs = [p for p in (app.extensions["settings"].data_dir / "blobs").rglob("*") if p.is_file()]
    assert blobs == []


def test_video_is_refused_for_a_textbook(app, client, tokens, clips):
    form = {**METADATA, "kind": "sach-giao-khoa", "file": (io.BytesIO(clips["video"].read_bytes()), "a.mp4")}
    refused = client.post("/api/v1/materials", data=form, headers=bearer(tokens["teacher"]),
                          content_type="multipart/form-data")
    assert refused.status_code == 415 and "MP4" in refused.json["error"]["message"]


def test_truncated_video_fails_with_a_clear_reason_and_leaves_nothing(app, client, tokens, clips):
    created = upload(client, tokens["teacher"], clips["truncated"].read_bytes(), "cut.mp4")
    job = client.get(f"/api/v1/jobs/{created.json['job_id']}", headers=bearer(tokens["teacher"])).json
    assert job["status"] == "failed" and ("cắt cụt" in job["error"] or "bị hỏng" in job["error"]), job
    material = client.get(f"/api/v1/materials/{created.json['id']}", headers=bearer(tokens["teacher"])).json
    assert material["ingest_status"] == "failed" and "media" not in material
    assert derived_blobs(app) == []


def test_storage_failure_midway_leaves_no_rendition(app, client, tokens, clips):
    storage = app.extensions["storage"]
    real_put = storage.put_file
    calls = []

    def flaky_put(path, key, content_type="application/octet-stream"):
        calls.append(key)
        if len(calls) % 4 == 0:
            raise OSError("disk full")
        return real_put(path, key, content_type=content_type)
    storage.put_file = flaky_put
    created = upload(client, tokens["teacher"], clips["video"].read_bytes(), "bai-15.mp4")
    job = client.get(f"/api/v1/jobs/{created.json['job_id']}", headers=bearer(tokens["teacher"])).json
    assert job["status"] in ("queued", "failed")  # the attempt failed; a retry is scheduled
    material = client.get(f"/api/v1/materials/{created.json['id']}", headers=bearer(tokens["teacher"])).json
    assert "media" not in material and derived_blobs(app) == []


SRT = ("1\n00:00:00,500 --> 00:00:03,000\nGia tốc tỉ lệ thuận với lực <script>alert(1)</script>\n\n"
       "2\n00:00:03,000 --> 00:00:04,000\n<font color=red>Khối lượng quán tính</font>\n").encode()


def test_captions_are_sanitised_played_and_searchable(app, client, tokens, clips):
    from tests.conftest import csrf_from, login

    created = upload(client, tokens["teacher"], clips["video"].read_bytes(), "bai-15.mp4")
    material_id = created.json["id"]
    login(client, "teacher")
    page = f"/materials/{material_id}"
    refused = client.post(f"{page}/captions", data={"csrf_token": csrf_from(client, page), "lang": "vi",
                                                    "file": (io.BytesIO(b"not captions"), "x.srt")},
                          content_type="multipart/form-data", follow_redirects=True)
    assert "Tệp phụ đề SRT không hợp lệ" in refused.get_data(as_text=True)
    saved = client.post(f"{page}/captions", data={"csrf_token": csrf_from(client, page), "lang": "vi",
                                                  "file": (io.BytesIO(SRT), "bai-15.srt")},
                        content_type="multipart/form-data", follow_redirects=True)
    assert "Đã lưu phụ đề" in saved.get_data(as_text=True)
    html = client.get(page).get_data(as_text=True)
    assert '<video id="lecture-player"' in html and 'type="application/vnd.apple.mpegurl"' in html
    assert re.search(r'<track kind="captions" src="[^"]+/captions/vi\.vtt" srclang="vi" label="Tiếng Việt"', html)
    client.get("/logout")

    publish(client, tokens, material_id)
    media = client.get(f"/api/v1/materials/{material_id}").json["media"]
    assert [c["lang"] for c in media["captions"]] == ["vi"]
    vtt = client.get(media["captions"][0]["url"])
    assert vtt.mimetype == "text/vtt" and vtt.data.startswith(b"WEBVTT")
    assert b"<script" not in vtt.data and b"<font" not in vtt.data and "Khối lượng".encode() in vtt.data
    hits = client.get("/api/v1/search", query_string={"q": "khoi luong quan tinh"}).json["hits"]
    assert [h["id"] for h in hits] == [material_id]


def test_player_page_uses_hls_js_when_installed_and_keeps_the_native_sources(app, client, tokens, clips,
                                                                             monkeypatch):
    import repository.materials.views as material_views

    created = upload(client, tokens["teacher"], clips["video"].read_bytes(), "bai-15.mp4")
    publish(client, tokens, created.json["id"])
    page_url = f"/materials/{created.json['id']}"
    hls_js = Path(app.static_folder) / material_views.HLS_JS
    html = client.get(page_url).get_data(as_text=True)
    sources = re.findall(r'<source src="([^"]+)" type="([^"]+)">', html)
    assert [t for _, t in sources] == ["application/vnd.apple.mpegurl", "video/mp4"]  # native HLS, then MP4
    assert ('src="/static/node_modules/hls.js/dist/hls.min.js"' in html) == hls_js.is_file()
    assert 'id="quality-menu"' in html and 'data-hls="' in html
    monkeypatch.setattr(material_views, "HLS_JS", "node_modules/hls.js/dist/absent.js")
    without = client.get(page_url).get_data(as_text=True)
    assert "hls.js/dist" not in without
    assert re.findall(r'<source src="([^"]+)" type="([^"]+)">', without) == sources
