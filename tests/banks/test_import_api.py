"""Creating a bank without a file, importing into it through the API (report first, then all, valid ones or
nothing), listing with filters, and object-level authorisation."""

from __future__ import annotations

from repository.banks.models import BankQuestion, QuestionVersion
from tests.banks.helpers import GIFT_GOOD, GIFT_TWO_GOOD_ONE_BAD, create_bank, import_file, publish
from tests.conftest import bearer


def _stored(app, bank_id: int) -> int:
    with app.extensions["db"].session() as session:
        return session.query(BankQuestion).filter_by(bank_id=bank_id).count()


def test_a_bank_needs_no_file_but_other_kinds_still_do(client, tokens):
    bank = client.post("/api/v1/materials", headers=bearer(tokens["teacher"]),
                       data={"title": "Ngân hàng", "kind": "ngan-hang-cau-hoi", "level": "thpt", "grade": "12",
                             "subject": "toan", "licence": "CC-BY-4.0"})
    assert bank.status_code == 201 and bank.json["job_id"] is None and bank.json["status"] == "draft"
    book = client.post("/api/v1/materials", headers=bearer(tokens["teacher"]),
                       data={"title": "Sách", "kind": "sach-giao-khoa", "level": "thpt", "grade": "12",
                             "subject": "toan", "licence": "CC-BY-4.0"})
    assert book.status_code == 400 and book.json["error"]["field"] == "file"


