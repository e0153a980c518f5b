"""What the Word and PowerPoint readers share about Office Open XML packages: content types, and checking
every XML part with defusedxml before python-docx or python-pptx sees the package.

Those libraries parse parts by their declared content type, with their own XML parser; so we parse each XML
part once ourselves (no DTDs, no entities) and hand them a copy that holds only the checked XML parts, with
every other part emptied.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree

from ingest.archive_safety import SafeArchive, parse_xml_safely

CONTENT_TYPES_PART = "[Content_Types].xml"
PACKAGE_RELS_PART = "_rels/.rels"
CT_NS = "{http://schemas.openxmlformats.org/package/2006/content-types}"


@dataclass
class PackageParts:
    """The XML parts of a package (each parsed once with defusedxml), the names of the others, and the
    declared content types (by extension, and by part name)."""

    xml_parts: dict[str, bytes]
    other_parts: list[str]
    defaults: dict[str, str]
    overrides: dict[str, str]

    def content_type(self, name: str) -> str:
        return part_content_type(name, self.defaults, self.overrides)


def content_type_maps(root: ElementTree.Element) -> tuple[dict[str, str], dict[str, str]]:
    defaults = {el.get("Extension", "").lower(): el.get("ContentType", "") for el in root.iter(f"{CT_NS}Default")}
    overrides = {el.get("PartName", "").lstrip("/"): el.get("ContentType", "")
                 for el in root.iter(f"{CT_NS}Override")}
    return defaults, overrides


def part_content_type(name: str, defaults: dict[str, str], overrides: dict[str, str]) -> str:
    if name in overrides:
        return overrides[name]
    return defaults.get(name.rsplit(".", 1)[-1].lower() if "." in name.rsplit("/", 1)[-1] else "", "")


def is_xml_part(name: str, defaults: dict[str, str], overrides: dict[str, str]) -> bool:
    """A part is XML if its name says so or its declared content type does: a part stored as
    ``slide1.bin`` or ``document.bin`` with an XML content type is parsed by the libraries all the same."""
    if name == CONTENT_TYPES_PART or name.lower().endswith((".xml", ".rels")):
        return True
    return part_content_type(name, defaults, overrides).endswith(("+xml", "/xml"))


def check_xml_parts(archive: SafeArchive) -> PackageParts:
    """Parse every XML part of the archive safely (raises PackageError on the first bad one)."""
    defaults, overrides = content_type_maps(archive.read_xml(CONTENT_TYPES_PART))
    xml_parts: dict[str, bytes] = {}
    other_parts: list[str] = []
    for name in sorted(archive.file_names):
        if is_xml_part(name, defaults, overrides):
            data = archive.read_bytes(name)
            parse_xml_safely(data, name)
            xml_parts[name] = data
        else:
            other_parts.append(name)
    return PackageParts(xml_parts, other_parts, defaults, overrides)


def text_only_copy(xml_parts: dict[str, bytes], other_parts: list[str]) -> io.BytesIO:
    """An in-memory package of the checked XML parts, every other part (images, embedded objects) empty."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as copy:
        for name, data in xml_parts.items():
            copy.writestr(name, data)
        for name in other_parts:
            copy.writestr(name, b"")
    buffer.seek(0)
    return buffer
