"""Photo uploads: presigned upload straight to storage, then a server-side check and clean-up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from core.context import Context, Services
from core.error_text import between
from core.errors import ErrorCode, UserInputError
from core.loaders import Join, Shaped, Slot
from media.decode import DecodePool, PoolBusy, TooCostly
from media.images import (
    ALLOWED_TYPES,
    EXTENSIONS,
    CleanImage,
    ImageLimits,
    ImageRejected,
    clean_image,
    decode_cost,
    inspect,
)
from media.storage import PresignedUpload
from models.reviews import Photo, PhotoStatus, ReviewPhoto
from resolvers import visibility
from resolvers.accounts.accounts import write_limit
from settings import Settings

MB = 1024 * 1024
_POOL: DecodePool | None = None


def confirm_window(settings: Settings) -> timedelta:
    """How long an upload may stay unconfirmed: the URL's lifetime, then as long again to confirm."""
    return timedelta(seconds=2 * settings.upload_url_ttl_seconds)


def decode_pool(settings: Settings) -> DecodePool:
    """The process's decode pool, following the current settings (tests change the budget)."""
    global _POOL
    if _POOL is None or _POOL.workers != max(1, settings.image_decode_workers):
        _POOL = DecodePool(settings.image_decode_workers, 0, 0)
    _POOL.budget = settings.image_decode_budget_mb * MB
    _POOL.wait_seconds = settings.image_decode_wait_seconds
    return _POOL


def image_limits(settings: Settings) -> ImageLimits:
    return ImageLimits(
        max_pixels=settings.max_image_megapixels * 1_000_000,
        max_edge=settings.max_image_edge,
        min_bytes_per_megapixel=settings.image_min_bytes_per_megapixel,
    )


async def request_upload(ctx: Context, content_type: str, byte_size: int) -> tuple[Photo, PresignedUpload]:
    viewer = ctx.require_viewer()
    content_type = content_type.strip().lower()
    if content_type not in ALLOWED_TYPES:
        allowed = ", ".join(ALLOWED_TYPES)
        raise UserInputError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, f"Allowed types: {allowed}", "contentType")
    limit = ctx.settings.max_upload_bytes
    if byte_size < 1:  # an empty file is no photo ("文件太大了" said the opposite)
        raise UserInputError(ErrorCode.OUT_OF_RANGE, between(f"1 to {limit} bytes", 1, limit), "byteSize")
    if byte_size > limit:
        raise UserInputError(ErrorCode.FILE_TOO_LARGE, f"Photos are 1 byte to {limit} bytes", "byteSize")
    await write_limit(ctx, "upload", per_hour=ctx.settings.rate_limit_uploads_per_hour)
    key = f"uploads/{viewer.id}/{uuid.uuid4().hex}"
    # The row exists before the URL does: every upload object has had a row (see upload_cleanup).
    photo = await Photo.create(
        owner_id=viewer.id, upload_key=key, content_type=content_type, declared_bytes=byte_size
    )
    expires = datetime.now(UTC) + timedelta(seconds=ctx.settings.upload_url_ttl_seconds)
    upload = await ctx.services.storage.presign_upload(key, content_type, byte_size, expires)
    return photo, upload


async def upload_is_open(services: Services, key: str) -> bool:
    """May bytes still be written to this upload key? Only while its photo awaits confirmation."""
    since = datetime.now(UTC) - confirm_window(services.settings)
    return await Photo.filter(upload_key=key, status=PhotoStatus.PENDING, created_at__gte=since).exists()


async def _refuse(ctx: Context, photo: Photo, code: ErrorCode, message: str) -> UserInputError:
    """A refused upload leaves nothing behind: its object and its row go (the URL is spent)."""
    await ctx.services.storage.delete(photo.upload_key)
    await Photo.filter(id=photo.id, status=PhotoStatus.PENDING).delete()
    return UserInputError(code, message, "photoId")


async def _decode(ctx: Context, raw: bytes) -> CleanImage:
    """Header checks first (no pixels decoded), then the decode inside the bounded pool."""
    limits = image_limits(ctx.settings)
    header = await asyncio.to_thread(inspect, raw, limits)
    try:
        return await decode_pool(ctx.settings).run(decode_cost(header), clean_image, raw, limits)
    except TooCostly:
        message = "This image needs more memory to decode than the budget allows"
        raise ImageRejected(message, "IMAGE_TOO_LARGE") from None


