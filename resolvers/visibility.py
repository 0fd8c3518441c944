"""Who may see what: one rule per kind of object, stated once, in two forms side by side.

Each kind has a predicate on a loaded row (`can_see_*`: node(), relations, notifications,
attribution sources, mutations that look an object up) and a SQL condition (`*_q`: a Tortoise
`Q` for lists, counts, nearby queries and the feed). A new relation or list calls `fetch` /
`fetch_many` (or `fetch_now`) or filters with the `Q`; it never restates a rule.

The predicates are steps (core/loaders.py `decide`): each `yield`s the reads it needs (the
request's loaders: rows by id, the viewer's blocks, audiences) where it would `await` them. So a
rule over rows the request already holds (a list primed its loaders) decides at once, and a
relation field can hand graphql-core its finished value instead of a coroutine (`fetch_now`);
a rule that must read goes on as a coroutine from its first pending read, batched as before.

- user: not suspended (deleted accounts are suspended for good), not blocked either way with
  the viewer; always visible to themselves and to moderators.
- restaurant: not archived, not hidden or removed by moderation.
- review: visible, its author not suspended and not blocked either way with the viewer, and
  the author's reviews not withdrawn from the ratings (resolvers/reviews/withdrawal.py: set with
  a suspension, cleared when it ends; so what a list shows is what the counters count). A
  hidden one stays readable to its author alone (node(), notifications), never in lists.
- photo: its owner and moderators see it; others only when it is visible and on a visible review
  (an upload not yet on a review is private).
- review reply: visible, under a review the viewer may see; moderators see every reply.
- deal, event: visible, at a visible restaurant. Live deals are also active and in their window.
- shared meal: visible, at a visible restaurant, host visible to the viewer (not suspended, not
  blocked either way); followers-only meals only for the host's followers and its current
  guests (not those who left, were removed or declined). Moderators see every meal.
- feed entry: its content flag, actor and restaurant visible, actor not blocked either way.
- conversation: its members only (a member who left still sees it); a one-to-one conversation
  vanishes for both when either blocks the other. Moderators get no access of their own.
- message: visible, sender not blocked either way, and the viewer a member who had not left
  when it was sent. Moderators see a message only once it is reported (never browse).
- dish: not archived, at a visible restaurant.
- favourite list: its owner only (node(), lists of lists); through its share link anyone,
  anonymous too, while the owner is visible to them (not suspended, not blocked either way).
- favourite item: as its list, and only while its target stands for the reader: restaurant and
  dish as above, shared meal as in lists of meals (public audience, host not blocked either way:
  a list may be shared, so it never shows a followers-only meal).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q
from tortoise.models import Model

from core.context import Context
from core.loaders import Shaped, Slot, Steps, decide, pending, rows_of, settle
from models.accounts import User
from models.conversations import Conversation, ConversationKind, ConversationMember, Message
from models.deals import Deal, DealStatus
from models.favourites import FavouriteItem, FavouriteKind, FavouriteList
from models.foodies import Block, Follow
from models.meals import Audience, MealSeat, MealStatus, RestaurantEvent, SeatStatus, SharedMeal
from models.moderation import Report
from models.restaurants import Dish, Restaurant, RestaurantStaff, Visibility
from models.reviews import Photo, Review, ReviewPhoto
from models.tables import Booking, BookingSlot
from models.trust import ReviewReply
from resolvers.accounts.accounts import is_moderator

VISIBLE = Visibility.VISIBLE
HIDDEN = Visibility.HIDDEN
# Seats that keep a diner in a followers-only meal's audience.
MEMBER_SEATS = (
    SeatStatus.HOST,
    SeatStatus.JOINED,
    SeatStatus.WAITLISTED,
    SeatStatus.PENDING,
    SeatStatus.OFFERED,
)


def _at(prefix: str, **conditions: Any) -> Q:
    """Conditions on the object reached through `prefix` ("" or e.g. "restaurant__")."""
    return Q(**{f"{prefix}{name}": value for name, value in conditions.items()})


def _fk(prefix: str) -> str:
    """The id column of the object at `prefix`: "id", or "author_id" for "author__"."""
    return prefix.removesuffix("__") + "_id" if prefix else "id"


def _read(ctx: Context, model: type[Model], pk: int) -> Any:
    """The read of a row by id, whatever its state, from the request's loader (a rule yields it)."""
    return ctx.loaders.get(rows_of(model)).load(pk)


