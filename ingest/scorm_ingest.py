"""The ingest of a SCORM package: validate the manifest, extract safely (ingest.scorm and
ingest.archive_safety), store every file of the package in the blob store under the version, and record
the launch file and the organisation's items, which the player offers as the package's contents."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from sqlalchemy import delete

from ingest.archive_safety import PackageError, open_archive
from ingest.deck_ingest import KEPT_ROLES, ingest_deck
from ingest.derived_files import DerivedFile, delete_blobs, store_derived
from ingest.ooxml import CONTENT_TYPES_PART
from ingest.scorm import MANIFEST, ScormItem, ScormPackage, extract_scorm
from repository.jobs import JobContext, JobFailed
from repository.materials.uploads import TITLE_FROM_FILE
from repository.models import Material, MaterialFile, MaterialVersion, PageText

ROLE = "scorm"
MAX_FILENAME = 255
#: Content types of package files by suffix; the rest are guessed, then served as a download type.
CONTENT_TYPES = {".html": "text/html", ".htm": "text/html", ".js": "text/javascript", ".css": "text/css",
                 ".json": "application/json", ".xml": "application/xml", ".xsd": "application/xml",
                 ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                 ".gif": "image/gif", ".webp": "image/webp", ".mp3": "audio/mpeg", ".mp4": "video/mp4",
                 ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".txt": "text/plain"}


def content_type_of(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(name)[0] or "application/octet-stream"


def ingest_scorm(ctx: JobContext, path: Path, workdir: Path) -> None:
    """A ZIP upload: a SCORM package, or an Office document whose [Content_Types].xml sits past the bytes
    the upload sniffer saw (then it goes to the deck ingest, which names what it really is)."""
    staging = workdir / "package"
    try:
        if is_office_package(path):
            ingest_deck(ctx, path, workdir)
            return
        package = extract_scorm(path, staging)
    except PackageError as exc:
        raise JobFailed(exc.message_vi, exc.message_en) from exc
    ctx.progress(50, "Đang lưu gói SCORM")
    wanted = package_files(staging, package, ctx.version_id)
    storage = ctx.app.extensions["storage"]
    files = store_derived(storage, wanted)
    try:
        record_scorm(ctx, package, files)
    except BaseException:
        delete_blobs(storage, files)
        raise


def is_office_package(path: Path) -> bool:
    with open_archive(path) as archive:
        return archive.has_file(CONTENT_TYPES_PART) and not any(
            name.endswith(MANIFEST) for name in archive.file_names)


def package_files(staging: Path, package: ScormPackage, version_id: int) -> list[DerivedFile]:
    """Every extracted file under the package root, named by its path inside the package. Storage keys are
    numbered, since package paths may hold characters a key may not."""
    root = staging / package.root if package.root else staging
    wanted = []
    for index, local in enumerate(sorted(p for p in root.rglob("*") if p.is_file()), start=1):
        relative = local.relative_to(root).as_posix()
        if relative.startswith("__MACOSX/"):
            continue
        if len(relative) > MAX_FILENAME:
            raise JobFailed(f"Đường dẫn tệp trong gói dài quá {MAX_FILENAME} ký tự: “{relative[:80]}…”.",
                            f"package path longer than {MAX_FILENAME}: {relative[:80]!r}")
        wanted.append(DerivedFile(local, ROLE, relative, f"derived/v{version_id}/scorm/f{index:05d}",
                                  content_type_of(relative)))
    return wanted


def launchable_items(items: list[ScormItem]) -> list[dict[str, str]]:
    """The organisation's items that launch something, depth first: the contents shown beside the player."""
    found = []
    for item in items:
        if item.href:
            found.append({"id": item.identifier, "title": item.title or item.identifier,
                          "href": item.href + _parameters(item.parameters)})
        found.extend(launchable_items(item.children))
    return found


def _parameters(parameters: str) -> str:
    if not parameters or parameters.startswith(("?", "#")):
        return parameters
    return "?" + parameters


def scorm_metadata(package: ScormPackage) -> dict[str, Any]:
    organization = package.organizations[0] if package.organizations else None
    items = launchable_items(organization.items) if organization else []
    if not items:
        items = [{"id": "", "title": package.title, "href": package.launch_href
                  + _parameters(package.launch_parameters)}]
    return {"version": package.version, "title": package.title, "schema_version": package.schema_version,
            "launch": package.launch_href + _parameters(package.launch_parameters), "items": items[:500]}


def record_scorm(ctx: JobContext, package: ScormPackage, files: list[MaterialFile]) -> None:
    with ctx.db.session() as session:
        version = session.get(MaterialVersion, ctx.version_id)
        title_from_file = bool((version.doc_metadata or {}).get(TITLE_FROM_FILE))
        session.execute(delete(PageText).where(PageText.version_id == version.id))
        session.execute(delete(MaterialFile).where(MaterialFile.version_id == version.id,
                                                   MaterialFile.role.not_in(KEPT_ROLES)))
        for stored in files:
            stored.version_id = version.id
            session.add(stored)
        meta = scorm_metadata(package)
        session.add(PageText(version_id=version.id, number=1, source=ROLE,
                             text="\n".join([package.title, *(item["title"] for item in meta["items"])])))
        version.page_count = None
        version.doc_metadata = {"scorm": meta, TITLE_FROM_FILE: title_from_file}
        if title_from_file and package.title:
            session.get(Material, version.material_id).title = package.title[:300]
        version.ingest_status = "succeeded"
        version.ingest_error = ""
        session.commit()
