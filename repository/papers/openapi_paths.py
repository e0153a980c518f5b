"""The test-paper part of the OpenAPI document (merged into repository.openapi)."""

from __future__ import annotations

from typing import Any

from repository.papers.matrix import MAX_VERSIONS

ERROR = {"$ref": "#/components/schemas/Error"}
PAPER_ID = {"name": "paper_id", "in": "path", "required": True, "schema": {"type": "integer"}}
CELL = {"type": "object", "required": ["topic", "level", "part", "count"], "properties": {
    "topic": {"type": "string", "description": "topic / chapter, compared without case or extra spaces"},
    "level": {"type": "string", "description": "cognitive level code, e.g. biet, hieu, van-dung"},
    "part": {"enum": ["I", "II", "III", "TL"], "description": "TL: essay (tự luận), graded by the teacher"},
    "count": {"type": "integer", "minimum": 1, "maximum": 200}}}
POINTS = {"type": "object", "description": "points of one question per part; defaults I 0.25, II 1, III 0.5, TL 1",
          "properties": {part: {"type": "number"} for part in ("I", "II", "III", "TL")}}
SHORTFALL = {"type": "array", "items": {"type": "object", "properties": {
    "topic": {"type": "string"}, "level": {"type": "string"}, "part": {"type": "string"},
    "requested": {"type": "integer"}, "available": {"type": "integer"}, "missing": {"type": "integer"}}}}
PAPER = {"type": "object", "properties": {
    "id": {"type": "integer"}, "status": {"enum": ["draft", "published"]}, "seed": {"type": "string"},
    "versions": {"type": "array", "items": {"type": "object", "properties": {
        "code": {"type": "string", "description": "mã đề, 101, 102, …"},
        "questions": {"type": "array", "items": {"type": "object"}},
        "key": {"type": "array", "items": {"type": "object"}, "description": "author and administrators only"}}}},
    "key_table": {"type": "object", "description": "answers of every version side by side"},
    "shortfall": SHORTFALL}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"description": description}
    if schema:
        body["content"] = {"application/json": {"schema": schema}}
    return body


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _ok("error", ERROR) for code in codes}


def paper_paths() -> dict[str, Any]:
    return {
        "/api/v1/papers": {"post": {
            "summary": "Draw a test paper from published banks to fill a matrix (teachers)",
            "requestBody": _json({"type": "object", "required": ["banks"], "properties": {
                "banks": {"type": "array", "items": {"type": "integer"}, "maxItems": 20},
                "matrix": {"type": "array", "items": CELL, "maxItems": 200},
                "matrix_id": {"type": "integer", "description": "a saved matrix instead of 'matrix'"},
                "points": POINTS, "seed": {"type": ["string", "integer"], "description": "same seed, same paper"},
                "versions": {"type": "integer", "minimum": 1, "maximum": MAX_VERSIONS},
                "title": {"type": "string"},
                "header": {"type": "object", "properties": {
                    "school": {"type": "string"}, "subject": {"type": "string"}, "exam": {"type": "string"},
                    "duration": {"type": "string", "description": "minutes"}}}}}),
            "responses": {"201": _ok("the paper, its versions and keys, and the cells it could not fill", PAPER),
                          **_errors(400, 401, 403, 404, 409)}}},
        "/api/v1/papers/{paper_id}": {"get": {
            "summary": "A paper (keys for its author only; others see published papers without keys)",
            "parameters": [PAPER_ID], "responses": {"200": _ok("paper", PAPER), **_errors(401, 404)}}},
        "/api/v1/papers/{paper_id}/publish": {"post": {
            "summary": "Open a complete paper to students for practice (author)", "parameters": [PAPER_ID],
            "responses": {"200": _ok("new status"), **_errors(401, 404, 409)}}},
        "/api/v1/papers/{paper_id}/attempts": {"post": {
            "summary": "Grade answers to one version (part II by the 2025 scale; decimal comma or point)",
            "parameters": [PAPER_ID],
            "requestBody": _json({"type": "object", "required": ["version", "answers"], "properties": {
                "version": {"type": "string"},
                "answers": {"type": "object",
                            "description": "{'I.1': 'B', 'II.1': {'a': true, …}, 'III.1': '-1,5'}"}}}),
            "responses": {"200": _ok("score, max_score and a result per question"), **_errors(400, 401, 404)}}},
        "/api/v1/matrices": {
            "post": {"summary": "Save an exam matrix (teachers)",
                     "requestBody": _json({"type": "object", "required": ["name", "matrix"], "properties": {
                         "name": {"type": "string"}, "matrix": {"type": "array", "items": CELL}, "points": POINTS}}),
                     "responses": {"201": _ok("saved matrix"), **_errors(400, 401, 403)}},
            "get": {"summary": "The caller's saved matrices", "responses": {"200": _ok("list"), **_errors(401)}}},
    }
