"""Question images: stored in the blob store on import, shown on the bank page through an authorised route."""

from __future__ import annotations

import re

from ingest.questions import moodle_xml
from ingest.questions.model import Image, Option, Question, QuestionType
from tests.banks.helpers import create_bank, import_file, publish
from tests.banks.test_versions import PNG
from tests.conftest import bearer, login

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


def _file() -> bytes:
    question = Question(type=QuestionType.SINGLE_CHOICE, name="Hình",
                        stem='<p>Hình vẽ: <img src="@@PLUGINFILE@@/hinh%201.png" alt="hình"></p>',
                        options=[Option("Đúng", True, fraction=1.0), Option("Sai", fraction=0.0)],
                        images=[Image("hinh 1.png", "image/png", PNG)])
    return moodle_xml.export([question])


def test_an_imported_image_is_served_on_the_page_to_whoever_may_see_the_question(app, client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    report = import_file(client, tokens["teacher"], bank_id, _file(), filename="hinh.xml", mode="all_or_nothing")
    assert report.json["imported"] == 1
    login(client, "teacher")
    page = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    (src,) = re.findall(r'<img src="([^"]+)"', page)
    assert src.startswith(f"/banks/{bank_id}/images/")
    served = client.get(src)
    assert served.status_code == 200 and served.data == PNG and served.mimetype == "image/png"
    visitor = app.test_client()
    assert visitor.get(src).status_code == 404  # draft bank: nobody else sees it
    publish(client, tokens, bank_id)
    assert visitor.get(src).status_code == 200
    image_id = src.rsplit("/", 1)[1]
    assert visitor.get(f"/banks/{bank_id + 1000}/images/{image_id}").status_code == 404
    other = create_bank(client, tokens["teacher"])
    publish(client, tokens, other)
    assert visitor.get(f"/banks/{other}/images/{image_id}").status_code == 404


def test_svg_is_never_served_inline(app, client, tokens, users):
    from repository.banks.models import QuestionImage
    from repository.banks.store import add_questions
    from repository.models import Material, User

    bank_id = create_bank(client, tokens["teacher"])
    with app.extensions["db"].session() as session:
        question = Question(type=QuestionType.ESSAY, stem="Vẽ", images=[Image("x.svg", "image/svg+xml", SVG)])
        add_questions(session, session.get(Material, bank_id), [question],
                      author=session.get(User, users["teacher"].id), storage=app.extensions["storage"])
        session.commit()
        image_id = session.query(QuestionImage).one().id
    served = client.get(f"/banks/{bank_id}/images/{image_id}", headers=bearer(tokens["teacher"]))
    assert served.status_code == 200 and served.mimetype == "application/octet-stream"
    assert served.headers["Content-Disposition"].startswith("attachment")
