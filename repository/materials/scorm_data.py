"""The SCORM run-time data model on the server: which elements a package may set (per version), their
limits and vocabularies, and how a learner's stored attempt is read back for the next launch.

The browser runtime (static/js/scorm-api.js) applies the same rules so that SetValue answers with the
right error code; this module is the authority, since anything the browser sends is untrusted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from repository.materials.scorm_models import ScormAttempt

MAX_VALUES = 2000  # elements of one attempt (interactions and objectives included)
MAX_VALUE_CHARS = 1_000_000  # characters of those elements together (names and values)


class RuntimeDataError(ValueError):
    """A value the data model refuses; the message is Vietnamese and names the element."""


@dataclass(frozen=True)
class Element:
    pattern: re.Pattern[str]
    max_length: int
    vocabulary: frozenset[str] | None = None
    numeric: tuple[float, float] | None = None


def _e(pattern: str, max_length: int = 4000, vocabulary: tuple[str, ...] | None = None,
       numeric: tuple[float, float] | None = None) -> Element:
    return Element(re.compile(pattern), max_length, frozenset(vocabulary) if vocabulary else None, numeric)


_N = r"\d{1,4}"
STATUS_12 = ("passed", "completed", "failed", "incomplete", "browsed", "not attempted")
SCORE_12 = (0.0, 100.0)
WRITABLE: dict[str, tuple[Element, ...]] = {
    "1.2": (
        _e(r"cmi\.core\.lesson_location", 255),
        _e(r"cmi\.core\.lesson_status", 20, STATUS_12),
        _e(r"cmi\.core\.score\.(raw|min|max)", 20, numeric=SCORE_12),
        _e(r"cmi\.core\.exit", 20, ("time-out", "suspend", "logout", "")),
        _e(r"cmi\.core\.session_time", 20),
        _e(r"cmi\.suspend_data", 4096),
        _e(r"cmi\.comments", 4096),
        _e(r"cmi\.student_preference\.(audio|language|speed|text)", 255),
        _e(rf"cmi\.objectives\.{_N}\.(id|status|score\.(raw|min|max))", 255),
        _e(rf"cmi\.interactions\.{_N}\.(id|time|type|weighting|student_response|result|latency"
           rf"|objectives\.{_N}\.id|correct_responses\.{_N}\.pattern)", 4096),
    ),
    "2004": (
        _e(r"cmi\.location", 1000),
        _e(r"cmi\.completion_status", 20, ("completed", "incomplete", "not attempted", "unknown")),
        _e(r"cmi\.success_status", 20, ("passed", "failed", "unknown")),
        _e(r"cmi\.score\.scaled", 20, numeric=(-1.0, 1.0)),
        _e(r"cmi\.score\.(raw|min|max)", 20, numeric=(-1e10, 1e10)),
        _e(r"cmi\.progress_measure", 20, numeric=(0.0, 1.0)),
        _e(r"cmi\.exit", 20, ("time-out", "suspend", "logout", "normal", "")),
        _e(r"cmi\.session_time", 40),
        _e(r"cmi\.suspend_data", 64000),
        _e(r"cmi\.learner_preference\.(audio_level|language|delivery_speed|audio_captioning)", 250),
        _e(rf"cmi\.comments_from_learner\.{_N}\.(comment|location|timestamp)", 4000),
        _e(rf"cmi\.objectives\.{_N}\.(id|score\.(scaled|raw|min|max)|success_status|completion_status"
           r"|progress_measure|description)", 4000),
        _e(rf"cmi\.interactions\.{_N}\.(id|type|timestamp|weighting|learner_response|result|latency"
           rf"|description|objectives\.{_N}\.id|correct_responses\.{_N}\.pattern)", 4000),
    ),
}
#: Elements kept in their own columns (the rest go to ScormAttempt.values), by version.
COLUMNS = {
    "1.2": {"cmi.core.lesson_location": "location", "cmi.suspend_data": "suspend_data",
            "cmi.core.score.raw": "score_raw", "cmi.core.score.min": "score_min",
            "cmi.core.score.max": "score_max"},
    "2004": {"cmi.location": "location", "cmi.suspend_data": "suspend_data", "cmi.score.raw": "score_raw",
             "cmi.score.min": "score_min", "cmi.score.max": "score_max", "cmi.score.scaled": "score_scaled",
             "cmi.completion_status": "completion_status", "cmi.success_status": "success_status"},
}
_TIME_12 = re.compile(r"(\d{2,4}):(\d{2}):(\d{2})(\.\d{1,2})?")
_DURATION_2004 = re.compile(r"P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d{1,2})?)S)?)?")


def element_rule(version: str, name: str) -> Element | None:
    return next((rule for rule in WRITABLE.get(version, ()) if rule.pattern.fullmatch(name)), None)


def check_value(version: str, name: str, value: object) -> str:
    """The value if the data model accepts it for this element, else RuntimeDataError."""
    rule = element_rule(version, name)
    if rule is None:
        raise RuntimeDataError(f"Phần tử “{name[:100]}” không ghi được trong SCORM {version}.")
    if not isinstance(value, str):
        raise RuntimeDataError(f"Giá trị của “{name}” phải là chuỗi ký tự.")
    if len(value) > rule.max_length:
        raise RuntimeDataError(f"Giá trị của “{name}” dài quá {rule.max_length} ký tự.")
    if rule.vocabulary is not None and value not in rule.vocabulary:
        raise RuntimeDataError(f"Giá trị “{value[:40]}” không hợp lệ cho “{name}”.")
    if rule.numeric is not None:
        number = _number(value)
        low, high = rule.numeric
        if number is None or not low <= number <= high:
            raise RuntimeDataError(f"Giá trị của “{name}” phải là số từ {low:g} đến {high:g}.")
    return value


def _number(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def session_seconds(version: str, value: str) -> float:
    """cmi.core.session_time (HHHH:MM:SS.SS) or cmi.session_time (ISO 8601 duration) in seconds; 0 if
    malformed."""
    if version == "1.2":
        match = _TIME_12.fullmatch(value)
        if not match:
            return 0.0
        return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3]) + float(match[4] or 0)
    match = _DURATION_2004.fullmatch(value)
    if not match or value in {"P", "PT"}:
        return 0.0
    years, months, days, hours, minutes = (int(g or 0) for g in match.groups()[:5])
    return ((years * 365 + months * 30 + days) * 24 + hours) * 3600 + minutes * 60 + float(match[6] or 0)


def apply_values(attempt: ScormAttempt, version: str, values: dict[str, Any], finished: bool) -> None:
    """Check every value first (nothing is stored when one is refused), then store them on the attempt."""
    if not isinstance(values, dict):
        raise RuntimeDataError("Dữ liệu SCORM phải là một đối tượng JSON.")
    checked = {str(name): check_value(version, str(name), value) for name, value in values.items()}
    extra = dict(attempt.values or {})
    columns = COLUMNS[version]
    for name, value in checked.items():
        column = columns.get(name)
        if column is None:
            extra[name] = value
        elif column.startswith("score_"):
            setattr(attempt, column, _number(value) if value != "" else None)
        else:
            setattr(attempt, column, value)
    if version == "1.2" and "cmi.core.lesson_status" in checked:
        status = checked["cmi.core.lesson_status"]
        attempt.completion_status = status
        attempt.success_status = status if status in {"passed", "failed"} else "unknown"
    time_name = "cmi.core.session_time" if version == "1.2" else "cmi.session_time"
    if finished and time_name in checked:
        attempt.total_seconds = (attempt.total_seconds or 0.0) + session_seconds(version, checked[time_name])
        extra.pop(time_name, None)
    if len(extra) > MAX_VALUES:
        raise RuntimeDataError(f"Gói SCORM ghi quá {MAX_VALUES} phần tử dữ liệu.")
    if sum(len(name) + len(value) for name, value in extra.items()) > MAX_VALUE_CHARS:
        raise RuntimeDataError("Dữ liệu tương tác của gói SCORM vượt quá 1.000.000 ký tự.")
    attempt.values = extra


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _time_12(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:04d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def initial_state(version: str, attempt: ScormAttempt | None, learner_id: str, learner_name: str) -> dict[str, str]:
    """What GetValue answers at launch: the learner, and the data the previous sessions stored."""
    stored = dict(attempt.values or {}) if attempt else {}
    suspended = stored.get("cmi.core.exit" if version == "1.2" else "cmi.exit") == "suspend"
    entry = "resume" if suspended else ("ab-initio" if attempt is None else "")
    total = attempt.total_seconds if attempt else 0.0
    if version == "1.2":
        state = {"cmi.core.student_id": learner_id, "cmi.core.student_name": learner_name,
                 "cmi.core.lesson_location": attempt.location if attempt else "",
                 "cmi.core.lesson_status": attempt.completion_status if attempt else "not attempted",
                 "cmi.core.score.raw": _score(attempt.score_raw if attempt else None),
                 "cmi.core.score.min": _score(attempt.score_min if attempt else None),
                 "cmi.core.score.max": _score(attempt.score_max if attempt else None),
                 "cmi.core.entry": entry, "cmi.core.credit": "credit", "cmi.core.lesson_mode": "normal",
                 "cmi.core.total_time": _time_12(total), "cmi.launch_data": "",
                 "cmi.suspend_data": attempt.suspend_data if attempt else ""}
    else:
        state = {"cmi.learner_id": learner_id, "cmi.learner_name": learner_name,
                 "cmi.location": attempt.location if attempt else "",
                 "cmi.completion_status": attempt.completion_status if attempt else "unknown",
                 "cmi.success_status": attempt.success_status if attempt else "unknown",
                 "cmi.score.raw": _score(attempt.score_raw if attempt else None),
                 "cmi.score.min": _score(attempt.score_min if attempt else None),
                 "cmi.score.max": _score(attempt.score_max if attempt else None),
                 "cmi.score.scaled": _score(attempt.score_scaled if attempt else None),
                 "cmi.entry": entry, "cmi.credit": "credit", "cmi.mode": "normal",
                 "cmi.total_time": f"PT{total:.2f}S", "cmi.launch_data": "",
                 "cmi.suspend_data": attempt.suspend_data if attempt else ""}
    return {**{k: v for k, v in stored.items() if not k.endswith(("exit", "session_time"))}, **state}


def attempt_as_dict(attempt: ScormAttempt | None) -> dict[str, Any] | None:
    if attempt is None:
        return None
    return {"sco": attempt.sco, "completion_status": attempt.completion_status,
            "success_status": attempt.success_status, "score_raw": attempt.score_raw,
            "score_min": attempt.score_min, "score_max": attempt.score_max, "score_scaled": attempt.score_scaled,
            "location": attempt.location, "suspend_data": attempt.suspend_data,
            "total_seconds": attempt.total_seconds, "updated_at": attempt.updated_at.isoformat()}
