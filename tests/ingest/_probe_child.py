"""A child entry point for testing ingest.limits itself: ``python -m tests.ingest._probe_child``."""

from __future__ import annotations

import os
import resource
import signal
from typing import Any

from ingest.errors import IngestError
from ingest.limits import child_main


def report_limits(request: dict[str, Any]) -> dict[str, int]:
    limits = {"as": resource.RLIMIT_AS, "cpu": resource.RLIMIT_CPU, "core": resource.RLIMIT_CORE}
    return {name: resource.getrlimit(which)[0] for name, which in limits.items()}


def environment(request: dict[str, Any]) -> list[str]:
    return sorted(os.environ)


def spin(request: dict[str, Any]) -> None:
    while True:
        pass


def hog_memory(request: dict[str, Any]) -> int:
    blocks = [bytearray(64 * 1024 * 1024) for _ in range(1000)]
    return len(blocks)


def refuse(request: dict[str, Any]) -> None:
    raise IngestError("corrupt", "Tệp hỏng ở dòng 3.", "broken at line 3")


def crash(request: dict[str, Any]) -> None:
    os.kill(os.getpid(), signal.SIGSEGV)


def explode(request: dict[str, Any]) -> None:
    raise KeyError("no such key")


if __name__ == "__main__":
    child_main({"limits": report_limits, "spin": spin, "hog": hog_memory, "refuse": refuse, "crash": crash,
                "explode": explode, "env": environment})
