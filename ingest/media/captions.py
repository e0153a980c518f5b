"""Captions: SubRip or WebVTT in, one normalised WebVTT out, plus plain text for the search index.

The output keeps only cue timings, safe cue settings and the cue markup browsers style (b, i, u, v);
STYLE, REGION and NOTE blocks are dropped (STYLE's CSS can load remote images) and all other text is
escaped, so the player may render a cue as HTML without opening an injection hole.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

from ingest.media.probe import MediaError

MAX_CAPTION_BYTES = 2 * 1024 * 1024
MAX_CUES = 20_000

_TIME = r"(?:(\d{1,3}):)?([0-5]\d):([0-5]\d)[.,](\d{3})"
_TIMING = re.compile(rf"^\s*{_TIME}\s+-->\s+{_TIME}(.*)$")
_TAG = re.compile(r"<(/?)([A-Za-z]+)([^<>]*)>")
_SETTING = re.compile(r"^(?:vertical:(?:rl|lr)|line:-?\d{1,3}%?|position:\d{1,3}%|size:\d{1,3}%"
                      r"|align:(?:start|center|end|left|right))$")


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[str, ...]
    settings: str = ""


def srt_to_vtt(data: bytes) -> str:
    """Convert a SubRip file to normalised WebVTT."""
    return _write_vtt(_parse(_decode(data, "SRT"), "SRT"))


def sanitize_vtt(data: bytes) -> str:
    """Validate an uploaded WebVTT file and return it normalised."""
    text = _decode(data, "WebVTT")
    if not re.match(r"WEBVTT(?:[ \t\n]|$)", text):
        raise _invalid("WebVTT", "thiếu dòng tiêu đề WEBVTT ở đầu tệp", "missing WEBVTT header")
    return _write_vtt(_parse(text, "WebVTT"))


def caption_text(vtt: str) -> str:
    """Spoken text of normalised WebVTT, one line per caption line; roll-up repeats dropped."""
    lines: list[str] = []
    for cue in _parse(vtt, "WebVTT"):
        for line in cue.lines:
            plain = " ".join(html.unescape(_TAG.sub("", line)).split())
            if plain and (not lines or lines[-1] != plain):
                lines.append(plain)
    return "\n".join(lines)


def _decode(data: bytes, kind: str) -> str:
    """UTF-8 (BOM or not) or UTF-16 with BOM; older Vietnamese Windows files are cp1258."""
    if len(data) > MAX_CAPTION_BYTES:
        raise _invalid(kind, f"tệp lớn hơn {MAX_CAPTION_BYTES // 1024**2} MB", f"{len(data)} bytes")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
    elif b"\x00" in data:
        raise _invalid(kind, "tệp chứa dữ liệu nhị phân, không phải phụ đề", "NUL bytes in caption file")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1258", errors="replace")
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _parse(text: str, kind: str) -> list[Cue]:
    """Cues from blank-line separated blocks; the block with the timing line is a cue, others are skipped."""
    cues = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = block.strip("\n").split("\n")
        at = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        if at is None:
            continue
        match = _TIMING.match(lines[at])
        if match is None:
            raise _invalid(kind, f"mốc thời gian sai ở câu thứ {len(cues) + 1}",
                           f"bad timing {lines[at][:80]!r}")
        start, end = _seconds(match.groups()[0:4]), _seconds(match.groups()[4:8])
        if end <= start:
            raise _invalid(kind, f"câu thứ {len(cues) + 1} kết thúc trước khi bắt đầu",
                           f"cue ends first: {lines[at]}")
        tokens = match.group(9).split() if kind == "WebVTT" else []
        settings = " ".join(t for t in tokens if _SETTING.match(t))
        text_lines = tuple(clean for line in lines[at + 1:] if (clean := _clean_markup(line).strip()))
        cues.append(Cue(start, end, text_lines, settings))
        if len(cues) > MAX_CUES:
            raise _invalid(kind, f"tệp có quá nhiều câu phụ đề (tối đa {MAX_CUES})", "too many cues")
    if not cues:
        raise _invalid(kind, "tệp không có câu phụ đề nào", "no cues")
    return sorted(cues, key=lambda cue: (cue.start, cue.end))


def _seconds(parts: tuple[str | None, ...]) -> float:
    hours, minutes, seconds, millis = (int(p or 0) for p in parts)
    return hours * 3600 + minutes * 60 + seconds + millis / 1000


def _clean_markup(line: str) -> str:
    """Keep b/i/u and voice spans, drop every other tag (SRT's <font>, classes), escape the rest."""
    out, position = [], 0
    for match in _TAG.finditer(line):
        out += [_escape(line[position:match.start()]), _safe_tag(match)]
        position = match.end()
    out.append(_escape(line[position:]))
    return "".join(out)


def _safe_tag(match: re.Match[str]) -> str:
    closing, name, rest = match.group(1), match.group(2).lower(), match.group(3)
    if name in {"b", "i", "u"}:
        return f"<{closing}{name}>"
    if name == "v":
        speaker = _escape(rest.strip())
        return "</v>" if closing else f"<v {speaker}>" if speaker else ""
    return ""


def _escape(text: str) -> str:
    return html.escape(html.unescape(text), quote=False)


def _write_vtt(cues: list[Cue]) -> str:
    blocks = ["WEBVTT"]
    for cue in cues:
        timing = f"{_timestamp(cue.start)} --> {_timestamp(cue.end)} {cue.settings}".rstrip()
        blocks.append("\n".join([timing, *cue.lines]))
    return "\n\n".join(blocks) + "\n"


def _timestamp(seconds: float) -> str:
    total_ms = round(seconds * 1000)
    hours, rest = divmod(total_ms, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def _invalid(kind: str, reason_vi: str, reason_en: str) -> MediaError:
    return MediaError("caption_invalid", f"Tệp phụ đề {kind} không hợp lệ: {reason_vi}.",
                      f"invalid {kind} captions: {reason_en}", field="captions")
