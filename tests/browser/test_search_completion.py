"""The search box's completion and the home page's "most used" list in a real headless Chromium against a
real ``hoclieu run`` (web server and worker), with usage flushed every second."""

from __future__ import annotations

import pytest

from tests.browser.portal import TEACHER_AND_REVIEWER, running_portal
from tests.browser.test_five_steps import CHROMIUM, browser  # noqa: F401 (a shared fixture)
from tests.browser.test_search_page_hit import _publish, _wait

pytestmark = [pytest.mark.browser, pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")]


@pytest.fixture(scope="module")
def portal(tmp_path_factory):
    with running_portal(tmp_path_factory.mktemp("portal"), TEACHER_AND_REVIEWER,
                        extra_env={"HOCLIEU_SEARCH_USAGE_FLUSH_SECONDS": "1"}) as running:
        yield running


def test_typing_offers_titles_and_views_make_the_most_used_list(portal, browser) -> None:  # noqa: F811
    base, tokens = portal
    context = browser.new_context(locale="vi-VN", viewport={"width": 390, "height": 844})
    first = _publish(context.request, base, tokens, "Vật lí 10 — sách thử nghiệm", "vat-li", "10")
    second = _publish(context.request, base, tokens, "Công nghệ 10 — sách thử nghiệm", "cong-nghe", "10")
    _wait(lambda: context.request.get(f"{base}/api/v1/search?q=sach+thu+nghiem").json()["total"] == 2,
          "the worker to index the books")

    page = context.new_page()
    page.goto(f"{base}/")
    page.locator("#q").press_sequentially("vat l", delay=80)  # the big box (the header has its own)
    page.locator("#q-suggestions option").first.wait_for(state="attached")
    offered = page.eval_on_selector_all("#q-suggestions option", "options => options.map(o => o.value)")
    assert "Vật lí" in offered and "Vật lí 10 — sách thử nghiệm" in offered

    for _ in range(2):
        page.goto(f"{base}/materials/{second}")
    page.goto(f"{base}/materials/{first}")

    def most_used() -> list[str]:
        page.goto(f"{base}/")
        return page.eval_on_selector_all("#most-used a", "links => links.map(a => a.getAttribute('href'))")
    _wait(lambda: most_used() == [f"/materials/{second}", f"/materials/{first}"], "the usage flush")
