"""SCORM 1.2 and SCORM 2004 packages: manifest, organisation tree, launch file, safe extraction.

The archive is validated by ingest.archive_safety before anything is read; imsmanifest.xml is parsed
with defusedxml (no DOCTYPE, no entities). Every href in the manifest is resolved against the package
root (with xml:base) and must stay inside it; the launch file and every listed <file> must be in the
archive. A package zipped together with its folder (`Course/imsmanifest.xml`, everything under
`Course/`) is accepted and `root` says so.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from ingest.archive_safety import DEFAULT_LIMITS, ArchiveLimits, PackageError, SafeArchive, open_archive

MANIFEST = "imsmanifest.xml"
MAX_ITEM_DEPTH = 64
_XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"
_ADLCP_12 = "http://www.adlnet.org/xsd/adlcp_rootv1p2"
_ADLCP_2004 = "http://www.adlnet.org/xsd/adlcp_v1p3"
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")
_IGNORED_TOP_LEVEL = ("__MACOSX/",)


@dataclass
class ScormItem:
    identifier: str
    title: str
    #: identifierref of the item ("" for an aggregation that only groups children).
    resource_id: str
    #: Launch path of the referenced resource, relative to the package root ("" if none).
    href: str
    #: The item's `parameters` attribute (query string or fragment to append when launching).
    parameters: str
    children: list[ScormItem] = field(default_factory=list)


@dataclass
class ScormOrganization:
    identifier: str
    title: str
    items: list[ScormItem]


@dataclass
class ScormResource:
    identifier: str
    type: str
    #: "sco" or "asset" (adlcp:scormtype in 1.2, adlcp:scormType in 2004), lower-cased.
    scorm_type: str
    href: str
    files: list[str]
    dependencies: list[str]


@dataclass
class ScormPackage:
    version: str  # "1.2" | "2004"
    title: str
    #: Launch file relative to the package root, without query string.
    launch_href: str
    organizations: list[ScormOrganization]
    resources: list[ScormResource]
    #: The manifest's <schemaversion> text, e.g. "1.2", "2004 3rd Edition" ("" when absent).
    schema_version: str = ""
    #: Folder inside the archive that holds imsmanifest.xml: "" or e.g. "Course/".
    root: str = ""
    launch_parameters: str = ""

    @property
    def launch_path(self) -> str:
        """Path of the launch file inside the archive (and inside the extraction directory)."""
        return self.root + self.launch_href


def inspect_scorm(path: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> ScormPackage:
    """Validate a SCORM package without extracting it. Raises PackageError naming the fault."""
    with open_archive(path, limits) as archive:
        return _read_package(archive)


def extract_scorm(path: Path, staging_dir: Path, limits: ArchiveLimits = DEFAULT_LIMITS) -> ScormPackage:
    """Validate, then extract the whole package into the empty `staging_dir`. Nothing is written when
    validation fails; a failure during extraction leaves `staging_dir` empty."""
    with open_archive(path, limits) as archive:
        package = _read_package(archive)
        archive.extract_all(staging_dir)
    return package


def _read_package(archive: SafeArchive) -> ScormPackage:
    root = _package_root(archive)
    manifest = archive.read_xml(root + MANIFEST)
    package = parse_manifest(manifest)
    package.root = root
    _check_files_present(package, archive.file_names)
    return package


def _package_root(archive: SafeArchive) -> str:
    """"" when the manifest is at the top; "Folder/" when the user zipped the course folder itself."""
    names = archive.file_names
    if MANIFEST in names:
        return ""
    content = {n for n in names if not n.startswith(_IGNORED_TOP_LEVEL)}
    nested = [n for n in content if n.count("/") == 1 and n.endswith("/" + MANIFEST)]
    if len(nested) == 1:
        folder = nested[0][: -len(MANIFEST)]
        if all(n.startswith(folder) for n in content):
            return folder
    raise _not_scorm_error(names)


def _not_scorm_error(names: set[str]) -> PackageError:
    lowered = {n.lower() for n in names}
    if any(n.endswith("cmi5.xml") for n in lowered):
        kind_vi, kind_en = "gói cmi5 (có cmi5.xml)", "cmi5 package"
    elif any(n.endswith(".au") for n in lowered) and any(n.endswith(".crs") for n in lowered):
        kind_vi, kind_en = "gói AICC (có tệp .au/.crs)", "AICC package"
    else:
        kind_vi, kind_en = "", "no manifest"
    detail = f" Đây là {kind_vi}, không phải SCORM." if kind_vi else ""
    return PackageError("not_scorm", f"Không tìm thấy {MANIFEST} ở thư mục gốc của gói.{detail}",
                        f"no {MANIFEST} at the package root ({kind_en})")


def parse_manifest(manifest: Element) -> ScormPackage:
    """Build a ScormPackage from a parsed imsmanifest.xml (hrefs resolved, not yet checked against
    the archive)."""
    if _local(manifest.tag) != "manifest":
        raise _manifest_error("not_scorm", "phần tử gốc không phải <manifest>",
                              "root element is not manifest")
    schema_version = _schema_version(manifest)
    version = _scorm_version(manifest, schema_version)
    resources = _resources(manifest)
    by_id = {r.identifier: r for r in resources}
    _check_dependencies(resources, by_id)
    organizations, default_id = _organizations(manifest, by_id)
    default_org = next((o for o in organizations if o.identifier == default_id),
                       organizations[0] if organizations else None)
    launch_href, parameters = _launch(default_org, resources)
    title = (default_org.title if default_org and default_org.title else "") or manifest.get("identifier", "")
    return ScormPackage(version=version, title=title, launch_href=launch_href, organizations=organizations,
                        resources=resources, schema_version=schema_version, launch_parameters=parameters)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _children(element: Element, name: str) -> list[Element]:
    return [child for child in element if _local(child.tag) == name]


def _child_text(element: Element, name: str) -> str:
    found = _children(element, name)
    return " ".join((found[0].text or "").split()) if found else ""


def _attribute(element: Element, local_name: str) -> str:
    """Attribute by local name in any namespace, case-insensitive (adlcp:scormtype vs adlcp:scormType)."""
    wanted = local_name.lower()
    return next((value for key, value in element.attrib.items() if _local(key).lower() == wanted), "")


def _manifest_error(code: str, detail_vi: str, detail_en: str) -> PackageError:
    return PackageError(code, f"Tệp {MANIFEST} không hợp lệ: {detail_vi}.", f"{MANIFEST}: {detail_en}")


def _schema_version(manifest: Element) -> str:
    metadata = _children(manifest, "metadata")
    return _child_text(metadata[0], "schemaversion") if metadata else ""


def _scorm_version(manifest: Element, schema_version: str) -> str:
    text = schema_version.lower()
    if text == "1.2":
        return "1.2"
    if "2004" in text or "cam 1.3" in text:
        return "2004"
    namespaces = {key.split("}", 1)[0].lstrip("{") for el in manifest.iter() for key in el.attrib
                  if key.startswith("{")}
    if _ADLCP_12 in namespaces:
        return "1.2"
    if _ADLCP_2004 in namespaces:
        return "2004"
    raise _manifest_error("not_scorm", "không khai báo phiên bản SCORM (thiếu <schemaversion> và "
                                       "adlcp:scormtype); có thể đây là gói IMS/QTI, không phải SCORM",
                          f"no SCORM version (schemaversion {schema_version!r}, no adlcp attributes)")


def resolve_href(href: str, base: str = "") -> tuple[str, str]:
    """Resolve a manifest href against `base` (xml:base chain) to a normalised path inside the package,
    plus its query/fragment. Raises PackageError when it leaves the package."""
    parts = urlsplit(href.strip())
    if parts.scheme or parts.netloc:
        raise _unsafe_href(href, "trỏ tới địa chỉ bên ngoài gói", "external URL")
    path = unquote(parts.path)
    if "\\" in path or path.startswith("/") or _DRIVE_LETTER.match(path) or "\x00" in path:
        raise _unsafe_href(href, "là đường dẫn tuyệt đối hoặc có ký tự không hợp lệ",
                           "absolute or invalid path")
    joined = posixpath.normpath(posixpath.join(base, path)) if path else ""
    if joined == ".." or joined.startswith("../") or joined == ".":
        raise _unsafe_href(href, "trỏ ra ngoài thư mục của gói", "climbs out of the package")
    suffix = ("?" + parts.query if parts.query else "") + ("#" + parts.fragment if parts.fragment else "")
    return joined, suffix


def _unsafe_href(href: str, reason_vi: str, reason_en: str) -> PackageError:
    return PackageError("unsafe_href", f"Tệp {MANIFEST}: href “{href}” {reason_vi}.",
                        f"{MANIFEST}: href {href!r} refused: {reason_en}")


def _base(element: Element) -> str:
    """An xml:base is a folder; a missing trailing slash is treated as one."""
    base = element.get(_XML_BASE, "").strip()
    if not base:
        return ""
    resolved, _ = resolve_href(base)
    return resolved.rstrip("/") + "/"


def _resources(manifest: Element) -> list[ScormResource]:
    manifest_base = _base(manifest)
    resources: list[ScormResource] = []
    for group in _children(manifest, "resources"):
        group_base = manifest_base + _base(group)
        for element in _children(group, "resource"):
            resources.append(_resource(element, group_base))
    return resources


def _resource(element: Element, group_base: str) -> ScormResource:
    identifier = element.get("identifier", "").strip()
    if not identifier:
        raise _manifest_error("manifest_invalid", "có <resource> thiếu thuộc tính identifier",
                              "resource without identifier")
    base = group_base + _base(element)
    href = resolve_href(element.get("href", ""), base)[0] if element.get("href", "").strip() else ""
    files = [resolve_href(f.get("href", ""), base)[0] for f in _children(element, "file")
             if f.get("href", "").strip()]
    dependencies = [d.get("identifierref", "").strip() for d in _children(element, "dependency")]
    return ScormResource(identifier=identifier, type=element.get("type", ""),
                         scorm_type=_attribute(element, "scormtype").strip().lower(), href=href, files=files,
                         dependencies=[d for d in dependencies if d])


def _check_dependencies(resources: list[ScormResource], by_id: dict[str, ScormResource]) -> None:
    for resource in resources:
        for dependency in resource.dependencies:
            if dependency not in by_id:
                raise _manifest_error("manifest_invalid",
                                      f"tài nguyên “{resource.identifier}” phụ thuộc vào “{dependency}” "
                                      "không có trong <resources>",
                                      f"resource {resource.identifier!r} depends on unknown {dependency!r}")


def _organizations(manifest: Element,
                   by_id: dict[str, ScormResource]) -> tuple[list[ScormOrganization], str]:
    organizations: list[ScormOrganization] = []
    default_id = ""
    for group in _children(manifest, "organizations"):
        default_id = default_id or group.get("default", "").strip()
        for element in _children(group, "organization"):
            items = [_item(child, by_id, 1) for child in _children(element, "item")]
            organizations.append(ScormOrganization(identifier=element.get("identifier", "").strip(),
                                                   title=_child_text(element, "title"), items=items))
    if default_id and not any(o.identifier == default_id for o in organizations):
        raise _manifest_error("manifest_invalid", f"tổ chức mặc định “{default_id}” không tồn tại",
                              f"default organization {default_id!r} not found")
    return organizations, default_id


def _item(element: Element, by_id: dict[str, ScormResource], depth: int) -> ScormItem:
    identifier = element.get("identifier", "").strip()
    if depth > MAX_ITEM_DEPTH:
        raise _manifest_error("manifest_invalid", f"cây mục lồng quá {MAX_ITEM_DEPTH} cấp",
                              f"item tree deeper than {MAX_ITEM_DEPTH}")
    resource_id = element.get("identifierref", "").strip()
    if resource_id and resource_id not in by_id:
        raise _manifest_error("manifest_invalid",
                              f"mục “{identifier}” tham chiếu tài nguyên “{resource_id}” không tồn tại",
                              f"item {identifier!r} references unknown resource {resource_id!r}")
    return ScormItem(identifier=identifier, title=_child_text(element, "title"), resource_id=resource_id,
                     href=by_id[resource_id].href if resource_id else "",
                     parameters=element.get("parameters", "").strip(),
                     children=[_item(child, by_id, depth + 1) for child in _children(element, "item")])


def _walk(items: list[ScormItem]) -> list[ScormItem]:
    ordered: list[ScormItem] = []
    for item in items:
        ordered.append(item)
        ordered.extend(_walk(item.children))
    return ordered


def _launch(organization: ScormOrganization | None, resources: list[ScormResource]) -> tuple[str, str]:
    """The first item (depth first) of the default organisation that points at a resource with an href;
    without organisations, the first SCO resource with an href, then any resource with one."""
    if organization is not None:
        launchable = next((item for item in _walk(organization.items) if item.href), None)
        if launchable is not None:
            return launchable.href, launchable.parameters
    candidates = sorted((r for r in resources if r.href), key=lambda r: r.scorm_type != "sco")
    if candidates and organization is None:
        return candidates[0].href, ""
    raise _manifest_error("no_launch", "không có mục nào trỏ tới tệp khởi chạy (resource thiếu href)",
                          "no item or resource with a launch href")


def _check_files_present(package: ScormPackage, names: set[str]) -> None:
    if package.launch_path not in names:
        raise PackageError("launch_missing",
                           f"Tệp khởi chạy “{package.launch_href}” khai báo trong {MANIFEST} "
                           "không có trong gói.",
                           f"launch file {package.launch_href!r} missing from the archive")
    listed = [path for r in package.resources for path in ([r.href] if r.href else []) + r.files]
    missing = sorted({path for path in listed if package.root + path not in names})
    if missing:
        shown = ", ".join(f"“{m}”" for m in missing[:5]) + (" …" if len(missing) > 5 else "")
        raise PackageError("file_missing",
                           f"{MANIFEST} liệt kê {len(missing)} tệp không có trong gói: {shown}.",
                           f"{len(missing)} files listed in the manifest are missing: {missing[:5]}")