# ------------------------------------------------------------------ per-request lookups


def _blocks_query(many: int) -> Any:
    ids = Slot("ids", many=many)
    return Block.filter(Q(blocker_id__in=ids) | Q(blocked_id__in=ids)).values("blocker_id", "blocked_id")


# Read on most requests (every list or rule that leaves blocked people out): rendered once per
# number of keys.
_BLOCKS = Shaped(Block, _blocks_query)


async def load_blocked(keys: Sequence[int]) -> list[frozenset[int]]:
    """For each user, everyone they blocked or who blocked them."""
    ids = list(keys)
    rows = await _BLOCKS.dicts(len(ids), {"ids": ids})
    found: dict[int, set[int]] = {key: set() for key in ids}
    for row in rows:
        blocker, blocked_id = row["blocker_id"], row["blocked_id"]
        if blocker in found:
            found[blocker].add(blocked_id)
        if blocked_id in found:
            found[blocked_id].add(blocker)
    return [frozenset(found[key]) for key in ids]


async def blocked_either_way(user_id: int) -> frozenset[int]:
    return (await load_blocked([user_id]))[0]


# The same rule as SQL, for a statement that leaves blocked people out itself (nearbyFoodies'
# spatial statement): everyone `:of` blocked or who blocked `:of`.
BLOCKED_EITHER_WAY_SQL = (
    "SELECT blocked_id FROM blocks WHERE blocker_id = :of "
    "UNION ALL SELECT blocker_id FROM blocks WHERE blocked_id = :of"
)


def _blocked(ctx: Context) -> Steps:
    if ctx.viewer is None:
        return frozenset()
    return (yield ctx.loaders.get(load_blocked).load(ctx.viewer.id))


async def blocked(ctx: Context) -> frozenset[int]:
    """Users blocked either way with the viewer (none when anonymous), read once per request."""
    return await settle(decide(_blocked(ctx)))


async def load_audience(viewer_id: int, host_ids: Sequence[int]) -> list[bool]:
    """Does the viewer follow each host? (The followers-only audience; a loader of its own, so a
    follow made later in the same request can't leave another field's answer stale.)"""
    rows = await Follow.filter(follower_id=viewer_id, followee_id__in=list(host_ids)).values_list(
        "followee_id", flat=True
    )
    followed = set(rows)
    return [key in followed for key in host_ids]


async def load_membership(viewer_id: int, meal_ids: Sequence[int]) -> list[bool]:
    """Is the viewer still one of each meal's guests (or its host)?"""
    rows = await MealSeat.filter(
        user_id=viewer_id, meal_id__in=list(meal_ids), status__in=list(MEMBER_SEATS)
    ).values_list("meal_id", flat=True)
    members = set(rows)
    return [key in members for key in meal_ids]


async def load_photo_reviews(keys: Sequence[int]) -> list[int | None]:
    """The review each photo is on, None while it is on none."""
    rows = await ReviewPhoto.filter(photo_id__in=list(keys)).values_list("photo_id", "review_id")
    found = dict(rows)
    return [found.get(key) for key in keys]


# ------------------------------------------------------------------ users


def _suspended(user: User) -> bool:
    return user.is_suspended(datetime.now(UTC))


def active_users_q(prefix: str = "", now: Any = None) -> Q:
    """SQL: the user at `prefix` is not suspended (suspensions end by time: `now`, read now when
    not given; a statement rendered once passes a `Slot`)."""
    now = datetime.now(UTC) if now is None else now
    return _at(prefix, suspended_until__isnull=True) | _at(prefix, suspended_until__lte=now)


def can_see_user(ctx: Context, user: User | None) -> Steps:
    viewer = ctx.viewer
    if user is None:
        return False
    if viewer is not None and (viewer.id == user.id or is_moderator(viewer)):
        return True
    return not _suspended(user) and user.id not in (yield from _blocked(ctx))


