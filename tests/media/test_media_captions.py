"""Captions: SRT to WebVTT, WebVTT sanitising, searchable text, and refusals that name the problem."""

from __future__ import annotations

import pytest

from ingest.media import MediaError
from ingest.media.captions import caption_text, sanitize_vtt, srt_to_vtt

SRT = """1
00:00:01,000 --> 00:00:03,500
<font color="red">Phương trình</font> bậc hai

2
00:00:04,000 --> 00:00:06,000
<i>a</i>x² + bx + c = 0 & Δ < 0
"""


def test_srt_becomes_webvtt_with_safe_markup() -> None:
    assert srt_to_vtt(SRT.encode("utf-8")) == (
        "WEBVTT\n\n"
        "00:00:01.000 --> 00:00:03.500\nPhương trình bậc hai\n\n"
        "00:00:04.000 --> 00:00:06.000\n<i>a</i>x² + bx + c = 0 &amp; Δ &lt; 0\n"
    )


def test_srt_in_utf16_and_cp1258_is_decoded() -> None:
    assert "Phương trình" in srt_to_vtt(SRT.encode("utf-16"))
    assert "Xin chào" in srt_to_vtt("1\n00:00:01,000 --> 00:00:02,000\nXin chào\n".encode("cp1258"))


def test_vtt_is_sanitised() -> None:
    hostile = (
        "WEBVTT\n\nSTYLE\n::cue { background-image: url(http://evil.example/x.png) }\n\n"
        "NOTE teacher's draft\n\n"
        "intro\n00:00:00.500 --> 00:00:02.000 align:start onclick:x\n"
        "<v Cô Lan>Chào các em</v> <script>alert(1)</script><img src=x onerror=alert(1)>\n"
    )
    assert sanitize_vtt(hostile.encode("utf-8")) == (
        "WEBVTT\n\n00:00:00.500 --> 00:00:02.000 align:start\n<v Cô Lan>Chào các em</v> alert(1)\n"
    )


def test_caption_text_for_search_drops_markup_and_roll_up_repeats() -> None:
    repeated = "\n3\n00:00:06,000 --> 00:00:07,000\n<i>a</i>x² + bx + c = 0 & Δ < 0\n"
    vtt = srt_to_vtt((SRT + repeated).encode("utf-8"))
    assert caption_text(vtt) == "Phương trình bậc hai\nax² + bx + c = 0 & Δ < 0"


@pytest.mark.parametrize("data,reason", [
    (b"00:00:01.000 --> 00:00:02.000\nno header\n", "WEBVTT"),
    (b"WEBVTT\n\n00:00:03.000 --> 00:00:02.000\nbackwards\n", "kết thúc trước"),
    (b"WEBVTT\n\n00:00:01 --> 00:00:02\nno millis\n", "mốc thời gian sai"),
    (b"WEBVTT\n\njust text\n", "không có câu"),
    (b"WEBVTT\x00\x00\x00binary", "nhị phân"),
])
def test_bad_vtt_is_refused_with_the_reason(data: bytes, reason: str) -> None:
    with pytest.raises(MediaError) as caught:
        sanitize_vtt(data)
    assert caught.value.code == "caption_invalid" and caught.value.field == "captions"
    assert reason in caught.value.message_vi
