"""The OpenAPI 3.1 document of API v1, served at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from flask import Flask

from repository.papers.openapi_paths import paper_paths
from search.interfaces import PAGE_UNITS

ERROR = {"$ref": "#/components/schemas/Error"}
METADATA_FIELDS = {
    "title": {"type": "string", "maxLength": 300},
    "description": {"type": "string", "maxLength": 5000},
    "kind": {"type": "string", "description": "code from /api/v1/reference (kind), e.g. sach-giao-khoa"},
    "level": {"type": "string", "description": "code of a school level, e.g. thpt"},
    "grade": {"type": "integer", "description": "a grade of that level"},
    "subject": {"type": "string", "description": "subject code taught at that level and grade, e.g. vat-li"},
    "series": {"type": "string", "description": "textbook series code, e.g. kntt"},
    "chapter": {"type": "string"},
    "lesson": {"type": "string"},
    "licence": {"type": "string", "description": "licence code, e.g. CC-BY-4.0"},
}


def _response(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"description": description}
    if schema is not None:
        body["content"] = {"application/json": {"schema": schema}}
    return body


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _response("error", ERROR) for code in codes}


def _id_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


QUESTION_FILTERS = [_query("topic", {"type": "string"}),
                    _query("level", {"type": "string", "description": "cognitive level code, e.g. biet"}),
                    _query("type", {"enum": ["single_choice", "multiple_choice", "true_false", "short_answer",
                                             "essay"]}),
                    _query("q", {"type": "string", "maxLength": 500,
                                 "description": "words of the questions (stem, options, statements; never the keys), "
                                                "diacritics and case ignored; quoted words are a phrase"})]
BANK_PATHS: dict[str, Any] = {
    "/api/v1/banks/{bank_id}/import": {"post": {
        "summary": "Import a question file into a bank (owner): a report, then all, the valid ones, or nothing",
        "parameters": [_id_param("bank_id")],
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"},
                           "format": {"enum": ["moodle_xml", "gift", "aiken", "qti", "docx", "xlsx", "auto"],
                                      "default": "auto"},
                           "mode": {"enum": ["all_or_nothing", "valid_only", "dry_run"], "default": "dry_run"}}}}}},
        "responses": {"200": _response("import report", {"$ref": "#/components/schemas/ImportReport"}),
                      "422": _response("all_or_nothing with rejections: nothing imported",
                                       {"$ref": "#/components/schemas/ImportReport"}),
                      **_errors(400, 401, 403, 404, 409, 413)}}},
    "/api/v1/banks/{bank_id}/questions": {"get": {
        "summary": "Questions of a bank (current versions for its owner and reviewers, else published ones)",
        "parameters": [_id_param("bank_id"), *QUESTION_FILTERS],
        "responses": {"200": _response("questions"), **_errors(404)}}},
    "/api/v1/banks/{bank_id}/questions/{question_id}": {"put": {
        "summary": "Edit a question (owner); a published question gets a new version pending review",
        "parameters": [_id_param("bank_id"), _id_param("question_id")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "description": "fields of the question to change (type, stem, options, statements, "
                                             "answers, model_answer, explanation, topic, cognitive_level, ...)"}}}},
        "responses": {"200": _response("the version holding the edit"), **_errors(400, 401, 403, 404, 409)}}},
    "/api/v1/banks/{bank_id}/questions/{question_id}/versions": {"get": {
        "summary": "Every version of a question (owner, reviewers, administrators)",
        "parameters": [_id_param("bank_id"), _id_param("question_id")],
        "responses": {"200": _response("versions"), **_errors(401, 404)}}},
    "/api/v1/banks/{bank_id}/questions/{question_id}/review": {"post": {
        "summary": "Approve or reject the pending version of a question (reviewer, not its author)",
        "parameters": [_id_param("bank_id"), _id_param("question_id")],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["decision"], "properties": {"decision": {"enum": ["approve", "reject"]}}}}}},
        "responses": {"200": _response("current and published version ids"), **_errors(400, 401, 403, 404, 409)}}},
    "/api/v1/banks/{bank_id}/export": {"get": {
        "summary": "Export a bank's questions", "parameters": [
            _id_param("bank_id"), _query("format", {"enum": ["moodle_xml", "qti", "gift"], "default": "moodle_xml"}),
            *QUESTION_FILTERS],
        "responses": {"200": _response("Moodle XML, QTI 2.1 content package (ZIP) or GIFT text"),
                      **_errors(400, 404)}}},
}


def openapi_document(app: Flask) -> dict[str, Any]:
    base_url = app.extensions["settings"].get("app", "base_url")
    material = {"$ref": "#/components/schemas/Material"}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Kho học liệu số API", "version": "1",
                 "description": "Materials, review, search and jobs. Authenticate with a session cookie "
                                "(plus X-CSRFToken) or a personal access token: Authorization: Bearer hl_…"},
        "servers": [{"url": base_url}],
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/healthz": {"get": {"summary": "Health of every backend", "security": [],
                                 "responses": {"200": _response("all ok"), "503": _response("degraded")}}},
            "/api/v1/openapi.json": {"get": {"summary": "This document", "security": [],
                                             "responses": {"200": _response("OpenAPI 3.1 document")}}},
            "/api/v1/reference": {"get": {"summary": "Reference lists (levels, subjects, kinds, ...)",
                                          "security": [], "responses": {"200": _response("lists")}}},
            "/api/v1/materials": {
                "post": {"summary": "Upload a material",
                         "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                             "type": "object", "required": ["title", "kind", "level", "subject", "licence"],
                             "description": "file is required except for a question bank (ngan-hang-cau-hoi)",
                             "properties": {"file": {"type": "string", "format": "binary"},
                                            **METADATA_FIELDS}}}}},
                         "responses": {"201": _response("created", {"type": "object", "properties": {
                             "id": {"type": "integer"}, "status": {"type": "string"},
                             "job_id": {"type": ["integer", "null"]}}}), **_errors(400, 401, 403, 413, 415)}},
                "get": {"summary": "The caller's materials (all for administrators)",
                        "responses": {"200": _response("list"), **_errors(401)}}},
            "/api/v1/materials/{id}": {"get": {
                "summary": "A material the caller may see", "parameters": [_id_param("id")],
                "responses": {"200": _response("material", material), **_errors(404)}}},
            "/api/v1/materials/{id}/submit": {"post": {
                "summary": "Submit for review (owner), for a publication scope", "parameters": [_id_param("id")],
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object", "properties": {"scope": {"enum": ["school", "province", "national"]},
                                                     "comment": {"type": "string"}}}}}},
                "responses": {"200": _response("new state"), **_errors(400, 401, 403, 404, 409)}}},
            "/api/v1/materials/{id}/review": {"post": {
                "summary": "Decide on a submission (reviewer)", "parameters": [_id_param("id")],
                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                    "type": "object", "required": ["decision"],
                    "properties": {"decision": {"enum": ["approve", "reject", "request_changes"]},
                                   "comment": {"type": "string", "description": "summary of the decision"},
                                   "scores": {"type": "object", "description": "rubric criterion -> 1..5",
                                              "additionalProperties": {"type": "integer"}},
                                   "comments": {"type": "object", "description": "criterion -> comment"},
                                   "scope": {"enum": ["school", "province", "national"],
                                             "description": "the scope of the round (checked, 409 if another)"},
                                   "lock_version": {"type": "integer"}}}}}},
                "responses": {"200": _response("new state"), **_errors(400, 401, 403, 404, 409)}}},
            "/api/v1/materials/{id}/withdraw": {"post": {
                "summary": "Unpublish or pull back a submission with a reason (author, administrator)",
                "parameters": [_id_param("id")],
                "requestBody": {"content": {"application/json": {"schema": {
                    "type": "object", "properties": {"reason": {"type": "string"}}}}}},
                "responses": {"200": _response("new state"), **_errors(400, 401, 403, 404, 409)}}},
            "/api/v1/materials/{id}/claim": {"post": {
                "summary": "Take a submission from the review queue (reviewer)", "parameters": [_id_param("id")],
                "responses": {"200": _response("assignment"), **_errors(401, 403, 404, 409)}}},
            "/api/v1/materials/{id}/pages/{number}": {"get": {
                "summary": "Text of one page and its source (text-layer or ocr)",
                "parameters": [_id_param("id"), _id_param("number")],
                "responses": {"200": _response("page"), **_errors(404)}}},
            "/api/v1/materials/{id}/chapter-links": {
                "get": {"summary": "Links of the book's chapters to lessons, and the chapters this material is "
                                   "linked from", "parameters": [_id_param("id")],
                        "responses": {"200": _response("links"), **_errors(404)}},
                "post": {"summary": "Link a chapter of the book to a lesson (book owner, administrator)",
                         "parameters": [_id_param("id")],
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["chapter", "lesson_id"],
                             "properties": {"chapter": {"type": "integer", "description": "1-based, page order"},
                                            "lesson_id": {"type": "integer"}}}}}},
                         "responses": {"201": _response("link"), **_errors(400, 401, 403, 404, 409)}}},
            "/api/v1/materials/{id}/chapter-links/{link_id}": {"delete": {
                "summary": "Remove a chapter link (book owner, administrator)",
                "parameters": [_id_param("id"), _id_param("link_id")],
                "responses": {"204": _response("removed"), **_errors(401, 403, 404)}}},
            "/api/v1/materials/{id}/audit.csv": {"get": {
                "summary": "Audit trail as CSV (reviewers, administrators)", "parameters": [_id_param("id")],
                "responses": {"200": _response("CSV"), **_errors(401, 403, 404)}}},
            "/api/v1/review/audit.csv": {"get": {
                "summary": "Audit records of a period as CSV (reviewers, administrators)",
                "parameters": [_query("since", {"type": "string", "format": "date"}),
                               _query("until", {"type": "string", "format": "date"})],
                "responses": {"200": _response("CSV"), **_errors(400, 401, 403)}}},
            "/api/v1/materials/{id}/audit": {"get": {
                "summary": "Audit trail (reviewers, administrators)", "parameters": [_id_param("id")],
                "responses": {"200": _response("records"), **_errors(401, 403, 404)}}},
            "/api/v1/review/queue": {"get": {"summary": "Submissions waiting for the caller",
                                             "parameters": [_query(f, {"type": "string"}) for f in
                                                            ("scope", "subject", "level", "status", "due")],
                                             "responses": {"200": _response("queue"), **_errors(401, 403)}}},
            "/api/v1/materials/{id}/comments": {
                "get": {"summary": "Review comments (author, reviewers, administrators)",
                        "parameters": [_id_param("id")],
                        "responses": {"200": _response("comments"), **_errors(401, 403, 404)}},
                "post": {"summary": "Add a comment anchored to a page, time, slide or question (reviewer)",
                         "parameters": [_id_param("id")],
                         "requestBody": {"required": True, "content": {"application/json": {"schema": {
                             "type": "object", "required": ["body"],
                             "properties": {"anchor_kind": {"enum": ["general", "page", "time", "slide", "question"]},
                                            "anchor": {"description": "page/slide/question number, seconds or "
                                                                      "m:ss"},
                                            "body": {"type": "string", "maxLength": 2000}}}}}},
                         "responses": {"201": _response("comment"), **_errors(400, 401, 403, 404)}}},
            "/api/v1/notifications": {"get": {"summary": "The caller's notifications, newest first",
                                              "responses": {"200": _response("notifications"), **_errors(401)}}},
            "/api/v1/jobs/{id}": {"get": {
                "summary": "Progress of a background job", "parameters": [_id_param("id")],
                "responses": {"200": _response("job", {"$ref": "#/components/schemas/Job"}),
                              **_errors(401, 404)}}},
            "/api/v1/search": {"get": {
                "summary": "Search published materials", "security": [],
                "parameters": [_query("q", {"type": "string", "maxLength": 500}),
                               *[_query(f, {"type": "string"}) for f in
                                 ("level", "grade", "subject", "kind", "series", "licence", "province")],
                               _query("sort", {"enum": ["relevance", "newest", "popular"]}),
                               _query("page", {"type": "integer", "minimum": 1, "maximum": 1000}),
                               _query("per_page", {"type": "integer", "minimum": 1, "maximum": 100})],
                "responses": {"200": _response("results", {"$ref": "#/components/schemas/SearchResult"}),
                              **_errors(400)}}},
            **BANK_PATHS,
            "/api/v1/suggest": {"get": {"summary": "Completions as you type", "security": [],
                                        "parameters": [_query("q", {"type": "string"})],
                                        "responses": {"200": _response("suggestions")}}},
            **paper_paths(),
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"},
                                "session": {"type": "apiKey", "in": "cookie", "name": "hoclieu_session"}},
            "schemas": {
                "Error": {"type": "object", "properties": {"error": {"type": "object", "properties": {
                    "code": {"type": "string"}, "message": {"type": "string"}, "field": {"type": "string"}},
                    "required": ["code", "message"]}}},
                "Job": {"type": "object", "properties": {
                    "status": {"enum": ["queued", "running", "succeeded", "failed"]},
                    "progress": {"type": "integer", "minimum": 0, "maximum": 100},
                    "error": {"type": ["string", "null"]}}},
                "Material": {"type": "object", "properties": {
                    "id": {"type": "integer"}, "status": {"type": "string"}, **METADATA_FIELDS,
                    "pages": {"type": ["integer", "null"]},
                    "chapters": {"type": "array", "items": {"type": "object", "properties": {
                        "title": {"type": "string"}, "first_page": {"type": "integer"},
                        "last_page": {"type": "integer"}}}},
                    "ocr_pages": {"type": "array", "items": {"type": "integer"}},
                    "has_text": {"type": ["boolean", "null"],
                                 "description": "false: image-only scan without OCR, found by metadata only"},
                    "source_format": {"type": ["string", "null"], "enum": ["pdf", "docx", None]},
                    "cover": {"type": ["string", "null"], "description": "URL of the cover thumbnail"},
                    "preview": {"type": ["string", "null"], "description": "URL of the PDF made from a DOCX"},
                    "files": {"type": "array", "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "size": {"type": "integer"}, "sha256": {"type": "string"},
                        "content_type": {"type": "string"}, "url": {"type": "string"}}}},
                    "versions": {"type": "array", "items": {"type": "object"}},
                    "media": {"type": "object", "description": "video and audio lectures: duration, hls, mp4, "
                              "poster, thumbnails (WebVTT of sprite tiles), renditions, captions"},
                    "slides": {"type": "array", "description": "slide decks: one entry per slide",
                               "items": {"type": "object", "properties": {
                                   "number": {"type": "integer"}, "title": {"type": "string"},
                                   "text": {"type": "string"}, "notes": {"type": "string"}}}},
                    "scorm": {"type": "object", "description": "SCORM packages: launch URLs carry a grant for the "
                              "caller; progress is the caller's stored runtime data per item",
                              "properties": {"version": {"enum": ["1.2", "2004"]}, "launch_url": {"type": "string"},
                                             "items": {"type": "array", "items": {"type": "object"}},
                                             "progress": {"type": "array", "items": {"type": "object"}}}}}},
                "ImportReport": {"type": "object", "properties": {
                    "found": {"type": "integer"}, "imported": {"type": "integer"},
                    "format": {"type": "string"}, "mode": {"type": "string"},
                    "rejected": {"type": "array", "items": {"type": "object", "properties": {
                        "where": {"type": "string"}, "reason": {"type": "string"}}}}}},
                "SearchResult": {"type": "object", "properties": {
                    "total": {"type": "integer"},
                    "hits": {"type": "array", "items": {"type": "object", "properties": {
                        "id": {"type": "integer"}, "title": {"type": "string"}, "kind": {"type": "string"},
                        "subject": {"type": "string"}, "grade": {"type": ["integer", "null"]},
                        "snippet": {"type": "string"}, "url": {"type": "string"},
                        "pages": {"type": "array", "description": "best matching pages (embedded engine)",
                                  "items": {"type": "object", "properties": {
                                      "page": {"type": "integer", "description": "its number: page, slide or "
                                               "question (Câu N of the bank page), as unit says"},
                                      "unit": {"enum": list(PAGE_UNITS), "description": "what the material's "
                                               "numbered parts are: pages, slides of a deck, questions of a bank"},
                                      "snippet": {"type": "string"},
                                      "url": {"type": "string", "description": "a page: the material page's viewer "
                                              "at that page with the search words highlighted (?page=n&q=...#page=n); "
                                              "a slide: the deck's outline at it (?page=n#slide-n); a question: "
                                              "the bank page at it (/banks/id#cau-n)"},
                                      "book": {"type": "string"},
                                      "chapter": {"type": ["string", "null"]},
                                      "thumbnail": {"type": "string"}}}}}}},
                    "facets": {"type": "object"},
                    "corrected": {"type": ["string", "null"],
                                  "description": "the query as searched when a word was respelled (typo tolerance)"},
                    "suggestion": {"type": ["string", "null"],
                                   "description": "a close spelling that finds something, when nothing was found"},
                    "without_filters": {"type": ["integer", "null"],
                                        "description": "total without the filters, when a filtered search found "
                                                       "nothing"}}},
            },
        },
    }
