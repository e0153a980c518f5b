"""Word documents (DOCX): text, headings as chapters, page-like sections for search, and a PDF for the
viewer through LibreOffice when it is installed.

A DOCX has no pages until a word processor lays it out, so the text is cut into page-like sections: a new
section starts at an explicit page or section break, at a heading of level 1 or 2 (so a chapter begins on
its own section), and when a section grows past ``DocxLimits.section_chars``. When LibreOffice converted
the document, the pipeline takes the pages of the PDF instead, so that page N of a search hit is page N in
the viewer, and :func:`locate_headings` finds on which PDF page each heading landed.

Parsing happens in a capped child process (:mod:`ingest._docx_child`). The archive is validated first
(:mod:`ingest.archive_safety`: zip bombs, overlapping entries, unsafe names), every XML part is parsed with
defusedxml (no DOCTYPE, no entities), and python-docx only ever sees an in-memory copy that holds those
checked XML parts. LibreOffice is given a freshly written copy whose external links and include fields
point nowhere, so a crafted document cannot make it read a local file or reach the network.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import unicodedata
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path
from xml.etree import ElementTree

from ingest.archive_safety import ArchiveLimits, PackageError, SafeArchive, open_archive, parse_xml_safely
from ingest.detect import detect_type
from ingest.errors import IngestError
from ingest.limits import ChildLimits, run_child
from ingest.ooxml import CONTENT_TYPES_PART, PACKAGE_RELS_PART, check_xml_parts
from ingest.pdf import PdfInfo

log = logging.getLogger(__name__)

CHILD_MODULE = "ingest._docx_child"
MIB = 1024 * 1024
#: A lesson plan or reference book is a few MB of XML; anything far beyond is refused before inflating.
DOCX_ARCHIVE_LIMITS = ArchiveLimits(max_entries=5_000, max_total_bytes=512 * MIB, max_entry_bytes=256 * MIB,
                                    max_xml_bytes=64 * MIB)
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
OFFICE_DOCUMENT_REL = "/officeDocument"
HYPERLINK_REL = "/hyperlink"
NEUTRAL_TARGET = "about:blank"
#: Field instructions that make a word processor fetch something (a file, a URL, another program's data).
FETCHING_FIELD = re.compile(
    rb"(<w:instrText\b[^>]*>)([^<]*\b(?:INCLUDETEXT|INCLUDEPICTURE|INCLUDE|LINK|DDEAUTO|DDE|IMPORT)\b[^<]*)"
    rb"(</w:instrText>)", re.IGNORECASE)
FETCHING_SIMPLE_FIELD = re.compile(
    rb"(w:instr=\")([^\"]*\b(?:INCLUDETEXT|INCLUDEPICTURE|INCLUDE|LINK|DDEAUTO|DDE|IMPORT)\b[^\"]*)(\")",
    re.IGNORECASE)


@dataclass(frozen=True)
class DocxLimits:
    timeout_seconds: float = 60.0
    memory_mb: int = 768
    max_sections: int = 2000
    #: A page-like section is closed at the first paragraph boundary past this many characters.
    section_chars: int = 3000
    archive: ArchiveLimits = DOCX_ARCHIVE_LIMITS


DEFAULT_LIMITS = DocxLimits()


@dataclass
class CheckedPackage:
    """The XML parts of a validated DOCX (each parsed once with defusedxml) and the names of the others."""

    xml_parts: dict[str, bytes]
    other_parts: list[str]
    main_part: str


def inspect_docx(path: Path, limits: DocxLimits = DEFAULT_LIMITS) -> PdfInfo:
    """Text of every page-like section, headings as the outline, and core-properties metadata.

    Raises IngestError: "not_docx", "zip_bomb", "xml_forbidden", "missing_entry", "docx_unreadable",
    "too_many_pages", "timeout", "resource_limit", ...
    """
    require_docx(path)
    request = {"op": "inspect", "path": str(path.resolve()), "max_sections": limits.max_sections,
               "section_chars": limits.section_chars, "archive": asdict(limits.archive)}
    child_limits = ChildLimits(timeout_seconds=limits.timeout_seconds, memory_mb=limits.memory_mb)
    result = run_child(CHILD_MODULE, request, child_limits, what_vi="Việc đọc tệp Word (DOCX)")
    return PdfInfo(page_count=int(result["page_count"]),
                   metadata={str(k): str(v) for k, v in result["metadata"].items()},
                   pages=[str(text) for text in result["pages"]],
                   outline=[(str(title), int(page)) for title, page in result["outline"]],
                   encrypted=False)


def require_docx(path: Path) -> None:
    detected = detect_type(path)
    if detected.family != "ooxml-docx":
        raise IngestError(
            "not_docx",
            f"Tệp không phải tài liệu Word (DOCX): theo nội dung, đây là tệp {detected.family} "
            f"({detected.mime}). Loại tệp được xác định theo nội dung, không theo tên tệp.",
            f"{path.name}: content is {detected.family} ({detected.mime}), not a DOCX")


def package_error(exc: PackageError) -> IngestError:
    """An archive problem told in terms of a Word document."""
    return IngestError(exc.code, f"Tệp Word (DOCX) bị từ chối: {exc.message_vi}", exc.message_en)


# ---- package checks (run in the child, and for the LibreOffice copy) -----------------------------------

def check_document_package(archive: SafeArchive) -> CheckedPackage:
    """Parse every XML part with defusedxml and make sure the main part is a Word document that exists."""
    if not archive.has_file(CONTENT_TYPES_PART) or not archive.has_file(PACKAGE_RELS_PART):
        raise PackageError("not_ooxml", "thiếu [Content_Types].xml hoặc _rels/.rels, không phải gói Office.",
                           "no OPC content types or package relationships")
    parts = check_xml_parts(archive)
    main = main_part_name(parse_xml_safely(archive.read_bytes(PACKAGE_RELS_PART), PACKAGE_RELS_PART))
    if not main or not archive.has_file(main):
        raise PackageError("missing_entry",
                           f"thiếu phần nội dung chính ({main or 'word/document.xml'}); tệp bị hỏng hoặc "
                           "không được tạo bởi trình soạn thảo văn bản.",
                           f"main document part {main!r} is missing")
    if "wordprocessingml" not in parts.content_type(main):
        raise PackageError("not_docx", "phần nội dung chính không phải văn bản Word.",
                           f"main part {main!r} is {parts.content_type(main)!r}")
    return CheckedPackage(parts.xml_parts, parts.other_parts, main)


def main_part_name(package_rels: ElementTree.Element) -> str:
    target = next((rel.get("Target", "") for rel in package_rels
                   if rel.get("Type", "").endswith(OFFICE_DOCUMENT_REL)), "")
    return target.lstrip("/")


# ---- the copy given to LibreOffice ---------------------------------------------------------------------

def write_render_copy(path: Path, dest: Path, limits: ArchiveLimits = DOCX_ARCHIVE_LIMITS) -> Path:
    """A freshly written copy of a validated DOCX in which external relationship targets (hyperlinks
    excepted) point to about:blank and fields that fetch content (INCLUDETEXT, INCLUDEPICTURE, LINK, DDE)
    are emptied, so that converting it reads nothing but the copy itself."""
    try:
        with open_archive(path, limits) as archive:
            checked = check_document_package(archive)
            with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as copy:
                for name, data in checked.xml_parts.items():
                    copy.writestr(name, neutralise_part(name, data))
                for name in checked.other_parts:
                    with copy.open(name, "w", force_zip64=True) as out:
                        archive.copy_member(name, out)
    except PackageError as exc:
        raise package_error(exc) from exc
    return dest


def neutralise_part(name: str, data: bytes) -> bytes:
    if name.lower().endswith(".rels"):
        return neutralise_external_targets(data, name)
    data = FETCHING_FIELD.sub(rb"\1 \3", data)
    return FETCHING_SIMPLE_FIELD.sub(rb"\1 \3", data)


def neutralise_external_targets(data: bytes, name: str) -> bytes:
    root = parse_xml_safely(data, name)
    changed = False
    for rel in root:
        if rel.get("TargetMode", "") == "External" and not rel.get("Type", "").endswith(HYPERLINK_REL):
            log.info("render copy: external target %r in %s neutralised", rel.get("Target", ""), name)
            rel.set("Target", NEUTRAL_TARGET)
            changed = True
    if not changed:
        return data
    ElementTree.register_namespace("", REL_NS)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


# ---- conversion to PDF ---------------------------------------------------------------------------------

def find_soffice(command: str = "soffice") -> str | None:
    """The LibreOffice executable, or None when it is not installed (``command`` "" disables it)."""
    if not command:
        return None
    return shutil.which(command) or (shutil.which("libreoffice") if command == "soffice" else None)


def convert_to_pdf(path: Path, out_pdf: Path, *, soffice: str, timeout_s: float = 120) -> Path:
    """Convert the DOCX at ``path`` to ``out_pdf`` with headless LibreOffice (a render copy, a private
    profile, the whole process group killed on timeout). ``out_pdf`` appears only when conversion worked.
    Raises IngestError "render_timeout" or "render_failed"."""
    workdir = Path(tempfile.mkdtemp(prefix=".soffice-", dir=out_pdf.parent))
    try:
        (workdir / "in").mkdir()
        source = write_render_copy(path, workdir / "in" / "document.docx")
        produced = run_soffice(soffice, source, workdir, timeout_s)
        os.replace(produced, out_pdf)
        return out_pdf
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run_soffice(soffice: str, source: Path, workdir: Path, timeout_s: float) -> Path:
    out = workdir / "out"
    profile = workdir / "profile"
    command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--nologo",
               "--norestore", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(out), str(source)]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir), "LANG": "C.UTF-8", "TMPDIR": str(workdir),
           "SAL_USE_VCLPLUGIN": "svp"}
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True, cwd=workdir)
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise IngestError("render_timeout", f"Chuyển tài liệu Word sang PDF mất quá {timeout_s:g} giây nên "
                                            "đã bị dừng.", f"soffice exceeded {timeout_s:g} s") from exc
    produced = out / f"{source.stem}.pdf"
    if process.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
        tail = output.decode("utf-8", "replace")[-500:]
        raise IngestError("render_failed", "Không chuyển được tài liệu Word sang PDF để xem trực tuyến.",
                          f"soffice exit {process.returncode}: {tail}")
    return produced


# ---- headings on the pages of the converted PDF ---------------------------------------------------------

def _squash(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def locate_headings(headings: list[tuple[str, int]], pdf_pages: list[str]) -> list[tuple[str, int]]:
    """Each heading on the first PDF page, at or after the previous heading's page, whose text contains
    it; a heading that cannot be found is left out (the PDF page it fell on is unknown)."""
    squashed = [_squash(page) for page in pdf_pages]
    located: list[tuple[str, int]] = []
    start = 0
    for title, _section in headings:
        wanted = _squash(title)
        page = next((i for i in range(start, len(squashed)) if wanted and wanted in squashed[i]), None)
        if page is not None:
            located.append((title, page + 1))
            start = page
    return located
