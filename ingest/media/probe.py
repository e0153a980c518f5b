"""Probe untrusted media files with ffprobe under hard limits.

Every ffprobe/ffmpeg process started from this package reads only local files
(``-protocol_whitelist file``), only through the demuxers of real media
containers (``-format_whitelist``), never decodes a frame larger than the
limits allow, and runs capped in CPU time and memory with a wall-clock timeout.
Playlist-style demuxers (hls, concat, image2, ...) are never on the whitelist,
so a playlist disguised as a video cannot make ffmpeg open another file or the
network (THREATS.md items 1-3).
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from ingest.errors import IngestError

log = logging.getLogger(__name__)

PROTOCOL_WHITELIST = "file"

# Probed ``format_name`` -> the demuxer forced with ``-f`` when transcoding.
# AVI is kept: its only nested demuxer (GAB2 subtitles) inherits the whitelist.
DEMUXER_BY_FORMAT: dict[str, str] = {
    "mov,mp4,m4a,3gp,3g2,mj2": "mov",
    "matroska,webm": "matroska",
    "avi": "avi",
    "asf": "asf",
    "mpegts": "mpegts",
    "mpeg": "mpeg",
    "mp3": "mp3",
    "wav": "wav",
    "ogg": "ogg",
    "flac": "flac",
    "aac": "aac",
}
FORMAT_WHITELIST = ",".join(DEMUXER_BY_FORMAT.values())
MAX_STREAMS = 64


class MediaError(IngestError):
    """A media file was refused or could not be processed (code, Vietnamese and English messages)."""


@dataclass(frozen=True)
class MediaLimits:
    """Content and resource limits for probing and transcoding one upload."""

    max_duration_s: float = 4 * 3600
    max_width: int = 3840
    max_height: int = 2160
    max_file_bytes: int = 4 * 1024**3
    probe_timeout_s: float = 60.0
    transcode_timeout_s: float = 6 * 3600
    cpu_seconds: int = 12 * 3600
    memory_mb: int = 2048

    @property
    def max_pixels(self) -> int:
        return self.max_width * self.max_height


@dataclass(frozen=True)
class MediaInfo:
    """What ffprobe found. ``width``/``height`` are the display size (rotation and pixel aspect applied)."""

    kind: str  # "video" or "audio"
    duration: float
    width: int | None
    height: int | None
    video_codec: str | None
    audio_codec: str | None
    format_name: str
    demuxer: str
    frame_rate: float | None = None
    video_stream: int | None = None
    audio_stream: int | None = None
    audio_channels: int | None = None

    @property
    def has_audio(self) -> bool:
        return self.audio_stream is not None


def probe_media(path: Path, limits: MediaLimits) -> MediaInfo:
    """Probe ``path`` and refuse anything that is not a playable media file within ``limits``."""
    path = Path(path)
    _check_file(path, limits)
    report = _run_ffprobe(path, limits)
    format_name = str((report.get("format") or {}).get("format_name", ""))
    demuxer = DEMUXER_BY_FORMAT.get(format_name)
    if demuxer is None:
        raise _unsupported(path, format_name)
    streams = report.get("streams") or []
    if len(streams) > MAX_STREAMS:
        raise MediaError("too_many_streams", f"Tệp {path.name} có quá nhiều luồng dữ liệu ({len(streams)}).",
                         f"{len(streams)} streams in {path}")
    video, audio = _first_stream(streams, "video"), _first_stream(streams, "audio")
    if video is None and audio is None:
        raise MediaError("no_streams", f"Tệp {path.name} không có hình ảnh hay âm thanh nào.",
                         f"no audio or video stream in {path}")
    if video is not None:
        _check_frame_size(path, video, limits)
    duration = _duration(path, report, video or audio, demuxer, limits)
    return _media_info(format_name, demuxer, duration, video, audio)


def ffmpeg_binary(name: str) -> str:
    """Absolute path of ffmpeg/ffprobe, or a clear error when it is not installed."""
    found = shutil.which(name)
    if found is None:
        raise MediaError("ffmpeg_missing", "Máy chủ chưa cài ffmpeg nên không xử lý được video.",
                         f"{name} not found on PATH")
    return found


def input_url(path: Path) -> str:
    """Explicit ``file:`` URL, so a name like ``concat:a|b.mp4`` is never read as a protocol."""
    return "file:" + str(Path(path).resolve())


def hardened_input_args(limits: MediaLimits, demuxer: str | None = None) -> list[str]:
    """Input options for every ffprobe/ffmpeg run on an upload (put before ``-i``)."""
    forced = ["-f", demuxer] if demuxer else []
    return [*forced, "-protocol_whitelist", PROTOCOL_WHITELIST, "-format_whitelist", FORMAT_WHITELIST,
            "-max_pixels", str(limits.max_pixels)]


def capped(argv: list[str], limits: MediaLimits) -> list[str]:
    """Prefix ``prlimit`` (CPU seconds, address space, no core) so no preexec_fn runs in a threaded worker."""
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        log.warning("prlimit not found: ffmpeg runs without CPU and memory caps")
        return argv
    memory = limits.memory_mb * 1024 * 1024
    return [prlimit, f"--cpu={limits.cpu_seconds}", f"--as={memory}", "--core=0", "--", *argv]


def failure_from_stderr(path: Path, stderr: str, returncode: int) -> MediaError:
    """Turn an ffprobe/ffmpeg failure into the most specific MediaError we can name."""
    text, name = stderr.lower(), Path(path).name
    if _frame_size_refused(stderr):
        return _too_large(path, "decoder refused the frame size")
    if "not on whitelist" in text:
        return _unsupported(path, "format/protocol not on whitelist")
    if "cannot allocate memory" in text or returncode in (-9, -24):
        return MediaError("resource_limit", f"Tệp {name} cần quá nhiều tài nguyên để xử lý.",
                          f"ffmpeg hit a resource limit on {path} (rc={returncode})")
    return MediaError("unreadable", f"Tệp {name} bị hỏng hoặc không phải là tệp video/âm thanh.",
                      f"ffmpeg could not read {path} (rc={returncode}): {_last_line(stderr)}")


def _frame_size_refused(stderr: str) -> bool:
    """ffprobe exits 0 with empty dimensions when the decoder refuses a frame size; its log says why."""
    text = stderr.lower()
    return "max pixel" in text or ("picture size" in text and "invalid" in text)


def _check_file(path: Path, limits: MediaLimits) -> None:
    if not path.is_file():
        raise MediaError("not_found", f"Không tìm thấy tệp {path.name}.", f"no such file: {path}")
    size = path.stat().st_size
    if size == 0:
        raise MediaError("empty", f"Tệp {path.name} rỗng.", f"empty file {path}")
    if size > limits.max_file_bytes:
        megabytes = limits.max_file_bytes // 1024**2
        raise MediaError("too_large", f"Tệp {path.name} lớn hơn {megabytes} MB cho phép.",
                         f"{size} bytes exceeds {limits.max_file_bytes} in {path}")


def _run_ffprobe(path: Path, limits: MediaLimits) -> dict[str, Any]:
    entries = ("format=format_name,duration:stream=index,codec_type,codec_name,width,height,"
               "sample_aspect_ratio,avg_frame_rate,r_frame_rate,duration,channels:"
               "stream_disposition=attached_pic:stream_side_data=rotation")
    argv = [ffmpeg_binary("ffprobe"), "-v", "error", "-hide_banner", *hardened_input_args(limits),
            "-show_entries", entries, "-of", "json", "-i", input_url(path)]
    completed = _run_probe_command(path, argv, limits)
    if _frame_size_refused(completed.stderr):
        raise _too_large(path, "decoder refused the frame size while probing")
    try:
        return json.loads(completed.stdout or "{}")
    except json.JSONDecodeError as exc:
        raise MediaError("unreadable", f"Không đọc được tệp {path.name}.",
                         f"ffprobe returned invalid JSON for {path}") from exc


def _run_probe_command(path: Path, argv: list[str], limits: MediaLimits) -> subprocess.CompletedProcess[str]:
    try:
        completed = subprocess.run(capped(argv, limits), capture_output=True, text=True, errors="replace",
                                   stdin=subprocess.DEVNULL, timeout=limits.probe_timeout_s, check=False)
    except subprocess.TimeoutExpired as exc:
        raise MediaError("timeout", f"Kiểm tra tệp {path.name} quá lâu nên đã bị dừng.",
                         f"ffprobe exceeded {limits.probe_timeout_s}s on {path}") from exc
    if completed.returncode != 0:
        raise failure_from_stderr(path, completed.stderr, completed.returncode)
    return completed


def _first_stream(streams: list[dict[str, Any]], codec_type: str) -> dict[str, Any] | None:
    """First stream of a type; cover art in an audio file is not a video."""
    for stream in streams:
        if stream.get("codec_type") != codec_type:
            continue
        if codec_type == "video" and (stream.get("disposition") or {}).get("attached_pic"):
            continue
        return stream
    return None


def _check_frame_size(path: Path, video: dict[str, Any], limits: MediaLimits) -> None:
    width, height = int(video.get("width") or 0), int(video.get("height") or 0)
    if width <= 0 or height <= 0:
        raise MediaError("unreadable", f"Không xác định được kích thước khung hình của {path.name}.",
                         f"video stream without dimensions in {path}")
    if max(width, height) > max(limits.max_width, limits.max_height) or width * height > limits.max_pixels:
        raise _too_large(path, f"declared frame {width}x{height}")


def _duration(path: Path, report: dict[str, Any], main: dict[str, Any], demuxer: str,
              limits: MediaLimits) -> float:
    streams = report.get("streams") or []
    candidates = [_as_float((report.get("format") or {}).get("duration"))]
    candidates += [_as_float(s.get("duration")) for s in streams]
    known = [d for d in candidates if d is not None and d > 0]
    duration = max(known) if known else _duration_from_packets(path, int(main["index"]), demuxer, limits)
    if duration is None or duration <= 0:
        raise MediaError("no_duration", f"Không xác định được độ dài của {path.name}.",
                         f"no duration and no timestamped packets in {path}")
    if duration > limits.max_duration_s:
        raise MediaError(
            "too_long",
            f"Tệp {path.name} dài {duration / 60:.0f} phút, "
            f"vượt giới hạn {limits.max_duration_s / 60:.0f} phút.",
            f"duration {duration:.1f}s exceeds {limits.max_duration_s}s in {path}",
        )
    return duration


def _duration_from_packets(path: Path, stream_index: int, demuxer: str, limits: MediaLimits) -> float | None:
    """Duration of files whose header has none (browser MediaRecorder WebM): the last packet's end.

    Demuxes only, without decoding; bounded by the probe timeout.
    """
    log.info("no duration in header of %s, scanning packets", path)
    argv = [ffmpeg_binary("ffprobe"), "-v", "error", "-hide_banner", *hardened_input_args(limits, demuxer),
            "-select_streams", str(stream_index), "-show_entries", "packet=pts_time,duration_time",
            "-of", "csv=p=0", "-i", input_url(path)]
    end = None
    for line in _run_probe_command(path, argv, limits).stdout.splitlines():
        pts, _, length = line.partition(",")
        start = _as_float(pts)
        if start is not None:
            packet_end = start + (_as_float(length.split(",")[0]) or 0.0)
            end = packet_end if end is None else max(end, packet_end)
    return end


def _media_info(format_name: str, demuxer: str, duration: float, video: dict[str, Any] | None,
                audio: dict[str, Any] | None) -> MediaInfo:
    width, height = _display_size(video) if video else (None, None)
    return MediaInfo(
        kind="video" if video is not None else "audio",
        duration=duration,
        width=width,
        height=height,
        video_codec=video.get("codec_name") if video else None,
        audio_codec=audio.get("codec_name") if audio else None,
        format_name=format_name,
        demuxer=demuxer,
        frame_rate=_frame_rate(video) if video else None,
        video_stream=int(video["index"]) if video else None,
        audio_stream=int(audio["index"]) if audio else None,
        audio_channels=int(audio.get("channels") or 0) if audio else None,
    )


def _display_size(video: dict[str, Any]) -> tuple[int, int]:
    width, height = int(video["width"]), int(video["height"])
    sar = _as_fraction(video.get("sample_aspect_ratio"))
    if sar is not None and sar > 0 and sar != 1:
        width = max(2, round(width * sar))
    rotation = 0
    for side_data in video.get("side_data_list") or []:
        rotation = int(_as_float(side_data.get("rotation")) or 0)
    if abs(rotation) % 180 == 90:
        width, height = height, width
    return width, height


def _frame_rate(video: dict[str, Any]) -> float | None:
    for key in ("avg_frame_rate", "r_frame_rate"):
        rate = _as_fraction(video.get(key))
        if rate is not None and 0 < rate <= 1000:
            return float(rate)
    return None


def _as_float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _as_fraction(value: Any) -> Fraction | None:
    try:
        return Fraction(str(value).replace(":", "/"))
    except (ValueError, ZeroDivisionError):
        return None


def _unsupported(path: Path, detail: str) -> MediaError:
    return MediaError(
        "unsupported_format",
        f"Tệp {Path(path).name} không phải là video hay âm thanh ở định dạng được hỗ trợ "
        "(MP4, MOV, MKV, WebM, AVI, WMV, MPEG, MP3, M4A, WAV, OGG, FLAC).",
        f"refused format {detail!r} for {path}",
    )


def _too_large(path: Path, detail: str) -> MediaError:
    return MediaError("too_large", f"Khung hình của {Path(path).name} lớn hơn kích thước tối đa được phép.",
                      f"frame size over the limit in {path}: {detail}")


def _last_line(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no error output"
