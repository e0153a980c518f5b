"""Creating a question bank without a file: its questions come later, by import.

The bank still gets a material version (with no files, nothing to ingest), so the review workflow — which
submits and publishes versions — treats it like any other material.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from repository.models import AuditRecord, Material, MaterialVersion, User

#: file_type of the version of a bank created without a file.
BANK_FILE_TYPE = "question-bank"


def create_empty_bank(session: Session, *, owner: User, metadata: dict[str, object], state: str) -> Material:
    """The caller commits."""
    material = Material(owner_id=owner.id, unit_id=owner.unit_id, status=state, **metadata)
    session.add(material)
    session.flush()
    version = MaterialVersion(material_id=material.id, number=1, created_by=owner.id, file_type=BANK_FILE_TYPE,
                              ingest_status="succeeded")
    session.add(version)
    session.flush()
    material.current_version_id = version.id
    session.add(AuditRecord(material_id=material.id, version_id=version.id, actor_id=owner.id,
                            action="upload", from_state="", to_state=state))
    return material
