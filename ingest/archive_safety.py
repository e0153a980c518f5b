"""Safe inspection and extraction of ZIP archives from uploads (SCORM, PPTX and other OOXML packages).

Everything is decided from the central directory before a single byte is decompressed: entry count,
declared sizes, compression ratio, overlapping entries (the "overlapping files" zip bomb), and every
entry name (Zip Slip, absolute paths, backslashes, drive letters, symlinks, duplicates). Extraction then
writes only into an empty staging directory, re-checks each resolved path, never follows or creates
links, and stops if an entry inflates beyond its declared size. THREATS.md items 6-10.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import shutil
import stat
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from types import TracebackType
from typing import IO
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

log = logging.getLogger(__name__)

MIB = 1024 * 1024
_LOCAL_HEADER_SIZE = 30
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
_COPY_CHUNK = 256 * 1024


class PackageError(Exception):
    """A package (ZIP, PPTX, SCORM) that is refused. `message_vi` is shown to the user and names the entry
    or field at fault; `message_en` goes to the logs."""

    def __init__(self, code: str, message_vi: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_vi = message_vi
        self.message_en = message_en


@dataclass(frozen=True)
class ArchiveLimits:
    """Ceilings applied to an archive before anything is decompressed."""

    max_entries: int = 10_000
    max_total_bytes: int = 2048 * MIB
    max_entry_bytes: int = 1024 * MIB
    #: Uncompressed/compressed ratio allowed per entry. Deflate tops out near 1032:1, real media and
    #: documents stay far below 100:1; the check applies only to entries above `ratio_floor_bytes`,
    #: because small, repetitive text files legitimately compress very well.
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 1 * MIB
    #: Largest XML part read into memory for parsing (manifests, OOXML parts).
    max_xml_bytes: int = 32 * MIB
    max_name_length: int = 1024


DEFAULT_LIMITS = ArchiveLimits()


@dataclass(frozen=True)
class ArchiveEntry:
    """One validated archive member; `name` is the normalised POSIX path inside the archive."""

    name: str
    size: int
    compressed_size: int
    is_dir: bool


def vi_number(value: int) -> str:
    """Integer with Vietnamese digit grouping (1.048.576)."""
    return f"{value:,}".replace(",", ".")


def _unsafe_name(name: str, reason_vi: str, reason_en: str) -> PackageError:
    return PackageError("unsafe_path", f"Mục “{name}” trong gói bị từ chối: {reason_vi}.",
                        f"entry {name!r} refused: {reason_en}")


def check_member_name(name: str, limits: ArchiveLimits = DEFAULT_LIMITS) -> str:
    """Validate one entry name and return it without a trailing slash. Raises PackageError."""
    if not name or len(name) > limits.max_name_length:
        raise _unsafe_name(name[:80], "tên rỗng hoặc quá dài", "empty or over-long name")
    if "\\" in name:
        raise _unsafe_name(name, "tên chứa dấu gạch chéo ngược (\\)", "backslash in name")
    if "\x00" in name or any(unicodedata.category(ch) == "Cc" for ch in name):
        raise _unsafe_name(name, "tên chứa ký tự điều khiển", "control character in name")
    if name.startswith("/"):
        raise _unsafe_name(name, "đường dẫn tuyệt đối", "absolute path")
    if _DRIVE_LETTER.match(name):
        raise _unsafe_name(name, "đường dẫn có ký tự ổ đĩa", "drive letter")
    parts = name.rstrip("/").split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise _unsafe_name(name, "đường dẫn chứa “..”, “.” hoặc đoạn rỗng", "'..', '.' or empty segment")
    return "/".join(parts)


def _entry_kind_error(info: zipfile.ZipInfo) -> PackageError | None:
    """Symlinks and other special files are recognised from the Unix mode in the external attributes."""
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return _unsafe_name(info.filename, "liên kết tượng trưng (symlink) không được phép", "symlink entry")
    file_type = stat.S_IFMT(mode)
    if file_type and file_type not in (stat.S_IFREG, stat.S_IFDIR):
        return _unsafe_name(info.filename, "không phải tệp thường", f"special file type {oct(file_type)}")
    if info.flag_bits & 0x1:
        return PackageError("encrypted_entry",
                            f"Mục “{info.filename}” trong gói được mã hóa bằng mật khẩu; "
                            "hãy nén lại không đặt mật khẩu.",
                            f"entry {info.filename!r} is encrypted")
    return None


def _check_sizes(info: zipfile.ZipInfo, limits: ArchiveLimits) -> None:
    if info.file_size > limits.max_entry_bytes:
        raise PackageError("entry_too_large",
                           f"Mục “{info.filename}” quá lớn khi giải nén ({vi_number(info.file_size)} byte).",
                           f"entry {info.filename!r} declares {info.file_size} bytes")
    if info.file_size >= limits.ratio_floor_bytes:
        ratio = info.file_size / max(info.compress_size, 1)
        if ratio > limits.max_ratio:
            raise PackageError("zip_bomb",
                               f"Mục “{info.filename}” có tỉ lệ nén bất thường ({ratio:.0f}:1); "
                               "gói bị nghi là bom nén (zip bomb).",
                               f"entry {info.filename!r} compression ratio {ratio:.0f}:1")


def _check_totals(infos: list[zipfile.ZipInfo], limits: ArchiveLimits) -> None:
    if len(infos) > limits.max_entries:
        raise PackageError("too_many_entries",
                           f"Gói có {vi_number(len(infos))} mục, "
                           f"vượt giới hạn {vi_number(limits.max_entries)} mục.",
                           f"{len(infos)} entries, limit {limits.max_entries}")
    total = sum(i.file_size for i in infos)
    if total > limits.max_total_bytes:
        raise PackageError("too_large",
                           f"Gói giải nén ra {vi_number(total)} byte, vượt giới hạn "
                           f"{vi_number(limits.max_total_bytes)} byte.",
                           f"declared uncompressed total {total} > {limits.max_total_bytes}")


def _check_no_overlap(infos: list[zipfile.ZipInfo]) -> None:
    """Entries whose data ranges overlap are how 'overlapping files' zip bombs reach 10^6:1 ratios."""
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for current, following in itertools.pairwise(ordered):
        minimum_end = (current.header_offset + _LOCAL_HEADER_SIZE + _encoded_name_length(current)
                       + current.compress_size)
        if following.header_offset < minimum_end:
            raise PackageError("zip_bomb",
                               f"Các mục “{current.filename}” và “{following.filename}” chồng lên nhau trong "
                               "tệp ZIP; gói bị nghi là bom nén (zip bomb).",
                               f"entries {current.filename!r} and {following.filename!r} overlap")


def _encoded_name_length(info: zipfile.ZipInfo) -> int:
    """Length of the name as stored in the local header (UTF-8 when flag bit 11 is set, else CP437)."""
    encoding = "utf-8" if info.flag_bits & 0x800 else "cp437"
    try:
        return len(info.orig_filename.encode(encoding))
    except UnicodeEncodeError:
        return 0


def _check_duplicates(entries: list[ArchiveEntry]) -> None:
    """Names equal after Unicode normalisation and case folding would overwrite each other on some
    file systems and object stores; a file that is also a directory prefix cannot be extracted."""
    seen: dict[str, str] = {}
    names_by_key: dict[str, str] = {}
    for entry in entries:
        key = unicodedata.normalize("NFC", entry.name).casefold()
        if key in seen and not (entry.is_dir and seen[key] == "dir"):
            raise PackageError("duplicate_entry", f"Gói có hai mục trùng tên “{entry.name}”.",
                               f"duplicate entry name {entry.name!r}")
        seen[key] = "dir" if entry.is_dir else "file"
        names_by_key[key] = entry.name
    for key in seen:
        for parent in PurePosixPath(key).parents:
            if seen.get(str(parent)) == "file":
                clash = names_by_key[str(parent)]
                raise PackageError("duplicate_entry", f"Mục “{clash}” vừa là tệp vừa là thư mục trong gói.",
                                   f"entry {clash!r} is both a file and a directory")


class SafeArchive:
    """A validated ZIP archive. Open with `open_archive`; use as a context manager."""

    def __init__(self, path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> None:
        self.path = Path(path)
        self.limits = limits
        self._zip = _open_zip(self.path)
        try:
            self._infos = self._validate()
        except BaseException:
            self._zip.close()
            raise
        self.entries = [ArchiveEntry(name, i.file_size, i.compress_size, i.is_dir())
                        for name, i in self._infos.items()]

    def _validate(self) -> dict[str, zipfile.ZipInfo]:
        infos = self._zip.infolist()
        _check_totals(infos, self.limits)
        named: list[tuple[str, zipfile.ZipInfo]] = []
        for info in infos:
            name = check_member_name(info.filename, self.limits)
            kind_error = _entry_kind_error(info)
            if kind_error is not None:
                raise kind_error
            _check_sizes(info, self.limits)
            named.append((name, info))
        _check_no_overlap(infos)
        _check_duplicates([ArchiveEntry(name, i.file_size, i.compress_size, i.is_dir()) for name, i in named])
        return dict(named)

    def __enter__(self) -> SafeArchive:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._zip.close()

    @property
    def file_names(self) -> set[str]:
        return {e.name for e in self.entries if not e.is_dir}

    def has_file(self, name: str) -> bool:
        info = self._infos.get(name)
        return info is not None and not info.is_dir()

    def read_bytes(self, name: str, max_bytes: int | None = None) -> bytes:
        """Read one member fully into memory, refusing more than `max_bytes` (default: max_xml_bytes)."""
        limit = self.limits.max_xml_bytes if max_bytes is None else max_bytes
        info = self._infos.get(name)
        if info is None or info.is_dir():
            raise PackageError("missing_entry", f"Gói không có tệp “{name}”.", f"no entry {name!r}")
        if info.file_size > limit:
            raise PackageError("entry_too_large",
                               f"Tệp “{name}” trong gói quá lớn để đọc ({vi_number(info.file_size)} byte).",
                               f"entry {name!r} is {info.file_size} bytes, read limit {limit}")
        with self._open_member(info) as member:
            data = member.read(limit + 1)
        if len(data) > limit:
            raise PackageError("zip_bomb", f"Tệp “{name}” giải nén vượt kích thước khai báo.",
                               f"entry {name!r} inflates past {limit} bytes")
        return data

    def copy_member(self, name: str, out: IO[bytes]) -> int:
        """Stream one file member into `out`, refusing data beyond its declared size; returns bytes."""
        info = self._infos.get(name)
        if info is None or info.is_dir():
            raise PackageError("missing_entry", f"Gói không có tệp “{name}”.", f"no entry {name!r}")
        with self._open_member(info) as member:
            return _copy_bounded(member, out, info)

    def read_xml(self, name: str) -> Element:
        """Parse a member as XML with DTDs, entities and external references forbidden."""
        return parse_xml_safely(self.read_bytes(name), name)

    def _open_member(self, info: zipfile.ZipInfo) -> IO[bytes]:
        try:
            return self._zip.open(info)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as exc:
            raise _corrupt_entry(info.filename, exc) from exc

    def extract_all(self, staging_dir: Path) -> list[Path]:
        """Extract every entry into `staging_dir`, which must be empty or absent. On any failure the
        staging directory is emptied again (or removed if this call created it)."""
        staging = Path(staging_dir)
        created = not staging.exists()
        staging.mkdir(parents=True, exist_ok=True)
        if any(staging.iterdir()):
            raise PackageError("staging_not_empty", "Thư mục tạm để giải nén không trống.",
                               f"staging directory {staging} is not empty")
        root = staging.resolve()
        try:
            return [self._extract_one(name, info, root) for name, info in self._infos.items()]
        except BaseException:
            _clear_staging(root, remove_root=created)
            raise

    def _extract_one(self, name: str, info: zipfile.ZipInfo, root: Path) -> Path:
        target = (root / name).resolve()
        if not target.is_relative_to(root) or target == root:
            raise _unsafe_name(name, "đường dẫn nằm ngoài thư mục giải nén", "resolves outside staging")
        if info.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        if target.parent.resolve() != target.parent:
            raise _unsafe_name(name, "đường dẫn đi qua liên kết", "parent directory is a link")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        with self._open_member(info) as member, os.fdopen(os.open(target, flags, 0o644), "wb") as out:
            _copy_bounded(member, out, info)
        return target


def _copy_bounded(member: IO[bytes], out: IO[bytes], info: zipfile.ZipInfo) -> int:
    written = 0
    while chunk := _read_chunk(member, info):
        written += len(chunk)
        if written > info.file_size:
            raise PackageError("zip_bomb", f"Tệp “{info.filename}” giải nén vượt kích thước khai báo.",
                               f"entry {info.filename!r} inflates past {info.file_size} declared bytes")
        out.write(chunk)
    return written


def _read_chunk(member: IO[bytes], info: zipfile.ZipInfo) -> bytes:
    """Read errors (bad CRC, truncated data) are the archive's fault; write errors are ours and propagate."""
    try:
        return member.read(_COPY_CHUNK)
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
        raise _corrupt_entry(info.filename, exc) from exc


