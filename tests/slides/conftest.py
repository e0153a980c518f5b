"""Fixture for slide-deck tests: the PPTX folder of the shared corpus."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import corpus_dir


@pytest.fixture
def decks() -> Path:
    return corpus_dir("pptx")
