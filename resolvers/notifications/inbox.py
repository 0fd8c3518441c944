"""The inbox: store a notification (respecting each reader's preferences), list, count, mark read.

`notify` runs inside the caller's transaction: the notification, and its push outbox rows, exist
exactly when the change that caused them committed. `announce` runs after commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from core import pubsub
from core.context import Context
from core.loaders import Loaders
from core.pagination import Page, newest_first
from models.meals import Notification
from resolvers import visibility
from resolvers.accounts.accounts import write_limit
from resolvers.notifications import preferences, push

TOPIC = "notifications"
Subject = tuple[str, int]  # (GraphQL type name, row id): what the notification is about


async def notify(
    ctx: Context | None,
    user_ids: Sequence[int],
    kind: str,
    message: str,
    meal_id: int | None = None,
    event_id: int | None = None,
    *,
    actor_id: int | None = None,
    subject: Subject | None = None,
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Store one notification per user who wants this kind, and queue its pushes.

    The actor is never told about their own act. With a `dedupe_key` (one user only) the row is
    stored once, whoever calls again: a job run twice, or by two workers, notifies once.
    """
    del ctx  # kept in the signature for the callers; everything needed is in the database
    wanted = [u for u in dict.fromkeys(user_ids) if u != actor_id]
    channels = await preferences.channels(wanted, kind)
    rows: list[Notification] = []
    for user_id in wanted:
        if not channels[user_id].in_app:
            continue
        row = Notification(
            user_id=user_id,
            kind=kind,
            message=message[:300],
            meal_id=meal_id,
            event_id=event_id,
            actor_id=actor_id,
            subject_type=subject[0] if subject else None,
            subject_id=subject[1] if subject else None,
            dedupe_key=dedupe_key,
        )
        if dedupe_key is None:
            await row.save()
        else:
            try:
                async with in_transaction("default"):  # a savepoint inside the caller's transaction
                    await row.save()
            except IntegrityError:
                continue  # already notified
        rows.append(row)
    await push.enqueue([r for r in rows if channels[r.user_id].push], kind)
    return rows


async def announce(ctx: Context, user_ids: Sequence[int]) -> None:
    """After commit: tell live clients to refresh their notification badge."""
    for user_id in dict.fromkeys(user_ids):
        await pubsub.publish(ctx.services, TOPIC, user_id, {"userId": user_id})


async def notify_now(
    ctx: Context, user_ids: Sequence[int], kind: str, message: str, **about: object
) -> list[Notification]:
    """A notification that is a change of its own (no caller transaction): store, then announce."""
    async with in_transaction("default"):
        rows = await notify(ctx, user_ids, kind, message, **about)  # type: ignore[arg-type]
    await announce(ctx, [r.user_id for r in rows])
    return rows


async def arrivals(ctx: Context) -> AsyncIterator[Notification]:
    """The viewer's new notifications from now on, oldest first, from any app process.

    An announcement only says "look": each one reads the rows past the last one sent, so a lost
    or merged announcement delays a notification until the next, never drops it. What arrives
    is what the list shows (`_mine`, the blocks read afresh each time): a notice caused by
    someone the viewer may not see is left out live too.
    """
    viewer = ctx.require_viewer()
    newest = await Notification.filter(user_id=viewer.id).order_by("-id").first()
    last = newest.id if newest else 0
    async for _ in pubsub.listen(ctx.services, TOPIC, viewer.id):
        batch = await Notification.filter(user_id=viewer.id, id__gt=last).order_by("id").limit(50)
        if not batch:
            continue
        ctx.loaders = Loaders()  # a subscription outlives many changes: blocks read afresh
        shown = set(
            await (await _mine(ctx)).filter(id__in=[row.id for row in batch]).values_list("id", flat=True)
        )
        for row in batch:
            last = row.id
            if row.id in shown:
                yield row


async def _mine(ctx: Context) -> QuerySet[Notification]:
    """The viewer's notifications, without those caused by someone the viewer may not see
    (blocked either way, suspended: their name is in the text), through the user rule."""
    viewer = ctx.require_viewer()
    actor_seen = Q(actor_id__isnull=True) | await visibility.users_q(ctx, "actor__")
    return Notification.filter(actor_seen, user_id=viewer.id)


async def page(ctx: Context, unread_only: bool, first: int | None, after: str | None) -> Page[Notification]:
    query = await _mine(ctx)
    if unread_only:
        query = query.filter(read_at__isnull=True)
    return await newest_first(query, first, after)


async def unread_count(ctx: Context) -> int:
    return await (await _mine(ctx)).filter(read_at__isnull=True).count()


async def mark_read(ctx: Context, ids: Sequence[int] | None) -> int:
    """Mark the given notifications (all when None) read; only the viewer's own. A write like
    any other: it counts against the viewer's per-minute budget."""
    viewer = await write_limit(ctx, "notifications")
    query = Notification.filter(user_id=viewer.id, read_at__isnull=True)
    if ids is not None:
        query = query.filter(id__in=list(ids))
    return await query.update(read_at=datetime.now(UTC))


async def mark_subject_read(user_id: int, subject: tuple[str, int]) -> None:
    """The user's notices about `subject` read: they acted on it (answered a request)."""
    kind, pk = subject
    await Notification.filter(
        user_id=user_id, subject_type=kind, subject_id=pk, read_at__isnull=True
    ).update(read_at=datetime.now(UTC))


async def forget_subject(user_id: int, subject: tuple[str, int]) -> None:
    """The user's notices about `subject` gone: it was taken back before they acted on it (a
    withdrawn match request), so the notice would point at nothing."""
    kind, pk = subject
    await Notification.filter(user_id=user_id, subject_type=kind, subject_id=pk).delete()
