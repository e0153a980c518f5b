"""The publication-scope filter of search, kept apart from relevance and text matching.

Each indexed document carries the scope of its published version (school, province, national), its unit and its
province; each query carries the viewer. A document is found only by viewers it reaches: national by everybody,
province by the users of that province, school by the users of that unit; reviewers and administrators
(``everything``) find every published document. Both engines build their clause here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NATIONAL = "national"


@dataclass(frozen=True)
class SearchViewer:
    unit_id: int | None = None
    province: str | None = None
    everything: bool = False


#: An anonymous visitor: national documents only. Queries without a viewer get this one.
PUBLIC_VIEWER = SearchViewer()

# SQLite: a table beside the documents (its own CREATE, so the documents' schema version is untouched).
SQLITE_SCHEMA = """
CREATE TABLE IF NOT EXISTS audiences (
    material_id INTEGER PRIMARY KEY, scope TEXT NOT NULL, unit_id INTEGER, province TEXT NOT NULL DEFAULT ''
)"""
SQLITE_UPSERT = "INSERT OR REPLACE INTO audiences (material_id, scope, unit_id, province) VALUES (?, ?, ?, ?)"
SQLITE_DELETE = "DELETE FROM audiences WHERE material_id = ?"


def sqlite_clause(viewer: SearchViewer, column: str = "d.material_id") -> tuple[str, dict[str, object]]:
    """SQL true for the rows of ``column`` the viewer may find, with its bound parameters."""
    if viewer.everything:
        return "1", {}
    allowed = ["a.scope = 'national'"]
    params: dict[str, object] = {}
    if viewer.province:
        allowed.append("(a.scope = 'province' AND a.province = :audience_province)")
        params["audience_province"] = viewer.province
    if viewer.unit_id is not None:
        allowed.append("(a.scope = 'school' AND a.unit_id = :audience_unit)")
        params["audience_unit"] = viewer.unit_id
    return (f"{column} IN (SELECT a.material_id FROM audiences a WHERE {' OR '.join(allowed)})",  # noqa: S608
            params)


# Elasticsearch: two keyword fields of the document (``province`` is already one).
ES_MAPPING: dict[str, Any] = {"audience_scope": {"type": "keyword"}, "audience_unit": {"type": "keyword"}}


def es_source(scope: str, unit_id: int | None) -> dict[str, Any]:
    return {"audience_scope": scope or NATIONAL, "audience_unit": str(unit_id) if unit_id is not None else ""}


def es_clause(viewer: SearchViewer) -> dict[str, Any] | None:
    """A bool filter of the documents the viewer may find (None: no restriction)."""
    if viewer.everything:
        return None
    should: list[dict[str, Any]] = [{"term": {"audience_scope": NATIONAL}}]
    if viewer.province:
        should.append({"bool": {"filter": [{"term": {"audience_scope": "province"}},
                                           {"term": {"province": viewer.province}}]}})
    if viewer.unit_id is not None:
        should.append({"bool": {"filter": [{"term": {"audience_scope": "school"}},
                                           {"term": {"audience_unit": str(viewer.unit_id)}}]}})
    return {"bool": {"should": should, "minimum_should_match": 1}}