async def as_blocker_sees(ctx: Context, users: Sequence[User]) -> list[User | None]:
    """People the viewer blocked, where they are shown to the blocker (blockedUsers, the block
    payloads) so a block can be undone: the user rule with the viewer's own block set aside.
    A suspended account, or someone who blocked the viewer too, stays None: blocking back must
    not open the profile of someone who is hiding from you."""
    viewer = ctx.require_viewer()
    if is_moderator(viewer):
        return list(users)
    hiding = set(
        await Block.filter(blocker_id__in=[u.id for u in users], blocked_id=viewer.id).values_list(
            "blocker_id", flat=True
        )
    )
    return [None if _suspended(u) or u.id in hiding else u for u in users]


async def users_q(ctx: Context, prefix: str = "") -> Q:
    """SQL form of can_see_user for the user at `prefix`."""
    viewer = ctx.viewer
    if is_moderator(viewer):
        return Q()
    return users_rule(prefix, viewer.id if viewer else None, sorted(await blocked(ctx)))


def users_rule(prefix: str, viewer_id: Any, hidden: Any, now: Any = None) -> Q:
    """`users_q` for a viewer who is no moderator, from its values (`viewer_id` None: anonymous;
    `hidden`: the ids blocked either way, empty: none), or `Slot`s of them in a statement
    rendered once."""
    condition = active_users_q(prefix, now)
    if hidden:
        condition &= ~Q(**{f"{_fk(prefix)}__in": hidden})
    if viewer_id is not None:
        condition |= Q(**{_fk(prefix): viewer_id})
    return condition


# ------------------------------------------------------------------ restaurants


def restaurants_q(prefix: str = "") -> Q:
    return _at(prefix, archived=False, visibility=VISIBLE)


def restaurant_ok(restaurant: Restaurant | None) -> bool:
    return restaurant is not None and not restaurant.archived and restaurant.visibility == VISIBLE


def can_see_restaurant(ctx: Context, restaurant: Restaurant | None) -> Steps:
    yield from ()  # reads nothing
    return restaurant_ok(restaurant)


def _recorded_restaurant(ctx: Context, restaurant_id: int) -> Steps:
    row = yield _read(ctx, Restaurant, restaurant_id)
    return row if row is not None and row.visibility == VISIBLE else None


async def fetch_recorded_restaurant(ctx: Context, restaurant_id: int) -> Restaurant | None:
    """A restaurant as a diner's own record names it (their voucher's deal, their booking):
    closed by its owner too (`archived`, shown 已停业), as an order history keeps the shop's name
    and address; never one moderation hid or took down. Lists, search and `node` keep
    `can_see_restaurant`."""
    return await settle(decide(_recorded_restaurant(ctx, restaurant_id)))


def _restaurant_ok(ctx: Context, restaurant_id: int) -> Steps:
    return restaurant_ok((yield _read(ctx, Restaurant, restaurant_id)))


def dishes_q(prefix: str = "") -> Q:
    """A dish on the menu: not archived, at a restaurant anyone may see."""
    return _at(prefix, archived=False) & reviewed_dishes_q(prefix)


def reviewed_dishes_q(prefix: str = "") -> Q:
    """A dish as what a review is about: the menu rule without `archived`. A dish taken off the
    menu (已下架) is still named on its reviews (as Dianping keeps them), flagged `archived`; the
    menu, search, dish(id) and node(id) keep `dishes_q`. Its restaurant must still be visible."""
    return restaurants_q(f"{prefix}restaurant__")


def can_see_dish(ctx: Context, dish: Dish | None) -> Steps:
    return dish is not None and not dish.archived and (yield from _restaurant_ok(ctx, dish.restaurant_id))


# ------------------------------------------------------------------ reviews and photos


def reviews_q(prefix: str = "", now: Any = None) -> Q:
    author = f"{prefix}author__"
    return _at(prefix, visibility=VISIBLE) & active_users_q(author, now) & _at(author, counts_withdrawn=False)


