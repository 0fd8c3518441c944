"""Merchant replies: the restaurant's one public answer under a review.

Staff of the review's restaurant write, edit and delete it (anyone else: FORBIDDEN in the
payload); the review's author is notified. Replies are user content like reviews: checked the
same way (length, control and invisible characters), reportable, and hidden or removed by
moderation (resolvers/moderation TARGETS, resolvers/visibility for who sees them).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.context import Context
from core.error_text import too_long
from core.errors import Collector, ErrorCode, UserInputError
from core.text import check_visible_text
from models.accounts import User
from models.restaurants import Visibility
from models.reviews import Review
from models.trust import ReviewReply
from resolvers import visibility
from resolvers.accounts.accounts import write_limit
from resolvers.deals import voucher_notices
from resolvers.meals import notifications
from resolvers.restaurants.access import require_staff

MAX_REPLY = 1000
NOTIFY_KIND = "review_reply"


def _checked(body: str) -> str:
    collector = Collector()
    body = body.strip()
    if not body:
        collector.add("body", ErrorCode.INVALID, "Write a reply")
    elif len(body) > MAX_REPLY:
        collector.add("body", ErrorCode.TOO_LONG, too_long(MAX_REPLY))
    check_visible_text(body, "body", collector, multiline=True)
    collector.raise_if_any()
    return body


async def _as_staff(ctx: Context, review: Review | None) -> User:
    """The viewer, if staff of the review's restaurant."""
    if review is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such review", "reviewId")
    viewer = ctx.require_viewer()
    await require_staff(viewer, review.restaurant_id, field="reviewId")
    return viewer


async def reply(ctx: Context, review_id: int, body: str) -> ReviewReply:
    body = _checked(body)
    await write_limit(ctx, "reply")
    review = await visibility.get(ctx, Review, review_id)
    viewer = await _as_staff(ctx, review)
    assert review is not None
    try:
        async with in_transaction("default"):
            row = await ReviewReply.create(
                review_id=review.id, restaurant_id=review.restaurant_id, author_id=viewer.id, body=body
            )
            name = await voucher_notices.restaurant_name(review.restaurant_id)
            await notifications.notify(
                ctx, [review.author_id], NOTIFY_KIND, f"「{name}」回复了你的点评",
                subject=("Review", review.id),
            )
    except IntegrityError:
        raise UserInputError(
            ErrorCode.DUPLICATE, "This review has a reply; edit that one", "reviewId"
        ) from None
    await notifications.announce(ctx, [review.author_id])
    return row


async def _own_reply(ctx: Context, reply_id: int) -> tuple[ReviewReply, User]:
    row = await ReviewReply.get_or_none(id=reply_id)
    if row is None or row.visibility == Visibility.REMOVED:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such reply", "replyId")
    viewer = ctx.require_viewer()
    await require_staff(viewer, row.restaurant_id, field="replyId")
    return row, viewer


async def edit(ctx: Context, reply_id: int, body: str) -> ReviewReply:
    body = _checked(body)
    await write_limit(ctx, "reply")
    row, viewer = await _own_reply(ctx, reply_id)
    # A queryset update leaves auto_now alone: the edit time is written here (an edit that
    # changes nothing keeps it).
    edited = {"updated_at": datetime.now(UTC)} if body != row.body else {}
    changed = await ReviewReply.filter(id=row.id, visibility__not=Visibility.REMOVED).update(
        body=body, author_id=viewer.id, **edited
    )
    if not changed:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such reply", "replyId")
    return await ReviewReply.get(id=row.id)


async def delete(ctx: Context, reply_id: int) -> int:
    await write_limit(ctx, "reply")
    row, _ = await _own_reply(ctx, reply_id)
    await ReviewReply.filter(id=row.id).delete()
    return row.id


async def load_by_review(keys: Sequence[int]) -> list[ReviewReply | None]:
    rows = await ReviewReply.filter(review_id__in=list(keys))
    found = {row.review_id: row for row in rows}
    return [found.get(key) for key in keys]


async def for_review(ctx: Context, review_id: int) -> ReviewReply | None:
    """The reply under a review, if the viewer may see it."""
    row = await ctx.loaders.get(load_by_review).load(review_id)
    return row if await visibility.visible(ctx, row) else None
