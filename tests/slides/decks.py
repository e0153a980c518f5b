"""Slide decks generated with python-pptx for the upload tests: Vietnamese titles, body text and notes."""

from __future__ import annotations

import io

from pptx import Presentation
from pptx.util import Inches

LESSON = [("Định luật 2 Newton", "Gia tốc tỉ lệ thuận với lực tác dụng", "Nhắc học sinh đổi đơn vị"),
          ("Ví dụ", "Một xe khối lượng 2 kg chịu lực 10 N", "Hỏi lớp: gia tốc bằng bao nhiêu?"),
          ("Bài tập về nhà", "Làm bài 1 đến bài 5 trang 64", "")]


def lesson_deck(core_title: str = "Bài 15. Định luật 2 Newton", slides=LESSON) -> bytes:
    """A deck with a title-and-content slide per (title, body, notes)."""
    deck = Presentation()
    deck.core_properties.title = core_title
    layout = deck.slide_layouts[1]
    for title, body, notes in slides:
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
        if notes:
            slide.notes_slide.notes_text_frame.text = notes
        slide.shapes.add_textbox(Inches(1), Inches(6), Inches(4), Inches(1))
    buffer = io.BytesIO()
    deck.save(buffer)
    return buffer.getvalue()
