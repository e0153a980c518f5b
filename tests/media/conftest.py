"""Media fixtures: tiny clips generated with ffmpeg's lavfi sources (helpers in mediatools.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.media import MediaLimits, TranscodeResult, plan_ladder, probe_media, transcode_to_hls
from tests.media.mediatools import SECRET, ffmpeg, lavfi_clip


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def limits() -> MediaLimits:
    return MediaLimits(transcode_timeout_s=60, cpu_seconds=120, memory_mb=2048, probe_timeout_s=20)


@pytest.fixture(scope="session")
def av_clip(media_dir: Path) -> Path:
    """640x360, 15 fps, 4 s with sound: two rungs (234p, 360p) and two 2 s segments per rung."""
    return lavfi_clip(media_dir / "lecture.mp4", size="640x360", seconds=4)


@pytest.fixture(scope="session")
def audio_clip(media_dir: Path) -> Path:
    """3 s MP3 with cover art: the picture stream must not make it a video."""
    cover = media_dir / "cover.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc2=s=64x64:d=1", "-frames:v", "1", str(cover))
    path = media_dir / "lecture.mp3"
    ffmpeg("-f", "lavfi", "-i", "sine=f=330:sample_rate=44100:d=3", "-i", str(cover),
           "-map", "0:a", "-map", "1:v", "-c:a", "libmp3lame", "-b:a", "96k", "-c:v", "png",
           "-disposition:v", "attached_pic", "-id3v2_version", "3", str(path))
    return path


@pytest.fixture(scope="session")
def transcoded(av_clip: Path, media_dir: Path, limits: MediaLimits) -> tuple[TranscodeResult, list[float]]:
    """One real transcode of the 640x360 clip (2 s segments), shared by the checks on its outputs."""
    info = probe_media(av_clip, limits)
    seen: list[float] = []
    result = transcode_to_hls(av_clip, media_dir / "out" / "lecture", info,
                              plan_ladder(info.width, info.height, has_audio=info.has_audio),
                              limits=limits, progress=seen.append, segment_seconds=2)
    return result, seen


@pytest.fixture(scope="session")
def secret_file(media_dir: Path) -> Path:
    path = media_dir / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path
