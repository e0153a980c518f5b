"""Usage counting behind "most used": events are counted in memory on the request path, written in one
additive batch, pushed to the index, and they order sort=popular and the home page's list."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from flask import Response
from sqlalchemy import select, text

from repository.models import MaterialFile, MaterialVersion
from search.usage import UsageRecorder, usage_of
from search.usage_models import MaterialUsage
from tests.conftest import make_test_app
from tests.search.test_page_hits_api import publish_textbook


@pytest.fixture
def app(tmp_path, database_url) -> Iterator:
    """The app with the flusher's timer off: these tests flush when they choose."""
    app = make_test_app(tmp_path, database_url, search={"usage_flush_seconds": 0})
    yield app
    app.extensions["usage"].close()
    app.extensions["search"].close()
    app.extensions["db"].dispose()


def usage_rows(app) -> dict[int, tuple[int, int, int, int]]:
    with app.extensions["db"].session() as session:
        rows = session.execute(select(MaterialUsage.material_id, MaterialUsage.views, MaterialUsage.plays,
                                      MaterialUsage.downloads, MaterialUsage.popularity)).all()
    return {row[0]: tuple(row[1:]) for row in rows}


def original_file_id(app, material_id: int) -> int:
    with app.extensions["db"].session() as session:
        return session.scalar(select(MaterialFile.id)
                              .join(MaterialVersion, MaterialVersion.id == MaterialFile.version_id)
                              .where(MaterialFile.role == "original", MaterialVersion.material_id == material_id))


@pytest.fixture
def two_published(client, tokens) -> tuple[int, int]:
    """Two textbooks; the second is the newer, so it comes first when sorted by date."""
    return publish_textbook(client, tokens), publish_textbook(client, tokens)


def test_views_wait_in_memory_until_the_flush_writes_them_in_one_batch(app, client, two_published) -> None:
    older, newer = two_published
    recorder: UsageRecorder = app.extensions["usage"]
    recorder.flush()  # whatever publishing counted
    for _ in range(3):
        assert client.get(f"/materials/{older}").status_code == 200
    client.get(f"/materials/{newer}")
    client.head(f"/materials/{newer}")        # not a GET
    client.get("/materials/999999")            # 404: not a use
    assert recorder.pending() == 4
    assert usage_rows(app) == {}               # nothing written on the request path
    assert recorder.flush() == 4
    assert usage_rows(app) == {older: (3, 0, 0, 3), newer: (1, 0, 0, 1)}
    assert recorder.pending() == 0 and recorder.flush() == 0


def test_downloads_weigh_more_and_ranges_after_the_first_byte_do_not_count(app, client, two_published) -> None:
    older, _ = two_published
    app.extensions["usage"].flush()
    url = f"/materials/{older}/files/{original_file_id(app, older)}/download"
    assert client.get(url).status_code == 200
    assert client.get(url, headers={"Range": "bytes=0-99"}).status_code == 206
    assert client.get(url, headers={"Range": "bytes=100-199"}).status_code == 206
    assert client.get(url.replace("/download", "/view")).status_code == 200   # inline view: not a download
    app.extensions["usage"].flush()
    assert usage_rows(app) == {older: (0, 0, 2, 10)}


def test_popular_sort_and_home_page_follow_usage(app, client, two_published) -> None:
    older, newer = two_published
    assert [h["id"] for h in client.get("/api/v1/search?q=quan+tinh&sort=popular").json["hits"]] == [newer, older]
    for _ in range(2):
        client.get(f"/materials/{older}")
    client.get(f"/materials/{newer}")
    app.extensions["usage"].flush()
    for query in ("q=quan+tinh&sort=popular", "sort=popular"):
        assert [h["id"] for h in client.get(f"/api/v1/search?{query}").json["hits"]] == [older, newer], query
    assert [h["id"] for h in client.get("/api/v1/search?q=quan+tinh&sort=newest").json["hits"]] == [newer, older]
    home = client.get("/").get_data(as_text=True)
    listed = home[home.index('id="most-used"'):]
    assert listed.index(f"/materials/{older}\"") < listed.index(f"/materials/{newer}\"")
    assert "Dùng nhiều nhất" in client.get("/search?q=quan+tinh").get_data(as_text=True)


def test_counts_from_several_processes_add_up(app, client, two_published) -> None:
    older, _ = two_published
    app.extensions["usage"].flush()
    first, second = UsageRecorder(app, 0, 1000), UsageRecorder(app, 0, 1000)
    first.record(older, "views")
    second.record(older, "views")
    second.record(older, "plays")
    first.flush()
    second.flush()
    assert usage_rows(app)[older] == (2, 1, 0, 5)


def test_a_failed_flush_keeps_the_counts_for_the_next(app, client, two_published) -> None:
    older, _ = two_published
    recorder = UsageRecorder(app, 0, 1000)
    recorder.record(older, "views")
    with app.extensions["db"].engine.begin() as conn:
        conn.execute(text("ALTER TABLE material_usage RENAME TO material_usage_away"))
    assert recorder.flush() == 0 and recorder.pending() == 1
    with app.extensions["db"].engine.begin() as conn:
        conn.execute(text("ALTER TABLE material_usage_away RENAME TO material_usage"))
    assert recorder.flush() == 1
    assert usage_rows(app)[older] == (1, 0, 0, 1)


def test_counts_of_a_material_deleted_meanwhile_are_dropped(app, client, two_published) -> None:
    older, _ = two_published
    recorder = UsageRecorder(app, 0, 1000)
    recorder.record(older, "views")
    recorder.record(987654, "views")
    assert recorder.flush() == 2
    assert set(usage_rows(app)) == {older}


def test_the_flusher_thread_writes_a_full_buffer(app, client, two_published) -> None:
    older, _ = two_published
    recorder = UsageRecorder(app, flush_seconds=3600, flush_events=3)
    try:
        for _ in range(3):
            recorder.record(older, "views")
        for _ in range(200):  # the thread is woken by the third event, not by its hour-long timer
            if usage_rows(app).get(older):
                break
            time.sleep(0.05)
        assert usage_rows(app)[older] == (3, 0, 0, 3)
    finally:
        recorder.close()


@pytest.mark.parametrize(("path", "headers", "expected"), [
    ("/materials/7", {}, (7, "views")),
    ("/materials/7/media/1/master.m3u8", {}, (7, "plays")),
    ("/materials/7/media/1/720p/index.m3u8", {}, None),
    ("/materials/7/media/1/720p/seg-0001.ts", {}, None),
    ("/materials/7/media/1/lecture.mp4", {}, (7, "plays")),
    ("/materials/7/media/1/lecture.mp4", {"Range": "bytes=0-"}, (7, "plays")),
    ("/materials/7/media/1/lecture.mp4", {"Range": "bytes=5000-"}, None),
    ("/materials/7/media/1/poster.jpg", {}, None),
    ("/materials/7/files/3/download", {}, (7, "downloads")),
    ("/materials/7/files/3/view", {}, None),
    ("/search?q=toan", {}, None),
])
def test_what_counts_as_a_use(app, path: str, headers: dict[str, str], expected) -> None:
    with app.test_request_context(path, headers=headers):
        from flask import request

        assert usage_of(request, Response(status=200)) == expected
        assert usage_of(request, Response(status=404)) is None