def listed_reviews_q(hidden: Any, now: Any = None) -> Q:
    """SQL: reviews a list shows a viewer blocked either way with `hidden` (`blocked(ctx)`'s ids
    sorted, or a `Slot` of them; empty: nobody), those authors left out; suspensions as of `now`
    (see active_users_q)."""
    return reviews_q(now=now) & ~Q(author_id__in=hidden) if hidden else reviews_q(now=now)


def can_see_review(ctx: Context, review: Review | None) -> Steps:
    if review is None:
        return False
    if review.visibility != VISIBLE:
        # 仅自己可见: a hidden review stays readable to its author (folded, with why), never a
        # removed one; lists and counts (`reviews_q`) leave it out for everyone alike.
        return review.visibility == HIDDEN and ctx.viewer is not None and ctx.viewer.id == review.author_id
    if review.author_id in (yield from _blocked(ctx)):
        return False
    author = yield _read(ctx, User, review.author_id)
    if author is None or _suspended(author) or author.counts_withdrawn:
        return False
    # A review lives on its restaurant's page: a hidden, removed or archived one takes it along
    # (read by id, voted on, shared) as its lists already do.
    return (yield from _restaurant_ok(ctx, review.restaurant_id))


def photos_q(prefix: str = "") -> Q:
    """SQL: a photo's own state; lists reach photos through a review already checked."""
    return _at(prefix, visibility=VISIBLE)


def can_see_photo(ctx: Context, photo: Photo | None) -> Steps:
    viewer = ctx.viewer
    if photo is None:
        return False
    if viewer is not None and (viewer.id == photo.owner_id or is_moderator(viewer)):
        return True
    if photo.visibility != VISIBLE:
        return False
    review_id = yield ctx.loaders.get(load_photo_reviews).load(photo.id)
    if review_id is None:
        return False
    return (yield from can_see_review(ctx, (yield _read(ctx, Review, review_id))))


def replies_q(prefix: str = "") -> Q:
    """SQL: a reply stands while visible, under a standing review, by staff not suspended."""
    return (
        _at(prefix, visibility=VISIBLE)
        & reviews_q(f"{prefix}review__")
        & active_users_q(f"{prefix}author__")
    )


def can_see_reply(ctx: Context, reply: ReviewReply | None) -> Steps:
    if reply is None:
        return False
    if is_moderator(ctx.viewer):
        return True
    if reply.visibility != VISIBLE:
        return False
    author = yield _read(ctx, User, reply.author_id)
    if author is None or _suspended(author):  # a suspended staff member's replies go with them
        return False
    return (yield from can_see_review(ctx, (yield _read(ctx, Review, reply.review_id))))


# ------------------------------------------------------------------ deals and events


def deals_q(prefix: str = "") -> Q:
    return _at(prefix, visibility=VISIBLE) & restaurants_q(f"{prefix}restaurant__")


def live_deals_q(now: datetime) -> Q:
    """Deals on offer now: what nearby lists and restaurant pages show and claims accept."""
    return deals_q() & Q(status=DealStatus.ACTIVE, starts_at__lte=now, ends_at__gt=now)


def upcoming_deals_q(now: datetime) -> Q:
    """Deals whose sale has not opened yet (即将开抢): shown on the restaurant page, not claimable."""
    return deals_q() & Q(status=DealStatus.ACTIVE, starts_at__gt=now)


def can_see_deal(ctx: Context, deal: Deal | None) -> Steps:
    return (
        deal is not None
        and deal.visibility == VISIBLE
        and (yield from _restaurant_ok(ctx, deal.restaurant_id))
    )


def events_q(prefix: str = "") -> Q:
    return _at(prefix, visibility=VISIBLE) & restaurants_q(f"{prefix}restaurant__")


def can_see_event(ctx: Context, event: RestaurantEvent | None) -> Steps:
    return (
        event is not None
        and event.visibility == VISIBLE
        and (yield from _restaurant_ok(ctx, event.restaurant_id))
    )


# ------------------------------------------------------------------ shared meals


