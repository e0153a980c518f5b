"""Child process entry point that parses one untrusted PDF: ``python -m ingest._pdf_child``.

Started only by :func:`ingest.limits.run_child`; :func:`ingest.limits.child_main` applies the resource
caps before a handler here reads a byte of the file. XMP metadata is deliberately never read (XML
entity expansion, THREATS.md item 11); the document information dictionary gives the same fields.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
from pypdf import PasswordType, PdfReader
from pypdf.errors import LimitReachedError
from pypdf.generic import IndirectObject

from ingest.errors import IngestError
from ingest.limits import child_main
from ingest.pdf import METADATA_KEYS, clean_metadata_value, tidy_text

MAX_OUTLINE_ENTRIES = 10_000
MAX_OUTLINE_DEPTH = 64
#: Thumbnails of very tall pages are cut at this many times their width.
MAX_THUMBNAIL_ASPECT = 4


def corrupt(what_vi: str, what_en: str, exc: BaseException) -> IngestError:
    detail = str(exc).strip()[:300] or type(exc).__name__
    return IngestError("corrupt", f"Tệp PDF bị hỏng: {what_vi} ({detail}).",
                       f"corrupt PDF: {what_en}: {type(exc).__name__}: {detail}")


def encrypted_error() -> IngestError:
    return IngestError(
        "encrypted",
        "Tệp PDF được đặt mật khẩu nên hệ thống không đọc được nội dung; hãy gỡ mật khẩu rồi tải lên lại.",
        "PDF is encrypted with a non-empty user password")


def safety_limit_error(exc: BaseException) -> IngestError:
    return IngestError(
        "resource_limit",
        "Tệp PDF vượt giới hạn an toàn của trình đọc (dữ liệu nén khi giải nén quá lớn, có thể là "
        "'bom nén', hoặc cấu trúc lồng nhau/tự tham chiếu quá sâu), nên đã bị từ chối.",
        f"pypdf safety limit reached: {str(exc)[:300]}")


# ---- inspect ----------------------------------------------------------------------------------------

def inspect(request: dict[str, Any]) -> dict[str, Any]:
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        return _inspect(request)
    except LimitReachedError as exc:
        raise safety_limit_error(exc) from exc
    except RecursionError as exc:
        raise IngestError(
            "corrupt", "Tệp PDF bị hỏng: cấu trúc đối tượng lồng nhau quá sâu hoặc tự tham chiếu.",
            "corrupt PDF: object graph nested too deeply or self-referencing") from exc


def _inspect(request: dict[str, Any]) -> dict[str, Any]:
    reader, was_encrypted = _open_reader(Path(request["path"]))
    max_pages = int(request["max_pages"])
    _refuse_too_many(_declared_page_count(reader), max_pages)
    try:
        if _count_pages_up_to(reader, max_pages + 1) > max_pages:
            _refuse_too_many(max_pages + 1, max_pages, at_least=True)
        page_count = len(reader.pages)
    except (IngestError, LimitReachedError, RecursionError):
        raise
    except Exception as exc:
        raise corrupt("không đọc được cây trang", "cannot read the page tree", exc) from exc
    _refuse_too_many(page_count, max_pages)
    if page_count == 0:
        raise IngestError("corrupt", "Tệp PDF không có trang nào.", "PDF has no pages")
    limit = int(request["max_text_chars_per_page"])
    return {"page_count": page_count, "metadata": _metadata(reader), "encrypted": was_encrypted,
            "pages": [_page_text(reader, number, limit) for number in range(page_count)],
            "outline": _outline(reader)}


def _open_reader(path: Path) -> tuple[Any, bool]:
    """Open with pypdf; decrypt with the empty user password when the file is encrypted."""
    try:
        reader = PdfReader(path, strict=False)
    except LimitReachedError as exc:
        raise safety_limit_error(exc) from exc
    except Exception as exc:
        raise corrupt("không đọc được cấu trúc tệp", "cannot open", exc) from exc
    if not reader.is_encrypted:
        return reader, False
    try:
        opened = reader.decrypt("")
    except NotImplementedError as exc:
        raise IngestError(
            "encrypted",
            "Tệp PDF dùng kiểu mã hoá không được hỗ trợ; hãy gỡ mật khẩu/mã hoá rồi tải lên lại.",
            f"unsupported PDF encryption: {exc}") from exc
    except Exception as exc:
        raise corrupt("thông tin mã hoá không hợp lệ", "invalid encryption dictionary", exc) from exc
    if opened == PasswordType.NOT_DECRYPTED:
        raise encrypted_error()
    return reader, True


def _declared_page_count(reader: Any) -> int:
    """The /Count of the page tree root: lets a huge file be refused before its tree is walked."""
    try:
        count = reader.trailer["/Root"]["/Pages"]["/Count"]
        return int(count) if isinstance(count, int) else 0
    except Exception:
        return 0


def _count_pages_up_to(reader: Any, stop_at: int) -> int:
    """Count the leaves of the page tree, giving up at ``stop_at``.

    A /Count can lie; pypdf's own walk of a 100 000-page tree takes seconds and hundreds of MB, so the
    tree is first walked here with a bound, a cycle check and a cap on intermediate nodes.
    """
    stack = [reader.trailer["/Root"].raw_get("/Pages")]
    seen: set[int] = set()
    leaves = nodes = 0
    while stack and leaves < stop_at and nodes < stop_at * 4:
        node = stack.pop()
        if isinstance(node, IndirectObject):
            if node.idnum in seen:
                raise IngestError("corrupt", "Tệp PDF bị hỏng: cây trang tự tham chiếu vòng tròn.",
                                  f"corrupt PDF: page tree revisits object {node.idnum}")
            seen.add(node.idnum)
            node = node.get_object()
        kids = node.get("/Kids") if isinstance(node, dict) else None
        if kids is None:
            leaves += 1
        else:
            nodes += 1
            stack.extend(reversed(kids.get_object()))
    return leaves


def _refuse_too_many(page_count: int, max_pages: int, *, at_least: bool = False) -> None:
    if page_count <= max_pages:
        return
    count_vi = f"hơn {max_pages:,}" if at_least else f"{page_count:,}"
    raise IngestError(
        "too_many_pages",
        f"Tệp PDF có {count_vi} trang, vượt giới hạn {max_pages:,} trang. ".replace(",", ".")
        + "Hãy tách tệp thành nhiều phần rồi tải lên.",
        f"PDF has {'over' if at_least else page_count} pages, more than the {max_pages} allowed")


def _metadata(reader: Any) -> dict[str, str]:
    try:
        info = reader.metadata
        if info is None:
            return {}
        raw = {key: info.get(f"/{key.capitalize()}") for key in METADATA_KEYS}
    except (LimitReachedError, RecursionError):
        raise
    except Exception:
        logging.getLogger(__name__).warning("unreadable document information dictionary")
        return {}
    cleaned = {}
    for key, value in raw.items():
        text = _metadata_text(value)
        if text:
            cleaned[key] = text
    return cleaned


def _metadata_text(value: Any) -> str:
    if isinstance(value, IndirectObject):
        value = value.get_object()
    if value is None or isinstance(value, dict | list):
        return ""
    return clean_metadata_value(value)


def _page_text(reader: Any, index: int, limit: int) -> str:
    try:
        page = reader.pages[index]
        _decode_contents(page)
        raw = page.extract_text() or ""
    except (LimitReachedError, RecursionError, MemoryError):
        raise
    except Exception as exc:
        raise corrupt(f"không đọc được chữ ở trang {index + 1}", f"text of page {index + 1}", exc) from exc
    return tidy_text(raw[: limit * 2])[:limit]


def _decode_contents(page: Any) -> None:
    """Decode the content stream first: pypdf's text extraction would swallow a decompression bomb's
    LimitReachedError and return "", and a bomb must be refused, not ingested as a page without text.
    The decoded data is cached on the stream, so extraction does not decode it again."""
    try:
        contents = page.get_contents()
    except LimitReachedError:
        raise
    except Exception:
        return
    if contents is not None:
        try:
            contents.get_data()
        except LimitReachedError:
            raise
        except Exception:
            logging.getLogger(__name__).info("undecodable content stream left to the text extractor")


def _outline(reader: Any) -> list[list[Any]]:
    """Bookmarks flattened depth-first as [title, 1-based page]; entries without a page are left out."""
    try:
        tree = reader.outline
    except (LimitReachedError, MemoryError):
        raise
    except Exception:
        logging.getLogger(__name__).warning("unreadable outline, ignored")
        return []
    entries: list[list[Any]] = []
    _walk_outline(reader, tree, 0, entries)
    return entries


def _walk_outline(reader: Any, items: list[Any], depth: int, entries: list[list[Any]]) -> None:
    if depth > MAX_OUTLINE_DEPTH:
        return
    for item in items:
        if len(entries) >= MAX_OUTLINE_ENTRIES:
            return
        if isinstance(item, list):
            _walk_outline(reader, item, depth + 1, entries)
            continue
        title = clean_metadata_value(getattr(item, "title", "") or "")
        try:
            page_index = reader.get_destination_page_number(item)
        except Exception:
            page_index = None
        if title and page_index is not None and page_index >= 0:
            entries.append([title, page_index + 1])


# ---- thumbnail --------------------------------------------------------------------------------------

def thumbnail(request: dict[str, Any]) -> None:
    try:
        document = pdfium.PdfDocument(request["path"])
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise encrypted_error() from exc
        raise corrupt("trình hiển thị không mở được tệp", "pdfium cannot open", exc) from exc
    number = int(request["page"])
    if number > len(document):
        raise IngestError("no_such_page", f"Tệp PDF chỉ có {len(document)} trang, không có trang {number}.",
                          f"page {number} requested from a {len(document)}-page PDF")
    try:
        image = _render(document[number - 1], int(request["width"]))
    except pdfium.PdfiumError as exc:
        raise corrupt(f"không hiển thị được trang {number}", f"render page {number}", exc) from exc
    image.save(request["out_path"], format="PNG")


def thumbnails(request: dict[str, Any]) -> list[int]:
    """Render several pages in one process (a child's start-up costs a hundred times one small render);
    returns the page numbers written as ``<out_dir>/<n>.png``."""
    try:
        document = pdfium.PdfDocument(request["path"])
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise encrypted_error() from exc
        raise corrupt("trình hiển thị không mở được tệp", "pdfium cannot open", exc) from exc
    out_dir = Path(request["out_dir"])
    written = []
    for number in request["pages"]:
        if not 1 <= int(number) <= len(document):
            continue
        try:
            image = _render(document[int(number) - 1], int(request["width"]))
        except pdfium.PdfiumError as exc:
            raise corrupt(f"không hiển thị được trang {number}", f"render page {number}", exc) from exc
        image.save(out_dir / f"{int(number)}.png", format="PNG")
        written.append(int(number))
    return written


def _render(page: Any, width: int) -> Any:
    page_width, page_height = page.get_size()
    if page_width <= 0 or page_height <= 0:
        raise IngestError("corrupt", "Tệp PDF bị hỏng: trang có kích thước không hợp lệ.",
                          f"corrupt PDF: page size {page_width}x{page_height}")
    scale = width / page_width
    cut = max(0.0, page_height - MAX_THUMBNAIL_ASPECT * page_width)
    image = page.render(scale=scale, crop=(0, cut, 0, 0)).to_pil().convert("RGB")
    if image.width != width:
        height = max(1, round(image.height * width / image.width))
        image = image.resize((width, height))
    return image


if __name__ == "__main__":
    child_main({"inspect": inspect, "thumbnail": thumbnail, "thumbnails": thumbnails})
