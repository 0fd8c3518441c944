"""Notifications a diner can list and mark read (promotions, cancellations, reservation answers)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from core import pubsub
from core.context import Context
from core.pagination import Page, newest_first
from models.meals import Notification

TOPIC = "notifications"


async def notify(
    ctx: Context | None,
    user_ids: Sequence[int],
    kind: str,
    message: str,
    meal_id: int | None = None,
    event_id: int | None = None,
) -> None:
    """Store one notification per user (inside the caller's transaction)."""
    if not user_ids:
        return
    await Notification.bulk_create(
        [
            Notification(user_id=u, kind=kind, message=message, meal_id=meal_id, event_id=event_id)
            for u in user_ids
        ]
    )


async def announce(ctx: Context, user_ids: Sequence[int]) -> None:
    """After commit: tell live clients to refresh their notification badge."""
    for user_id in user_ids:
        await pubsub.publish(ctx.services, TOPIC, user_id, {"userId": user_id})


async def page(ctx: Context, unread_only: bool, first: int | None, after: str | None) -> Page[Notification]:
    viewer = ctx.require_viewer()
    query = Notification.filter(user_id=viewer.id)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    return await newest_first(query, first, after)


async def unread_count(ctx: Context) -> int:
    viewer = ctx.require_viewer()
    return await Notification.filter(user_id=viewer.id, read_at__isnull=True).count()


async def mark_read(ctx: Context, ids: Sequence[int] | None) -> int:
    """Mark the given notifications (all when None) read; only the viewer's own."""
    viewer = ctx.require_viewer()
    query = Notification.filter(user_id=viewer.id, read_at__isnull=True)
    if ids is not None:
        query = query.filter(id__in=list(ids))
    return await query.update(read_at=datetime.now(UTC))
