"""Photo uploads: presigned upload straight to storage, then a server-side check and clean-up."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from media.images import ALLOWED_TYPES, EXTENSIONS, ImageRejected, clean_image
from media.storage import PresignedUpload
from models.reviews import Photo, PhotoStatus, ReviewPhoto
from resolvers import visibility
from resolvers.accounts import write_limit
from resolvers.context import Context
from resolvers.errors import ErrorCode, UserInputError
from resolvers.loaders import group_by_key

UPLOAD_TTL = timedelta(minutes=15)


async def request_upload(ctx: Context, content_type: str, byte_size: int) -> tuple[Photo, PresignedUpload]:
    viewer = ctx.require_viewer()
    content_type = content_type.strip().lower()
    if content_type not in ALLOWED_TYPES:
        allowed = ", ".join(ALLOWED_TYPES)
        raise UserInputError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, f"Allowed types: {allowed}", "contentType")
    limit = ctx.settings.max_upload_bytes
    if not 0 < byte_size <= limit:
        raise UserInputError(ErrorCode.FILE_TOO_LARGE, f"Photos are 1 byte to {limit} bytes", "byteSize")
    await write_limit(ctx, "upload", per_hour=ctx.settings.rate_limit_uploads_per_hour)
    key = f"uploads/{viewer.id}/{uuid.uuid4().hex}"
    photo = await Photo.create(
        owner_id=viewer.id, upload_key=key, content_type=content_type, declared_bytes=byte_size
    )
    expires = datetime.now(UTC) + UPLOAD_TTL
    upload = await ctx.services.storage.presign_upload(key, content_type, byte_size, expires)
    return photo, upload


async def confirm_upload(ctx: Context, photo_id: int) -> Photo:
    """Check the uploaded object, store a metadata-free copy and a thumbnail, drop the original."""
    viewer = await write_limit(ctx, "upload")
    photo = await Photo.get_or_none(id=photo_id, owner_id=viewer.id)
    if photo is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such photo of yours", "photoId")
    if photo.status == PhotoStatus.READY:
        return photo
    storage = ctx.services.storage
    raw = await storage.read(photo.upload_key)
    if raw is None:
        raise UserInputError(ErrorCode.UPLOAD_MISSING, "Upload the file first", "photoId")
    if len(raw) > min(photo.declared_bytes, ctx.settings.max_upload_bytes):
        await storage.delete(photo.upload_key)
        raise UserInputError(ErrorCode.FILE_TOO_LARGE, "The file is larger than declared", "photoId")
    try:
        clean = await asyncio.to_thread(clean_image, raw)
    except ImageRejected as error:
        await storage.delete(photo.upload_key)
        raise UserInputError(ErrorCode.NOT_AN_IMAGE, str(error), "photoId") from None
    if clean.content_type != photo.content_type:
        await storage.delete(photo.upload_key)
        raise UserInputError(
            ErrorCode.UNSUPPORTED_MEDIA_TYPE,
            f"The file is {clean.content_type}, not {photo.content_type}",
            "photoId",
        )
    base = f"photos/{photo.id}-{uuid.uuid4().hex[:8]}"
    key, thumb_key = f"{base}.{EXTENSIONS[clean.format]}", f"{base}-thumb.jpg"
    await storage.write(key, clean.data, clean.content_type)
    await storage.write(thumb_key, clean.thumbnail, "image/jpeg")
    await storage.delete(photo.upload_key)
    updated = await Photo.filter(id=photo.id, status=PhotoStatus.PENDING).update(
        status=PhotoStatus.READY, key=key, thumbnail_key=thumb_key, width=clean.width, height=clean.height
    )
    if not updated:  # a parallel confirmation won; keep its files
        await storage.delete(key)
        await storage.delete(thumb_key)
    return await Photo.get(id=photo.id)


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


async def load_review_photos(keys: Sequence[int]) -> list[list[Photo]]:
    """Visible photos of each review, in their order (one query joins the link and the photo)."""
    links = (
        await ReviewPhoto.filter(visibility.photos_q("photo__"), review_id__in=list(keys))
        .select_related("photo")
        .order_by("position")
    )
    return [[link.photo for link in group] for group in group_by_key(links, keys, "review_id")]