def test_dry_run_reports_and_stores_nothing(app, client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    report = import_file(client, tokens["teacher"], bank_id, GIFT_TWO_GOOD_ONE_BAD, mode="dry_run")
    assert report.status_code == 200
    assert report.json["found"] == 3 and report.json["imported"] == 0 and report.json["format"] == "gift"
    assert report.json["rejected"] == [{"where": "cau-hoi.gift.txt, dòng 7",
                                        "reason": "Dấu '{' ở dòng 7 chưa được đóng bằng '}'"}]
    assert _stored(app, bank_id) == 0


def test_all_or_nothing_with_a_rejection_imports_nothing(app, client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    report = import_file(client, tokens["teacher"], bank_id, GIFT_TWO_GOOD_ONE_BAD, mode="all_or_nothing")
    assert report.status_code == 422
    assert report.json["found"] == 3 and report.json["imported"] == 0 and len(report.json["rejected"]) == 1
    assert _stored(app, bank_id) == 0
    clean = import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    assert clean.status_code == 200 and clean.json["imported"] == 2 and clean.json["rejected"] == []
    assert _stored(app, bank_id) == 2


def test_valid_only_imports_the_valid_ones_and_names_the_rest(app, client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    report = import_file(client, tokens["teacher"], bank_id, GIFT_TWO_GOOD_ONE_BAD, mode="valid_only")
    assert report.status_code == 200
    assert report.json["found"] == 3 and report.json["imported"] == 2 and len(report.json["rejected"]) == 1
    listed = client.get(f"/api/v1/banks/{bank_id}/questions", headers=bearer(tokens["teacher"])).json
    assert [q["name"] for q in listed["questions"]] == ["Đạo hàm", "Nghiệm"]
    first, second = listed["questions"]
    assert first["type"] == "single_choice" and first["topic"] == "Hàm số" and first["status"] == "draft"
    assert [o["correct"] for o in first["options"]] == [True, False, False, False]
    # subject and grade the file does not give come from the bank
    assert first["subject"] == "toan" and first["grade"] == 12 and first["version"] == 1
    assert second["answers"] == [{"value": "-1,5", "numeric": -1.5, "tolerance": 0.01}]


def test_filters_by_type_topic_and_level(client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    url = f"/api/v1/banks/{bank_id}/questions"
    teacher = bearer(tokens["teacher"])
    assert [q["name"] for q in client.get(url, query_string={"type": "short_answer"}, headers=teacher)
            .json["questions"]] == ["Nghiệm"]
    assert client.get(url, query_string={"topic": "Hàm số"}, headers=teacher).json["count"] == 2
    assert client.get(url, query_string={"topic": "Hình học"}, headers=teacher).json["count"] == 0
    assert client.get(url, query_string={"level": "van-dung"}, headers=teacher).json["count"] == 0


def test_bad_requests_are_refused_with_a_vietnamese_reason_and_change_nothing(app, client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    unknown = import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, fmt="csv")
    assert unknown.status_code == 400 and unknown.json["error"]["field"] == "format"
    bad_mode = import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="some")
    assert bad_mode.status_code == 400 and bad_mode.json["error"]["field"] == "mode"
    garbage = import_file(client, tokens["teacher"], bank_id, b"\x00\x01 just bytes", mode="valid_only")
    assert garbage.status_code == 400 and "định dạng" in garbage.json["error"]["message"]
    entity = (b'<?xml version="1.0"?><!DOCTYPE quiz [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
              b'<quiz><question type="essay"><name><text>&x;</text></name></question></quiz>')
    refused = import_file(client, tokens["teacher"], bank_id, entity, filename="q.xml", mode="valid_only")
    assert refused.status_code == 400 and "root:" not in refused.get_data(as_text=True)
    empty = import_file(client, tokens["teacher"], bank_id, b"<?xml version='1.0'?><quiz></quiz>",
                        filename="q.xml", fmt="moodle_xml", mode="valid_only")
    assert empty.status_code == 400 and "Không tìm thấy câu hỏi" in empty.json["error"]["message"]
    assert _stored(app, bank_id) == 0


def test_only_the_owner_imports_and_others_do_not_even_see_a_draft_bank(app, client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    other = import_file(client, tokens["teacher2"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    assert other.status_code == 404
    assert client.get(f"/api/v1/banks/{bank_id}/questions", headers=bearer(tokens["student"])).status_code == 404
    assert client.get(f"/api/v1/banks/{bank_id}/export", headers=bearer(tokens["teacher2"])).status_code == 404
    anonymous = client.post(f"/api/v1/banks/{bank_id}/import")
    assert anonymous.status_code == 401
    assert _stored(app, bank_id) == 0


def test_published_bank_shows_published_questions_to_everyone_but_only_its_owner_imports(app, client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    publish(client, tokens, bank_id)
    seen = client.get(f"/api/v1/banks/{bank_id}/questions", headers=bearer(tokens["student"])).json
    assert [q["status"] for q in seen["questions"]] == ["published", "published"]
    assert client.get(f"/api/v1/banks/{bank_id}/questions").json["count"] == 2
    assert import_file(client, tokens["teacher2"], bank_id, GIFT_GOOD, mode="all_or_nothing").status_code == 403
    # added to a published bank, new questions wait for review: the public still sees two
    added = import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    assert added.json["imported"] == 2
    assert client.get(f"/api/v1/banks/{bank_id}/questions").json["count"] == 2
    with app.extensions["db"].session() as session:
        statuses = sorted(v.status for v in session.query(QuestionVersion))
    assert statuses == ["pending", "pending", "published", "published"]


def test_a_bank_under_review_takes_no_import(client, tokens):
    bank_id = create_bank(client, tokens["teacher"])
    import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    client.post(f"/api/v1/materials/{bank_id}/submit", headers=bearer(tokens["teacher"]))
    frozen = import_file(client, tokens["teacher"], bank_id, GIFT_GOOD, mode="all_or_nothing")
    assert frozen.status_code == 409


def test_not_a_bank_is_404(app, client, tokens, users):
    from repository.models import Material
    with app.extensions["db"].session() as session:
        book = Material(owner_id=users["teacher"].id, title="Sách", kind="sach-giao-khoa", level="thpt", grade=12,
                        subject="toan", licence="CC-BY-4.0", status="draft")
        session.add(book)
        session.commit()
        book_id = book.id
    assert import_file(client, tokens["teacher"], book_id, GIFT_GOOD).status_code == 404


def test_every_format_imports_through_the_api(app, client, tokens):
    """One real or generated file per format, all through format=auto into the same bank."""
    from ingest.questions.xlsx_template import build_template
    from tests.banks.test_formats import _docx
    from tests.conftest import corpus_dir

    questions = corpus_dir("questions")
    files = {
        "moodle_xml": ((questions / "moodle-xml" / "moodle_nested_categories_with_questions.xml").read_bytes(),
                       "m.xml"),
        "gift": ((questions / "gift" / "moodle_questions.gift.txt").read_bytes(), "g.txt"),
        "aiken": ((questions / "aiken" / "moodle_questions.aiken.txt").read_bytes(), "a.txt"),
        "qti": ((questions / "qti" / "packages" / "tao_package.zip").read_bytes(), "q.zip"),
        "docx": (_docx(), "d.docx"),
        "xlsx": (build_template(), "x.xlsx"),
    }
    bank_id = create_bank(client, tokens["teacher"])
    total = 0
    for fmt, (data, filename) in files.items():
        report = import_file(client, tokens["teacher"], bank_id, data, filename=filename, mode="valid_only")
        assert report.status_code == 200 and report.json["format"] == fmt, (fmt, report.json)
        assert report.json["imported"] > 0, fmt
        total += report.json["imported"]
    assert _stored(app, bank_id) == total
