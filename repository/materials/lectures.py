"""What the material page and the API show of slide decks and SCORM packages, from what ingest recorded."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from repository.materials.scorm_data import attempt_as_dict
from repository.materials.scorm_launch import IFRAME_SANDBOX, Grant, launch_url
from repository.materials.scorm_models import ScormAttempt
from repository.models import Material, MaterialFile, MaterialVersion


def _succeeded_meta(version: MaterialVersion | None, key: str) -> Any:
    if version is None or version.ingest_status != "succeeded":
        return None
    return (version.doc_metadata or {}).get(key)


def deck_view(material: Material, version: MaterialVersion | None,
              files: list[MaterialFile]) -> dict[str, Any] | None:
    """A deck's slides (title, text, notes, image URL when rendered) and its PDF preview URL, if any."""
    deck = _succeeded_meta(version, "deck")
    if deck is None:
        return None

    def view(stored: MaterialFile) -> str:
        return url_for("materials.file", material_id=material.id, file_id=stored.id, action="view")
    images = {f.filename: view(f) for f in files if f.role in {"thumbnail", "slide-image"}}
    preview = next((f for f in files if f.role == "preview"), None)
    slides = [{**slide, "image": images.get(f"slides/slide-{slide['number']:04d}.png")}
              for slide in version.doc_metadata.get("slides", [])]
    return {"title": deck["title"], "slide_count": deck["slide_count"], "slides": slides,
            "preview_url": view(preview) if preview else None,
            "no_preview_reason": deck.get("no_preview_reason", "")}


def slides_as_dict(version: MaterialVersion | None) -> list[dict[str, Any]] | None:
    """The API's "slides": number, title, text and speaker notes of each slide."""
    if _succeeded_meta(version, "deck") is None:
        return None
    return [{"number": s["number"], "title": s["title"], "text": s["text"], "notes": s["notes"]}
            for s in version.doc_metadata.get("slides", [])]


def scorm_view(material: Material, version: MaterialVersion | None) -> dict[str, Any] | None:
    """A package's launch URL and contents, each URL carrying a launch grant for the current user."""
    meta = _succeeded_meta(version, "scorm")
    if meta is None:
        return None
    user = current_user.get_id() if current_user.is_authenticated else ""
    items = [{"id": item["id"], "title": item["title"],
              "url": launch_url(Grant(material.id, version.number, user, item["id"]), item["href"])}
             for item in meta["items"]]
    runtime = (url_for("scorm.runtime", material_id=material.id, version_number=version.number)
               if current_user.is_authenticated else None)
    return {"version": meta["version"], "title": meta["title"], "items": items, "launch_url": items[0]["url"],
            "runtime_url": runtime, "sandbox": IFRAME_SANDBOX}


def scorm_as_dict(session: Session, material: Material, version: MaterialVersion | None) -> dict[str, Any] | None:
    """The API's "scorm": version, launch URL, items, and the current learner's stored progress per item."""
    view = scorm_view(material, version)
    if view is None:
        return None
    progress = []
    if current_user.is_authenticated:
        progress = [attempt_as_dict(a) for a in session.scalars(
            select(ScormAttempt).where(ScormAttempt.version_id == version.id,
                                       ScormAttempt.user_id == current_user.id).order_by(ScormAttempt.id))]
    return {"version": view["version"], "launch_url": view["launch_url"],
            "items": [{"id": i["id"], "title": i["title"], "url": i["url"]} for i in view["items"]],
            "progress": progress}
