"""A PNG whose text or colour-profile chunk inflates past the metadata budget (a zip bomb in the
metadata, before or after the pixels) is refused as NOT_AN_IMAGE, never a 500."""

from __future__ import annotations

import struct
import zlib

import pytest

from tests.helpers import gql, register
from tests.media_helpers import CONFIRM, REQUEST_UPLOAD, png_bytes, send_bytes


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def with_chunk(png: bytes, kind: bytes, data: bytes, before_pixels: bool) -> bytes:
    """The PNG with one more chunk, right after IHDR or right before IEND."""
    ihdr_end = 8 + 4 + 4 + 13 + 4
    iend = png.rindex(b"IEND") - 4
    at = ihdr_end if before_pixels else iend
    return png[:at] + _chunk(kind, data) + png[at:]


BOMB = zlib.compress(b"a" * 20_000_000, 9)  # 20 MB of text in ~20 KB


@pytest.mark.parametrize(
    ("kind", "data"),
    [(b"zTXt", b"Comment\0\0" + BOMB), (b"iCCP", b"profile\0\0" + BOMB)],
)
@pytest.mark.parametrize("before_pixels", [True, False])
async def test_a_png_with_a_metadata_bomb_is_not_an_image(client, kind, data, before_pixels):
    token, _, _ = await register(client)
    raw = with_chunk(png_bytes(), kind, data, before_pixels)
    body = await gql(client, REQUEST_UPLOAD, {"t": "image/png", "n": len(raw)}, token)
    upload = body["data"]["requestPhotoUpload"]["upload"]
    assert await send_bytes(client, upload, raw, "image/png") in (200, 201, 204)
    confirmed = await gql(client, CONFIRM, {"id": upload["photoId"]}, token, expect_errors=True)
    assert "errors" not in confirmed, confirmed
    assert [e["code"] for e in confirmed["data"]["confirmPhotoUpload"]["errors"]] == ["NOT_AN_IMAGE"]
