"""Safe, in-memory reading of ZIP containers: QTI content packages and OOXML files (DOCX, XLSX).

Every limit is checked against the central directory BEFORE any entry is decompressed, and again while
reading (the declared size is not trusted: reading stops one byte past it). Nothing is extracted to disk.
Refused: absolute paths, ``..`` components, backslash paths, symbolic links, encrypted entries, duplicate
names, too many entries, too much declared uncompressed data, and suspicious compression ratios.
"""

from __future__ import annotations

import io
import logging
import posixpath
import re
import stat
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from ingest.questions.limits import QuestionFileError

log = logging.getLogger(__name__)

_DRIVE = re.compile(r"^[A-Za-z]:")
_DTD = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_READ_CHUNK = 64 * 1024


@dataclass(frozen=True)
class ArchiveLimits:
    max_entries: int = 2_000
    max_total_size: int = 256 * 1024 * 1024   # sum of declared uncompressed sizes
    max_entry_size: int = 64 * 1024 * 1024
    max_ratio: float = 200.0                  # uncompressed / compressed, per entry
    ratio_floor: int = 1024 * 1024            # entries smaller than this are not ratio-checked


DEFAULT_LIMITS = ArchiveLimits()


def _fail(filename: str, vi: str, en: str) -> QuestionFileError:
    label = filename or "tệp nén"
    return QuestionFileError(f"{label}: {vi}", en)


def check_member_name(name: str, *, filename: str = "") -> str:
    """Return ``name`` normalised (no ``./``) or raise if it could land outside the archive root."""
    if "\\" in name or "\x00" in name:
        raise _fail(filename, f"đường dẫn không hợp lệ trong tệp nén: {name!r}",
                    f"backslash or NUL in member name {name!r}")
    if name.startswith("/") or _DRIVE.match(name):
        raise _fail(filename, f"tệp nén chứa đường dẫn tuyệt đối: {name!r}", f"absolute member path {name!r}")
    parts = name.split("/")
    if ".." in parts:
        raise _fail(filename, f"tệp nén chứa đường dẫn thoát ra ngoài (..): {name!r}",
                    f"parent-directory member path {name!r}")
    return "/".join(p for p in parts if p not in ("", "."))


def resolve_href(base_dir: str, href: str, *, filename: str = "") -> str:
    """Join a relative ``href`` (manifest or item) to ``base_dir``; refuse anything that climbs out."""
    split = urlsplit(href)
    if split.scheme or split.netloc:
        raise _fail(filename, f"liên kết ra ngoài gói không được phép: {href!r}", f"external href {href!r}")
    path = unquote(split.path)
    if "\\" in path or "\x00" in path or path.startswith("/") or _DRIVE.match(path):
        raise _fail(filename, f"liên kết không hợp lệ: {href!r}", f"absolute or odd href {href!r}")
    joined = posixpath.normpath(posixpath.join(base_dir, path)) if base_dir else posixpath.normpath(path)
    if joined.startswith("../") or joined == ".." or joined.startswith("/"):
        raise _fail(filename, f"liên kết thoát ra ngoài gói: {href!r}", f"href escapes the package: {href!r}")
    return "" if joined == "." else joined


class SafeArchive:
    """A validated ZIP held in memory. Use :func:`open_archive` to build one."""

    def __init__(self, zf: zipfile.ZipFile, infos: dict[str, zipfile.ZipInfo], filename: str,
                 limits: ArchiveLimits) -> None:
        self._zf = zf
        self._infos = infos
        self.filename = filename
        self.limits = limits

    def names(self) -> list[str]:
        """File entries (directories left out), normalised."""
        return [n for n, info in self._infos.items() if not info.is_dir()]

    def has(self, name: str) -> bool:
        info = self._infos.get(name)
        return info is not None and not info.is_dir()

    def size(self, name: str) -> int:
        return self._infos[name].file_size

    def read(self, name: str) -> bytes:
        """Read one entry, never more than its declared size (already checked against the limits)."""
        info = self._infos.get(name)
        if info is None or info.is_dir():
            raise _fail(self.filename, f"không tìm thấy {name!r} trong tệp nén", f"missing member {name!r}")
        out = io.BytesIO()
        try:
            with self._zf.open(info) as member:
                while chunk := member.read(_READ_CHUNK):
                    out.write(chunk)
                    if out.tell() > info.file_size:
                        raise _fail(self.filename, f"kích thước thật của {name!r} lớn hơn khai báo",
                                    f"member {name!r} inflates past its declared size")
        except (zipfile.BadZipFile, OSError, EOFError, NotImplementedError) as exc:
            raise _fail(self.filename, f"không đọc được {name!r} (tệp nén hỏng)",
                        f"cannot read member {name!r}: {exc}") from exc
        return out.getvalue()