def meals_q(prefix: str = "") -> Q:
    """SQL: the meal stands whoever looks (visible, restaurant visible, host not suspended)."""
    return (
        _at(prefix, visibility=VISIBLE)
        & restaurants_q(f"{prefix}restaurant__")
        & active_users_q(f"{prefix}host__")
    )


async def listed_meals_q(ctx: Context) -> Q:
    """SQL: meals anyone may be shown in a list (public audience), hosts blocked either way out."""
    condition = meals_q() & Q(audience=Audience.PUBLIC)
    hidden = await blocked(ctx)
    return condition & ~Q(host_id__in=sorted(hidden)) if hidden else condition


def can_see_meal(ctx: Context, meal: SharedMeal | None) -> Steps:
    viewer = ctx.viewer
    if meal is None:
        return False
    if is_moderator(viewer):
        return True
    if meal.visibility != VISIBLE or not (yield from _restaurant_ok(ctx, meal.restaurant_id)):
        return False
    if not (yield from can_see_user(ctx, (yield _read(ctx, User, meal.host_id)))):
        return False
    if meal.audience == Audience.PUBLIC or (viewer is not None and viewer.id == meal.host_id):
        return True
    if viewer is None:
        return False
    if (yield ctx.loaders.get(load_audience, viewer.id).load(meal.host_id)):
        return True
    return (yield ctx.loaders.get(load_membership, viewer.id).load(meal.id))


# ------------------------------------------------------------------ feed


def feed_rule(actors: Q) -> Q:
    """SQL: feed entries the viewer may see (each item's content is checked again on output),
    `actors` the rule for their actors (`users_q`'s, or `users_rule` of `Slot`s)."""
    return (
        Q(visible=True)
        & (Q(actor_id__isnull=True) | actors)
        & (Q(restaurant_id__isnull=True) | restaurants_q("restaurant__"))
    )


def in_feed(row: Model) -> bool:
    """Whether content's feed entry shows, from the content's own state: restoring a cancelled
    meal's content after moderation must not bring its entry back."""
    if isinstance(row, SharedMeal):
        return row.visibility == VISIBLE and row.status == MealStatus.OPEN
    if isinstance(row, RestaurantEvent):
        return row.visibility == VISIBLE and not row.cancelled
    return getattr(row, "visibility", VISIBLE) == VISIBLE


# ------------------------------------------------------------------ conversations


async def load_memberships(viewer_id: int, keys: Sequence[int]) -> list[ConversationMember | None]:
    """The viewer's membership of each conversation (None: never a member)."""
    rows = await ConversationMember.filter(user_id=viewer_id, conversation_id__in=list(keys))
    found = {row.conversation_id: row for row in rows}
    return [found.get(key) for key in keys]


async def load_direct_others(viewer_id: int, keys: Sequence[int]) -> list[int | None]:
    """The other person of each one-to-one conversation."""
    rows = await ConversationMember.filter(
        conversation_id__in=list(keys), user_id__not=viewer_id
    ).values_list("conversation_id", "user_id")
    found = dict(rows)
    return [found.get(key) for key in keys]


def _membership(ctx: Context, conversation_id: int) -> Steps:
    if ctx.viewer is None:
        return None
    return (yield ctx.loaders.get(load_memberships, ctx.viewer.id).load(conversation_id))


async def membership(ctx: Context, conversation_id: int) -> ConversationMember | None:
    return await settle(decide(_membership(ctx, conversation_id)))


def can_see_conversation(ctx: Context, conversation: Conversation | None) -> Steps:
    if conversation is None or ctx.viewer is None:
        return False
    if (yield from _membership(ctx, conversation.id)) is None:
        return False
    if conversation.kind == ConversationKind.DIRECT:
        other = yield ctx.loaders.get(load_direct_others, ctx.viewer.id).load(conversation.id)
        return other not in (yield from _blocked(ctx))
    return True


