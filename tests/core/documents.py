"""Real PDF files for the core tests, made with the product's own PDF renderer and pypdf."""

from __future__ import annotations

import io

from pypdf import PdfReader, PdfWriter

from repository.demo.pdfgen import render_pdf

NEWTON_PAGES = (
    "Định luật 2 Newton: gia tốc của một vật cùng hướng với lực tác dụng lên vật.",
    "Độ lớn của gia tốc tỉ lệ thuận với độ lớn của lực và tỉ lệ nghịch với khối lượng của vật.",
)


def newton_pdf() -> bytes:
    return render_pdf("Bài 15. Định luật 2 Newton", NEWTON_PAGES)


def encrypted_pdf(password: str = "bi-mat-123") -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(newton_pdf())))
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def truncated_pdf() -> bytes:
    data = newton_pdf()
    return data[: len(data) // 2]


HTML_AS_PDF = b"<!doctype html><html><head><title>x</title></head><body>Not a PDF</body></html>"
