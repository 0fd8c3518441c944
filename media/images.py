"""Image checks and cleaning: decode for real, drop every metadata block, make a thumbnail.

Uploaded bytes are never served: the image is decoded (which proves it is an image of an allowed
type), re-encoded from pixels only (so EXIF, GPS, XMP and ICC comments cannot survive), rotated
per its EXIF orientation first so nothing looks sideways once the tag is gone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

# Declared content type -> Pillow format name.
ALLOWED_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_PIXELS = 40_000_000  # refuses decompression bombs long before memory runs out
MAX_EDGE = 2560
THUMBNAIL_EDGE = 400


class ImageRejected(Exception):
    """Not an image, or not of an allowed type (the message says which)."""


@dataclass(frozen=True)
class CleanImage:
    format: str
    content_type: str
    data: bytes
    width: int
    height: int
    thumbnail: bytes


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=85)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def clean_image(raw: bytes) -> CleanImage:
    """Decode, check the real format, strip metadata, downscale, thumbnail. CPU-bound: run in a thread."""
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            fmt = probe.format or ""
            if fmt not in EXTENSIONS:
                raise ImageRejected(f"{fmt or 'Unknown'} images are not accepted")
            if probe.width * probe.height > MAX_PIXELS:
                raise ImageRejected("Image has too many pixels")
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as error:
        raise ImageRejected("Not a readable image") from error
    # A fresh image from pixels alone carries no info/exif/xmp/icc.
    mode = "RGBA" if image.mode in ("RGBA", "LA", "P") and fmt != "JPEG" else "RGB"
    pixels = Image.new(mode, image.size)
    pixels.paste(image.convert(mode))
    pixels.thumbnail((MAX_EDGE, MAX_EDGE))
    thumb = pixels.copy()
    thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    content_type = next(t for t, f in ALLOWED_TYPES.items() if f == fmt)
    return CleanImage(
        format=fmt,
        content_type=content_type,
        data=_encode(pixels, fmt),
        width=pixels.width,
        height=pixels.height,
        thumbnail=_encode(thumb, "JPEG"),
    )
