"""Transcode one probed upload into an HLS ladder, a progressive fallback and a poster.

One ffmpeg process decodes the source once; ``split``/``asplit`` feed every rung. Each rung is encoded
once and written through the ``tee`` muxer, so the middle rung's encode also becomes the progressive
MP4 (or, for audio lectures, the M4A) instead of paying for a second encode.

Everything is written into a hidden sibling directory that is renamed to ``out_dir`` only when complete:
a failed, timed-out or killed transcode leaves nothing at ``out_dir`` (THREATS.md item 4).
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ingest.media.ladder import Rendition, codecs_attribute, h264_level, output_frame_rate
from ingest.media.probe import (
    MediaError,
    MediaInfo,
    MediaLimits,
    capped,
    failure_from_stderr,
    ffmpeg_binary,
    hardened_input_args,
    input_url,
)

log = logging.getLogger(__name__)

SEGMENT_SECONDS = 6
GOP_SECONDS = 2
MASTER_PLAYLIST = "master.m3u8"
POSTER = "poster.jpg"
#: The seek bar's thumbnail strip: sprite sheets of TILE x TILE thumbnails THUMB_WIDTH wide, and a WebVTT file
#: whose cues point at each thumbnail (``sprite-001.jpg#xywh=x,y,w,h``), made in the same ffmpeg pass.
THUMBS_DIR = "thumbs"
THUMBS_VTT = "thumbs/thumbnails.vtt"
THUMB_WIDTH = 160
TILE = 10
MAX_THUMBS = 300
# Output ending this much before the probed duration means the source was cut short.
TRUNCATION_TOLERANCE_S = 2.0
TRUNCATION_TOLERANCE_RATIO = 0.1
_SAFE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


@dataclass
class TranscodeResult:
    """Finished outputs. ``variants`` follow the master playlist's order (name, size, bandwidth, codecs)."""

    out_dir: Path
    master_playlist: Path
    mp4: Path
    poster: Path | None
    variants: list[dict[str, Any]] = field(default_factory=list)
    #: The thumbnail strip's WebVTT file (None for audio lectures).
    thumbnails: Path | None = None


def transcode_to_hls(
    src: Path,
    out_dir: Path,
    info: MediaInfo,
    renditions: list[Rendition],
    *,
    limits: MediaLimits,
    progress: Callable[[float], None] | None = None,
    segment_seconds: int = SEGMENT_SECONDS,
) -> TranscodeResult:
    """Transcode ``src`` (probed into ``info``) to ``renditions`` (from ``plan_ladder``) under ``out_dir``.

    ``progress`` receives non-decreasing fractions, and exactly 1.0 once ``out_dir`` holds the complete
    result. Re-running replaces an earlier result atomically.
    """
    src, out_dir = Path(src), Path(out_dir)
    _check_renditions(info, renditions)
    fallback = "fallback.mp4" if info.kind == "video" else "audio.m4a"
    work = _fresh_work_dir(out_dir)
    try:
        for rendition in renditions:
            (work / rendition.name).mkdir()
        if info.kind == "video":
            (work / THUMBS_DIR).mkdir()
        argv = build_command(src, info, renditions, limits, fallback, segment_seconds)
        out_time = _run_ffmpeg(argv, work, src, info.duration, limits, progress)
        _check_complete(src, info, out_time)
        variants = _write_master_playlist(work, info, renditions)
        if info.kind == "video":
            write_thumbnail_cues(work, info)
        _publish(work, out_dir)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    if progress is not None:
        progress(1.0)
    log.info("transcoded %s into %d variants at %s", src, len(variants), out_dir)
    poster, thumbnails = out_dir / POSTER, out_dir / THUMBS_VTT
    return TranscodeResult(out_dir, out_dir / MASTER_PLAYLIST, out_dir / fallback,
                           poster if poster.is_file() else None, variants,
                           thumbnails if thumbnails.is_file() else None)


