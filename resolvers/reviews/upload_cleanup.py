"""Orphan clean-up: uploads never confirmed, upload objects nothing accounts for, and photos no
review has shown for PHOTO_KEEP_DAYS.

A confirmed photo is free (`photos.free_since`) until a review or a chat message takes it, and
again once taken off its review or its review is deleted; a photo a message shows is never swept
(its `free_since` may predate the message: set at confirmation, or by a review it also left).
Free for PHOTO_KEEP_DAYS (moderators can still read a removed photo in a review's history
meanwhile), it is deleted with its files: a diner who took a photo off a review expects it gone,
and storage stops growing with photos nobody sees. The row goes by a DELETE that re-checks both
on it, so a review or message taking the photo at that moment (reviews.py `_link_photos` and
conversations.py `send` clear `free_since` first) either keeps it or is told NOT_FOUND.

An upload object is legitimate only while its photo is PENDING inside the confirmation window
(resolvers/photos.confirm_window). Everything else under `uploads/` is an orphan: a PENDING
photo whose window passed, bytes sent to an S3 presigned POST after confirmation or refusal
(S3 cannot revoke a presigned POST before it expires), a write that crashed half-way. Idempotent
and safe with several processes running it at once: rows go by a conditional DELETE, and
deleting an object that is already gone is a no-op.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q, Subquery

from core.context import Services
from models.conversations import Message
from models.reviews import Photo, PhotoStatus
from resolvers.reviews.photos import confirm_window

log = logging.getLogger(__name__)
UPLOAD_PREFIX = "uploads/"
# An object younger than this is left alone: its row may be in the middle of being written.
GRACE = timedelta(minutes=1)
BATCH = 500
PHOTO_KEEP_DAYS = 30


@dataclass(frozen=True)
class CleanupReport:
    expired_photos: int
    deleted_objects: int
    swept_photos: int = 0


async def sweep_free_photos(services: Services, now: datetime) -> int:
    """Delete photos free for PHOTO_KEEP_DAYS, then their files; how many went."""
    cutoff = now - timedelta(days=PHOTO_KEEP_DAYS)
    in_chat = Subquery(Message.filter(photo_id__not_isnull=True).values("photo_id"))
    free = Q(free_since__lt=cutoff) & ~Q(id__in=in_chat)
    swept = 0
    while stale := await Photo.filter(free).order_by("id").limit(BATCH):
        for photo in stale:
            # Re-checked on the row: a review or message taking it first keeps the photo.
            if not await Photo.filter(free, id=photo.id).delete():
                continue
            swept += 1
            for key in (photo.key, photo.thumbnail_key):
                if key:
                    await services.storage.delete(key)
        if len(stale) < BATCH:
            break
    return swept


async def cleanup_uploads(services: Services, now: datetime | None = None) -> CleanupReport:
    """Drop unconfirmed photos past their window, then every upload object no photo awaits."""
    now = now or datetime.now(UTC)
    cutoff = now - confirm_window(services.settings)
    storage = services.storage
    expired = 0
    while stale := await Photo.filter(status=PhotoStatus.PENDING, created_at__lt=cutoff).limit(BATCH):
        for photo in stale:
            if await Photo.filter(id=photo.id, status=PhotoStatus.PENDING).delete():
                expired += 1
            await storage.delete(photo.upload_key)
        if len(stale) < BATCH:
            break
    objects = [(key, at) for key, at in await storage.list_keys(UPLOAD_PREFIX) if at < now - GRACE]
    deleted = 0
    for start in range(0, len(objects), BATCH):
        chunk = objects[start : start + BATCH]
        # A local partial write is "<key>.<random>.part"; its upload key is the part before the dot.
        keys = {key: key.split(".", 1)[0] for key, _ in chunk}
        awaited = set(
            await Photo.filter(
                upload_key__in=list(set(keys.values())), status=PhotoStatus.PENDING
            ).values_list("upload_key", flat=True)
        )
        for key, modified in chunk:
            partial_done = key != keys[key] and modified < cutoff
            if keys[key] not in awaited or partial_done:
                await storage.delete(key)
                deleted += 1
    swept = await sweep_free_photos(services, now)
    if expired or deleted or swept:
        log.info(
            "upload clean-up: %d unconfirmed photos expired, %d orphans deleted, %d unused photos deleted",
            expired,
            deleted,
            swept,
        )
    return CleanupReport(expired_photos=expired, deleted_objects=deleted, swept_photos=swept)
