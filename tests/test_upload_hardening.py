"""Hostile uploads (issue 13, items 4 and 5): image bombs, decode budget, single-use upload URLs
and the orphan clean-up, on the configured storage (local disk, or S3 via moto)."""

from __future__ import annotations

import asyncio
import io
import struct
import threading
import time
import zlib
from datetime import UTC, datetime, timedelta

from PIL import Image

from media.decode import DecodePool, PoolBusy
from models.reviews import Photo
from resolvers.reviews.photos import decode_pool
from resolvers.reviews.upload_cleanup import GRACE, cleanup_uploads
from schema.ids import decode
from tests.conftest import override_settings
from tests.helpers import gql, register
from tests.media_helpers import CONFIRM, REQUEST_UPLOAD, fetch, jpeg_with_gps, send_bytes


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def noise_png(width: int, height: int) -> bytes:
    return png(Image.effect_noise((width, height), 64).convert("L"))


def png_claiming(width: int, height: int) -> bytes:
    """A valid 1x1 PNG whose IHDR (CRC fixed up) claims width x height: under 100 bytes."""
    raw = bytearray(png(Image.new("1", (1, 1))))
    assert raw[12:16] == b"IHDR"  # signature (8), chunk length (4), type (4), then 13 bytes of data
    raw[16:24] = struct.pack(">II", width, height)
    raw[29:33] = struct.pack(">I", zlib.crc32(raw[12:29]))
    return bytes(raw)


async def upload(client, token: str, data: bytes, content_type: str = "image/png") -> tuple[dict, int]:
    """Request a URL and send the bytes; returns the upload and the store's status code."""
    body = await gql(client, REQUEST_UPLOAD, {"t": content_type, "n": len(data)}, token)
    assert body["data"]["requestPhotoUpload"]["errors"] == [], body
    up = body["data"]["requestPhotoUpload"]["upload"]
    return up, await send_bytes(client, up, data, content_type)


async def confirm(client, token: str, up: dict) -> dict:
    return (await gql(client, CONFIRM, {"id": up["photoId"]}, token))["data"]["confirmPhotoUpload"]


async def upload_key(up: dict) -> str:
    return (await Photo.get(id=decode(up["photoId"], "Photo", "photoId"))).upload_key


async def test_tiny_file_claiming_a_huge_canvas_is_refused_and_leaves_nothing(client, services):
    token, _, _ = await register(client)
    bomb = png(Image.new("1", (6320, 6320)))  # the bomb: ~5 KB, 40 Mpx
    assert len(bomb) < 8000
    up, status = await upload(client, token, bomb)
    assert status in (200, 201, 204)
    key = await upload_key(up)
    refused = await confirm(client, token, up)
    assert refused["errors"][0]["code"] == "IMAGE_TOO_LARGE" and refused["photo"] is None
    assert "megapixel" in refused["errors"][0]["message"]
    assert await services.storage.read(key) is None
    again = await confirm(client, token, up)  # the refusal is final: the URL is spent
    assert again["errors"][0]["code"] == "NOT_FOUND"


async def test_a_decompression_bomb_is_too_large_not_unreadable(client, services):
    """30000x30000 trips Pillow's own bomb check (DecompressionBombError) as the header is read."""
    token, _, _ = await register(client)
    bomb = png_claiming(30000, 30000)
    with Image.open(io.BytesIO(png_claiming(3, 2))) as fine:  # the patched header reads back
        assert fine.size == (3, 2)
    up, status = await upload(client, token, bomb)
    assert status in (200, 201, 204)
    key = await upload_key(up)
    refused = await confirm(client, token, up)
    assert refused["photo"] is None
    assert [e["code"] for e in refused["errors"]] == ["IMAGE_TOO_LARGE"], refused["errors"]
    assert "megapixel" in refused["errors"][0]["message"]
    assert await services.storage.read(key) is None
    assert not await Photo.filter(upload_key=key).exists()


async def test_canvas_beyond_phone_photo_limits_is_refused(client, services):
    token, _, _ = await register(client)
    up, _ = await upload(client, token, noise_png(8200, 60))  # longest side over 8192
    assert (await confirm(client, token, up))["errors"][0]["code"] == "IMAGE_TOO_LARGE"
    with override_settings(services, max_image_megapixels=1):
        up, _ = await upload(client, token, jpeg_with_gps(1200, 900), "image/jpeg")
        refused = await confirm(client, token, up)
    assert refused["errors"][0]["code"] == "IMAGE_TOO_LARGE" and "1200x900" in refused["errors"][0]["message"]


async def test_a_decode_over_the_whole_budget_is_refused(client, services):
    token, _, _ = await register(client)
    with override_settings(services, image_decode_budget_mb=8):
        up, _ = await upload(client, token, jpeg_with_gps(), "image/jpeg")
        refused = await confirm(client, token, up)
    assert refused["errors"][0]["code"] == "IMAGE_TOO_LARGE"


async def test_a_full_budget_answers_unavailable_and_the_upload_survives(client, services):
    token, _, _ = await register(client)
    up, _ = await upload(client, token, jpeg_with_gps(), "image/jpeg")
    release = threading.Event()
    with override_settings(services, image_decode_wait_seconds=1):
        pool = decode_pool(services.settings)
        holder = asyncio.ensure_future(pool.run(pool.budget, release.wait, 10))
        await asyncio.sleep(0.05)
        busy = await confirm(client, token, up)
        release.set()
        await holder
    assert busy["errors"][0]["code"] == "UNAVAILABLE"
    confirmed = await confirm(client, token, up)  # the upload was kept: confirming again works
    assert confirmed["errors"] == [] and confirmed["photo"]["ready"]