def build_command(src: Path, info: MediaInfo, renditions: list[Rendition], limits: MediaLimits,
                  fallback: str, segment_seconds: int = SEGMENT_SECONDS) -> list[str]:
    """The whole job's ffmpeg argv; output paths are relative to the work directory ffmpeg runs in."""
    argv = [ffmpeg_binary("ffmpeg"), "-nostdin", "-hide_banner", "-v", "error", "-nostats",
            "-progress", "pipe:1", "-max_alloc", str(_max_alloc(limits)),
            *hardened_input_args(limits, info.demuxer), "-i", input_url(src),
            "-filter_complex", _filter_graph(info, renditions)]
    if info.kind == "video":
        argv += ["-map", "[poster]", "-frames:v", "1", "-q:v", "3", "-map_metadata", "-1", POSTER,
                 # Sheets 1 ms apart: a sheet's own time span (a hundred thumbnails) would pass for progress.
                 "-map", "[thumbs]", "-q:v", "5", "-fps_mode", "passthrough", "-r", "1000", "-map_metadata", "-1",
                 "-f", "image2",
                 f"{THUMBS_DIR}/sprite-%03d.jpg"]
    fallback_at = _fallback_index(renditions)
    video_count = 0
    for index, rendition in enumerate(renditions):
        video_label = None
        if not rendition.rung.is_audio_only:
            video_label, video_count = f"[ov{video_count}]", video_count + 1
        argv += _rendition_args(index, video_label, rendition, info, segment_seconds,
                                fallback if index == fallback_at else None)
    return argv


def _check_renditions(info: MediaInfo, renditions: list[Rendition]) -> None:
    if not renditions:
        raise ValueError("transcode_to_hls needs at least one rendition")
    for rendition in renditions:
        if not _SAFE_NAME.match(rendition.name):
            raise ValueError(f"rendition name {rendition.name!r} is not a safe directory name")
        if rendition.rung.is_audio_only and not info.has_audio:
            raise ValueError("an audio-only rendition needs a source with sound")
        if not rendition.rung.is_audio_only and info.kind != "video":
            raise ValueError("an audio source can only have audio-only renditions")


