"""Fixtures for the ingest tests: limits for hostile inputs and generated Vietnamese PDFs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pdf import PdfLimits
from tests.ingest.pdf_builders import VIETNAMESE_PAGES, vietnamese_pdf

#: Tight limits for hostile inputs: small enough to trip quickly, large enough for real documents.
HOSTILE_LIMITS = PdfLimits(timeout_seconds=30, memory_mb=320)


@pytest.fixture(scope="session")
def vietnamese_pdf_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A four-page PDF: three pages of known Vietnamese text, one bookmark each, and a blank last page."""
    return vietnamese_pdf(tmp_path_factory.mktemp("vi") / "bai-giang.pdf")


@pytest.fixture(scope="session")
def expected_pages() -> list[str]:
    return [*VIETNAMESE_PAGES, ""]