async def test_decode_pool_never_exceeds_its_budget():
    pool = DecodePool(workers=4, budget=100, wait_seconds=5)
    running, peak = [0], [0]
    lock = threading.Lock()

    def work() -> None:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1

    await asyncio.gather(*(pool.run(40, work) for _ in range(6)))
    await asyncio.sleep(0.05)  # the last give-back is scheduled from the worker thread
    assert peak[0] == 2 and pool.in_use == 0  # 2 x 40 fit in 100; a third would not
    slow = DecodePool(workers=1, budget=10, wait_seconds=0.1)
    hold = asyncio.ensure_future(slow.run(10, time.sleep, 0.5))
    await asyncio.sleep(0.02)
    try:
        await slow.run(5, time.sleep, 0)
        raise AssertionError("expected PoolBusy")
    except PoolBusy:
        pass
    await hold


async def test_upload_url_is_single_use_and_dead_after_confirmation(client, services):
    token, _, _ = await register(client)
    first = jpeg_with_gps()
    up, status = await upload(client, token, first, "image/jpeg")
    assert status in (200, 201, 204)
    key = await upload_key(up)
    other = jpeg_with_gps(320, 240)
    second = await send_bytes(client, up, other, "image/jpeg")
    if up["method"] == "PUT":
        assert second == 409  # our own route: the object is created once, never replaced
    photo = (await confirm(client, token, up))["photo"]
    served = (await fetch(client, photo["url"])).content
    late = await send_bytes(client, up, other, "image/jpeg")
    if up["method"] == "PUT":
        assert late == 403
        assert await services.storage.read(key) is None
    else:  # S3 cannot revoke a presigned POST: the write lands on the upload key only ...
        assert late in (200, 201, 204)
        assert await services.storage.read(key) is not None
        # ... never on the confirmed photo, and the clean-up removes it.
        report = await cleanup_uploads(services, now=datetime.now(UTC) + GRACE + timedelta(seconds=5))
        assert report.deleted_objects >= 1 and await services.storage.read(key) is None
    assert (await fetch(client, photo["url"])).content == served
    assert (await confirm(client, token, up))["photo"]["width"] == photo["width"]


async def test_expired_upload_url_is_refused(client, services):
    token, _, _ = await register(client)
    data = jpeg_with_gps()
    with override_settings(services, upload_url_ttl_seconds=1):
        body = await gql(client, REQUEST_UPLOAD, {"t": "image/jpeg", "n": len(data)}, token)
        up = body["data"]["requestPhotoUpload"]["upload"]
        await asyncio.sleep(2.1)  # past the URL's expiry and the confirmation window (2 x TTL)
        status = await send_bytes(client, up, data, "image/jpeg")
        if up["method"] == "PUT":
            assert status == 403
        refused = await confirm(client, token, up)
    assert refused["errors"][0]["code"] == "UPLOAD_MISSING" and "expired" in refused["errors"][0]["message"]
    assert (await confirm(client, token, up))["errors"][0]["code"] == "NOT_FOUND"


async def test_cleanup_removes_orphans_and_keeps_live_uploads(client, services):
    token, _, _ = await register(client)
    storage = services.storage
    abandoned, _ = await upload(client, token, jpeg_with_gps(), "image/jpeg")
    abandoned_key = await upload_key(abandoned)
    kept, _ = await upload(client, token, jpeg_with_gps(), "image/jpeg")
    kept_key = await upload_key(kept)
    done, _ = await upload(client, token, jpeg_with_gps(), "image/jpeg")
    photo = (await confirm(client, token, done))["photo"]
    stray = f"uploads/{abandoned_key.split('/')[1]}/stray-never-requested"
    await storage.write(stray, b"x", "image/jpeg")
    # Backdate the abandoned upload past its window; `now` a little later makes every object old.
    window = timedelta(seconds=2 * services.settings.upload_url_ttl_seconds)
    await Photo.filter(upload_key=abandoned_key).update(created_at=datetime.now(UTC) - window * 2)
    later = datetime.now(UTC) + GRACE + timedelta(seconds=5)
    report = await cleanup_uploads(services, now=later)
    assert report.expired_photos >= 1 and report.deleted_objects >= 1
    assert await storage.read(abandoned_key) is None and await storage.read(stray) is None
    assert not await Photo.filter(upload_key=abandoned_key).exists()
    assert await storage.read(kept_key) is not None  # still inside its window
    assert (await confirm(client, token, kept))["photo"]["ready"]
    assert (await fetch(client, photo["url"])).status_code == 200
    assert (await confirm(client, token, abandoned))["errors"][0]["code"] == "NOT_FOUND"


async def test_cleanup_runs_from_the_periodic_jobs(client, services):
    from resolvers import jobs as scheduled

    token, _, _ = await register(client)
    with override_settings(services, upload_url_ttl_seconds=0, upload_cleanup_interval_seconds=1):
        body = await gql(client, REQUEST_UPLOAD, {"t": "image/jpeg", "n": 100}, token)
        photo_id = decode(body["data"]["requestPhotoUpload"]["upload"]["photoId"], "Photo", "photoId")
        jobs = scheduled.start(services)
        try:
            for _ in range(40):
                await asyncio.sleep(0.1)
                if not await Photo.filter(id=photo_id).exists():
                    break
        finally:
            for job in jobs:
                job.cancel()
    assert not await Photo.filter(id=photo_id).exists()
