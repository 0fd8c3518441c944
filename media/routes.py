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
    # Keys with a body streaming in, in this process: a URL is single use, so a second PUT to it
    # meanwhile is answered 409 at once instead of buffering its body too (sixty parallel PUTs
    # to one URL held 10 MB each: a worker from 113 MB to 732 MB). Per process: at most one
    # body per URL and worker.
    receiving: set[str] = set()

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
        if key in receiving:  # checked once the URL is known good: nobody else can hold it
            return PlainTextResponse("already uploading: upload URLs are single use", status_code=409)
        receiving.add(key)
        try:
            return await _store(request, key, int(max_bytes))
        finally:
            receiving.discard(key)

    async def _store(request: Request, key: str, limit: int) -> Response:
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
