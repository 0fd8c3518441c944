"""After a match: the sender hears the answer, both list their matches, either can unmatch.

A match is an accepted MatchRequest (one row per pair, whoever sent it). Unmatching deletes the
row, so the two can match again later, and ends the right to message each other unless they
follow each other both ways (resolvers/conversations/access.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import Q

from core import pubsub
from core.context import Context
from core.errors import ErrorCode, UserInputError
from core.pagination import Page, newest_by
from models.accounts import User
from models.foodies import MatchRequest, MatchStatus
from resolvers import visibility
from resolvers.accounts.accounts import write_limit

ANSWER_TOPIC = "match-answered"


@dataclass(frozen=True)
class Match:
    user: User
    matched_at: datetime
    request: MatchRequest


def pair_of(a: int, b: int) -> str:
    return f"{min(a, b)}:{max(a, b)}"


async def answered(ctx: Context, request: MatchRequest) -> None:
    """After an answer is stored (its notification went with it): tell the sender live when accepted."""
    if request.status != MatchStatus.ACCEPTED:
        return
    await pubsub.publish(ctx.services, ANSWER_TOPIC, request.sender_id, {"requestId": request.id})


async def answer_events(ctx: Context) -> AsyncIterator[MatchRequest]:
    """Answers to the viewer's requests from now on, from any app process."""
    viewer = ctx.require_viewer()
    async for message in pubsub.listen(ctx.services, ANSWER_TOPIC, viewer.id):
        request = await MatchRequest.get_or_none(id=message.get("requestId"), sender_id=viewer.id)
        if request is not None:
            yield request


async def are_matched(a: int, b: int) -> bool:
    return await MatchRequest.exists(pair=pair_of(a, b), status=MatchStatus.ACCEPTED)


async def matches_page(ctx: Context, first: int | None, after: str | None) -> Page[Match]:
    """People the viewer matched with, newest match first (keyset on responded_at, id); people
    the viewer may not see (blocked either way, suspended) are left out."""
    viewer = ctx.require_viewer()
    query = MatchRequest.filter(
        Q(sender_id=viewer.id) & await visibility.users_q(ctx, "recipient__")
        | Q(recipient_id=viewer.id) & await visibility.users_q(ctx, "sender__"),
        status=MatchStatus.ACCEPTED,
    )
    page = await newest_by(query, "responded_at", first, after)
    window = page.items
    others = [r.recipient_id if r.sender_id == viewer.id else r.sender_id for r in window]
    users = {u.id: u for u in await User.filter(id__in=others)}
    return Page(
        [Match(users[o], r.responded_at, r) for r, o in zip(window, others, strict=True)],
        page.cursors,
        page.has_next_page,
        count=page.count,
    )


async def unmatch(ctx: Context, user_id: int) -> User:
    viewer = await write_limit(ctx, "match")
    if user_id == viewer.id:
        raise UserInputError(ErrorCode.SELF_ACTION, "You cannot unmatch yourself", "userId")
    removed = await MatchRequest.filter(
        pair=pair_of(viewer.id, user_id), status=MatchStatus.ACCEPTED
    ).delete()
    user = await User.get_or_none(id=user_id)
    if not removed or user is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "You are not matched with this user", "userId")
    return user
