"""Real-world PDFs from ../shared/corpus/pdf: each gives text or a clear IngestError, never a crash."""

from __future__ import annotations

import functools
import unicodedata
from pathlib import Path

import pytest
from PIL import Image

from ingest.errors import IngestError
from ingest.pdf import PdfInfo, inspect_pdf, render_thumbnail
from tests.conftest import CORPUS, corpus_dir

KNOWN_CODES = {"empty", "not_pdf", "encrypted", "corrupt", "too_many_pages", "timeout", "resource_limit"}
CORPUS_PDFS = sorted(p.name for p in (CORPUS / "pdf").glob("*.pdf")) if (CORPUS / "pdf").is_dir() else []


def corpus_pdf(name: str) -> Path:
    return corpus_dir("pdf") / name


@functools.cache
def inspect_or_error(name: str) -> PdfInfo | IngestError:
    """Each corpus file is inspected once per test run; the tests below read the same outcome."""
    try:
        return inspect_pdf(corpus_pdf(name))
    except IngestError as error:
        return error


@pytest.mark.parametrize("name", CORPUS_PDFS or ["(corpus absent)"])
def test_each_corpus_pdf_gives_text_or_a_clear_error(name: str) -> None:
    if not CORPUS_PDFS:
        corpus_dir("pdf")
        pytest.skip("no PDF in the corpus folder")
    outcome = inspect_or_error(name)
    if isinstance(outcome, IngestError):
        assert outcome.code in KNOWN_CODES
        assert len(outcome.message_vi) > 20 and outcome.message_en
        return
    assert outcome.page_count == len(outcome.pages) >= 1
    assert all(unicodedata.is_normalized("NFC", page) for page in outcome.pages)
    assert all(1 <= page <= outcome.page_count for _, page in outcome.outline)
    assert all(value and "\x00" not in value for value in outcome.metadata.values())


def inspected(name: str) -> PdfInfo:
    outcome = inspect_or_error(name)
    if isinstance(outcome, IngestError):
        raise outcome
    return outcome


def test_uscis_civics_text_and_metadata() -> None:
    info = inspected("uscis_2025-Civics-Test-128-Questions-and-Answers.pdf")
    assert info.page_count == 19
    assert "128 Civics Questions and Answers" in info.pages[0]
    assert info.metadata["title"].startswith("Civic Questions and Answers for the Naturalization Test")
    assert info.metadata["creator"].startswith("Adobe InDesign")
    assert all(info.pages), "every page of this document has a text layer"


def test_pdflatex_outline() -> None:
    info = inspected("pysf_pdflatex-outline.pdf")
    assert info.page_count == 4
    titles = [title for title, _ in info.outline]
    assert titles == ["Foo", "Bar", "Baz"] * 3
    assert [page for _, page in info.outline] == [2, 2, 2, 2, 3, 3, 3, 4, 4]
    assert info.pages[0].startswith("Contents")


def test_ligatures_are_split_so_words_can_be_found() -> None:
    first_page = inspected("pysf_GeoTopo-komprimiert.pdf").pages[0]
    assert "Auflage" in first_page and "\ufb02" not in first_page


@pytest.mark.parametrize("name", ["qpdf_encrypted-40-bit-R3.pdf", "pysf_libreoffice-writer-password.pdf"])
def test_password_protected_corpus_files(name: str) -> None:
    with pytest.raises(IngestError) as caught:
        inspect_pdf(corpus_pdf(name))
    assert caught.value.code == "encrypted"


def test_encrypted_with_empty_user_password_opens() -> None:
    info = inspected("qpdf_encrypted-positive-P.pdf")
    assert info.encrypted is True
    assert info.pages == ["Potato"]


def test_damaged_files_are_repaired_or_refused_clearly() -> None:
    assert inspected("qpdf_xref-errors.pdf").pages == ["Potato"]
    assert inspected("qpdf_damaged-stream.pdf").pages == ["Potato"]
    with pytest.raises(IngestError) as caught:
        inspect_pdf(corpus_pdf("qpdf_bad-xref.pdf"))
    assert caught.value.code == "corrupt"
    assert "Tệp PDF bị hỏng" in caught.value.message_vi


def test_image_only_scan_gives_empty_text() -> None:
    info = inspected("pysf_imagemagick-CCITTFaxDecode.pdf")
    assert info.pages == [""]


@pytest.mark.parametrize("name", ["uscis_2025-Civics-Test-128-Questions-and-Answers.pdf",
                                  "pysf_imagemagick-CCITTFaxDecode.pdf", "qpdf_encrypted-positive-P.pdf"])
def test_corpus_thumbnails(name: str, tmp_path: Path) -> None:
    out = tmp_path / "thumb.png"
    render_thumbnail(corpus_pdf(name), out, width=200)
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width == 200
        assert image.convert("L").getextrema()[0] < 128, "something must be drawn"
