"""Image checks and cleaning: decode for real, drop every metadata block, make a thumbnail.

Uploaded bytes are never served: the image is decoded (which proves it is an image of an allowed
type), re-encoded from pixels only (so EXIF, GPS, XMP and ICC comments cannot survive), rotated
per its EXIF orientation first so nothing looks sideways once the tag is gone.

Decoding is the expensive, attackable part: a few-KB PNG can claim a 40-megapixel canvas that
decodes to 160 MB. So `inspect` reads only the header and refuses, before any pixel is decoded,
canvases beyond phone-photo limits and files too small for the canvas they claim; `decode_cost`
is the memory a decode will take, which the caller admits against a budget (media/decode.py).
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

# Declared content type -> Pillow format name.
ALLOWED_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
EXTENSIONS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}
MAX_EDGE = 2560  # the stored photo's longest side
THUMBNAIL_EDGE = 400
# Bytes Pillow keeps per pixel by mode (RGB is stored as 32 bits); unknown modes count as 4.
MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2}
# Resizing these premultiplies alpha first: one more full-size 32-bit copy of the canvas.
PREMULTIPLIED = ("RGBA", "LA")
# WebP costs more: the decoder keeps libwebp's RGBA frame and a bytes copy beside the canvas
# (per canvas pixel), and the encoder's working memory (per stored pixel). Measured, rounded up.
WEBP_DECODE_BYTES_PER_PIXEL = 8
WEBP_ENCODE_BYTES_PER_PIXEL = 14
ENCODER_MARGIN = 8 * 1024 * 1024

# Pillow's own bomb check (~89 Mpx, warning only below 2x) is far above ours: make it a backstop.
Image.MAX_IMAGE_PIXELS = 100_000_000
# What Pillow raises on bytes it can't read (NOT_AN_IMAGE), and its bomb check as the header is
# read (the error beyond 2x MAX_IMAGE_PIXELS; the warning, where warnings are errors): IMAGE_TOO_LARGE.
# ValueError: Pillow's answer to a PNG text or colour-profile chunk (zTXt, iCCP) that inflates
# past PngImagePlugin.MAX_TEXT_MEMORY (a zip bomb in the metadata), raised while the header reads.
UNREADABLE = (UnidentifiedImageError, OSError, SyntaxError, ValueError)
# PNG metadata inflated per image: 4 MB (Pillow's 64 MB let 70 such uploads grow a worker 67 MB);
# a phone photo's text and ICC profile are kilobytes. One chunk stays at Pillow's 1 MB.
PngImagePlugin.MAX_TEXT_MEMORY = 4 * 1024 * 1024
BOMB = (Image.DecompressionBombError, Image.DecompressionBombWarning)


class ImageRejected(Exception):
    """Refused before or during decoding; `code` is the UserError code to show."""

    def __init__(self, message: str, code: str = "NOT_AN_IMAGE") -> None:
        super().__init__(message)
        self.code = code


def _bomb(limits: ImageLimits) -> ImageRejected:
    return ImageRejected(
        f"At most {limits.max_pixels // 1_000_000} megapixels and {limits.max_edge} px on the "
        f"longest side; this image claims over {Image.MAX_IMAGE_PIXELS // 1_000_000} megapixels",
        "IMAGE_TOO_LARGE",
    )


@dataclass(frozen=True)
class ImageLimits:
    """Phone-photo limits (settings MAX_IMAGE_MEGAPIXELS, MAX_IMAGE_EDGE, IMAGE_MIN_BYTES_PER_MEGAPIXEL)."""

    max_pixels: int = 50_000_000
    max_edge: int = 8192
    min_bytes_per_megapixel: int = 1000


@dataclass(frozen=True)
class ImageHeader:
    format: str
    width: int
    height: int
    mode: str


@dataclass(frozen=True)
class CleanImage:
    format: str
    content_type: str
    data: bytes
    width: int
    height: int
    thumbnail: bytes


def inspect(raw: bytes, limits: ImageLimits) -> ImageHeader:
    """Read the header only (no pixels) and refuse what a phone photo never is."""
    try:
        with Image.open(io.BytesIO(raw)) as probe:
            header = ImageHeader(probe.format or "", probe.width, probe.height, probe.mode)
    except BOMB as error:
        raise _bomb(limits) from error
    except UNREADABLE as error:
        raise ImageRejected("Not a readable image") from error
    if header.format not in EXTENSIONS:
        raise ImageRejected(f"{header.format or 'Unknown'} images are not accepted")
    pixels = header.width * header.height
    if pixels > limits.max_pixels or max(header.width, header.height) > limits.max_edge:
        raise ImageRejected(
            f"At most {limits.max_pixels // 1_000_000} megapixels and {limits.max_edge} px on the "
            f"longest side; this image is {header.width}x{header.height}",
            "IMAGE_TOO_LARGE",
        )
    if len(raw) * 1_000_000 < pixels * limits.min_bytes_per_megapixel:
        raise ImageRejected(
            f"{len(raw)} bytes cannot hold a {header.width}x{header.height} photo "
            f"(at least {limits.min_bytes_per_megapixel} bytes per megapixel)",
            "IMAGE_TOO_LARGE",
        )
    return header


def _target(header: ImageHeader) -> tuple[int, int]:
    """The stored photo's size: the canvas shrunk to MAX_EDGE on its longest side."""
    ratio = min(1.0, MAX_EDGE / max(header.width, header.height))
    return max(1, round(header.width * ratio)), max(1, round(header.height * ratio))