def _corrupt_entry(name: str, exc: BaseException) -> PackageError:
    return PackageError("corrupt_entry", f"Tệp “{name}” trong gói bị hỏng, không giải nén được.",
                        f"entry {name!r} unreadable: {exc}")


def _clear_staging(root: Path, remove_root: bool) -> None:
    """Undo a failed extraction; touches only the staging directory given for this job (THREATS 10)."""
    if remove_root:
        shutil.rmtree(root, ignore_errors=True)
        return
    for child in root.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except zipfile.BadZipFile as exc:
        raise PackageError("not_zip", "Tệp không phải gói ZIP hợp lệ (hoặc đã bị hỏng, cắt cụt).",
                           f"{path.name}: not a ZIP archive ({exc})") from exc
    except OSError as exc:
        raise PackageError("unreadable", "Không đọc được tệp tải lên.", f"{path.name}: {exc}") from exc


def parse_xml_safely(data: bytes, name: str) -> Element:
    """Parse XML with defusedxml: any DOCTYPE, entity declaration or external reference is refused."""
    try:
        return safe_et.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise PackageError("xml_forbidden",
                           f"Tệp “{name}” chứa khai báo DOCTYPE/thực thể XML không được phép.",
                           f"{name}: forbidden XML construct ({type(exc).__name__})") from exc
    except safe_et.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else "?"
        raise PackageError("xml_malformed", f"Tệp “{name}” không phải XML hợp lệ (dòng {line}).",
                           f"{name}: malformed XML: {exc}") from exc


def open_archive(path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> SafeArchive:
    """Open and fully validate a ZIP archive; raises PackageError before anything is decompressed."""
    return SafeArchive(path, limits)


def extract_archive(path: Path, staging_dir: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> list[Path]:
    """Validate, then extract into the empty `staging_dir`; returns the paths written."""
    with open_archive(path, limits) as archive:
        return archive.extract_all(staging_dir)
