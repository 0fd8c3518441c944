"""Send, read and follow messages. Every read goes through resolvers.visibility (members only)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q, Subquery
from tortoise.functions import Count, Max
from tortoise.transactions import in_transaction

from core import pubsub
from core.context import Context
from core.error_text import too_long
from core.errors import Collector, ErrorCode, UserInputError
from core.loaders import Loaders
from core.pagination import Page, newest_by, newest_first
from core.text import check_visible_text
from models.accounts import User
from models.conversations import Conversation, ConversationKind, ConversationMember, Message
from models.meals import MealStatus, SharedMeal
from models.reviews import Photo
from resolvers import visibility
from resolvers.accounts.accounts import write_limit
from resolvers.conversations import members
from resolvers.notifications import inbox
from resolvers.reviews.photos import usable_photos

TOPIC = "message"
MAX_BODY = 2000
UNREAD_CHUNK = 100  # conversations counted per statement (unread_total)


async def open_direct(ctx: Context, user_id: int) -> Conversation:
    viewer = await write_limit(ctx, "conversation")
    if user_id == viewer.id:
        raise UserInputError(ErrorCode.SELF_ACTION, "You cannot message yourself", "userId")
    other = await visibility.get(ctx, User, user_id)
    if other is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such user", "userId")
    if not await members.may_talk(viewer.id, other.id):
        raise UserInputError(ErrorCode.FORBIDDEN, "Match or follow each other first", "userId")
    return await members.direct(viewer.id, other.id)


async def meal_conversation(ctx: Context, meal_id: int) -> Conversation | None:
    """The meal's group, for its host and seated guests (and guests who left, for what was said)."""
    viewer = ctx.require_viewer()
    meal = await visibility.get(ctx, SharedMeal, meal_id)
    if meal is None:
        return None
    if not await Conversation.exists(meal_id=meal.id) and not await members.is_seated(meal.id, viewer.id):
        return None  # made by the first seated diner who opens it: a look from outside writes nothing
    conversation = await members.meal_group(meal.id)
    ctx.loaders = Loaders()  # membership just changed: look afresh
    return conversation if await visibility.visible(ctx, conversation) else None


async def _member(ctx: Context, conversation_id: int, field: str = "conversationId") -> ConversationMember:
    conversation = await visibility.get(ctx, Conversation, conversation_id)
    member = await visibility.membership(ctx, conversation_id) if conversation else None
    if conversation is None or member is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such conversation", field)
    return member


def _check_body(body: str, photo_id: int | None) -> str:
    collector = Collector()
    body = body.strip()
    if not body and photo_id is None:
        collector.add("body", ErrorCode.INVALID, "Write something or add a photo")
    elif len(body) > MAX_BODY:
        collector.add("body", ErrorCode.TOO_LONG, too_long(MAX_BODY))
    check_visible_text(body, "body", collector, multiline=True)
    collector.raise_if_any()
    return body


async def _may_post(ctx: Context, conversation_id: int, member: ConversationMember) -> None:
    """Only active members post; one-to-one needs the match (or mutual follow) to hold."""
    if not member.active:
        raise UserInputError(ErrorCode.FORBIDDEN, "You left this conversation", "conversationId")
    conversation = await Conversation.get(id=conversation_id)
    if conversation.kind == ConversationKind.DIRECT:
        other = await ConversationMember.filter(
            conversation_id=conversation_id, user_id__not=member.user_id
        ).first()
        # Someone blocked either way never gets here (the conversation itself is hidden, NOT_FOUND);
        # a deleted or suspended account leaves it listed, with `withUser` null: say why it is shut.
        if other is None or await visibility.get(ctx, User, other.user_id) is None:
            raise UserInputError(
                ErrorCode.FORBIDDEN, "This person can no longer receive messages", "conversationId"
            )
        if not await members.may_talk(member.user_id, other.user_id):
            # Either way in: a match, or following each other (said of both, whichever it was).
            raise UserInputError(
                ErrorCode.FORBIDDEN, "You no longer match or follow each other", "conversationId"
            )
    elif conversation.meal_id is not None:
        if await SharedMeal.filter(id=conversation.meal_id, status=MealStatus.CANCELLED).exists():
            raise UserInputError(ErrorCode.CANCELLED, "This meal was cancelled", "conversationId")


MAX_CLIENT_ID = 64


