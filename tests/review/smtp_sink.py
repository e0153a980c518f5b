"""A minimal SMTP server on 127.0.0.1 for tests (standard library only): it accepts every message and keeps
it. Enough of RFC 5321 for smtplib: greeting, EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

from __future__ import annotations

import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage

REPLIES = {b"EHLO": b"250 sink", b"HELO": b"250 sink", b"MAIL": b"250 OK", b"RCPT": b"250 OK",
           b"RSET": b"250 OK", b"NOOP": b"250 OK"}


@dataclass
class Mailbox:
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(socketserver.StreamRequestHandler):
    mailbox: Mailbox

    def _reply(self, line: bytes) -> None:
        self.wfile.write(line + b"\r\n")

    def _data(self) -> None:
        self._reply(b"354 end with <CRLF>.<CRLF>")
        lines = []
        for raw in self.rfile:
            if raw in {b".\r\n", b".\n"}:
                break
            lines.append(raw[1:] if raw.startswith(b"..") else raw)
        message = message_from_bytes(b"".join(lines), policy=policy.default)
        with self.mailbox.lock:
            self.mailbox.messages.append(message)
        self._reply(b"250 queued")

    def handle(self) -> None:
        self._reply(b"220 sink ESMTP")
        for raw in self.rfile:
            verb = raw.strip().split(b" ", 1)[0].upper()
            if verb == b"DATA":
                self._data()
            elif verb == b"QUIT":
                self._reply(b"221 bye")
                return
            else:
                self._reply(REPLIES.get(verb, b"502 not implemented"))


class SinkServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


class SmtpSink:
    """``with SmtpSink(port) as sink:`` serves until the block ends; ``sink.mailbox.messages`` holds the mail."""

    def __init__(self, port: int) -> None:
        self.mailbox = Mailbox()
        handler = type("Handler", (_Handler,), {"mailbox": self.mailbox})
        self.server = SinkServer(("127.0.0.1", port), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> SmtpSink:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)