async def conversations_q(ctx: Context) -> Q:
    """SQL: conversations the viewer may list (one-to-one ones with a blocked person left out)."""
    viewer = ctx.require_viewer()
    condition = Q(members__user_id=viewer.id)
    hidden = await blocked(ctx)
    if hidden:
        hidden_pairs = [f"{min(viewer.id, other)}:{max(viewer.id, other)}" for other in sorted(hidden)]
        condition &= Q(pair__isnull=True) | ~Q(pair__in=hidden_pairs)
    return condition


def readable(member: ConversationMember) -> Q:
    """SQL: messages of the member's conversation sent while they were in it."""
    condition = Q(conversation_id=member.conversation_id)
    return condition if member.left_after is None else condition & Q(id__lte=member.left_after)


async def messages_q(ctx: Context, member: ConversationMember) -> Q:
    """SQL: the messages a member reads (standing: visible, from a sender not suspended;
    readable; senders blocked either way left out)."""
    condition = readable(member) & messages_standing_q()
    hidden = await blocked(ctx)
    return condition & ~Q(sender_id__in=sorted(hidden)) if hidden else condition


async def load_reported_messages(keys: Sequence[int]) -> list[bool]:
    rows = await Report.filter(target_type="Message", target_id__in=list(keys)).values_list(
        "target_id", flat=True
    )
    reported = set(rows)
    return [key in reported for key in keys]


def can_see_message(ctx: Context, message: Message | None) -> Steps:
    if message is None or ctx.viewer is None:
        return False
    if is_moderator(ctx.viewer) and (yield ctx.loaders.get(load_reported_messages).load(message.id)):
        return True
    member = yield from _membership(ctx, message.conversation_id)
    if member is None or (member.left_after is not None and message.id > member.left_after):
        return False
    if message.visibility != VISIBLE or message.sender_id in (yield from _blocked(ctx)):
        return False
    sender = yield _read(ctx, User, message.sender_id)
    if sender is None or _suspended(sender):  # a suspended account's messages (spam) are out
        return False
    conversation = yield _read(ctx, Conversation, message.conversation_id)
    return (yield from can_see_conversation(ctx, conversation))


def messages_standing_q(now: Any = None) -> Q:
    """SQL: a message stands while visible and its sender is not suspended (lists, counts and
    badges; suspensions end by time: they come back)."""
    return Q(visibility=VISIBLE) & active_users_q("sender__", now)


# ------------------------------------------------------------------ tables (issue 16)


def can_see_booking(ctx: Context, booking: Booking | None) -> Steps:
    """A booking: its diner, the restaurant's staff, moderators."""
    viewer = ctx.viewer
    if booking is None or viewer is None:
        return False
    if booking.user_id == viewer.id or is_moderator(viewer):
        return True
    return (yield RestaurantStaff.filter(restaurant_id=booking.restaurant_id, user_id=viewer.id).exists())


def can_see_slot(ctx: Context, slot: BookingSlot | None) -> Steps:
    return slot is not None and (yield from _restaurant_ok(ctx, slot.restaurant_id))


# ------------------------------------------------------------------ favourites (issue 15)


def can_see_favourite_list(ctx: Context, favourites: FavouriteList | None) -> Steps:
    """By ID: the owner only (a shared list is read through its link, `can_read_shared_list`)."""
    yield from ()  # reads nothing
    return favourites is not None and ctx.viewer is not None and favourites.owner_id == ctx.viewer.id


async def can_read_shared_list(ctx: Context, favourites: FavouriteList | None) -> bool:
    """Through its share link: anyone to whom the owner is visible."""
    if favourites is None or favourites.share_token_hash is None:
        return False
    return await fetch(ctx, User, favourites.owner_id) is not None


async def favourite_items_q(ctx: Context) -> Q:
    """SQL: the items of a list the reader is shown (targets that still stand for them)."""
    meal = meals_q("meal__") & Q(meal__audience=Audience.PUBLIC)
    hidden = await blocked(ctx)
    if hidden:
        meal &= ~Q(meal__host_id__in=sorted(hidden))
    return (
        (Q(kind=FavouriteKind.RESTAURANT) & restaurants_q("restaurant__"))
        | (Q(kind=FavouriteKind.DISH) & dishes_q("dish__"))
        | (Q(kind=FavouriteKind.SHARED_MEAL) & meal)
    )