def _draft_scale(header: ImageHeader) -> int:
    """JPEG decodes at 1/2, 1/4 or 1/8 scale when the result still covers the target (Pillow's
    draft() rule: the largest such scale in both dimensions)."""
    if header.format != "JPEG":
        return 1
    width, height = _target(header)
    fits = min(header.width // width, header.height // height)
    return next(scale for scale in (8, 4, 2, 1) if scale <= max(fits, 1))


def decode_cost(header: ImageHeader) -> int:
    """Bytes clean_image holds at its peak (measured against VmHWM: bench/README.md).

    While shrinking: the decoded canvas (JPEG at its draft scale), a premultiplied copy for
    alpha modes, WebP's decoder and encoder buffers, the resize's horizontal pass (target
    width x canvas height) and the result.
    Afterwards: at most four target-size copies (rotated, converted, pasted, encoded).
    """
    scale = _draft_scale(header)
    canvas_w, canvas_h = -(-header.width // scale), -(-header.height // scale)
    target_w, target_h = _target(header)
    canvas = canvas_w * canvas_h * MODE_BYTES.get(header.mode, 4)
    extra = canvas_w * canvas_h * 4 if header.mode in PREMULTIPLIED else 0
    if header.format == "WEBP":
        extra += canvas_w * canvas_h * WEBP_DECODE_BYTES_PER_PIXEL
        extra += target_w * target_h * WEBP_ENCODE_BYTES_PER_PIXEL
    target = target_w * target_h * 4
    shrinking = canvas + extra + target_w * canvas_h * 4 + target
    return max(shrinking, 4 * target) + ENCODER_MARGIN


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(out, "JPEG", quality=85, optimize=True)
    elif fmt == "WEBP":
        image.save(out, "WEBP", quality=85)
    else:
        image.save(out, "PNG", optimize=True)
    return out.getvalue()


def clean_image(raw: bytes, limits: ImageLimits) -> CleanImage:
    """Decode, strip metadata, downscale, thumbnail. CPU-bound: run it in the decode pool.

    The canvas is decoded once (JPEG at a draft scale) and shrunk in place before any mode
    conversion or rotation, so every later copy is at most MAX_EDGE on a side.
    """
    header = inspect(raw, limits)
    try:
        with Image.open(io.BytesIO(raw)) as image:
            image.draft(None, _target(header))
            image.thumbnail((MAX_EDGE, MAX_EDGE))  # loads, then reduce() + resize in place
            upright = ImageOps.exif_transpose(image)
    except BOMB as error:
        raise _bomb(limits) from error
    except UNREADABLE as error:
        raise ImageRejected("Not a readable image") from error
    # A fresh image from pixels alone carries no info/exif/xmp/icc.
    mode = "RGBA" if upright.mode in ("RGBA", "LA", "P", "PA") and header.format != "JPEG" else "RGB"
    pixels = Image.new(mode, upright.size)
    pixels.paste(upright.convert(mode))
    thumb = pixels.copy()
    thumb.thumbnail((THUMBNAIL_EDGE, THUMBNAIL_EDGE))
    content_type = next(t for t, f in ALLOWED_TYPES.items() if f == header.format)
    return CleanImage(
        format=header.format,
        content_type=content_type,
        data=_encode(pixels, header.format),
        width=pixels.width,
        height=pixels.height,
        thumbnail=_encode(thumb, "JPEG"),
    )
