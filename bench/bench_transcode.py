"""Transcode benchmark: our one-process HLS ladder against plain ffmpeg commands, in the same run.

Usage: python -m bench.bench_transcode [--seconds 24] [--size 1280x720]

A test clip (testsrc2 + sine, H.264/AAC) is generated first. Then, on that clip:

* ours: ``transcode_to_hls`` with the default ladder (one ffmpeg process: HLS rungs, audio-only rung,
  progressive MP4 through tee, poster, master playlist with measured bandwidths);
* separate: plain ffmpeg, one process per rung, each decoding the source again (HLS only);
* single: one plain ffmpeg command with split, HLS only (the issue's reference: ours / single <= 1.15).

Real-time factor = clip duration / wall time (above 1 means faster than real time).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import machine_summary
from ingest.media import MediaLimits, Rendition, plan_ladder, probe_media, transcode_to_hls


def ffmpeg_version() -> str:
    out = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True, check=True).stdout
    return out.splitlines()[0]


def make_clip(path: Path, seconds: int, size: str, source_mbps: int | None = None) -> None:
    """A test clip; ``source_mbps`` makes a big one at a constant bitrate (padded: 60 s at 140 Mbit/s is
    about 1 GB)."""
    sources = ["-f", "lavfi", "-i", f"testsrc2=s={size}:r=30:d={seconds}",
               "-f", "lavfi", "-i", f"sine=f=440:sample_rate=48000:d={seconds}"]
    quality = ["-b:v", f"{source_mbps}M", "-minrate", f"{source_mbps}M", "-maxrate", f"{source_mbps}M",
               "-bufsize", f"{source_mbps}M", "-x264-params", "nal-hrd=cbr"] if source_mbps else ["-crf", "18"]
    codecs = ["-c:v", "libx264", "-preset", "ultrafast", *quality, "-pix_fmt", "yuv420p", "-c:a", "aac"]
    subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-y", *sources, *codecs, str(path)], check=True)


def x264(kbps: int) -> list[str]:
    return ["-c:v", "libx264", "-preset", "veryfast", "-b:v", f"{kbps}k", "-maxrate", f"{round(kbps * 1.1)}k",
            "-bufsize", f"{kbps * 2}k", "-g", "60", "-keyint_min", "60", "-sc_threshold", "0"]


def hls(out: Path, name: str) -> list[str]:
    (out / name).mkdir(parents=True, exist_ok=True)
    return ["-f", "hls", "-hls_time", "6", "-hls_playlist_type", "vod",
            "-hls_segment_filename", str(out / name / "seg_%05d.ts"), str(out / name / "index.m3u8")]


def rung_output(rendition: Rendition, out: Path, video_label: str | None, audio_label: str) -> list[str]:
    rung = rendition.rung
    video = ["-map", video_label, *x264(rung.video_kbps)] if video_label else []
    return [*video, "-map", audio_label, "-c:a", "aac", "-b:a", f"{rung.audio_kbps}k", *hls(out, rung.name)]


def run_separate(src: Path, renditions: list[Rendition], out: Path) -> None:
    """One plain ffmpeg per rung, one after the other, each decoding the whole source."""
    for rendition in renditions:
        size = f"{rendition.width}:{rendition.height}"
        scale = [] if rendition.width is None else ["-vf", f"fps=30,scale={size}"]
        video_label = None if rendition.width is None else "0:v"
        argv = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), *scale,
                *rung_output(rendition, out, video_label, "0:a")]
        if rendition.width is None:
            argv.insert(argv.index("-map"), "-vn")
        subprocess.run(argv, check=True)


def run_single(src: Path, renditions: list[Rendition], out: Path) -> None:
    """One plain ffmpeg: decode once, split, one HLS output per rung."""
    video = [r for r in renditions if r.width is not None]
    graph = [f"[0:v]fps=30,split={len(video)}" + "".join(f"[s{i}]" for i in range(len(video)))]
    graph += [f"[s{i}]scale={r.width}:{r.height}[v{i}]" for i, r in enumerate(video)]
    argv = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(src), "-filter_complex", ";".join(graph)]
    for index, rendition in enumerate(renditions):
        label = f"[v{index}]" if rendition.width is not None else None
        argv += rung_output(rendition, out, label, "0:a")
    subprocess.run(argv, check=True)


def timed(label: str, seconds: float, action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    wall = time.perf_counter() - start
    print(f"{label:<38} {wall:7.2f} s   {seconds / wall:5.2f}x real time")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=24)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--source-mbps", type=int, default=None,
                        help="bitrate of the generated clip (default: crf 18); 140 at 60 s gives about 1 GB")
    args = parser.parse_args()
    print(machine_summary())
    print(f"ffmpeg: {ffmpeg_version()}")
    with tempfile.TemporaryDirectory(prefix="bench-transcode-") as tmp:
        work = Path(tmp)
        src = work / "clip.mp4"
        make_clip(src, args.seconds, args.size, args.source_mbps)
        limits = MediaLimits()
        info = probe_media(src, limits)
        renditions = plan_ladder(info.width, info.height, has_audio=info.has_audio)
        names = [r.name for r in renditions]
        print(f"clip: {info.width}x{info.height} {info.duration:.1f} s, {src.stat().st_size / 2**20:.0f} MiB; "
              f"rungs: {names}")
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        ours = timed("ours (one process, +mp4 +poster)", info.duration,
                     lambda: transcode_to_hls(src, work / "ours", info, renditions, limits=limits))
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        separate = timed("plain ffmpeg, one process per rung", info.duration,
                         lambda: run_separate(src, renditions, work / "separate"))
        single = timed("plain ffmpeg, one process, HLS only", info.duration,
                       lambda: run_single(src, renditions, work / "single"))
    print(f"ours / separate = {ours / separate:.2f}; ours / single = {ours / single:.2f} (target <= 1.15)")
    peak_note = "" if peak > before else " (not above the clip generator's)"
    print(f"peak ffmpeg RSS seen: {peak / 1024:.0f} MiB{peak_note}; "
          f"this Python process (the worker's side of a transcode): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
