"""An upload URL is single use: while one body streams in, a second PUT to the same URL is
answered 409 at once, not buffered too (local storage's PUT route; S3 takes presigned POSTs)."""

from __future__ import annotations

import asyncio

import pytest

from tests.conftest import BACKEND
from tests.helpers import gql, register
from tests.media_helpers import CONFIRM, REQUEST_UPLOAD, png_bytes


@pytest.mark.skipif(BACKEND == "services", reason="the local PUT route: S3 uploads are presigned POSTs")
async def test_a_second_put_while_the_first_streams_is_refused_at_once(client):
    token, _, _ = await register(client)
    raw = png_bytes()
    body = await gql(client, REQUEST_UPLOAD, {"t": "image/png", "n": len(raw)}, token)
    upload = body["data"]["requestPhotoUpload"]["upload"]
    assert upload["method"] == "PUT"
    release = asyncio.Event()

    async def slowly():
        yield raw[:10]
        await release.wait()
        yield raw[10:]

    first = asyncio.create_task(client.put(upload["url"], content=slowly(), headers=upload["headers"]))
    await asyncio.sleep(0.3)  # the first body is streaming in
    second = await client.put(upload["url"], content=raw, headers=upload["headers"])
    assert second.status_code == 409 and "already uploading" in second.text
    release.set()
    assert (await first).status_code == 204
    confirmed = (await gql(client, CONFIRM, {"id": upload["photoId"]}, token))["data"]["confirmPhotoUpload"]
    assert confirmed["errors"] == [] and confirmed["photo"]["ready"]
