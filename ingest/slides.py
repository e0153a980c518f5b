"""Slide decks (PPTX): a text outline per slide, and an optional PDF preview through LibreOffice.

python-pptx parses with lxml and loads every part of a package into memory, so it never sees the upload
itself. The archive is validated first (ingest.archive_safety), every XML part is parsed once with
defusedxml (no DOCTYPE, no entities), and python-pptx opens an in-memory copy that holds only those
checked XML parts: media and embedded objects are replaced by empty blobs, which keeps memory bounded by
the text of the deck. LibreOffice likewise gets a freshly written copy, with linked (external) media and
objects pointed nowhere, so a crafted link cannot make it read a local file or reach the network.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.opc.constants import RELATIONSHIP_TYPE as RT
from pptx.presentation import Presentation as PresentationObject
from pptx.shapes.base import BaseShape
from pptx.slide import Slide as PptxSlide

from ingest.archive_safety import (
    DEFAULT_LIMITS,
    ArchiveLimits,
    PackageError,
    SafeArchive,
    open_archive,
    parse_xml_safely,
)
from ingest.ooxml import (
    CONTENT_TYPES_PART,
    PACKAGE_RELS_PART,
    check_xml_parts,
    part_content_type,
    text_only_copy,
)

log = logging.getLogger(__name__)

_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOCUMENT_REL = "/officeDocument"
_HYPERLINK_REL = "/hyperlink"
_NEUTRAL_TARGET = "about:blank"
_FAMILY_NAMES_VI = {"wordprocessingml": "tài liệu Word (DOCX)", "spreadsheetml": "bảng tính Excel (XLSX)"}


@dataclass
class Slide:
    number: int
    title: str
    #: Text of every shape except the title: text boxes, placeholders, table rows (non-empty cells
    #: joined by " | "), group members and chart titles, one line per paragraph.
    text: str
    notes: str


@dataclass
class DeckInfo:
    slide_count: int
    #: Core-properties title, else the first non-empty slide title, else "".
    title: str
    slides: list[Slide]


@dataclass
class _CheckedPackage:
    xml_parts: dict[str, bytes]
    other_parts: list[str]


def inspect_deck(path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> DeckInfo:
    """Outline of a PPTX deck. Raises PackageError for anything that is not a safe, readable deck."""
    with open_archive(path, limits) as archive:
        checked = _check_presentation_package(archive)
    presentation = _open_text_only(checked)
    try:
        slides = [_read_slide(number, slide) for number, slide in enumerate(presentation.slides, start=1)]
        title = _core_title(presentation) or next((s.title for s in slides if s.title), "")
    except Exception as exc:
        raise _unreadable(exc) from exc
    return DeckInfo(slide_count=len(slides), title=title, slides=slides)


def render_deck_pdf(path: Path, out_dir: Path, timeout_s: float = 120,
                    limits: ArchiveLimits = DEFAULT_LIMITS, soffice: str | None = None) -> Path | None:
    """Render the deck to `out_dir/<stem>.pdf` with headless LibreOffice (`soffice`, else found on PATH),
    or return None when LibreOffice is not installed (the caller then shows the text outline). Raises
    PackageError when the deck is refused or the conversion fails or times out. The PDF appears
    atomically: never half-written."""
    soffice = soffice or shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        log.info("LibreOffice not on PATH; no PDF preview for %s", path.name)
        return None
    out_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=".render-", dir=out_dir))
    try:
        deck = workdir / "in" / "deck.pptx"
        deck.parent.mkdir()
        write_render_copy(path, deck, limits)
        produced = _run_soffice(soffice, deck, workdir, timeout_s)
        target = out_dir / f"{path.stem}.pdf"
        os.replace(produced, target)
        return target
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def write_render_copy(path: Path, dest: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> Path:
    """Write the copy of a validated deck that LibreOffice is given: a freshly written ZIP (no parser
    differences with the upload) whose external targets, hyperlinks excepted, point to about:blank, so
    linked media (`file:///etc/passwd`, `http://169.254.169.254/`) are never fetched."""
    with open_archive(path, limits) as archive:
        checked = _check_presentation_package(archive)
        _write_render_copy(archive, checked, dest)
    return dest


def _check_presentation_package(archive: SafeArchive) -> _CheckedPackage:
    """Parse every XML part with defusedxml and make sure the main part is a presentation."""
    if not archive.has_file(CONTENT_TYPES_PART) or not archive.has_file(PACKAGE_RELS_PART):
        raise PackageError("not_ooxml", "Tệp ZIP này không phải tệp PowerPoint (PPTX): "
                                        "thiếu [Content_Types].xml hoặc _rels/.rels.",
                           "no OPC content types or package relationships")
    parts = check_xml_parts(archive)
    _require_presentation(parts.xml_parts[PACKAGE_RELS_PART], parts.defaults, parts.overrides)
    return _CheckedPackage(parts.xml_parts, parts.other_parts)


def _require_presentation(package_rels: bytes, defaults: dict[str, str], overrides: dict[str, str]) -> None:
    root = parse_xml_safely(package_rels, PACKAGE_RELS_PART)
    main = next((rel.get("Target", "") for rel in root
                 if rel.get("Type", "").endswith(_OFFICE_DOCUMENT_REL)), "")
    content_type = part_content_type(main.lstrip("/"), defaults, overrides)
    if "presentationml" in content_type or "ms-powerpoint" in content_type:
        return
    found = next((vi for key, vi in _FAMILY_NAMES_VI.items() if key in content_type), "không phải PowerPoint")
    raise PackageError("not_pptx", f"Tệp là {found}, không phải bài trình chiếu PowerPoint (PPTX).",
                       f"main part {main!r} has content type {content_type!r}")


def _open_text_only(checked: _CheckedPackage) -> PresentationObject:
    buffer = text_only_copy(checked.xml_parts, checked.other_parts)
    try:
        return Presentation(buffer)
    except Exception as exc:
        raise _unreadable(exc) from exc


def _unreadable(exc: Exception) -> PackageError:
    return PackageError("pptx_unreadable", "Không đọc được nội dung bài trình chiếu: tệp PPTX bị hỏng "
                                           "hoặc không đúng cấu trúc.",
                        f"python-pptx failed: {type(exc).__name__}: {exc}")


def _core_title(presentation: PresentationObject) -> str:
    """python-pptx invents a core-properties part titled "PowerPoint Presentation" when the package has
    none, so the title is read only when the part really exists."""
    try:
        presentation.part.package.part_related_by(RT.CORE_PROPERTIES)
    except KeyError:
        return ""
    return _one_line(presentation.core_properties.title or "")


def _read_slide(number: int, slide: PptxSlide) -> Slide:
    title_shape = slide.shapes.title
    title = _one_line(title_shape.text_frame.text) if title_shape is not None else ""
    title_id = title_shape.shape_id if title_shape is not None else None
    lines = [line for shape in slide.shapes if shape.shape_id != title_id for line in _shape_lines(shape)]
    return Slide(number=number, title=title, text="\n".join(lines), notes=_notes(slide))


def _shape_lines(shape: BaseShape) -> Iterator[str]:
    if shape.shape_type == MSO_SHAPE_TYPE.GROUP:
        for member in shape.shapes:
            yield from _shape_lines(member)
        return
    if shape.has_text_frame:
        yield from _clean_lines(shape.text_frame.text.splitlines())
    if getattr(shape, "has_table", False):
        for row in shape.table.rows:
            cells = [_one_line(cell.text) for cell in row.cells if not cell.is_spanned]
            if any(cells):
                yield " | ".join(cell for cell in cells if cell)
    if getattr(shape, "has_chart", False) and shape.chart.has_title:
        yield from _clean_lines(shape.chart.chart_title.text_frame.text.splitlines())


def _notes(slide: PptxSlide) -> str:
    if not slide.has_notes_slide:
        return ""
    frame = slide.notes_slide.notes_text_frame
    return "\n".join(_clean_lines(frame.text.splitlines())) if frame is not None else ""


def _clean_lines(lines: Iterable[str]) -> list[str]:
    return [line.strip() for line in lines if line.strip()]


def _one_line(text: str) -> str:
    """Titles keep their words but lose line breaks (python-pptx gives a soft break as a vertical tab)."""
    return " ".join(text.replace("\v", " ").split())


def _write_render_copy(archive: SafeArchive, checked: _CheckedPackage, deck: Path) -> None:
    with zipfile.ZipFile(deck, "w", zipfile.ZIP_DEFLATED) as copy:
        for name, data in checked.xml_parts.items():
            is_rels = name.lower().endswith(".rels")
            copy.writestr(name, _neutralise_external_targets(data, name) if is_rels else data)
        for name in checked.other_parts:
            with copy.open(name, "w", force_zip64=True) as out:
                archive.copy_member(name, out)


def _neutralise_external_targets(data: bytes, name: str) -> bytes:
    root = parse_xml_safely(data, name)
    changed = False
    for rel in root:
        external = rel.get("TargetMode", "") == "External"
        if external and not rel.get("Type", "").endswith(_HYPERLINK_REL):
            log.info("render copy: external %s target %r in %s neutralised",
                     rel.get("Type", "").rsplit("/", 1)[-1], rel.get("Target", ""), name)
            rel.set("Target", _NEUTRAL_TARGET)
            changed = True
    if not changed:
        return data
    ElementTree.register_namespace("", _REL_NS)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _run_soffice(soffice: str, deck: Path, workdir: Path, timeout_s: float) -> Path:
    """Run LibreOffice with a private profile and HOME in `workdir`; kill its whole process group on
    timeout (soffice forks soffice.bin)."""
    out = workdir / "out"
    profile = workdir / "profile"
    command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible",
               "--nologo", "--norestore", "--nolockcheck",
               "--convert-to", "pdf", "--outdir", str(out), str(deck)]
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(workdir), "LANG": "C.UTF-8",
           "TMPDIR": str(workdir), "SAL_USE_VCLPLUGIN": "svp"}
    process = subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True, cwd=workdir)
    try:
        output, _ = process.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired as exc:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise PackageError("render_timeout",
                           "Tạo bản xem trước PDF của bài trình chiếu quá thời gian cho phép.",
                           f"soffice exceeded {timeout_s}s") from exc
    produced = out / "deck.pdf"
    if process.returncode != 0 or not produced.is_file() or produced.stat().st_size == 0:
        tail = output.decode("utf-8", "replace")[-500:]
        raise PackageError("render_failed", "Không tạo được bản xem trước PDF của bài trình chiếu.",
                           f"soffice exit {process.returncode}: {tail}")
    return produced
