"""The capped child-process runner, driven with a real child (tests/ingest/_probe_child.py)."""

from __future__ import annotations

import resource

import pytest

from ingest.errors import IngestError
from ingest.limits import ChildLimits, run_child

PROBE = "tests.ingest._probe_child"
LIMITS = ChildLimits(timeout_seconds=20, memory_mb=256)


def run_probe(op: str, limits: ChildLimits = LIMITS) -> object:
    return run_child(PROBE, {"op": op}, limits, what_vi="Việc thử")


def test_child_runs_under_memory_cpu_and_core_limits() -> None:
    parent_memory_limit = resource.getrlimit(resource.RLIMIT_AS)
    caps = run_probe("limits")
    assert caps == {"as": 256 * 1024 * 1024, "cpu": LIMITS.cpu_seconds, "core": 0}
    assert resource.getrlimit(resource.RLIMIT_AS) == parent_memory_limit, "the parent must stay uncapped"


def test_child_does_not_inherit_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOCLIEU_S3_SECRET_KEY", "khong-duoc-lo")
    names = run_probe("env")
    assert isinstance(names, list) and "PATH" in names
    assert "HOCLIEU_S3_SECRET_KEY" not in names


def test_wall_clock_timeout_kills_the_child() -> None:
    with pytest.raises(IngestError) as caught:
        run_probe("spin", ChildLimits(timeout_seconds=1, memory_mb=256))
    assert caught.value.code == "timeout"
    assert "Việc thử" in caught.value.message_vi and "1 giây" in caught.value.message_vi


def test_memory_cap_turns_into_resource_limit() -> None:
    with pytest.raises(IngestError) as caught:
        run_probe("hog")
    assert caught.value.code == "resource_limit"
    assert "256 MB" in caught.value.message_vi


def test_error_reported_by_the_child_keeps_its_code_and_messages() -> None:
    with pytest.raises(IngestError) as caught:
        run_probe("refuse")
    assert (caught.value.code, caught.value.message_vi, caught.value.message_en) == (
        "corrupt", "Tệp hỏng ở dòng 3.", "broken at line 3")


def test_unexpected_exception_in_the_child_becomes_corrupt() -> None:
    with pytest.raises(IngestError) as caught:
        run_probe("explode")
    assert caught.value.code == "corrupt"
    assert "KeyError" in caught.value.message_en


def test_child_killed_by_a_signal_is_reported_not_propagated() -> None:
    with pytest.raises(IngestError) as caught:
        run_probe("crash")
    assert caught.value.code == "resource_limit"
    assert caught.value.message_vi
