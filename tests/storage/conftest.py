"""An S3-compatible server for the storage contract tests.

This is moto's S3 server (``moto.server.ThreadedMotoServer``), an S3-compatible stand-in, not MinIO
itself: no MinIO server can be installed on the development machines. Our S3 store talks to it through
the same official ``minio`` client it uses against MinIO in production.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator

import pytest
from moto.server import ThreadedMotoServer


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """``host:port`` of a moto S3 server on 127.0.0.1 for the session; each test uses its own bucket."""
    werkzeug_log = logging.getLogger("werkzeug")
    previous_level = werkzeug_log.level
    werkzeug_log.setLevel(logging.ERROR)  # one access-log line per request would drown failure reports
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop()
        werkzeug_log.setLevel(previous_level)
