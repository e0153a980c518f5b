"""Questions in search: the portal finds a published bank by its questions' words and names the questions it
found ("Câu N", linked to the question on the bank page), never by a key; the bank page and the question API
filter a bank's questions by text; the index follows a reviewer's approval of a question."""

from __future__ import annotations

import re

from tests.banks.helpers import create_bank, import_file, publish
from tests.conftest import bearer, csrf_from, login

# Three questions: keys in the correct option's feedback, the short answer and the general feedback (lời giải)
# use words found nowhere else ("Eiffel", "Bạch Đằng", "Cấm").
GIFT_GEOGRAPHY = """\
$CATEGORY: $course$/top/Địa lí

::Thủ đô::Thủ đô của nước Pháp là thành phố nào? {=Pa-ri#Đúng: tháp Eiffel ở đó ~Luân Đôn#Sai ~Béc-lin}

::Sông::Con sông chảy qua thành phố Hải Phòng có tên là gì? {=Bạch Đằng ####Sông Cấm cũng chảy qua.}

::Cảng::Thành phố cảng lớn nhất miền Bắc nước ta là? {=Hải Phòng}
""".encode()

GIFT_LATER = """\
::Đảo::Quần đảo Trường Sa thuộc tỉnh nào? {=Khánh Hoà ~Quảng Ngãi}
""".encode()

HIT_LINK = re.compile(r'<a href="([^"]+)" data-page="(\d+)">([^<]+)</a>')


def published_bank(client, tokens) -> int:
    bank_id = create_bank(client, tokens["teacher"], title="Ngân hàng Địa lí 10", subject="dia-li", grade="10")
    assert import_file(client, tokens["teacher"], bank_id, GIFT_GEOGRAPHY, mode="all_or_nothing").json["imported"] == 3
    publish(client, tokens, bank_id)
    return bank_id


def search(client, text: str) -> list[dict]:
    response = client.get("/api/v1/search", query_string={"q": text})
    assert response.status_code == 200, response.json
    return response.json["hits"]


def test_the_portal_finds_a_bank_by_its_questions_and_names_them(client, tokens):
    bank_id = published_bank(client, tokens)
    [hit] = search(client, "song chay qua thanh pho")  # no diacritics typed
    assert hit["id"] == bank_id
    assert [(p["unit"], p["page"], p["url"]) for p in hit["pages"]] == [("question", 2, f"/banks/{bank_id}#cau-2")]
    assert "<mark>sông</mark> <mark>chảy</mark> <mark>qua</mark>" in hit["pages"][0]["snippet"]

    html = client.get("/search", query_string={"q": "thanh pho"}).get_data(as_text=True)
    assert sorted(HIT_LINK.findall(html)) == [(f"/banks/{bank_id}#cau-{n}", str(n), f"Câu {n}") for n in (1, 2, 3)]
    assert "Trang 2" not in html
    page = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    assert 'id="cau-2">Câu 2</strong>' in page  # the place the hit links to


def test_answer_keys_are_not_found(client, tokens):
    bank_id = published_bank(client, tokens)
    assert [h["id"] for h in search(client, "thu do phap")] == [bank_id]  # the bank is indexed
    for key in ("Eiffel", "bach dang", "song cam", '"dung thap"'):
        assert search(client, key) == [], key  # option feedback, a short answer, a lời giải
    [hit] = search(client, "hai phong")
    assert [p["page"] for p in hit["pages"]] == [2]  # the stem of question 2, not the key of question 3
    assert "Eiffel" not in client.get("/search", query_string={"q": "thu do"}).get_data(as_text=True)


def test_an_approved_question_of_a_published_bank_reaches_the_index(client, tokens):
    bank_id = published_bank(client, tokens)
    assert import_file(client, tokens["teacher"], bank_id, GIFT_LATER, mode="all_or_nothing").json["imported"] == 1
    assert search(client, "truong sa") == []  # waiting for review: nobody sees it yet
    pending = client.get(f"/api/v1/banks/{bank_id}/questions", headers=bearer(tokens["teacher"])).json["questions"]
    approved = client.post(f"/api/v1/banks/{bank_id}/questions/{pending[-1]['id']}/review",
                           headers=bearer(tokens["reviewer"]), json={"decision": "approve"})
    assert approved.status_code == 200, approved.json
    [hit] = search(client, "quan dao truong sa")
    assert hit["id"] == bank_id and [(p["unit"], p["page"]) for p in hit["pages"]] == [("question", 4)]


