"""plan_ladder is a pure function of the source size: which rungs, at what size, never upscaled."""

from __future__ import annotations

import pytest

from ingest.media import DEFAULT_LADDER, Rung, plan_ladder
from ingest.media.ladder import codecs_attribute, h264_level, output_frame_rate


def sizes(width: int | None, height: int | None,
          has_audio: bool = True) -> list[tuple[str, int | None, int | None]]:
    return [(r.name, r.width, r.height) for r in plan_ladder(width, height, has_audio=has_audio)]


def test_720p_source_gets_the_whole_default_ladder() -> None:
    assert sizes(1280, 720) == [("234p", 416, 234), ("360p", 640, 360), ("480p", 852, 480),
                                ("720p", 1280, 720), ("audio", None, None)]


def test_1080p_source_stops_at_720p() -> None:
    assert [name for name, _, _ in sizes(1920, 1080)] == ["234p", "360p", "480p", "720p", "audio"]


def test_360p_source_is_not_upscaled_to_480p() -> None:
    assert sizes(640, 360) == [("234p", 416, 234), ("360p", 640, 360), ("audio", None, None)]


def test_slightly_short_source_keeps_the_rung_at_its_own_size() -> None:
    assert sizes(640, 352)[1] == ("360p", 640, 352)


def test_tiny_source_gets_one_rung_at_its_own_size() -> None:
    assert sizes(160, 90, has_audio=False) == [("234p", 160, 90)]


def test_portrait_video_uses_the_short_side() -> None:
    assert sizes(312, 450, has_audio=False) == [("234p", 234, 336)]


@pytest.mark.parametrize("width,height", [(1920, 1080), (1280, 720), (854, 480), (640, 352), (321, 241),
                                          (160, 90), (1080, 1920), (312, 450), (7680, 4320)])
def test_no_rendition_is_larger_than_its_source(width: int, height: int) -> None:
    for rendition in plan_ladder(width, height):
        if rendition.width is not None:
            assert rendition.width <= width and rendition.height is not None and rendition.height <= height
            assert rendition.width % 2 == 0 and rendition.height % 2 == 0


def test_audio_only_source_gets_only_the_audio_rung() -> None:
    assert sizes(None, None) == [("audio", None, None)]


def test_silent_video_gets_no_audio_rung() -> None:
    assert all(name != "audio" for name, _, _ in sizes(1280, 720, has_audio=False))


def test_lowest_default_rung_fits_a_3g_link() -> None:
    lowest = min((r for r in DEFAULT_LADDER if not r.is_audio_only), key=lambda r: r.height or 0)
    assert lowest.video_kbps + lowest.audio_kbps <= 180  # container overhead keeps it under 200


def test_configured_ladder_is_used() -> None:
    ladder = [Rung("low", 240, 300, 64), Rung("high", 1080, 5000, 128)]
    assert [r.name for r in plan_ladder(1920, 1080, ladder=ladder)] == ["low", "high"]


def test_levels_codecs_and_frame_rate() -> None:
    assert h264_level(1280, 720, 30) == 31
    assert h264_level(1920, 1080, 30) == 40
    assert h264_level(416, 234, 15) == 30
    assert codecs_attribute(31, with_audio=True) == "avc1.64001f,mp4a.40.2"
    assert codecs_attribute(None, with_audio=True) == "mp4a.40.2"
    assert [output_frame_rate(r) for r in (60, 50, 29.97, None)] == pytest.approx([30, 25, 29.97, 30])
