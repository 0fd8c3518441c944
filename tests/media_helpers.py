"""Upload photos like the mobile app does: presigned request, send the bytes, confirm."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from tests.helpers import gql

REQUEST_UPLOAD = """
mutation($t: String!, $n: Int!) {
  requestPhotoUpload(contentType: $t, byteSize: $n) {
    upload { photoId url method headers fields expiresAt } errors { field code message }
  }
}
"""
CONFIRM = """
mutation($id: ID!) { confirmPhotoUpload(photoId: $id) {
  photo { id ready width height contentType url thumbnailUrl } errors { field code message } } }
"""
GPS_MARKER = b"TablematesSecretGPS"


def jpeg_with_gps(width: int = 640, height: int = 480) -> bytes:
    """A JPEG whose EXIF holds a GPS block, an orientation and a recognisable marker."""
    exif = Image.Exif()
    exif[0x010E] = GPS_MARKER.decode()  # ImageDescription
    exif[0x0112] = 6  # rotated: the cleaned image must come out upright (height x width)
    exif[0x8825] = {1: "N", 2: (29.0, 33.0, 0.0), 3: "E", 4: (106.0, 33.0, 0.0)}
    out = io.BytesIO()
    Image.new("RGB", (width, height), (180, 40, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (50, 40), (0, 0, 255, 128)).save(out, "PNG")
    return out.getvalue()


async def send_bytes(client: httpx.AsyncClient, upload: dict, data: bytes, content_type: str) -> int:
    """PUT to our own signed URL (local storage) or POST the S3 form; returns the status code."""
    if upload["method"] == "PUT":
        response = await client.put(upload["url"], content=data, headers=upload["headers"])
        return response.status_code
    async with httpx.AsyncClient() as s3:
        response = await s3.post(
            upload["url"], data=upload["fields"], files={"file": ("photo", data, content_type)}
        )
        return response.status_code


async def fetch(client: httpx.AsyncClient, url: str) -> httpx.Response:
    if url.startswith("http://testserver"):
        return await client.get(url)
    async with httpx.AsyncClient() as outside:
        return await outside.get(url)


async def upload_photo(
    client: httpx.AsyncClient, token: str, data: bytes | None = None, content_type: str = "image/jpeg"
) -> dict:
    """The whole flow; returns the confirmed Photo."""
    data = data if data is not None else jpeg_with_gps()
    body = await gql(client, REQUEST_UPLOAD, {"t": content_type, "n": len(data)}, token)
    upload = body["data"]["requestPhotoUpload"]["upload"]
    assert await send_bytes(client, upload, data, content_type) in (200, 201, 204)
    confirmed = (await gql(client, CONFIRM, {"id": upload["photoId"]}, token))["data"]["confirmPhotoUpload"]
    assert confirmed["errors"] == [], confirmed["errors"]
    return confirmed["photo"]
