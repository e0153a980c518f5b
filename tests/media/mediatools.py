"""Helpers for the media tests: run ffmpeg/ffprobe, make lavfi clips, find corpus files."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import corpus_dir

needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None or shutil.which("ffprobe") is None,
                                  reason="ffmpeg/ffprobe are not installed")
SECRET = "hoclieu-secret-4f1d9a-local-file-must-not-leak"


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *args], check=True)


def ffprobe_json(*args: str) -> dict:
    """The tests' own ffprobe; unlike the product it may open the HLS playlists we produced."""
    out = subprocess.run(["ffprobe", "-v", "error", "-of", "json", *args],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def lavfi_clip(path: Path, *, size: str, seconds: float, rate: int = 15, audio: bool = True,
               extra: tuple[str, ...] = ()) -> Path:
    """H.264 (+ AAC sine) test pattern; small and fast to make."""
    inputs = ["-f", "lavfi", "-i", f"testsrc2=s={size}:r={rate}:d={seconds}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=f=440:sample_rate=48000:d={seconds}"]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
    if audio:
        codecs += ["-c:a", "aac", "-b:a", "64k"]
    ffmpeg(*inputs, *codecs, *extra, str(path))
    return path


def corpus_file(name: str) -> Path:
    path = corpus_dir("video") / name
    if not path.is_file():
        pytest.skip(f"corpus video {name} not found in {path.parent}")
    return path