async def confirm_upload(ctx: Context, photo_id: int) -> Photo:
    """Check the uploaded object, store a metadata-free copy and a thumbnail, drop the original.

    The cleaned copy goes to a new key no upload URL can write to, so bytes sent to the upload
    key later (an S3 presigned POST cannot be revoked) never change a confirmed photo; they are
    orphans that resolvers/upload_cleanup removes.
    """
    viewer = await write_limit(ctx, "upload")
    photo = await Photo.get_or_none(id=photo_id, owner_id=viewer.id)
    if photo is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such photo of yours", "photoId")
    if photo.status == PhotoStatus.READY:
        return photo
    if photo.created_at < datetime.now(UTC) - confirm_window(ctx.settings):
        raise await _refuse(ctx, photo, ErrorCode.UPLOAD_MISSING, "This upload expired; request a new one")
    storage = ctx.services.storage
    raw = await storage.read(photo.upload_key)
    if raw is None:
        raise UserInputError(ErrorCode.UPLOAD_MISSING, "Upload the file first", "photoId")
    if len(raw) > min(photo.declared_bytes, ctx.settings.max_upload_bytes):
        raise await _refuse(ctx, photo, ErrorCode.FILE_TOO_LARGE, "The file is larger than declared")
    try:
        clean = await _decode(ctx, raw)
    except ImageRejected as error:
        raise await _refuse(ctx, photo, ErrorCode(error.code), str(error)) from None
    except PoolBusy:  # the upload stays: confirming again later works
        raise UserInputError(
            ErrorCode.UNAVAILABLE, "Too many photos are being processed; try again shortly", "photoId"
        ) from None
    if clean.content_type != photo.content_type:
        raise await _refuse(
            ctx,
            photo,
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"The file is {clean.content_type}, not {photo.content_type}",
        )
    base = f"photos/{photo.id}-{uuid.uuid4().hex[:8]}"
    key, thumb_key = f"{base}.{EXTENSIONS[clean.format]}", f"{base}-thumb.jpg"
    await storage.write(key, clean.data, clean.content_type)
    await storage.write(thumb_key, clean.thumbnail, "image/jpeg")
    # READY before the upload object goes: the local upload route re-checks the status after
    # writing, so a write racing this confirmation removes itself (media/routes.py).
    updated = await Photo.filter(id=photo.id, status=PhotoStatus.PENDING).update(
        status=PhotoStatus.READY,
        key=key,
        thumbnail_key=thumb_key,
        width=clean.width,
        height=clean.height,
        free_since=datetime.now(UTC),  # until a review takes it
    )
    await storage.delete(photo.upload_key)
    if not updated:  # a parallel confirmation won (keep its files), or the clean-up expired it
        await storage.delete(key)
        await storage.delete(thumb_key)
    confirmed = await Photo.get_or_none(id=photo.id)
    if confirmed is None:
        raise UserInputError(ErrorCode.UPLOAD_MISSING, "This upload expired; request a new one", "photoId")
    return confirmed


async def usable_photos(viewer_id: int, photo_ids: Sequence[int], review_id: int | None) -> list[Photo]:
    """The viewer's confirmed photos, free or already on this review, in the order given."""
    photos = {p.id: p for p in await Photo.filter(id__in=list(photo_ids), owner_id=viewer_id)}
    linked = await ReviewPhoto.filter(photo_id__in=list(photo_ids)).values_list("photo_id", "review_id")
    taken = {pid for pid, rid in linked if rid != review_id}
    result = []
    for pid in photo_ids:
        photo = photos.get(pid)
        if photo is None or pid in taken:
            raise UserInputError(ErrorCode.NOT_FOUND, "Photo not found or already used", "photoIds")
        if photo.status != PhotoStatus.READY:
            raise UserInputError(ErrorCode.UPLOAD_MISSING, "Confirm the photo upload first", "photoIds")
        result.append(photo)
    return result


def _review_photos_query(many: int) -> object:
    return ReviewPhoto.filter(visibility.photos_q("photo__"), review_id__in=Slot("ids", many=many))


# On every page that shows reviews: rendered once per number of reviews, the photo joined.
_REVIEW_PHOTOS = Shaped(ReviewPhoto, _review_photos_query)
_PHOTO = (Join("photo", Photo, '"photo"."id" = "base"."photo_id"'),)


async def load_review_photos(keys: Sequence[int]) -> list[list[Photo]]:
    """Visible photos of each review, in their order (one query joins the link and the photo)."""
    ids = list(keys)
    links = await _REVIEW_PHOTOS.joined(len(ids), {"ids": ids}, _PHOTO, '"base"."position", "base"."id"')
    found: dict[int, list[Photo]] = {key: [] for key in ids}
    for link, joined in links:
        if joined["photo"] is not None:
            found[link.review_id].append(joined["photo"])
    return [found[key] for key in ids]