def can_see_favourite_item(ctx: Context, item: FavouriteItem | None) -> Steps:
    if item is None:
        return False
    if not (yield from can_see_favourite_list(ctx, (yield _read(ctx, FavouriteList, item.list_id)))):
        return False
    standing_for_reader = yield favourite_items_q(ctx)
    return (yield FavouriteItem.filter(standing_for_reader, id=item.id).exists())


# ------------------------------------------------------------------ by id, for every relation

Check = Callable[[Context, Any], Steps]  # the rule's steps; their answer is a bool

RULES: dict[type[Model], Check] = {
    User: can_see_user,
    Restaurant: can_see_restaurant,
    Review: can_see_review,
    Photo: can_see_photo,
    ReviewReply: can_see_reply,
    Deal: can_see_deal,
    RestaurantEvent: can_see_event,
    SharedMeal: can_see_meal,
    Conversation: can_see_conversation,
    Message: can_see_message,
    Booking: can_see_booking,
    BookingSlot: can_see_slot,
    Dish: can_see_dish,
    FavouriteList: can_see_favourite_list,
    FavouriteItem: can_see_favourite_item,
}

# Viewer-independent SQL forms: does the object still stand (attribution at redemption).
STANDING: dict[type[Model], Callable[[], Q]] = {
    User: active_users_q,
    Restaurant: restaurants_q,
    Review: reviews_q,
    Photo: photos_q,
    ReviewReply: replies_q,
    Deal: deals_q,
    RestaurantEvent: events_q,
    SharedMeal: meals_q,
    Message: messages_standing_q,
    Dish: dishes_q,
}


def _visible(ctx: Context, row: Any) -> Steps:
    return row is not None and (yield from RULES[type(row)](ctx, row))


async def visible(ctx: Context, row: Any) -> bool:
    """The rule of the row's kind."""
    return await settle(decide(_visible(ctx, row)))


async def keep_visible(ctx: Context, rows: Sequence[Any]) -> list[Any]:
    """Rows the viewer may see, None in place of the others. Every rule runs up to its first
    pending read before any waits, so their reads share one batch per loader; only those still
    waiting are gathered."""
    flags = [decide(_visible(ctx, row)) for row in rows]
    waiting = [i for i, flag in enumerate(flags) if pending(flag)]
    if waiting:
        for i, ok in zip(waiting, await asyncio.gather(*(flags[i] for i in waiting)), strict=True):
            flags[i] = ok
    return [row if ok else None for row, ok in zip(rows, flags, strict=True)]


async def fetch_many(ctx: Context, model: type[Model], ids: Sequence[int]) -> list[Any]:
    rows = await ctx.loaders.get(rows_of(model)).load_many(list(ids))
    return await keep_visible(ctx, rows)


def _fetch(ctx: Context, model: type[Model], pk: int) -> Steps:
    row = yield _read(ctx, model, pk)
    return row if (yield from _visible(ctx, row)) else None


def fetch_now(ctx: Context, model: type[Model], pk: int | None) -> Any:
    """`fetch`'s answer itself when the request's loaders already hold what the rule reads (the
    row and, e.g., the viewer's blocks), else an awaitable of it. A relation field returns it
    (through `core.loaders.then`): graphql-core completes a finished value without a task."""
    return None if pk is None else decide(_fetch(ctx, model, pk))


async def fetch(ctx: Context, model: type[Model], pk: int | None) -> Any:
    """The object if the viewer may see it, else None: what every relation field returns."""
    return await settle(fetch_now(ctx, model, pk))


async def standing(model: type[Model], pk: int) -> bool:
    """Whether the object exists and stands for anyone (not removed, hidden or suspended)."""
    return await model.filter(STANDING[model](), id=pk).exists()


async def get(ctx: Context, model: type[Model], pk: int) -> Any:
    """Like fetch, but the row read fresh (not from the request's loader): for mutations, so the
    payload they return is never served the copy from before their change."""
    row = await model.get_or_none(id=pk)
    return row if await visible(ctx, row) else None
