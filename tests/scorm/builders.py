"""Builders of real ZIP files, hostile ones included, for the archive, SCORM and slide tests."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

VALID_MANIFEST_12 = """<?xml version="1.0" encoding="UTF-8"?>
<manifest identifier="vn.hoclieu.test" version="1"
          xmlns="http://www.imsproject.org/xsd/imscp_rootv1p1p2"
          xmlns:adlcp="http://www.adlnet.org/xsd/adlcp_rootv1p2">
  <metadata><schema>ADL SCORM</schema><schemaversion>1.2</schemaversion></metadata>
  <organizations default="org">
    <organization identifier="org">
      <title>Bài giảng Toán 6</title>
      <item identifier="i1" identifierref="r1"><title>Phân số</title></item>
    </organization>
  </organizations>
  <resources>
    <resource identifier="r1" type="webcontent" adlcp:scormtype="sco" href="{href}">
      <file href="{href}"/>
    </resource>
  </resources>
</manifest>
"""


def write_zip(path: Path, entries: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(zipfile.ZipInfo(name), data)
    return path


def write_symlink_zip(path: Path, link_name: str, target: str, extra: dict[str, bytes | str]) -> Path:
    """A ZIP whose entry is a Unix symlink, as `zip --symlinks` stores it (mode in external_attr)."""
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in extra.items():
            archive.writestr(name, data)
        info = zipfile.ZipInfo(link_name)
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
    return path


def manifest(href: str = "index.html") -> str:
    return VALID_MANIFEST_12.format(href=href)
