"""Who is in a conversation: the two people of a one-to-one one, the seated diners of a meal's.

A meal's group follows its seats: `sync_meal` is called once after every seat change (the meal's
`_changed` hook); seated diners (host, joined) are active members, anyone else who was one keeps
what was said until they went (`left_after`) and reads nothing newer.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from models.conversations import Conversation, ConversationKind, ConversationMember, Message
from models.foodies import Follow
from models.meals import MealSeat, SeatStatus
from resolvers.foodies.matches import are_matched, pair_of

SEATED = (SeatStatus.HOST, SeatStatus.JOINED)


async def may_talk(a: int, b: int) -> bool:
    """One-to-one messages need a match, or following each other both ways (blocks apart)."""
    if await are_matched(a, b):
        return True
    follows = await Follow.filter(Q(follower_id=a, followee_id=b) | Q(follower_id=b, followee_id=a)).count()
    return follows == 2


async def is_seated(meal_id: int, user_id: int) -> bool:
    """Is the person the meal's host or a joined guest (a member of its group)?"""
    return await MealSeat.exists(meal_id=meal_id, user_id=user_id, status__in=list(SEATED))


async def direct(a: int, b: int) -> Conversation:
    """The one conversation of two people, made on first need (parallel openers share it)."""
    pair = pair_of(a, b)
    found = await Conversation.get_or_none(pair=pair)
    if found is not None:
        return found
    try:
        async with in_transaction("default"):
            conversation = await Conversation.create(
                kind=ConversationKind.DIRECT, pair=pair, last_message_at=datetime.now(UTC)
            )
            await ConversationMember.bulk_create(
                [ConversationMember(conversation_id=conversation.id, user_id=u) for u in (a, b)]
            )
        return conversation
    except IntegrityError:
        return await Conversation.get(pair=pair)


async def meal_group(meal_id: int) -> Conversation:
    """The meal's group conversation (made on first need), its members in step with the seats."""
    conversation = await Conversation.get_or_none(meal_id=meal_id)
    if conversation is None:
        try:
            conversation = await Conversation.create(
                kind=ConversationKind.MEAL, meal_id=meal_id, last_message_at=datetime.now(UTC)
            )
        except IntegrityError:
            conversation = await Conversation.get(meal_id=meal_id)
    await _sync(conversation.id, meal_id)
    return conversation


async def sync_meal(meal_id: int) -> None:
    """After a seat change: bring the meal's group (if it has one yet) in step with the seats."""
    conversation = await Conversation.get_or_none(meal_id=meal_id)
    if conversation is not None:
        await _sync(conversation.id, meal_id)


async def _sync(conversation_id: int, meal_id: int) -> None:
    seated = set(
        await MealSeat.filter(meal_id=meal_id, status__in=list(SEATED)).values_list("user_id", flat=True)
    )
    members = {m.user_id: m for m in await ConversationMember.filter(conversation_id=conversation_id)}
    gone = [uid for uid, m in members.items() if m.active and uid not in seated]
    if gone:
        last = await Message.filter(conversation_id=conversation_id).order_by("-id").only("id").first()
        # Only the update that finds them still active sets the mark: a later sync can't move it.
        await ConversationMember.filter(
            conversation_id=conversation_id, user_id__in=gone, active=True
        ).update(active=False, left_after=last.id if last else 0)
    back = [uid for uid, m in members.items() if not m.active and uid in seated]
    if back:  # seated again (rejoined): a member again, the whole history readable again
        await ConversationMember.filter(
            conversation_id=conversation_id, user_id__in=back, active=False
        ).update(active=True, left_after=None)
    new = [
        ConversationMember(conversation_id=conversation_id, user_id=uid) for uid in seated - members.keys()
    ]
    if new:
        try:
            async with in_transaction("default"):
                await ConversationMember.bulk_create(new)
        except IntegrityError:  # a parallel sync added them first
            pass