def _max_alloc(limits: MediaLimits) -> int:
    """Largest single allocation ffmpeg may make: a quarter of the memory cap, 64-512 MiB."""
    return max(64 << 20, min(limits.memory_mb * (1 << 20) // 4, 512 << 20))


def _filter_graph(info: MediaInfo, renditions: list[Rendition]) -> str:
    """Decode once, normalise (constant frame rate, 4:2:0, 48 kHz), split into one branch per output."""
    chains = []
    video = [r for r in renditions if not r.rung.is_audio_only]
    if video:
        fps = output_frame_rate(info.frame_rate)
        labels = "".join(f"[v{i}]" for i in range(len(video)))
        chains.append(f"[0:{info.video_stream}]fps={fps:.6f},format=yuv420p,"
                      f"split={len(video) + 2}{labels}[vp][vt]")
        chains.append(f"[vt]fps=1/{thumb_interval(info.duration)},"
                      f"scale={THUMB_WIDTH}:{thumb_height(info)},setsar=1,tile={TILE}x{TILE},settb=1/1000,setpts=N[thumbs]")
        chains += [f"[v{i}]scale={r.width}:{r.height},setsar=1[ov{i}]" for i, r in enumerate(video)]
        top = max(video, key=lambda r: r.height or 0)
        at = min(info.duration * 0.1, 10.0)
        chains.append(f"[vp]trim=start={at:.3f}:end={at + 1:.3f},"
                      f"scale={top.width}:{top.height},setsar=1[poster]")
    if info.has_audio:
        labels = "".join(f"[a{i}]" for i in range(len(renditions)))
        downmix = ",aformat=channel_layouts=stereo" if (info.audio_channels or 0) > 2 else ""
        chains.append(f"[0:{info.audio_stream}]aresample=48000{downmix},asplit={len(renditions)}{labels}")
    return ";".join(chains)


def thumb_interval(duration: float) -> int:
    """Seconds between thumbnails: every 2 s for short clips, at most MAX_THUMBS over a long lecture."""
    return max(2, math.ceil(duration / MAX_THUMBS))


def thumb_height(info: MediaInfo) -> int:
    """Even height of a THUMB_WIDTH-wide thumbnail with the source's aspect ratio."""
    return max(2, round(THUMB_WIDTH * (info.height or 9) / (info.width or 16) / 2) * 2)


def write_thumbnail_cues(work: Path, info: MediaInfo) -> None:
    """One cue per thumbnail the sprite sheets hold, pointing at its tile (media fragment xywh)."""
    interval, height = thumb_interval(info.duration), thumb_height(info)
    sheets = sorted((work / THUMBS_DIR).glob("sprite-*.jpg"))
    count = min(math.ceil(info.duration / interval), len(sheets) * TILE * TILE)
    lines = ["WEBVTT", ""]
    for index in range(count):
        start, end = index * interval, min((index + 1) * interval, info.duration)
        sheet, cell = divmod(index, TILE * TILE)
        x, y = cell % TILE * THUMB_WIDTH, cell // TILE * height
        lines += [f"{_vtt_time(start)} --> {_vtt_time(end)}",
                  f"{sheets[sheet].name}#xywh={x},{y},{THUMB_WIDTH},{height}", ""]
    (work / THUMBS_VTT).write_text("\n".join(lines), encoding="utf-8")


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    return f"{millis // 3_600_000:02d}:{millis // 60_000 % 60:02d}:{millis // 1000 % 60:02d}.{millis % 1000:03d}"


def _fallback_index(renditions: list[Rendition]) -> int:
    """The middle video rendition (480p of a 720p source), or the audio rendition for audio sources."""
    video = [i for i, r in enumerate(renditions) if not r.rung.is_audio_only]
    return video[len(video) // 2] if video else 0


def _rendition_args(index: int, video_label: str | None, rendition: Rendition, info: MediaInfo,
                    segment_seconds: int, fallback: str | None) -> list[str]:
    rung = rendition.rung
    args: list[str] = []
    if video_label is not None:
        args += ["-map", video_label, *_x264_args(rendition, info)]
    if info.has_audio:
        args += ["-map", f"[a{index}]", "-c:a", "aac", "-b:a", f"{rung.audio_kbps}k"]
    # max_delay lets the TS muxer pack several AAC frames per PES: one per frame doubles a 64k audio rung.
    hls = (f"[f=hls:max_delay=700000:hls_time={segment_seconds}:hls_playlist_type=vod:"
           "hls_flags=independent_segments:"
           f"hls_segment_filename={rung.name}/seg_%05d.ts]{rung.name}/index.m3u8")
    targets = [hls] + ([f"[f=mp4:movflags=+faststart]{fallback}"] if fallback else [])
    return [*args, "-map_metadata", "-1", "-map_chapters", "-1", "-flags", "+global_header",
            "-f", "tee", "|".join(targets)]


def _x264_args(rendition: Rendition, info: MediaInfo) -> list[str]:
    """x264 veryfast, capped VBR, a keyframe every GOP_SECONDS exactly (no scene-cut keyframes)."""
    rate = output_frame_rate(info.frame_rate)
    gop = str(max(1, round(rate * GOP_SECONDS)))
    level = h264_level(rendition.width or 2, rendition.height or 2, rate)
    kbps = rendition.rung.video_kbps
    return ["-c:v", "libx264", "-preset", "veryfast", "-profile:v", "high",
            "-level:v", f"{level // 10}.{level % 10}", "-b:v", f"{kbps}k", "-maxrate:v",
            f"{round(kbps * 1.1)}k", "-bufsize:v", f"{kbps * 2}k", "-g", gop, "-keyint_min", gop,
            "-sc_threshold", "0", "-force_key_frames", f"expr:gte(t,n_forced*{GOP_SECONDS})"]


def _run_ffmpeg(argv: list[str], work: Path, src: Path, duration: float, limits: MediaLimits,
                progress: Callable[[float], None] | None) -> float:
    """Run ffmpeg in ``work`` under the wall-clock timeout; return the last reported output time."""
    log.info("ffmpeg for %s: %s", src, " ".join(argv))
    with tempfile.TemporaryFile() as stderr:
        proc = subprocess.Popen(capped(argv, limits), cwd=work, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=stderr, start_new_session=True)
        timed_out = threading.Event()
        timer = threading.Timer(limits.transcode_timeout_s, _kill_group, args=(proc, timed_out))
        timer.start()
        try:
            out_time = _follow_progress(proc.stdout, duration, progress)
            returncode = proc.wait()
        finally:
            timer.cancel()
            if proc.poll() is None:
                _kill_group(proc, None)
                proc.wait()
        if timed_out.is_set():
            raise MediaError("timeout", f"Chuyển mã {src.name} quá thời gian cho phép nên đã bị dừng.",
                             f"ffmpeg exceeded {limits.transcode_timeout_s}s on {src}")
        if returncode != 0:
            raise failure_from_stderr(src, _tail(stderr), returncode)
    return out_time


def _kill_group(proc: subprocess.Popen[bytes], flag: threading.Event | None) -> None:
    if flag is not None:
        flag.set()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _follow_progress(stream: IO[bytes] | None, duration: float,
                     progress: Callable[[float], None] | None) -> float:
    """Read ``-progress`` key=value blocks; report a non-decreasing fraction below 1.0 after each block."""
    out_time, reported = 0.0, -1.0
    for raw in stream or ():
        key, _, value = raw.decode("ascii", "replace").strip().partition("=")
        if key == "out_time_us" and value.isdigit():
            out_time = max(out_time, int(value) / 1_000_000)
        elif key == "progress" and progress is not None and duration > 0:
            fraction = min(0.999, out_time / duration)
            if fraction > reported:
                reported = fraction
                progress(fraction)
    return out_time


def _check_complete(src: Path, info: MediaInfo, out_time: float) -> None:
    missing = info.duration - out_time
    if missing > max(TRUNCATION_TOLERANCE_S, TRUNCATION_TOLERANCE_RATIO * info.duration):
        raise MediaError(
            "truncated",
            f"Tệp {src.name} bị cắt cụt hoặc hỏng: "
            f"chỉ đọc được {out_time:.0f} trên {info.duration:.0f} giây.",
            f"output ends at {out_time:.2f}s of {info.duration:.2f}s for {src}",
        )


def _write_master_playlist(work: Path, info: MediaInfo, renditions: list[Rendition]) -> list[dict[str, Any]]:
    """Master playlist whose BANDWIDTH is the peak segment bitrate actually produced (RFC 8216 4.3.4.2)."""
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    fps = output_frame_rate(info.frame_rate)
    variants = []
    for rendition in renditions:
        playlist = f"{rendition.name}/index.m3u8"
        peak, average = _measured_bitrates(work / playlist)
        level = None if rendition.width is None else h264_level(rendition.width, rendition.height or 2, fps)
        codecs = codecs_attribute(level, info.has_audio)
        attributes = [f"BANDWIDTH={peak}", f"AVERAGE-BANDWIDTH={average}"]
        if rendition.width is not None:
            attributes += [f"RESOLUTION={rendition.width}x{rendition.height}", f"FRAME-RATE={fps:.3f}"]
        lines += ["#EXT-X-STREAM-INF:" + ",".join([*attributes, f'CODECS="{codecs}"']), playlist]
        variants.append({"name": rendition.name, "width": rendition.width, "height": rendition.height,
                         "bandwidth": peak, "average_bandwidth": average, "codecs": codecs,
                         "playlist": playlist})
    (work / MASTER_PLAYLIST).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return variants


def _measured_bitrates(playlist: Path) -> tuple[int, int]:
    """(peak, average) bits per second over the listed segments; a short tail segment is not a peak."""
    segments = _media_segments(playlist)
    if not segments:
        raise MediaError("transcode_failed", "Chuyển mã không tạo ra đoạn video nào.",
                         f"no segments listed in {playlist}")
    bits = [(playlist.parent / name).stat().st_size * 8 for name, _ in segments]
    seconds = [duration for _, duration in segments]
    average = round(sum(bits) / (sum(seconds) or 1.0))
    rates = [b / s for b, s in zip(bits, seconds, strict=True) if s >= 1.0]
    return max(round(max(rates)) if rates else average, average), average


def _media_segments(playlist: Path) -> list[tuple[str, float]]:
    segments, duration = [], None
    for line in playlist.read_text(encoding="utf-8").splitlines():
        if line.startswith("#EXTINF:"):
            duration = float(line[len("#EXTINF:"):].split(",")[0])
        elif line and not line.startswith("#") and duration is not None:
            segments.append((line, duration))
            duration = None
    return segments


def _fresh_work_dir(out_dir: Path) -> Path:
    """Hidden sibling of ``out_dir``; leftovers of a killed earlier run for the same out_dir are removed."""
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    for stale in out_dir.parent.glob(f".{out_dir.name}.partial-*"):
        shutil.rmtree(stale, ignore_errors=True)
    work = out_dir.parent / f".{out_dir.name}.partial-{uuid.uuid4().hex}"
    work.mkdir()
    return work


def _publish(work: Path, out_dir: Path) -> None:
    """Rename the finished tree into place; an older result is swapped out first, then deleted."""
    previous = None
    if out_dir.exists():
        previous = out_dir.parent / f".{out_dir.name}.old-{uuid.uuid4().hex}"
        os.rename(out_dir, previous)
    os.rename(work, out_dir)
    if previous is not None:
        shutil.rmtree(previous, ignore_errors=True)


def _tail(stream: IO[bytes], limit: int = 8192) -> str:
    stream.seek(0, os.SEEK_END)
    stream.seek(max(0, stream.tell() - limit))
    return stream.read().decode("utf-8", "replace")
