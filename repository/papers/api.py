"""API v1 for test papers: draw a paper from a matrix, read it, publish it, grade an attempt, and keep
saved matrices. Errors follow the API's ``{"error": {"code", "message", "field"?}}`` shape."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request, url_for
from flask_login import current_user, login_required

from repository.api import api_error
from repository.db import get_session
from repository.papers.models import ExamMatrix, TestPaper
from repository.papers.practice import record_attempt
from repository.papers.service import (
    PaperError,
    create_paper,
    may_manage,
    my_matrices,
    publish_paper,
    save_matrix,
    version_of,
    visible_paper,
)
from repository.papers.versions import combined_key

bp = Blueprint("papers_api", __name__)


@bp.errorhandler(PaperError)
def paper_error(exc: PaperError):
    return api_error(exc.status, exc.code, exc.message, exc.field)


def paper_as_dict(paper: TestPaper, with_keys: bool) -> dict[str, Any]:
    versions = [{"code": v["code"], "questions": v["questions"], **({"key": v["key"]} if with_keys else {})}
                for v in paper.versions]
    body: dict[str, Any] = {"id": paper.id, "title": paper.title, "status": paper.status, "header": paper.header,
                            "versions": versions, "shortfall": paper.shortfall,
                            "url": url_for("papers.detail", paper_id=paper.id)}
    if with_keys:
        body.update(seed=paper.seed, banks=paper.bank_ids, matrix=paper.matrix, points=paper.points,
                    key_table=combined_key(paper.versions))
    return body


def matrix_as_dict(matrix: ExamMatrix) -> dict[str, Any]:
    return {"id": matrix.id, "name": matrix.name, "matrix": matrix.cells, "points": matrix.points}


@bp.post("/api/v1/papers")
@login_required
def create():
    db = get_session()
    paper = create_paper(db, current_user, request.get_json(silent=True))
    db.commit()
    response = jsonify(paper_as_dict(paper, with_keys=True))
    response.status_code = 201
    return response


@bp.get("/api/v1/papers/<int:paper_id>")
@login_required
def read(paper_id: int):
    paper = visible_paper(get_session(), current_user, paper_id)
    return jsonify(paper_as_dict(paper, with_keys=may_manage(current_user, paper)))


@bp.post("/api/v1/papers/<int:paper_id>/publish")
@login_required
def publish(paper_id: int):
    db = get_session()
    paper = visible_paper(db, current_user, paper_id)
    publish_paper(db, current_user, paper)
    db.commit()
    return jsonify({"id": paper.id, "status": paper.status})


@bp.post("/api/v1/papers/<int:paper_id>/attempts")
@login_required
def attempt(paper_id: int):
    db = get_session()
    paper = visible_paper(db, current_user, paper_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("answers"), dict):
        return api_error(400, "bad_request", "Cần 'version' (mã đề) và 'answers' (đối tượng câu → trả lời).")
    version = version_of(paper, str(payload.get("version")))
    result = record_attempt(db, current_user, paper, version, payload["answers"])
    db.commit()
    return jsonify({"version": version["code"], **result})


@bp.post("/api/v1/matrices")
@login_required
def create_matrix():
    db = get_session()
    saved = save_matrix(db, current_user, request.get_json(silent=True))
    db.commit()
    response = jsonify(matrix_as_dict(saved))
    response.status_code = 201
    return response


@bp.get("/api/v1/matrices")
@login_required
def list_matrices():
    return jsonify({"matrices": [matrix_as_dict(m) for m in my_matrices(get_session(), current_user)]})