def test_an_approved_edit_replaces_the_indexed_text(client, tokens):
    bank_id = published_bank(client, tokens)
    first = client.get(f"/api/v1/banks/{bank_id}/questions", headers=bearer(tokens["teacher"])).json["questions"][0]
    edited = client.put(f"/api/v1/banks/{bank_id}/questions/{first['id']}", headers=bearer(tokens["teacher"]),
                        json={"stem": "Thủ đô của nước Ý là thành phố nào?"})
    assert edited.status_code == 200, edited.json
    assert search(client, "nuoc y") == []
    login(client, "reviewer")

    token = csrf_from(client, f"/banks/{bank_id}")
    client.post(f"/banks/{bank_id}/questions/{first['id']}/review", data={"csrf_token": token, "decision": "approve"})
    assert [(h["id"], [p["page"] for p in h["pages"]]) for h in search(client, "nuoc y")] == [(bank_id, [1])]
    assert search(client, "nuoc phap") == []


def test_the_bank_page_filters_its_questions_by_text(client, tokens):
    bank_id = published_bank(client, tokens)
    page = client.get(f"/banks/{bank_id}", query_string={"q": "THANH PHO NUOC"}).get_data(as_text=True)
    assert 'id="cau-1"' in page and 'id="cau-3"' in page and 'id="cau-2"' not in page
    assert "2 câu hỏi có “THANH PHO NUOC”" in page and 'value="THANH PHO NUOC"' in page
    assert 'id="cau-1"' in client.get(f"/banks/{bank_id}").get_data(as_text=True)
    page = client.get(f"/banks/{bank_id}", query_string={"q": "eiffel"}).get_data(as_text=True)
    assert "0 câu hỏi có “eiffel”" in page and 'class="question"' not in page


def test_the_question_api_filters_by_text_and_never_by_key(client, tokens):
    bank_id = published_bank(client, tokens)

    def positions(token: str, text: str) -> list[int]:
        response = client.get(f"/api/v1/banks/{bank_id}/questions", query_string={"q": text},
                              headers=bearer(token))
        assert response.status_code == 200, response.json
        return [q["position"] for q in response.json["questions"]]

    assert positions(tokens["student"], "thành phố") == [1, 2, 3]
    assert positions(tokens["student"], "thanh pho cang") == [3]
    assert positions(tokens["student"], "hải phòng") == [2]  # not 3, whose short answer it is
    assert positions(tokens["student"], '"pho hai"') == [2]
    assert positions(tokens["student"], '"hai pho"') == []  # a quoted phrase stays a phrase
    assert positions(tokens["student"], "luan don") == [1]  # an option's text is public
    assert positions(tokens["student"], "bach dang") == []  # its key is not
    assert positions(tokens["teacher"], "bach dang") == []  # not even for staff: one rule for every reader
    assert positions(tokens["student"], "") == [1, 2, 3]
    import_file(client, tokens["teacher"], bank_id, GIFT_LATER, mode="all_or_nothing")
    assert positions(tokens["student"], "truong sa") == []  # pending: hidden as before
    assert positions(tokens["teacher"], "truong sa") == [4]


def test_openapi_documents_the_text_filter_and_page_units(client):
    spec = client.get("/api/v1/openapi.json").json
    parameters = spec["paths"]["/api/v1/banks/{bank_id}/questions"]["get"]["parameters"]
    assert "q" in [p["name"] for p in parameters]
    page_hit = spec["components"]["schemas"]["SearchResult"]["properties"]["hits"]["items"]["properties"]["pages"]
    assert page_hit["items"]["properties"]["unit"]["enum"] == ["page", "slide", "question"]
