"""transcode_to_hls with real ffmpeg on a 4 s 640x360 clip (see conftest.transcoded)."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from ingest.media import MediaError, MediaLimits, TranscodeResult, plan_ladder, probe_media, transcode_to_hls
from tests.media.mediatools import corpus_file, ffprobe_json, lavfi_clip, needs_ffmpeg

pytestmark = needs_ffmpeg


def master_variants(master: Path) -> list[tuple[dict[str, str], str]]:
    lines = master.read_text(encoding="utf-8").splitlines()
    variants = []
    for line, uri in itertools.pairwise(lines):
        if line.startswith("#EXT-X-STREAM-INF:"):
            attributes = dict(re.findall(r'([A-Z-]+)=("[^"]*"|[^,]*)', line.split(":", 1)[1]))
            variants.append((attributes, uri))
    return variants


def segments(playlist: Path) -> list[Path]:
    lines = playlist.read_text(encoding="utf-8").splitlines()
    return [playlist.parent / line for line in lines if line and not line.startswith("#")]


def test_master_playlist_matches_the_ladder(transcoded: tuple[TranscodeResult, list[float]]) -> None:
    result, _ = transcoded
    variants = master_variants(result.master_playlist)
    assert [attrs.get("RESOLUTION") for attrs, _ in variants] == ["416x234", "640x360", None]
    for attrs, uri in variants:
        assert int(attrs["BANDWIDTH"]) >= int(attrs["AVERAGE-BANDWIDTH"]) > 0
        assert attrs["CODECS"].strip('"').endswith("mp4a.40.2")
        assert (result.out_dir / uri).is_file()
    for attrs, uri in variants[:2]:
        width, height = (int(n) for n in attrs["RESOLUTION"].split("x"))
        first = segments(result.out_dir / uri)[0]
        stream = ffprobe_json("-select_streams", "v", "-show_entries", "stream=width,height", str(first))
        assert stream["streams"][0] == {"width": width, "height": height}


def test_every_segment_starts_with_a_keyframe(transcoded: tuple[TranscodeResult, list[float]]) -> None:
    result, _ = transcoded
    for name in ("234p", "360p"):
        parts = segments(result.out_dir / name / "index.m3u8")
        assert len(parts) == 2
        for part in parts:
            frames = ffprobe_json("-select_streams", "v", "-read_intervals", "%+#1",
                                  "-show_entries", "frame=key_frame,pict_type", str(part))["frames"]
            assert (frames[0]["key_frame"], frames[0]["pict_type"]) == (1, "I"), part


def test_progressive_mp4_is_faststart(transcoded: tuple[TranscodeResult, list[float]]) -> None:
    result, _ = transcoded
    data = result.mp4.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")
    streams = ffprobe_json("-show_entries", "stream=codec_name,height", str(result.mp4))["streams"]
    assert [s["codec_name"] for s in streams] == ["h264", "aac"]


def test_poster_is_a_jpeg_of_the_top_rendition(transcoded: tuple[TranscodeResult, list[float]]) -> None:
    result, _ = transcoded
    assert result.poster is not None and result.poster.read_bytes()[:3] == b"\xff\xd8\xff"
    stream = ffprobe_json("-show_entries", "stream=width,height", str(result.poster))["streams"][0]
    assert stream == {"width": 640, "height": 360}


def test_progress_is_monotonic_and_ends_at_one(transcoded: tuple[TranscodeResult, list[float]]) -> None:
    _, seen = transcoded
    assert seen and seen[-1] == 1.0
    assert seen == sorted(seen) and all(0.0 <= f <= 1.0 for f in seen)
    assert seen.count(1.0) == 1


def test_no_work_directory_is_left_behind(transcoded: tuple[TranscodeResult, list[float]]) -> None:
    result, _ = transcoded
    assert [p.name for p in result.out_dir.parent.iterdir()] == [result.out_dir.name]


def test_audio_lecture_gets_an_audio_only_stream(
    audio_clip: Path, tmp_path: Path, limits: MediaLimits
) -> None:
    info = probe_media(audio_clip, limits)
    result = transcode_to_hls(audio_clip, tmp_path / "audio", info, plan_ladder(None, None), limits=limits)
    assert [(attrs["CODECS"], uri) for attrs, uri in master_variants(result.master_playlist)] == [
        ('"mp4a.40.2"', "audio/index.m3u8")]
    assert result.mp4.name == "audio.m4a" and result.poster is None
    streams = ffprobe_json("-show_entries", "stream=codec_name", str(result.mp4))["streams"]
    assert streams == [{"codec_name": "aac"}]


def test_timeout_kills_ffmpeg_and_publishes_nothing(av_clip: Path, tmp_path: Path) -> None:
    limits = MediaLimits(transcode_timeout_s=0.05)
    info = probe_media(av_clip, limits)
    with pytest.raises(MediaError) as caught:
        transcode_to_hls(av_clip, tmp_path / "out", info, plan_ladder(640, 360), limits=limits)
    assert caught.value.code == "timeout"
    assert list(tmp_path.iterdir()) == []


def test_truncated_upload_is_refused_and_publishes_nothing(tmp_path: Path, limits: MediaLimits) -> None:
    """moov first (faststart), media data cut short: the probe believes 6 s, only ~2 s decode."""
    whole = lavfi_clip(tmp_path / "whole.mp4", size="320x180", seconds=6, extra=("-movflags", "+faststart"))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    info = probe_media(cut, limits)
    with pytest.raises(MediaError) as caught:
        transcode_to_hls(cut, tmp_path / "out" / "cut", info, plan_ladder(320, 180), limits=limits)
    assert caught.value.code == "truncated"
    assert "cắt cụt" in caught.value.message_vi
    assert list((tmp_path / "out").iterdir()) == []


def test_corpus_portrait_clip_without_sound(tmp_path: Path, limits: MediaLimits) -> None:
    clip = corpus_file("pptx_just-two-mice.mp4")
    info = probe_media(clip, limits)
    result = transcode_to_hls(clip, tmp_path / "mice", info,
                              plan_ladder(info.width, info.height, has_audio=info.has_audio), limits=limits)
    variants = master_variants(result.master_playlist)
    assert [(attrs["RESOLUTION"], attrs["CODECS"]) for attrs, _ in variants] == [("234x336", '"avc1.64001e"')]


def test_thumbnail_strip_comes_from_the_same_pass(transcoded: tuple[TranscodeResult, list[float]]) -> None:
    """A 4 s clip: thumbnails every 2 s, tiled 10x10 in one sprite sheet, one WebVTT cue per thumbnail."""
    result, _ = transcoded
    assert result.thumbnails is not None and result.thumbnails.name == "thumbnails.vtt"
    sheets = sorted(result.thumbnails.parent.glob("sprite-*.jpg"))
    assert [s.name for s in sheets] == ["sprite-001.jpg"]
    stream = ffprobe_json("-show_entries", "stream=width,height", str(sheets[0]))["streams"][0]
    assert (stream["width"], stream["height"]) == (1600, 900)
    assert result.thumbnails.read_text(encoding="utf-8") == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nsprite-001.jpg#xywh=0,0,160,90\n\n"
        "00:00:02.000 --> 00:00:04.000\nsprite-001.jpg#xywh=160,0,160,90\n")


def test_thumbnail_interval_keeps_a_long_lecture_to_a_few_sheets() -> None:
    from ingest.media.transcode import MAX_THUMBS, thumb_interval

    assert thumb_interval(4) == 2 and thumb_interval(600) == 2
    assert thumb_interval(3 * 3600) == 36 and 3 * 3600 / thumb_interval(3 * 3600) <= MAX_THUMBS