async def send(
    ctx: Context, conversation_id: int, body: str, photo_id: int | None, client_id: str | None = None
) -> Message:
    """A new message; with `client_id` (the app's own id for it), a retry of one already sent in
    this conversation gets that message back: nothing sent, stored or notified twice."""
    viewer = await write_limit(ctx, "message")
    body = _check_body(body, photo_id)
    client_id = _check_client_id(client_id)
    if client_id is not None and (sent := await _already_sent(ctx, conversation_id, viewer.id, client_id)):
        return sent
    await ctx.services.limiter.hit(f"message:{viewer.id}", ctx.settings.rate_limit_messages_per_minute, 60)
    member = await _member(ctx, conversation_id)
    await _may_post(ctx, conversation_id, member)
    if photo_id is not None:
        try:
            await usable_photos(viewer.id, [photo_id], None)
        except UserInputError as refused:  # said of this mutation's argument (not createReview's photoIds)
            raise UserInputError.many([("photoId", code, text) for _, code, text in refused.errors]) from None
    now = datetime.now(UTC)
    try:
        async with in_transaction("default"):
            # Taken by the message (the clean-up re-checks this row: it keeps the photo, or had
            # deleted it a moment ago and the message is refused).
            if photo_id is not None and not await Photo.filter(id=photo_id).update(free_since=None):
                raise UserInputError(ErrorCode.NOT_FOUND, "Photo not found or already used", "photoId")
            message = await Message.create(
                conversation_id=conversation_id,
                sender_id=viewer.id,
                body=body,
                photo_id=photo_id,
                client_id=client_id,
            )
            await Conversation.filter(id=conversation_id).update(last_message_at=now)
            # The sender has read their own message (only ever moves forward), and their notices.
            await ConversationMember.filter(id=member.id, last_read_id__lt=message.id).update(
                last_read_id=message.id
            )
            await inbox.mark_subject_read(viewer.id, ("Conversation", conversation_id))
            told = await _tell_members(ctx, viewer, conversation_id)
    except IntegrityError:
        twin = client_id and await _already_sent(ctx, conversation_id, viewer.id, client_id)
        if twin:
            return twin  # a parallel retry stored it first (and told the others)
        raise UserInputError(ErrorCode.DUPLICATE, "This photo is already on a message", "photoId") from None
    await inbox.announce(ctx, told)
    for loader in (load_last_messages, load_unread_counts):  # later fields read them anew
        ctx.loaders.get(loader, viewer.id).clear_all()
    active = await ConversationMember.filter(conversation_id=conversation_id, active=True).values_list(
        "user_id", flat=True
    )
    for user_id in active:
        await pubsub.publish(ctx.services, TOPIC, user_id, {"messageId": message.id})
    return message


def _check_client_id(client_id: str | None) -> str | None:
    if client_id is None:
        return None
    if not client_id.strip():
        raise UserInputError(ErrorCode.INVALID, "Leave clientMessageId out or give an id", "clientMessageId")
    if len(client_id) > MAX_CLIENT_ID:
        raise UserInputError(ErrorCode.TOO_LONG, too_long(MAX_CLIENT_ID), "clientMessageId")
    return client_id


async def _already_sent(
    ctx: Context, conversation_id: int, sender_id: int, client_id: str
) -> Message | None:
    """The viewer's message with this client id here, if they are still in the conversation."""
    mine = Message.filter(conversation_id=conversation_id, sender_id=sender_id, client_id=client_id)
    found = await mine.first()
    if found is not None:
        await _member(ctx, conversation_id)  # left or removed since: refused as any send is
    return found


async def _tell_members(ctx: Context, sender: User, conversation_id: int) -> list[int]:
    """The `message` notice (and its push) for each other active member who reads the message
    (not blocked either way with the sender): one per conversation until they read it, keyed by
    their read mark, so a burst of messages, or messages sent at the same moment, buzz once.
    No message text in it: the notice outlives a message moderation hides."""
    hidden = await visibility.blocked(ctx)
    readers = await ConversationMember.filter(conversation_id=conversation_id, active=True).exclude(
        user_id=sender.id
    )
    conversation = await Conversation.get(id=conversation_id)
    text = f"{sender.display_name} 给你发了新消息"
    if conversation.meal_id is not None:
        title = await SharedMeal.filter(id=conversation.meal_id).first().values_list("title", flat=True)
        text = f"{sender.display_name} 在饭局「{title or ''}」里发了新消息"
    told: list[int] = []
    for reader in readers:
        if reader.user_id in hidden:
            continue
        rows = await inbox.notify(
            ctx,
            [reader.user_id],
            "message",
            text,
            conversation.meal_id,
            actor_id=sender.id,
            subject=("Conversation", conversation_id),
            dedupe_key=f"message:{conversation_id}:{reader.user_id}:{reader.last_read_id}",
        )
        told.extend(row.user_id for row in rows)
    return told


