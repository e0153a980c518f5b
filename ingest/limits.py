"""Run a parser for untrusted input in a separate, resource-capped Python process.

The parent starts ``sys.executable -m <module>`` (a fresh interpreter, not a fork of a worker that holds
database connections and threads), sends a JSON request on stdin and reads a JSON reply from a file in a
private temporary directory. The child caps itself with :func:`apply_child_limits` before it reads a byte
of the untrusted file; doing it there instead of in ``preexec_fn`` keeps process start-up safe in
threaded parents.

Limits: a wall-clock timeout enforced here (the whole process group is killed), and in the child
RLIMIT_AS (memory), RLIMIT_CPU (a backstop that also ends a child whose parent died), RLIMIT_FSIZE and
no core dumps. Whatever goes wrong in the child comes back as an :class:`IngestError`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import resource
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ingest.errors import IngestError

log = logging.getLogger(__name__)

#: The folder that holds the ``ingest`` package, so the child finds it wherever the parent runs.
PACKAGE_ROOT = Path(__file__).resolve().parents[1]
#: Exit status a child uses after writing an error reply (see :func:`child_main`).
EXIT_REPORTED_ERROR = 3
STDERR_TAIL = 2000


@dataclass(frozen=True)
class ChildLimits:
    timeout_seconds: float
    memory_mb: int
    max_file_mb: int = 512

    @property
    def cpu_seconds(self) -> int:
        return math.ceil(self.timeout_seconds) + 1


def apply_child_limits(memory_mb: int, cpu_seconds: int, max_file_mb: int) -> None:
    """Cap the calling process (meant for the first lines of a child entry point)."""
    memory = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 2))
    file_size = max_file_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def run_child(module: str, request: dict[str, Any], limits: ChildLimits, *, what_vi: str) -> Any:
    """Run ``module`` as a capped child with ``request`` and return the ``result`` of its reply.

    ``what_vi`` names the task for the user ("Đọc tệp PDF"). Raises IngestError with code "timeout",
    "resource_limit" or whatever code the child reported.
    """
    with tempfile.TemporaryDirectory(prefix="hoclieu-child-") as workdir:
        reply_path = Path(workdir) / "reply.json"
        payload = {**request, "reply_path": str(reply_path),
                   "limits": {"memory_mb": limits.memory_mb, "cpu_seconds": limits.cpu_seconds,
                              "max_file_mb": limits.max_file_mb}}
        returncode, stderr = _run(module, payload, limits, workdir)
        reply = _read_reply(reply_path)
    if reply is not None and reply.get("ok"):
        return reply.get("result")
    if reply is not None:
        raise IngestError(str(reply["code"]), str(reply["message_vi"]), str(reply["message_en"]))
    raise _death_error(module, returncode, stderr, limits, what_vi)


def _run(module: str, payload: dict[str, Any], limits: ChildLimits, workdir: str) -> tuple[int | None, str]:
    """Start the child, wait at most the timeout; return (exit status or None when killed, stderr)."""
    stderr_path = Path(workdir) / "stderr.log"
    with stderr_path.open("wb") as stderr_file:
        process = subprocess.Popen(
            [sys.executable, "-m", module], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=stderr_file, cwd=workdir, env=_child_environment(), start_new_session=True)
        try:
            process.communicate(json.dumps(payload).encode(), timeout=limits.timeout_seconds)
            returncode: int | None = process.returncode
        except subprocess.TimeoutExpired:
            returncode = None
        finally:
            # Also on KeyboardInterrupt or a worker shutdown: no parser outlives its caller.
            if process.poll() is None:
                _kill_group(process)
                process.wait()
    return returncode, _tail(stderr_path)


def _child_environment() -> dict[str, str]:
    """A minimal environment: the parser child has no business seeing database URLs or storage keys."""
    python_path = os.pathsep.join(p for p in (str(PACKAGE_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {"PATH": os.environ.get("PATH", os.defpath), "PYTHONPATH": python_path, "LC_ALL": "C.UTF-8",
            "PYTHONIOENCODING": "utf-8", "PYTHONDONTWRITEBYTECODE": "1"}


def _tail(path: Path) -> str:
    """The end of a child's stderr; the file is capped by the child's RLIMIT_FSIZE, never read whole."""
    with path.open("rb") as fh:
        fh.seek(max(0, path.stat().st_size - STDERR_TAIL))
        return fh.read().decode("utf-8", "replace")


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


def _read_reply(path: Path) -> dict[str, Any] | None:
    try:
        reply = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return reply if isinstance(reply, dict) and "ok" in reply else None


def _death_error(module: str, returncode: int | None, stderr: str, limits: ChildLimits,
                 what_vi: str) -> IngestError:
    """Explain a child that ended without a reply."""
    log.warning("child %s ended without a reply (status %s): %s", module, returncode, stderr.strip()[-500:])
    if returncode is None or returncode == -signal.SIGXCPU:
        return IngestError(
            "timeout",
            f"{what_vi} mất quá {limits.timeout_seconds:g} giây nên đã bị dừng. Tệp có thể bị hỏng "
            "hoặc được tạo ra để làm treo hệ thống; hãy kiểm tra tệp rồi tải lên lại.",
            f"{module} exceeded its {limits.timeout_seconds:g} s limit and was killed")
    if returncode == -signal.SIGXFSZ:
        return IngestError(
            "resource_limit", f"{what_vi} bị dừng vì kết quả ghi ra vượt quá {limits.max_file_mb} MB.",
            f"{module} exceeded the {limits.max_file_mb} MB output file limit")
    if returncode < 0 or "MemoryError" in stderr:
        return IngestError(
            "resource_limit",
            f"{what_vi} bị dừng vì vượt giới hạn tài nguyên (bộ nhớ {limits.memory_mb} MB) hoặc tệp "
            "hỏng nặng. Hãy kiểm tra tệp rồi tải lên lại.",
            f"{module} died (status {returncode}) under a {limits.memory_mb} MB memory cap")
    return IngestError(
        "corrupt", f"{what_vi} thất bại do lỗi không xác định khi đọc tệp.",
        f"{module} exited with status {returncode} without a reply")


def child_main(handlers: dict[str, Any]) -> None:
    """Entry point body for a child: read the request, apply limits, run ``handlers[op]``, write the reply.

    A handler receives the request dict and returns a JSON-serialisable result, or raises IngestError.
    MemoryError and any other exception become replies too, so only the kernel's signals (or a failure to
    write the reply) end a child without one.
    """
    request = json.loads(sys.stdin.buffer.read())
    caps = request["limits"]
    apply_child_limits(int(caps["memory_mb"]), int(caps["cpu_seconds"]), int(caps["max_file_mb"]))
    reply_path = Path(request["reply_path"])
    try:
        reply: dict[str, Any] = {"ok": True, "result": handlers[request["op"]](request)}
    except IngestError as exc:
        reply = {"ok": False, "code": exc.code, "message_vi": exc.message_vi, "message_en": exc.message_en}
    except MemoryError:
        reply = {"ok": False, "code": "resource_limit",
                 "message_vi": "Tệp cần nhiều bộ nhớ hơn mức cho phép "
                               f"({caps['memory_mb']} MB) nên đã bị từ chối.",
                 "message_en": f"MemoryError under a {caps['memory_mb']} MB cap"}
    except Exception as exc:
        reply = {"ok": False, "code": "corrupt",
                 "message_vi": f"Không đọc được tệp: lỗi {type(exc).__name__}.",
                 "message_en": f"{type(exc).__name__}: {str(exc)[:300]}"}
    _write_reply(reply_path, reply)
    sys.exit(0 if reply["ok"] else EXIT_REPORTED_ERROR)


def _write_reply(path: Path, reply: dict[str, Any]) -> None:
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps(reply, ensure_ascii=False), encoding="utf-8")
    partial.replace(path)
