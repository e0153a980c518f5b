"""Fixture for SCORM and archive-safety tests: the SCORM folder of the shared corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import corpus_dir


@pytest.fixture
def scorm_corpus() -> Path:
    return corpus_dir("scorm")
