"""Fixture for SCORM and archive-safety tests: the shared corpus, located beside the checkout."""

from __future__ import annotations

from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


@pytest.fixture
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip(f"test corpus {CORPUS} is absent (it lives in ../shared/corpus beside the checkout)")
    return CORPUS


@pytest.fixture
def scorm_corpus(corpus: Path) -> Path:
    path = corpus / "scorm"
    if not path.is_dir():
        pytest.skip(f"SCORM corpus {path} is absent (it lives in ../shared/corpus beside the checkout)")
    return path
