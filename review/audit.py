"""The audit trail: append-only in the product (updates and deletes of records are refused), exported as CSV
per material or per period, with the rubric of each decision beside it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from repository.models import AuditRecord, Material
from review.models import ReviewDecision
from review.states import ACTION_LABELS, EVENT_LABELS, STATES

CSV_HEADER = ("Thời điểm (UTC)", "Mã học liệu", "Tiêu đề", "Phiên bản", "Người thực hiện", "Thao tác",
              "Từ trạng thái", "Sang trạng thái", "Nhận xét", "Điểm theo tiêu chí")
#: Spreadsheets execute cells starting with these: such cells are prefixed with an apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class AuditImmutable(RuntimeError):
    """An attempt to change or delete an audit record."""


def _refuse(_mapper, _connection, target: AuditRecord) -> None:
    raise AuditImmutable(f"audit record {target.id} cannot be changed or deleted")


def guard_audit_records() -> None:
    """Make audit records append-only for every ORM session of the process."""
    for name in ("before_update", "before_delete"):
        if not event.contains(AuditRecord, name, _refuse):
            event.listen(AuditRecord, name, _refuse)


def records_for(session: Session, material_id: int | None = None, since: datetime | None = None,
                until: datetime | None = None) -> list[AuditRecord]:
    query = select(AuditRecord).order_by(AuditRecord.at, AuditRecord.id)
    if material_id is not None:
        query = query.where(AuditRecord.material_id == material_id)
    if since is not None:
        query = query.where(AuditRecord.at >= since)
    if until is not None:
        query = query.where(AuditRecord.at < until)
    return list(session.scalars(query))


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _scores(decision: ReviewDecision | None) -> str:
    if decision is None:
        return ""
    return "; ".join(f"{code}={score}" for code, score in decision.scores.items())


def audit_csv(session: Session, records: Iterable[AuditRecord]) -> str:
    """CSV text (with a BOM so spreadsheet programs read UTF-8) of the records, one line each."""
    records = list(records)
    ids = [r.id for r in records]
    decisions = {d.audit_id: d for d in session.scalars(select(ReviewDecision)
                                                        .where(ReviewDecision.audit_id.in_(ids)))} if ids else {}
    titles = dict(session.execute(select(Material.id, Material.title)
                                  .where(Material.id.in_({r.material_id for r in records}))).all())
    labels = {**EVENT_LABELS, **ACTION_LABELS}
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for r in records:
        actor = r.actor.email if r.actor else "hệ thống"
        writer.writerow([_cell(v) for v in (
            r.at.strftime("%Y-%m-%d %H:%M:%S"), r.material_id, titles.get(r.material_id, ""), r.version_id,
            actor, labels.get(r.action, r.action), STATES.get(r.from_state, r.from_state),
            STATES.get(r.to_state, r.to_state), r.comment, _scores(decisions.get(r.id)))])
    return out.getvalue()