def _check_info(info: zipfile.ZipInfo, filename: str, limits: ArchiveLimits) -> None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        raise _fail(filename, f"tệp nén chứa liên kết tượng trưng (symlink): {info.filename!r}",
                    f"symlink member {info.filename!r}")
    if info.flag_bits & 0x1:
        raise _fail(filename, f"tệp nén có mật khẩu: {info.filename!r}",
                    f"encrypted member {info.filename!r}")
    if info.file_size > limits.max_entry_size:
        raise _fail(filename, f"{info.filename!r} quá lớn khi giải nén ({info.file_size} byte)",
                    f"member {info.filename!r} declares {info.file_size} bytes")
    ratio = info.file_size / max(info.compress_size, 1)
    if info.file_size >= limits.ratio_floor and ratio > limits.max_ratio:
        raise _fail(filename, f"tỉ lệ nén bất thường ở {info.filename!r} (nghi là bom nén)",
                    f"compression ratio of {info.filename!r} exceeds {limits.max_ratio}")


def open_archive(data: bytes, *, filename: str = "", limits: ArchiveLimits = DEFAULT_LIMITS) -> SafeArchive:
    """Open ``data`` as a ZIP and validate its whole directory before anything is decompressed."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos_list = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise _fail(filename, "không phải tệp nén ZIP hợp lệ hoặc tệp bị hỏng",
                    f"not a readable zip: {exc}") from exc
    if len(infos_list) > limits.max_entries:
        raise _fail(filename, f"tệp nén có quá nhiều mục ({len(infos_list)}, tối đa {limits.max_entries})",
                    f"{len(infos_list)} entries exceed {limits.max_entries}")
    total = sum(info.file_size for info in infos_list)
    if total > limits.max_total_size:
        raise _fail(filename, f"dung lượng giải nén quá lớn ({total} byte, tối đa {limits.max_total_size})",
                    f"declared uncompressed total {total} exceeds {limits.max_total_size}")
    infos: dict[str, zipfile.ZipInfo] = {}
    for info in infos_list:
        name = check_member_name(info.filename, filename=filename)
        _check_info(info, filename, limits)
        if name in infos and not info.is_dir():
            raise _fail(filename, f"tệp nén có hai mục trùng tên: {name!r}", f"duplicate member {name!r}")
        infos[name] = info
    log.debug("zip %s: %d entries, %d bytes declared", filename, len(infos_list), total)
    return SafeArchive(zf, infos, filename, limits)


def has_doctype(xml: bytes) -> bool:
    """True when an XML document declares a DTD or entities (UTF-8 or UTF-16: NUL bytes are ignored)."""
    return bool(_DTD.search(xml.replace(b"\x00", b"")))


def open_ooxml(data: bytes, *, filename: str = "", limits: ArchiveLimits = DEFAULT_LIMITS) -> SafeArchive:
    """Validate an OOXML container (DOCX, XLSX) before a third-party library parses it.

    Besides the ZIP checks, every XML part is read (within the limits) and refused if it carries a
    DOCTYPE, so python-docx / openpyxl never see a DTD whatever their parser settings.
    """
    archive = open_archive(data, filename=filename, limits=limits)
    if not archive.has("[Content_Types].xml"):
        raise _fail(filename, "không phải tệp Office Open XML (thiếu [Content_Types].xml)",
                    "missing [Content_Types].xml")
    for name in archive.names():
        if name.endswith((".xml", ".rels")) and has_doctype(archive.read(name)):
            raise _fail(filename, f"phần {name!r} chứa khai báo DOCTYPE/ENTITY, không được phép",
                        f"DOCTYPE in OOXML part {name!r}")
    return archive
