"""HTTP routes for local storage: signed uploads (PUT) and signed downloads (GET).

An upload URL is single use: it is refused once expired, once its photo is confirmed or
refused (`is_open` asks the database), and once an upload to it has completed (the object is
created, never replaced). The status is checked again after writing, so a write that raced a
confirmation deletes itself instead of leaving an orphan.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from media.local import LocalStorage
from media.signing import verify


def local_media_routes(storage: LocalStorage, is_open: Callable[[str], Awaitable[bool]]) -> list[Route]:
    async def upload(request: Request) -> Response:
        key = request.path_params["key"]
        q = request.query_params
        content_type, max_bytes, expires, signature = (
            q.get("ct", ""),
            q.get("max", ""),
            q.get("exp", ""),
            q.get("sig", ""),
        )
        if not verify(storage.secret, signature, "PUT", key, content_type, max_bytes, expires):
            return PlainTextResponse("bad signature", status_code=403)
        if not expires.isdigit() or int(expires) < time.time():
            return PlainTextResponse("upload URL expired", status_code=403)
        if request.headers.get("content-type", "").split(";")[0].strip() != content_type:
            return PlainTextResponse("content type does not match", status_code=400)
        if not await is_open(key):
            return PlainTextResponse("upload URL already used or withdrawn", status_code=403)
        limit = int(max_bytes)
        body = bytearray()
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > limit:
                return PlainTextResponse("too large", status_code=413)
        if not body:
            return PlainTextResponse("empty body", status_code=400)
        if not await storage.write_once(key, bytes(body)):
            return PlainTextResponse("already uploaded: upload URLs are single use", status_code=409)
        if not await is_open(key):  # confirmed or withdrawn while the body streamed in
            await storage.delete(key)
            return PlainTextResponse("upload URL already used or withdrawn", status_code=403)
        return Response(status_code=204)

    async def download(request: Request) -> Response:
        key = request.path_params["key"]
        if not storage.public:
            expires, signature = request.query_params.get("exp", ""), request.query_params.get("sig", "")
            if not verify(storage.secret, signature, "GET", key, expires):
                return PlainTextResponse("bad signature", status_code=403)
            if not expires.isdigit() or int(expires) < time.time():
                return PlainTextResponse("link expired", status_code=403)
        try:
            data = await storage.read(key)
        except ValueError:
            data = None
        if data is None:
            return PlainTextResponse("not found", status_code=404)
        media_type = "image/webp" if key.endswith(".webp") else "image/jpeg"
        if key.endswith(".png"):
            media_type = "image/png"
        return Response(data, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})

    return [
        Route("/media/upload/{key:path}", upload, methods=["PUT"]),
        Route("/media/files/{key:path}", download, methods=["GET"]),
    ]