async def history(
    ctx: Context, conversation: Conversation, first: int | None, after: str | None
) -> Page[Message]:
    """Messages newest first (keyset on created_at, id): what the viewer may read of it."""
    member = await visibility.membership(ctx, conversation.id)
    if member is None:
        return Page([], [], False)
    return await newest_first(Message.filter(await visibility.messages_q(ctx, member)), first, after)


def _readable_messages(
    viewer_id: int, members: list[ConversationMember], hidden: frozenset[int], unread: bool
) -> list[Any]:
    """The messages of the viewer's `members`hips they read (readable, standing, no sender blocked
    either way; for `unread`, only others' after their last read), as one query per UNREAD_CHUNK
    of them: one OR over every membership nested past Python's recursion limit from ~500
    conversations (a host of many meals), a 500 on the badge."""
    queries = []
    for start in range(0, len(members), UNREAD_CHUNK):
        condition = Q()
        for member in members[start : start + UNREAD_CHUNK]:
            readable = visibility.readable(member)
            condition |= readable & Q(id__gt=member.last_read_id) if unread else readable
        query = Message.filter(condition, visibility.messages_standing_q())
        if hidden:
            query = query.exclude(sender_id__in=sorted(hidden))
        queries.append(query.exclude(sender_id=viewer_id) if unread else query)
    return queries


async def _standing(viewer_id: int, keys: Sequence[int], unread: bool) -> list[Any]:
    """`_readable_messages` of conversations `keys` (loaders: no request context)."""
    members = await ConversationMember.filter(user_id=viewer_id, conversation_id__in=list(keys))
    return _readable_messages(viewer_id, members, await visibility.blocked_either_way(viewer_id), unread)


async def load_last_messages(viewer_id: int, keys: Sequence[int]) -> list[Message | None]:
    """`lastMessage` of each conversation (the chat list's preview): the newest message `messages`
    would show first; one statement for a page of conversations."""
    found: dict[int, Message] = {}
    for query in await _standing(viewer_id, keys, unread=False):
        newest = query.group_by("conversation_id").annotate(newest=Max("id")).values("newest")
        for message in await Message.filter(id__in=Subquery(newest)):
            found[message.conversation_id] = message
    return [found.get(key) for key in keys]


async def load_unread_counts(viewer_id: int, keys: Sequence[int]) -> list[int]:
    """`unreadCount` of each conversation (others' messages after the last read), one statement a page."""
    counts: dict[int, int] = {}
    for query in await _standing(viewer_id, keys, unread=True):
        rows = await query.group_by("conversation_id").annotate(n=Count("id")).values_list(
            "conversation_id", "n"
        )
        counts.update(rows)
    return [counts.get(key, 0) for key in keys]


async def unread_total(ctx: Context) -> int:
    """Unread messages in all the viewer's conversations, counted in one grouped query per part."""
    viewer = ctx.require_viewer()
    total = 0
    rows = await Conversation.filter(await visibility.conversations_q(ctx)).values_list("id", flat=True)
    memberships = await ConversationMember.filter(user_id=viewer.id, conversation_id__in=list(rows))
    hidden = await visibility.blocked(ctx)
    for query in _readable_messages(viewer.id, memberships, hidden, unread=True):
        total += await query.count()
    return total


async def mark_read(ctx: Context, conversation_id: int) -> Conversation:
    await write_limit(ctx, "conversation")
    member = await _member(ctx, conversation_id)
    newest = await Message.filter(visibility.readable(member)).order_by("-id").only("id").first()
    if newest is not None:
        await ConversationMember.filter(id=member.id, last_read_id__lt=newest.id).update(
            last_read_id=newest.id
        )
    await inbox.mark_subject_read(member.user_id, ("Conversation", conversation_id))  # its notices too
    ctx.loaders = Loaders()  # the payload reads the membership as it is now
    return await Conversation.get(id=conversation_id)


async def page(ctx: Context, first: int | None, after: str | None) -> Page[Conversation]:
    """The viewer's conversations, latest activity first."""
    query = Conversation.filter(await visibility.conversations_q(ctx)).distinct()
    return await newest_by(query, "last_message_at", first, after)


async def received(ctx: Context, conversation_id: int | None) -> AsyncIterator[Message]:
    """New messages in the viewer's conversations (or one of them), from any app process."""
    viewer = ctx.require_viewer()
    async for note in pubsub.listen(ctx.services, TOPIC, viewer.id):
        ctx.loaders = Loaders()  # a subscription outlives many changes: permissions read afresh
        message = await visibility.get(ctx, Message, int(note.get("messageId", 0)))
        if message is not None and conversation_id in (None, message.conversation_id):
            yield message
