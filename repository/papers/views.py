"""Pages of test papers: the list, a paper with its versions and combined key, printable downloads, and the
practice page where a student takes a published paper and is graded at once."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import or_, select

from repository.banks.mathml import render_math
from repository.banks.models import BANK_KIND
from repository.banks.presenting import with_image_urls
from repository.db import get_session
from repository.models import Material
from repository.papers.figures import image_urls, printable_figures
from repository.papers.forms import MATRIX_ROWS, payload_from_form
from repository.papers.matrix import PARTS
from repository.papers.models import TestPaper
from repository.papers.practice import answers_from_form, attempts_of, record_attempt
from repository.papers.printing import render_docx, render_key_docx, render_key_pdf, render_pdf
from repository.papers.service import (
    PaperError,
    create_paper,
    may_make_papers,
    may_manage,
    my_matrices,
    publish_paper,
    save_matrix,
    version_of,
    visible_paper,
)
from repository.papers.versions import answer_text, combined_key
from repository.reference import current_reference

bp = Blueprint("papers", __name__, template_folder="templates")

#: download format -> (renderer, content type)
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DOWNLOADS = {"pdf": (render_pdf, "application/pdf"), "docx": (render_docx, DOCX_TYPE)}
KEY_DOWNLOADS = {"pdf": (render_key_pdf, "application/pdf"), "docx": (render_key_docx, DOCX_TYPE)}


def _attachment(body: bytes, content_type: str, filename: str) -> Response:
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _paper(paper_id: int) -> TestPaper:
    try:
        return visible_paper(get_session(), current_user, paper_id)
    except PaperError:
        abort(404)


@bp.app_template_filter("question_html")
def question_html(text: str) -> Markup:
    """Question text sanitised again where it meets the page, with LaTeX rendered to MathML on the server."""
    return render_math(text or "")


@bp.get("/papers")
@login_required
def index():
    db = get_session()
    query = select(TestPaper).order_by(TestPaper.id.desc()).limit(200)
    query = query.where(or_(TestPaper.status == "published", TestPaper.owner_id == current_user.id))
    return render_template("papers/index.html", papers=list(db.scalars(query)))


def _published_banks() -> list[Material]:
    query = (select(Material).where(Material.kind == BANK_KIND, Material.published_version_id.is_not(None))
             .order_by(Material.title, Material.id).limit(500))
    return list(get_session().scalars(query))


@bp.route("/papers/new", methods=["GET", "POST"])
@login_required
def new():
    if not may_make_papers(current_user):
        abort(403)
    db = get_session()
    status = 200
    if request.method == "POST":
        payload = payload_from_form(request.form)
        try:
            if request.form.get("matrix_name", "").strip() and "matrix" in payload:
                save_matrix(db, current_user, {"name": request.form["matrix_name"], "matrix": payload["matrix"],
                                               "points": payload.get("points")})
            paper = create_paper(db, current_user, payload)
        except PaperError as exc:
            db.rollback()
            flash(exc.message, "error")
            status = 400
        else:
            db.commit()
            if paper.shortfall:
                flash(_("Đề đã được tạo nhưng ngân hàng chưa đủ câu cho một số ô của ma trận."), "error")
            return redirect(url_for("papers.detail", paper_id=paper.id))
    levels = current_reference(db).items.get("cognitive_level", [])
    return render_template("papers/new.html", banks=_published_banks(), matrices=my_matrices(db, current_user),
                           levels=levels, parts=PARTS, rows=MATRIX_ROWS, form=request.form), status


@bp.get("/papers/<int:paper_id>")
@login_required
def detail(paper_id: int):
    paper = _paper(paper_id)
    manage = may_manage(current_user, paper)
    return render_template("papers/detail.html", paper=paper, manage=manage, parts=PARTS,
                           key_table=combined_key(paper.versions) if manage else None,
                           attempts=attempts_of(get_session(), current_user, paper))


@bp.post("/papers/<int:paper_id>/publish")
@login_required
def publish(paper_id: int):
    db = get_session()
    paper = _paper(paper_id)
    try:
        publish_paper(db, current_user, paper)
    except PaperError as exc:
        if exc.status == 404:
            abort(404)
        flash(exc.message, "error")
        return redirect(url_for("papers.detail", paper_id=paper.id))
    db.commit()
    flash(_("Đã xuất bản đề cho học sinh luyện tập."), "success")
    return redirect(url_for("papers.detail", paper_id=paper.id))


@bp.get("/papers/<int:paper_id>/ma-de-<code>.<any(pdf, docx):fmt>")
@login_required
def download(paper_id: int, code: str, fmt: str):
    paper = _paper(paper_id)
    if not may_manage(current_user, paper):
        abort(404)
    try:
        version = version_of(paper, code)
    except PaperError:
        abort(404)
    render, content_type = DOWNLOADS[fmt]
    body = render(paper.header, version, printable_figures(get_session(), current_app.extensions["storage"], version))
    return _attachment(body, content_type, f"de-{paper.id}-ma-{version['code']}.{fmt}")


@bp.get("/papers/<int:paper_id>/dap-an.<any(pdf, docx):fmt>")
@login_required
def download_key(paper_id: int, fmt: str):
    """The combined key of every version, for the author and administrators."""
    paper = _paper(paper_id)
    if not may_manage(current_user, paper):
        abort(404)
    render, content_type = KEY_DOWNLOADS[fmt]
    return _attachment(render(paper.header, combined_key(paper.versions)), content_type, f"dap-an-{paper.id}.{fmt}")


def _stems_with_images(version: dict[str, Any]) -> dict[tuple[str, int], Markup]:
    """Stems whose images point at the bank's image route."""
    urls = image_urls(get_session(), version)
    return {(q["part"], q["number"]): question_html(with_image_urls(q["stem"], urls.get(q["source"]["version_id"], {})))
            for q in version["questions"]}


def _practice_version(paper: TestPaper) -> dict[str, Any]:
    code = request.values.get("ma") or paper.versions[current_user.id % len(paper.versions)]["code"]
    try:
        return version_of(paper, code)
    except PaperError:
        abort(404)


@bp.route("/papers/<int:paper_id>/practice", methods=["GET", "POST"])
@login_required
def practice(paper_id: int):
    paper = _paper(paper_id)
    if not paper.versions:
        abort(404)
    version = _practice_version(paper)
    if request.method == "GET":
        return render_template("papers/practice.html", paper=paper, version=version, parts=PARTS,
                               stems=_stems_with_images(version))
    db = get_session()
    result = record_attempt(db, current_user, paper, version, answers_from_form(request.form, version["key"]))
    db.commit()
    keys = {(k["part"], k["number"]): answer_text(k) for k in version["key"]}
    explanations = {(k["part"], k["number"]): k.get("explanation", "") for k in version["key"]}
    return render_template("papers/result.html", paper=paper, version=version, result=result, keys=keys,
                           explanations=explanations, parts=PARTS)
