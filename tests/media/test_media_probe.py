"""probe_media on generated clips: what it reports and what it refuses."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from ingest.errors import IngestError
from ingest.media import MediaError, MediaLimits, probe_media
from tests.media.mediatools import corpus_file, ffmpeg, needs_ffmpeg

pytestmark = needs_ffmpeg


def test_probe_reports_video_and_audio(av_clip: Path, limits: MediaLimits) -> None:
    info = probe_media(av_clip, limits)
    assert info.kind == "video"
    assert (info.width, info.height) == (640, 360)
    assert info.duration == pytest.approx(4.0, abs=0.1)
    assert (info.video_codec, info.audio_codec) == ("h264", "aac")
    assert info.demuxer == "mov"
    assert info.frame_rate == pytest.approx(15.0)
    assert info.has_audio


def test_mp3_with_cover_art_is_audio_only(audio_clip: Path, limits: MediaLimits) -> None:
    info = probe_media(audio_clip, limits)
    assert info.kind == "audio"
    assert info.width is None and info.height is None and info.video_codec is None
    assert info.audio_codec == "mp3"
    assert info.duration == pytest.approx(3.0, abs=0.1)


def test_text_file_renamed_mp4_is_refused(tmp_path: Path, limits: MediaLimits) -> None:
    fake = tmp_path / "bai-giang.mp4"
    fake.write_text("Đây không phải là video.\n" * 20, encoding="utf-8")
    with pytest.raises(MediaError) as caught:
        probe_media(fake, limits)
    assert caught.value.code in {"unreadable", "unsupported_format"}
    assert "bai-giang.mp4" in caught.value.message_vi
    assert isinstance(caught.value, IngestError)


def test_truncated_mp4_is_refused(av_clip: Path, tmp_path: Path, limits: MediaLimits) -> None:
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(av_clip.read_bytes()[: av_clip.stat().st_size // 2])
    with pytest.raises(MediaError) as caught:
        probe_media(cut, limits)
    assert caught.value.code == "unreadable"


def test_file_with_no_audio_or_video_is_refused(tmp_path: Path, limits: MediaLimits) -> None:
    subtitles = tmp_path / "only.srt"
    subtitles.write_text("1\n00:00:00,000 --> 00:00:01,000\nXin chào\n", encoding="utf-8")
    mkv = tmp_path / "only-subtitles.mkv"
    ffmpeg("-i", str(subtitles), "-c:s", "srt", str(mkv))
    with pytest.raises(MediaError) as caught:
        probe_media(mkv, limits)
    assert caught.value.code == "no_streams"


@pytest.mark.parametrize("playlist", [
    "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\nfile://{secret}\n#EXT-X-ENDLIST\n",
    "#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:10.0,\n"
    "http://169.254.169.254/latest/meta-data/\n#EXT-X-ENDLIST\n",
    "ffconcat version 1.0\nfile '{secret}'\n",
], ids=["hls-local-file", "hls-metadata-url", "ffconcat"])
def test_playlist_disguised_as_video_is_refused(
    playlist: str, secret_file: Path, tmp_path: Path, limits: MediaLimits
) -> None:
    """THREATS.md item 1: the hls/concat demuxers are not on the format whitelist."""
    hostile = tmp_path / "lecture.mp4"
    hostile.write_text(playlist.format(secret=secret_file), encoding="utf-8")
    with pytest.raises(MediaError) as caught:
        probe_media(hostile, limits)
    assert caught.value.code == "unsupported_format"
    assert "không phải là video" in caught.value.message_vi


def test_duration_over_limit_is_refused(av_clip: Path) -> None:
    with pytest.raises(MediaError) as caught:
        probe_media(av_clip, MediaLimits(max_duration_s=3))
    assert caught.value.code == "too_long"
    assert "phút" in caught.value.message_vi


def test_resolution_over_limit_is_refused(av_clip: Path) -> None:
    with pytest.raises(MediaError) as caught:
        probe_media(av_clip, MediaLimits(max_width=320, max_height=320))
    assert caught.value.code == "too_large"


def test_file_size_over_limit_is_refused(av_clip: Path) -> None:
    with pytest.raises(MediaError) as caught:
        probe_media(av_clip, MediaLimits(max_file_bytes=1000))
    assert caught.value.code == "too_large"
    assert "MB" in caught.value.message_vi


def test_declared_30000_square_frame_is_refused(media_dir: Path, limits: MediaLimits) -> None:
    """An MJPEG AVI whose headers and JPEG frames all claim 30000x30000 (THREATS.md item 3)."""
    small = media_dir / "small_mjpeg.avi"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=16x16:r=5:d=1", "-c:v", "mjpeg", str(small))
    data = bytearray(small.read_bytes())
    for marker, offset in ((b"avih", 32), (b"strf", 4)):
        struct.pack_into("<ii", data, data.index(marker) + 8 + offset, 30000, 30000)
    sof = data.find(b"\xff\xc0")
    while sof != -1:
        struct.pack_into(">HH", data, sof + 5, 30000, 30000)
        sof = data.find(b"\xff\xc0", sof + 2)
    huge = media_dir / "huge.avi"
    huge.write_bytes(bytes(data))
    with pytest.raises(MediaError) as caught:
        probe_media(huge, limits)
    assert caught.value.code == "too_large"


def test_missing_and_empty_files(tmp_path: Path, limits: MediaLimits) -> None:
    with pytest.raises(MediaError) as caught:
        probe_media(tmp_path / "absent.mp4", limits)
    assert caught.value.code == "not_found"
    (tmp_path / "empty.mp4").touch()
    with pytest.raises(MediaError) as caught:
        probe_media(tmp_path / "empty.mp4", limits)
    assert caught.value.code == "empty"


def test_file_name_that_looks_like_a_protocol_is_read_as_a_file(
    av_clip: Path, tmp_path: Path, limits: MediaLimits
) -> None:
    odd = tmp_path / "concat:x|y.mp4"
    odd.write_bytes(av_clip.read_bytes())
    assert probe_media(odd, limits).kind == "video"


def test_corpus_webm_without_duration_header(limits: MediaLimits) -> None:
    """Browser MediaRecorder output: the duration comes from the last packet."""
    info = probe_media(corpus_file("moviepy_no_duration.webm"), limits)
    assert info.kind == "video" and info.demuxer == "matroska"
    assert (info.width, info.height) == (1280, 720)
    assert info.duration > 0


def test_corpus_portrait_video_without_sound(limits: MediaLimits) -> None:
    info = probe_media(corpus_file("pptx_just-two-mice.mp4"), limits)
    assert (info.width, info.height) == (312, 450)
    assert not info.has_audio
    assert info.duration == pytest.approx(7.2, abs=0.2)


def test_corpus_webm_vp8_vorbis(limits: MediaLimits) -> None:
    info = probe_media(corpus_file("moviepy_big_buck_bunny_0_30.webm"), limits)
    assert (info.kind, info.width, info.height) == ("video", 1280, 720)
    assert (info.video_codec, info.audio_codec) == ("vp8", "vorbis")
    assert info.duration == pytest.approx(30.0, abs=0.5)
