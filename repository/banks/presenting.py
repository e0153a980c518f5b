"""Stored questions as JSON for the API and as display data for the pages (maths rendered to MathML)."""

from __future__ import annotations

import dataclasses
import re
from typing import Any
from urllib.parse import unquote

from ingest.questions.model import Question
from repository.banks.mathml import render_math
from repository.banks.store import StoredQuestion

#: What a student or visitor must not see of a question.
KEY_FIELDS = ("answers", "explanation", "model_answer")


def question_as_dict(stored: StoredQuestion, *, with_keys: bool = True) -> dict[str, Any]:
    """Every field of the question (images by name and type only), with its identity and version; without
    keys, the correct options, true/false verdicts, answers, explanation and model answer are left out."""
    fields = dataclasses.asdict(stored.question)
    fields["images"] = [{"name": i.name, "content_type": i.content_type} for i in stored.question.images]
    if not with_keys:
        for name in KEY_FIELDS:
            del fields[name]
        fields["options"] = [{"text": o["text"]} for o in fields["options"]]
        fields["statements"] = [{"label": s["label"], "text": s["text"]} for s in fields["statements"]]
    return {"id": stored.id, "version": stored.version, "version_id": stored.version_id,
            "bank_id": stored.bank_id, "position": stored.position, "status": stored.status, **fields}


#: How question files refer to their images: Moodle's placeholder, or the bare (QTI: relative) name.
_IMAGE_SRC = re.compile(r'src="(?:@@PLUGINFILE@@/)?([^"]+)"')


def with_image_urls(html: str, urls: dict[str, str]) -> str:
    """Point every image reference that names a stored image at its URL (names are URL-decoded)."""
    def replace(match: re.Match[str]) -> str:
        name = unquote(match.group(1))
        return f'src="{urls[name]}"' if name in urls else match.group(0)

    return _IMAGE_SRC.sub(replace, html) if urls else html


def rendered(question: Question, image_urls: dict[str, str] | None = None) -> dict[str, Any]:
    """The texts of a question as safe HTML with MathML and working image links, for templates."""
    return {
        "stem": render_math(with_image_urls(question.stem, image_urls or {})),
        "options": [(render_math(o.text), o.correct) for o in question.options],
        "statements": [(s.label, render_math(s.text), s.is_true) for s in question.statements],
        "answers": [a.value for a in question.answers],
        "model_answer": render_math(question.model_answer),
        "explanation": render_math(question.explanation),
    }
