"""Photo uploads on the configured storage (local disk, or S3 via moto in the services run)."""

from __future__ import annotations

import base64
import io
import json

from PIL import Image

from tests.conftest import override_settings
from tests.helpers import gql, register
from tests.media_helpers import (
    CONFIRM,
    GPS_MARKER,
    REQUEST_UPLOAD,
    fetch,
    jpeg_with_gps,
    png_bytes,
    send_bytes,
    upload_photo,
)


async def test_upload_strips_metadata_and_makes_thumbnail(client):
    token, _, _ = await register(client)
    raw = jpeg_with_gps()
    assert GPS_MARKER in raw
    photo = await upload_photo(client, token, raw)
    assert photo["ready"] and photo["contentType"] == "image/jpeg"
    assert (photo["width"], photo["height"]) == (480, 640)  # EXIF orientation applied
    served = await fetch(client, photo["url"])
    assert served.status_code == 200
    assert GPS_MARKER not in served.content and b"Exif" not in served.content
    image = Image.open(io.BytesIO(served.content))
    assert not image.getexif() and image.size == (480, 640)
    thumb = Image.open(io.BytesIO((await fetch(client, photo["thumbnailUrl"])).content))
    assert max(thumb.size) <= 400


async def test_png_keeps_its_type(client):
    token, _, _ = await register(client)
    photo = await upload_photo(client, token, png_bytes(), "image/png")
    assert photo["contentType"] == "image/png" and (photo["width"], photo["height"]) == (50, 40)


async def test_type_and_size_are_checked_before_upload(client, services):
    token, _, _ = await register(client)
    body = await gql(client, REQUEST_UPLOAD, {"t": "application/pdf", "n": 100}, token)
    assert body["data"]["requestPhotoUpload"]["errors"][0]["code"] == "UNSUPPORTED_MEDIA_TYPE"
    too_big = services.settings.max_upload_bytes + 1
    body = await gql(client, REQUEST_UPLOAD, {"t": "image/jpeg", "n": too_big}, token)
    assert body["data"]["requestPhotoUpload"]["errors"][0]["code"] == "FILE_TOO_LARGE"
    for empty in (0, -1):  # not "too large": an empty file is no photo
        body = await gql(client, REQUEST_UPLOAD, {"t": "image/jpeg", "n": empty}, token)
        assert body["data"]["requestPhotoUpload"]["errors"][0]["code"] == "OUT_OF_RANGE"
    anonymous = await gql(client, REQUEST_UPLOAD, {"t": "image/jpeg", "n": 10}, expect_errors=True)
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_more_bytes_than_declared_never_become_a_photo(client):
    token, _, _ = await register(client)
    upload = (await gql(client, REQUEST_UPLOAD, {"t": "image/jpeg", "n": 100}, token))["data"][
        "requestPhotoUpload"
    ]["upload"]
    if upload["method"] == "POST":  # S3: the signed policy carries the size and type conditions
        policy = json.loads(base64.b64decode(upload["fields"]["policy"]))
        assert ["content-length-range", 1, 100] in policy["conditions"]
        assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    status = await send_bytes(client, upload, jpeg_with_gps(), "image/jpeg")
    confirmed = (await gql(client, CONFIRM, {"id": upload["photoId"]}, token))["data"]["confirmPhotoUpload"]
    if status in (400, 403, 413):  # the store refused it (local storage; real S3)
        assert confirmed["errors"][0]["code"] == "UPLOAD_MISSING"
    else:  # a store that ignores policy conditions (moto): confirmation still refuses it
        assert confirmed["errors"][0]["code"] == "FILE_TOO_LARGE"


async def test_confirm_rejects_non_images_and_others_photos(client):
    token, _, _ = await register(client)
    other, _, _ = await register(client)
    fake = b"GIF89a" + b"\x00" * 200
    upload = (await gql(client, REQUEST_UPLOAD, {"t": "image/jpeg", "n": len(fake)}, token))["data"][
        "requestPhotoUpload"
    ]["upload"]
    assert await send_bytes(client, upload, fake, "image/jpeg") in (200, 201, 204)
    stolen = (await gql(client, CONFIRM, {"id": upload["photoId"]}, other))["data"]["confirmPhotoUpload"]
    assert stolen["errors"][0]["code"] == "NOT_FOUND"
    confirmed = (await gql(client, CONFIRM, {"id": upload["photoId"]}, token))["data"]["confirmPhotoUpload"]
    assert confirmed["errors"][0]["code"] == "NOT_AN_IMAGE"
    # A PNG declared as JPEG is refused too.
    png = png_bytes()
    upload = (await gql(client, REQUEST_UPLOAD, {"t": "image/jpeg", "n": len(png)}, token))["data"][
        "requestPhotoUpload"
    ]["upload"]
    await send_bytes(client, upload, png, "image/jpeg")
    confirmed = (await gql(client, CONFIRM, {"id": upload["photoId"]}, token))["data"]["confirmPhotoUpload"]
    assert confirmed["errors"][0]["code"] == "UNSUPPORTED_MEDIA_TYPE"


async def test_uploads_are_rate_limited(client, services):
    token, _, _ = await register(client)
    with override_settings(services, rate_limit_uploads_per_hour=2):
        codes = []
        for _ in range(3):
            body = await gql(client, REQUEST_UPLOAD, {"t": "image/jpeg", "n": 10}, token)
            codes.append([e["code"] for e in body["data"]["requestPhotoUpload"]["errors"]])
    assert codes == [[], [], ["RATE_LIMITED"]]
