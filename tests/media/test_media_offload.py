"""Production delivery of lecture media: with S3 storage segments and the fallback go out as presigned
redirects, with media_offload = "x-accel" nginx sends them; playlists always come from our origin, so
their relative segment URLs keep going through the authorising media route."""

from __future__ import annotations

import re
import urllib.request
import uuid

import pytest

from tests.conftest import bearer, make_test_app
from tests.media.mediatools import lavfi_clip, needs_ffmpeg
from tests.media.test_media_lectures import MEDIA, publish, upload
from tests.storage.conftest import s3_endpoint  # noqa: F401 - the moto S3 server fixture

pytestmark = needs_ffmpeg


@pytest.fixture(params=["s3", "x-accel"])
def app(request, tmp_path, database_url):
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        storage = {"backend": "s3", "endpoint": endpoint, "bucket": f"media-{uuid.uuid4().hex[:12]}",
                   "access_key": "testing", "secret_key": "testing", "secure": False}
        app = make_test_app(tmp_path, database_url, media=MEDIA, storage=storage)
    else:
        app = make_test_app(tmp_path, database_url, media=MEDIA, app={"media_offload": "x-accel"})
    app.config["MEDIA_MODE"] = request.param
    yield app
    app.extensions["search"].close()
    app.extensions["db"].dispose()


def test_segments_bypass_python_but_stay_authorised(app, client, tokens, tmp_path):
    clip = lavfi_clip(tmp_path / "lecture.mp4", size="320x180", seconds=3)
    created = upload(client, tokens["teacher"], clip.read_bytes(), "bai-giang.mp4")
    material_id = created.json["id"]
    media = client.get(f"/api/v1/materials/{material_id}", headers=bearer(tokens["teacher"])).json["media"]
    segment_url = media["hls"].replace("master.m3u8", "234p/seg_00000.ts")
    assert client.get(segment_url, headers=bearer(tokens["student"])).status_code == 404
    publish(client, tokens, material_id)

    master = client.get(media["hls"])
    assert master.status_code == 200 and master.data.startswith(b"#EXTM3U")
    assert re.search(rb"^234p/index\.m3u8$", master.data, re.M)  # relative: resolved against our route
    segment = client.get(segment_url)
    if app.config["MEDIA_MODE"] == "s3":
        assert segment.status_code == 302 and "X-Amz-Signature=" in segment.location
        with urllib.request.urlopen(segment.location, timeout=10) as presigned:
            assert presigned.read(1) == b"\x47"
    else:
        assert segment.status_code == 200 and segment.data == b""
        assert re.fullmatch(r"/_protected/derived/v\d+/media/234p/seg_00000\.ts", segment.headers["X-Accel-Redirect"])
