"""The adaptive-bitrate ladder: which renditions a source gets, at what size, bitrate and H.264 level."""

from __future__ import annotations

from dataclasses import dataclass

# A rung is kept when the source's short side reaches this share of the rung's height: a 640x352
# screen recording still gets a "360p" rendition, at its own 352 lines (never upscaled).
KEEP_RUNG_RATIO = 0.9
MAX_FRAME_RATE = 30.0
AUDIO_CODECS = "mp4a.40.2"


@dataclass(frozen=True)
class Rung:
    """One configured rendition. ``height`` is the short side in pixels; None means audio only."""

    name: str
    height: int | None
    video_kbps: int
    audio_kbps: int

    @property
    def is_audio_only(self) -> bool:
        return self.height is None


@dataclass(frozen=True)
class Rendition:
    """A rung fitted to one source: the output size is known (None for audio only)."""

    rung: Rung
    width: int | None
    height: int | None

    @property
    def name(self) -> str:
        return self.rung.name


DEFAULT_LADDER: tuple[Rung, ...] = (
    Rung("234p", 234, 100, 48),  # 3G links: under 200 kbit/s with container overhead
    Rung("360p", 360, 550, 96),
    Rung("480p", 480, 900, 96),
    Rung("720p", 720, 2400, 128),
    Rung("audio", None, 0, 64),
)

# H.264 levels (Table A-1): (level_idc, max macroblocks per second, max frame size in macroblocks).
_H264_LEVELS: tuple[tuple[int, int, int], ...] = (
    (30, 40500, 1620),
    (31, 108000, 3600),
    (32, 216000, 5120),
    (40, 245760, 8192),
    (42, 522240, 8704),
    (50, 589824, 22080),
    (51, 983040, 36864),
)


def plan_ladder(width: int | None, height: int | None, *, has_audio: bool = True,
                ladder: tuple[Rung, ...] | list[Rung] = DEFAULT_LADDER) -> list[Rendition]:
    """Renditions for a source of this display size (None, None for audio only), never upscaled.

    A source smaller than every rung still gets the lowest one, at its own size. The audio-only rung
    is added when the source has sound.
    """
    audio_rungs = [r for r in ladder if r.is_audio_only][:1]
    if width is None or height is None:
        return [Rendition(r, None, None) for r in audio_rungs or [Rung("audio", None, 0, 64)]]
    video_rungs = sorted((r for r in ladder if not r.is_audio_only), key=lambda r: r.height or 0)
    short_side = min(width, height)
    kept = [r for r in video_rungs if (r.height or 0) * KEEP_RUNG_RATIO <= short_side] or video_rungs[:1]
    planned = [Rendition(r, *_output_size(width, height, r.height or 0)) for r in kept]
    if has_audio:
        planned += [Rendition(r, None, None) for r in audio_rungs]
    return planned


def output_frame_rate(source_rate: float | None) -> float:
    """Source rate halved until it is at most 30 fps (60 -> 30, 50 -> 25); 30 when unknown."""
    rate = source_rate or MAX_FRAME_RATE
    while rate > MAX_FRAME_RATE + 0.01:
        rate /= 2
    return rate


def h264_level(width: int, height: int, frame_rate: float) -> int:
    """Smallest level_idc (3.0 or above) whose frame-size and macroblock-rate limits fit."""
    frame_mbs = -(-width // 16) * -(-height // 16)
    for level_idc, max_mbps, max_frame_mbs in _H264_LEVELS:
        if frame_mbs <= max_frame_mbs and frame_mbs * frame_rate <= max_mbps:
            return level_idc
    return _H264_LEVELS[-1][0]


def codecs_attribute(level_idc: int | None, with_audio: bool) -> str:
    """RFC 6381 CODECS: High-profile H.264 (avc1.6400xx) and/or AAC-LC; level None means audio only."""
    if level_idc is None:
        return AUDIO_CODECS
    video = f"avc1.6400{level_idc:02x}"
    return f"{video},{AUDIO_CODECS}" if with_audio else video


def _output_size(width: int, height: int, rung_height: int) -> tuple[int, int]:
    """The rung's short side, capped at the source's, aspect kept, even numbers for 4:2:0."""
    short_side = min(rung_height, width, height)
    if width >= height:
        return _even(width * short_side / height), _even(short_side)
    return _even(short_side), _even(height * short_side / width)


def _even(value: float) -> int:
    return max(2, int(value / 2) * 2)
