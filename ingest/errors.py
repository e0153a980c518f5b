"""The one exception ingest code raises for problems with an uploaded file."""

from __future__ import annotations


class IngestError(Exception):
    """A problem with an uploaded file the user must be told about; nothing was stored.

    ``code`` is stable and machine-readable ("empty", "not_pdf", "unsupported_type", "encrypted",
    "corrupt", "too_many_pages", "timeout", "too_large", "resource_limit", ...); ``message_vi`` is shown
    to the user, ``message_en`` goes to the logs; ``field`` names the form field the problem belongs to.
    """

    def __init__(self, code: str, message_vi: str, message_en: str, field: str = "file") -> None:
        super().__init__(message_en)
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en
        self.field = field

    def __repr__(self) -> str:
        return f"IngestError({self.code!r}, {self.message_en!r})"
