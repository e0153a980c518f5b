"""Handing stored files to the browser once authorization has been checked.

S3 storage: a redirect to a short-lived presigned URL. Local storage in production: X-Accel-Redirect
(nginx) or X-Sendfile, so no media byte passes through Python. Embedded profile: Flask sends the file
itself, with Range and conditional requests.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from flask import Response, current_app, redirect, request, send_file

from repository.models import MaterialFile

#: Types the browser may show inline from our origin; anything else is a download (THREATS.md item 14).
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/webp", "video/mp4",
                          "audio/mpeg", "audio/mp4", "text/vtt", "video/mp2t", "application/vnd.apple.mpegurl"})
PLAYLIST_TYPE = "application/vnd.apple.mpegurl"
#: Small text files a player reads from our own origin (relative URLs, <track> needs same origin).
SAME_ORIGIN_TYPES = frozenset({PLAYLIST_TYPE, "text/vtt"})


def content_disposition(filename: str, inline: bool) -> str:
    ascii_name = filename.encode("ascii", "ignore").decode().replace('"', "") or "tep"
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"


def serve_media(stored: MaterialFile) -> Response:
    """A lecture's file. Playlists and captions (a few kB) always come from our origin, even with S3
    storage: relative segment URLs must resolve against our media route, which authorises each segment,
    and <track> refuses cross-origin captions."""
    if stored.content_type not in SAME_ORIGIN_TYPES:
        return serve_file(stored, inline=True)
    with current_app.extensions["storage"].open(stored.storage_key) as fh:
        body = fh.read()
    response = Response(body, status=200, mimetype=stored.content_type)
    response.set_etag(stored.sha256)
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)


def serve_file(stored: MaterialFile, *, inline: bool) -> Response:
    inline = inline and stored.content_type in INLINE_TYPES
    storage = current_app.extensions["storage"]
    settings = current_app.extensions["settings"]
    minutes = int(settings.get("storage", "presign_minutes", 10))
    url = storage.presigned_url(stored.storage_key, expires=timedelta(minutes=minutes),
                                filename=stored.filename, content_type=stored.content_type, inline=inline)
    if url:
        response = redirect(url, code=302)
        response.headers["Cache-Control"] = "private, no-store"
        return response
    path = storage.local_path(stored.storage_key)
    offload = settings.get("app", "media_offload")
    if offload != "none":
        response = Response(status=200, mimetype=stored.content_type)
        if offload == "x-accel":
            response.headers["X-Accel-Redirect"] = f"/_protected/{stored.storage_key}"
        else:
            response.headers["X-Sendfile"] = str(path)
    else:
        response = send_file(path, mimetype=stored.content_type, conditional=True, etag=stored.sha256,
                             max_age=3600)
    response.headers["Content-Disposition"] = content_disposition(stored.filename, inline)
    response.headers["Cache-Control"] = "private, max-age=3600"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
