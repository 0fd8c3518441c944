"""The social graph (follow, block, match requests) and nearby foodie matching."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet, ValuesQuery
from tortoise.transactions import in_transaction

from core import pubsub
from core.atomic import lock_row
from core.context import Context
from core.error_text import too_long
from core.errors import BadRequestError, Collector, ErrorCode, UserInputError
from core.loaders import Shaped, Slot, by_key
from core.nearby import check_radius
from core.pagination import Page, decode_cursor, encode_cursor, page_size
from core.text import check_visible_text
from geo import Hit
from geo.privacy import coarse_km
from models.accounts import Role, User
from models.foodies import Block, Follow, MatchRequest, MatchStatus
from resolvers import visibility
from resolvers.accounts.accounts import DINER_KIND, write_limit
from resolvers.foodies import matches, ranking
from resolvers.foodies.matching import Scorer, Taste
from resolvers.meals import meals
from resolvers.notifications import inbox

CANDIDATE_CAP = 500  # nearest obfuscated points scored per query: bounded work in dense cities
MATCH_TOPIC = "match-request"


def _no_such_user(field: str = "userId") -> UserInputError:
    return UserInputError(ErrorCode.NOT_FOUND, "No such user", field)


async def _visible_user(ctx: Context, user_id: int, field: str = "userId") -> User:
    """The target of a follow or request: any standing account (blocks: `_refuse_if_blocked`)."""
    user = await User.filter(visibility.active_users_q(), id=user_id).first()
    if user is None:
        raise _no_such_user(field)
    return user


async def _refuse_if_blocked(viewer_id: int, target_id: int, refusal: str) -> None:
    """A block between the two refuses a follow or request. The blocker is told BLOCKED (their
    own block); the blocked person is answered exactly as for an unknown account, so a block
    never shows itself to the one it hides from."""
    directions = set(
        await Block.filter(
            Q(blocker_id=viewer_id, blocked_id=target_id) | Q(blocker_id=target_id, blocked_id=viewer_id)
        ).values_list("blocker_id", flat=True)
    )
    if viewer_id in directions:
        raise UserInputError(ErrorCode.BLOCKED, refusal, "userId")
    if directions:
        raise _no_such_user()


async def _lock_pair(a: int, b: int) -> None:
    """Both people's rows locked, lower id first, at the start of a transaction: a block and a
    follow or match request between the same two run one after the other, so neither slips in
    beside a block (the later one sees it; the block's clean-up sees the earlier one)."""
    for user_id in sorted((a, b)):
        await lock_row("users", user_id, "id", strength="NO KEY UPDATE")


async def follow(ctx: Context, user_id: int) -> User:
    viewer = await write_limit(ctx, "follow")
    if user_id == viewer.id:
        raise UserInputError(ErrorCode.SELF_ACTION, "You cannot follow yourself", "userId")
    target = await _visible_user(ctx, user_id)
    await _refuse_if_blocked(viewer.id, target.id, "You cannot follow this user")
    try:
        async with in_transaction("default"):
            await _lock_pair(viewer.id, target.id)
            # a block that won the race
            await _refuse_if_blocked(viewer.id, target.id, "You cannot follow this user")
            await Follow.create(follower_id=viewer.id, followee_id=target.id)
            await inbox.notify(
                ctx,
                [target.id],
                "new_follower",
                f"{viewer.display_name} 关注了你",
                actor_id=viewer.id,
                subject=("User", viewer.id),
                # Once per follower: unfollowing and following again must not buzz a phone each time.
                dedupe_key=f"new_follower:{target.id}:{viewer.id}",
            )
    except IntegrityError:
        return target  # already following: following twice is a no-op (and notifies once)
    await inbox.announce(ctx, [target.id])
    return target


async def unfollow(ctx: Context, user_id: int) -> User:
    viewer = await write_limit(ctx, "follow")
    if user_id == viewer.id:
        raise UserInputError(ErrorCode.SELF_ACTION, "You cannot unfollow yourself", "userId")
    target = await _visible_user(ctx, user_id)
    await Follow.filter(follower_id=viewer.id, followee_id=target.id).delete()
    return target


async def _someone_else(viewer: User, user_id: int, verb: str) -> User:
    """The other person of a block or unblock: any account but one's own (blocking needs no
    visibility: a blocked person is hidden, and the block must still be undoable)."""
    if user_id == viewer.id:
        raise UserInputError(ErrorCode.SELF_ACTION, f"You cannot {verb} yourself", "userId")
    target = await User.get_or_none(id=user_id)
    if target is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such user", "userId")
    return target


async def block(ctx: Context, user_id: int) -> User:
    """Block: no follows either way, no matching, no pending requests between the two."""
    viewer = await write_limit(ctx, "block")
    target = await _someone_else(viewer, user_id, "block")
    async with in_transaction("default"):
        await _lock_pair(viewer.id, target.id)
        try:
            async with in_transaction("default"):
                await Block.create(blocker_id=viewer.id, blocked_id=target.id)
        except IntegrityError:
            pass
        await Follow.filter(
            Q(follower_id=viewer.id, followee_id=target.id) | Q(follower_id=target.id, followee_id=viewer.id)
        ).delete()
        # A block ends a match and withdraws a pending request (deleted, as unmatching does: an
        # unblock restores neither, and leaves the two free to ask again).
        await MatchRequest.filter(
            Q(sender_id=viewer.id, recipient_id=target.id) | Q(sender_id=target.id, recipient_id=viewer.id),
            status__in=[MatchStatus.PENDING, MatchStatus.ACCEPTED],
        ).delete()
    await meals.part_after_block(ctx, viewer.id, target.id)
    return target


async def blocked_page(ctx: Context, first: int | None, after: str | None) -> Page[Block]:
    """The people the viewer blocked, latest block first (to undo one)."""
    from core.pagination import newest_first

    viewer = ctx.require_viewer()
    return await newest_first(Block.filter(blocker_id=viewer.id), first, after)


async def unblock(ctx: Context, user_id: int) -> User:
    viewer = await write_limit(ctx, "block")
    target = await _someone_else(viewer, user_id, "unblock")
    await Block.filter(blocker_id=viewer.id, blocked_id=target.id).delete()
    return target


async def send_match_request(ctx: Context, user_id: int, message: str | None) -> MatchRequest:
    viewer = await write_limit(ctx, "match")
    if user_id == viewer.id:
        raise UserInputError(ErrorCode.SELF_ACTION, "You cannot match with yourself", "userId")
    if viewer.role != Role.DINER:  # 搭子 are diners: a business account doesn't court its customers
        raise UserInputError(ErrorCode.FORBIDDEN, "Only diners send match requests", "userId")
    message = (message or "").strip()
    collector = Collector()
    if len(message) > 300:
        collector.add("message", ErrorCode.TOO_LONG, too_long(300))
    check_visible_text(message, "message", collector, multiline=True)
    collector.raise_if_any()
    target = await _visible_user(ctx, user_id)
    await _refuse_if_blocked(viewer.id, target.id, "You cannot send a request to this user")
    if target.role != Role.DINER:
        raise UserInputError(ErrorCode.FORBIDDEN, "Only diners can be asked to match", "userId")
    asked_back = await _pending_from(target.id, viewer.id)
    if asked_back is not None:
        return await _accept_by_asking_back(ctx, asked_back)
    pair = matches.pair_of(viewer.id, target.id)
    before = await MatchRequest.get_or_none(pair=pair)
    # One request per pair; but one the viewer declined is theirs to take back: asking the
    # person they turned down replaces it (a change of mind), where the one declined can't ask again.
    declined_by_me = (
        before is not None and before.status == MatchStatus.DECLINED and before.sender_id == target.id
    )
    if before is not None and not declined_by_me:
        raise _duplicate_request()
    try:
        async with in_transaction("default"):
            await _lock_pair(viewer.id, target.id)
            # a block that won the race
            await _refuse_if_blocked(viewer.id, target.id, "You cannot send a request to this user")
            if declined_by_me and before is not None:
                await MatchRequest.filter(id=before.id, status=MatchStatus.DECLINED).delete()
            request = await MatchRequest.create(
                sender_id=viewer.id, recipient_id=target.id, pair=pair, message=message
            )
            await inbox.notify(
                ctx,
                [target.id],
                "match_request",
                f"{viewer.display_name} 想和你约饭",
                actor_id=viewer.id,
                subject=("MatchRequest", request.id),
            )
    except IntegrityError:
        # Both asked at the same moment: the other request won the pair, and answers this one.
        asked_back = await _pending_from(target.id, viewer.id)
        if asked_back is not None:
            return await _accept_by_asking_back(ctx, asked_back)
        raise _duplicate_request() from None
    await pubsub.publish(ctx.services, MATCH_TOPIC, target.id, {"requestId": request.id})
    await inbox.announce(ctx, [target.id])
    return request


def _duplicate_request() -> UserInputError:
    return UserInputError(ErrorCode.DUPLICATE, "A request between you already exists", "userId")


async def _pending_from(sender_id: int, recipient_id: int) -> MatchRequest | None:
    return await MatchRequest.get_or_none(
        sender_id=sender_id, recipient_id=recipient_id, status=MatchStatus.PENDING
    )


async def _accept_by_asking_back(ctx: Context, request: MatchRequest) -> MatchRequest:
    """双向奔赴: asking someone who already asked you is saying yes to their request (the
    answer is that request, now ACCEPTED), not a DUPLICATE to puzzle over."""
    try:
        return await _answer(ctx, ctx.require_viewer(), request, accept=True)
    except UserInputError as error:
        if error.errors[0][1] is ErrorCode.ALREADY_ANSWERED:  # answered meanwhile: as it stands
            raise _duplicate_request() from None
        raise


async def respond_match_request(ctx: Context, request_id: int, accept: bool) -> MatchRequest:
    viewer = await write_limit(ctx, "match")
    request = await MatchRequest.get_or_none(id=request_id, recipient_id=viewer.id)
    # A request from someone hidden from the viewer (blocked, suspended) is not listed: not answerable.
    if request is None or await visibility.fetch(ctx, User, request.sender_id) is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such request", "requestId")
    return await _answer(ctx, viewer, request, accept)


async def withdraw_match_request(ctx: Context, request_id: int) -> int:
    """The sender takes back a request not yet answered: it leaves both lists and the recipient's
    notices (their badge moves back), and they may ask again later. Exactly one of a withdrawal
    and an answer at the same moment happens (both move the request only while PENDING).
    Returns the recipient's id."""
    viewer = await write_limit(ctx, "match")
    request = await MatchRequest.get_or_none(id=request_id, sender_id=viewer.id)
    if request is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such request", "requestId")
    async with in_transaction("default"):
        taken_back = await MatchRequest.filter(id=request.id, status=MatchStatus.PENDING).delete()
        if not taken_back:
            raise UserInputError(ErrorCode.ALREADY_ANSWERED, "This request was already answered", "requestId")
        await inbox.forget_subject(request.recipient_id, ("MatchRequest", request.id))
    await inbox.announce(ctx, [request.recipient_id])
    return request.recipient_id


async def _answer(ctx: Context, viewer: User, request: MatchRequest, accept: bool) -> MatchRequest:
    """The recipient's answer, once (in the statement); the request's notice to them is read."""
    status = MatchStatus.ACCEPTED if accept else MatchStatus.DECLINED
    now = datetime.now(UTC)
    async with in_transaction("default"):
        changed = await MatchRequest.filter(id=request.id, status=MatchStatus.PENDING).update(
            status=status, responded_at=now
        )
        if not changed:
            raise UserInputError(ErrorCode.ALREADY_ANSWERED, "This request was already answered", "requestId")
        await inbox.mark_subject_read(viewer.id, ("MatchRequest", request.id))
        answer = f"{viewer.display_name} {'接受' if accept else '婉拒'}了你的约饭请求"
        await inbox.notify(
            ctx,
            [request.sender_id],
            f"match_{status.value}",
            answer,
            actor_id=viewer.id,
            subject=("MatchRequest", request.id),
        )
    await inbox.announce(ctx, [request.sender_id])
    request.status, request.responded_at = status, now
    await matches.answered(ctx, request)
    return request


async def match_requests_page(
    ctx: Context, incoming: bool, status: MatchStatus | None, first: int | None, after: str | None
) -> Page[MatchRequest]:
    from core.pagination import newest_first

    viewer = ctx.require_viewer()
    query = MatchRequest.filter(**({"recipient_id": viewer.id} if incoming else {"sender_id": viewer.id}))
    # Only requests with someone the viewer may see (not blocked either way, not suspended).
    query = query.filter(await visibility.users_q(ctx, "sender__" if incoming else "recipient__"))
    if status is not None:
        query = query.filter(status=status)
    return await newest_first(query, first, after)


async def match_request_events(ctx: Context) -> AsyncIterator[MatchRequest]:
    """Requests sent to the viewer from now on, from any app process (Redis pub/sub)."""
    viewer = ctx.require_viewer()
    async for message in pubsub.listen(ctx.services, MATCH_TOPIC, viewer.id):
        request = await MatchRequest.get_or_none(id=message.get("requestId"), recipient_id=viewer.id)
        if request is not None:
            yield request


# ----------------------------------------------------------------- nearby matching


@dataclass(frozen=True)
class FoodieMatch:
    user: User
    distance_km: float
    score: float
    shared_cuisines: list[str]


# What scoring needs of each candidate on SQLite (PostgreSQL reads it from the points' cards,
# `ranking.CARDS_SQL`): the rows geo/ joins with the nearest diners' points, so the candidates
# and their scoring columns come back in one round trip. `discoverable` as before
# (points of non-discoverable diners are removed from the index anyway); suspension is checked
# by the ranking, per row, as before (a suspended diner keeps a candidate's place, so the
# candidates are the CANDIDATE_CAP nearest points whatever their rows say).
CANDIDATE_ROWS = (
    "SELECT id, cuisines, dietary, spice_level, budget_level, last_active_at, suspended_until "
    "FROM users WHERE discoverable"
)


def _json_list(value: object) -> list[str]:
    return json.loads(value) if isinstance(value, str | bytes) else list(value or [])  # type: ignore[call-overload]


def _moment(value: object) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    moment = datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def candidate_options(viewer: User) -> dict[str, Any]:
    """Which points are candidates, as geo/ takes it: the CANDIDATE_CAP nearest diners' but the
    viewer's and those of people blocked either way (the block rule as SQL, inside the spatial
    statement)."""
    return {
        "limit": CANDIDATE_CAP,
        "exclude": [viewer.id],
        "also_exclude": visibility.BLOCKED_EITHER_WAY_SQL,
        "also_exclude_of": viewer.id,
    }


async def nearest_candidates(ctx: Context, viewer: User, radius_km: float) -> list[tuple[Hit, tuple | None]]:
    """The candidates' points, each with what scoring needs of them (None when they are not
    discoverable): (id, cuisines, dietary, spice, budget, last active, suspended until) by
    position, as plain rows: one query, no model objects. (SQLite's path; PostgreSQL ranks in
    SQL, `ranking`.)"""
    found = await ctx.services.geo.within_rows(
        DINER_KIND,
        viewer.lat,
        viewer.lng,
        radius_km,
        CANDIDATE_ROWS,
        read_past_missing=False,
        **candidate_options(viewer),
    )
    return [
        (
            hit,
            None
            if row is None
            else (
                row["id"],
                _json_list(row["cuisines"]),
                _json_list(row["dietary"]),
                row["spice_level"],
                row["budget_level"],
                _moment(row["last_active_at"]),
                _moment(row["suspended_until"]),
            ),
        )
        for hit, row in found
    ]


def taste_of(user: User) -> Taste:
    return Taste(
        frozenset(user.cuisines or []), frozenset(user.dietary or []), user.spice_level, user.budget_level
    )


async def _none() -> int:
    return 0


# A ranked item: (score, user id, exact distance in km, the user). The score is the quantised
# one (`matching.Scorer.raw`, from the distance band), the one shown and put in the cursor; the
# exact distance never leaves the server (shown as its band, `coarse_km`).
Ranked = tuple[float, int, float, User]
# A page as ranked: its items, whether more follow, how many candidates were kept (totalCount).
RankedPage = tuple[list[Ranked], bool, int]


@dataclass(frozen=True)
class RankAsk:
    """One page of the ranking, as either backend's ranking takes it."""

    viewer: User
    mine: Taste  # the viewer's taste
    radius_km: float  # whole km (`coarse_km` of the radius asked)
    now: datetime
    size: int
    after: tuple[float, int] | None  # the cursor: (quantised score, user id) of the last item


async def _ranked_in_sql(ctx: Context, ask: RankAsk) -> RankedPage:
    """PostgreSQL: the page's items, users included, and the kept count: one statement."""
    rows = await ctx.services.geo.within_ranked(
        DINER_KIND,
        ask.viewer.lat,
        ask.viewer.lng,
        ask.radius_km,
        ranking.rank_sql(ask.after is not None),
        ranking.rank_values(ask.mine, ask.radius_km, ask.now, ask.size, ask.after),
        **candidate_options(ask.viewer),
    )
    found, kept = ranking.page_rows(rows)
    items = [
        (row["match_score"], row["id"], row["match_distance_m"] / 1000.0, User._init_from_db(**row))
        for row in found[: ask.size]
    ]
    return items, len(found) > ask.size, kept


async def _ranked_in_python(ctx: Context, ask: RankAsk) -> RankedPage:
    """SQLite: the candidates scored by `Scorer`, then the page's users (one more read)."""
    raw = Scorer(ask.mine, ask.radius_km, ask.now).raw
    ranked: list[tuple[float, int, float]] = []  # (-score, id, distance): sorted best first
    for hit, row in await nearest_candidates(ctx, ask.viewer, ask.radius_km):
        if row is None or (row[6] is not None and row[6] > ask.now):  # gone, hidden or suspended
            continue
        points = raw(frozenset(row[1] or ()), row[2] or (), row[3], row[4], hit.distance_km, row[5])
        ranked.append((-points, row[0], hit.distance_km))
    ranked.sort(key=lambda item: (item[0], item[1]))
    window = ranked
    if ask.after is not None:
        last = (-ask.after[0], ask.after[1])
        window = [item for item in ranked if (item[0], item[1]) > last]
    size = ask.size
    users = {u.id: u for u in await User.filter(id__in=[item[1] for item in window[:size]])}
    items = [(-neg, uid, distance, users[uid]) for neg, uid, distance in window[:size] if uid in users]
    return items, len(window) > size, len(ranked)


async def nearby_foodies(
    ctx: Context, radius_km: float, first: int | None, after: str | None
) -> Page[FoodieMatch]:
    """Diners near the viewer, best match first; everything about them from obfuscated points.

    Everything shown depends on a diner's distance band only, never on the exact distance to
    their point (geo/privacy.py): `distanceKm` is the band, the score is computed from it and
    quantised (`matching`), the cursor carries that same score and the id, and the radius is
    rounded up to whole km like distances (so being listed means "band <= radius"). Ranked by
    that score, ties by id: pages follow one another without a gap or a repeat.
    """
    viewer = ctx.require_viewer()
    check_radius(radius_km)
    size = page_size(first)
    cursor = decode_cursor(after, 2)  # finite numbers only (core/pagination.py)
    try:
        last = (float(cursor[0]), int(cursor[1])) if cursor is not None else None
    except (TypeError, ValueError):
        raise BadRequestError("Malformed cursor") from None
    if viewer.lat is None or viewer.lng is None:
        return Page(items=[], cursors=[], has_next_page=False, count=_none)
    mine, now = taste_of(viewer), datetime.now(UTC)
    # A radius of 2.3 km searches 3: who is listed must not follow the exact distance either (a
    # client could otherwise narrow the radius until someone drops out, and read the distance).
    whole_km = coarse_km(radius_km)
    postgres = connections.get("default").capabilities.dialect == "postgres"
    rank = _ranked_in_sql if postgres else _ranked_in_python
    window, has_next, kept = await rank(ctx, RankAsk(viewer, mine, whole_km, now, size, last))
    shared = mine.cuisines.intersection
    items = [
        FoodieMatch(user, coarse_km(distance), score, sorted(shared(user.cuisines)))
        for score, _, distance, user in window
    ]

    async def count() -> int:
        """totalCount: the candidates the ranking kept (discoverable, not suspended)."""
        return kept

    return Page(
        items=items,
        cursors=[encode_cursor([score, uid]) for score, uid, _, _ in window],
        has_next_page=has_next,
        count=count,
    )


# ----------------------------------------------------------------- loaders


def follows(user_ids: Any, followers: bool, now: Any = None, hidden: Sequence[int] = ()) -> QuerySet[Follow]:
    """Followers (or followees) of the users that count: the one rule for lists and counts.

    A suspended person on the other side vanishes from both, and so does anyone in `hidden` (the
    viewer's blocks either way), so a count never says more than its list shows. (`user_ids`
    and `now` may be `Slot`s: the counts' statement is rendered once.)
    """
    mine, other = ("followee", "follower") if followers else ("follower", "followee")
    now = datetime.now(UTC) if now is None else now
    ids = user_ids if isinstance(user_ids, Slot) else list(user_ids)
    query = Follow.filter(**{f"{mine}_id__in": ids}).filter(
        Q(**{f"{other}__suspended_until__isnull": True}) | Q(**{f"{other}__suspended_until__lte": now})
    )
    return query.exclude(**{f"{other}_id__in": list(hidden)}) if hidden else query


def _count_rows(followers: bool, keys: Any, now: Any = None, hidden: Sequence[int] = ()) -> ValuesQuery:
    """Rows (uid, n): each key's followers (or followees) as `follows` rules them."""
    field = "followee_id" if followers else "follower_id"
    counted = follows(keys, followers, now, hidden).annotate(n=Count("id")).group_by(field)
    return counted.values(uid=field, n="n")


async def _counts(followers: bool, keys: Sequence[int], hidden: Sequence[int] = ()) -> list[int]:
    counts = {row["uid"]: row["n"] for row in await _count_rows(followers, keys, hidden=hidden)}
    return [counts.get(key, 0) for key in keys]


async def load_follow_counts_hiding(hidden: tuple[int, ...], keys: Sequence[int]) -> list[tuple[int, int]]:
    """(followers, following) for a viewer with blocks: those people left out of both, as the
    lists leave them out. Use as ctx.loaders.get(load_follow_counts_hiding, hidden)."""
    followers, following = await _counts(True, keys, hidden), await _counts(False, keys, hidden)
    return list(zip(followers, following, strict=True))


async def follow_counts(ctx: Context, user_id: int) -> tuple[int, int]:
    """The user's (followers, following) as the viewer's lists show them."""
    viewer = ctx.viewer
    # One's own lists hold no one blocked: a block ends follows both ways.
    hidden = () if viewer is None or viewer.id == user_id else tuple(sorted(await visibility.blocked(ctx)))
    if hidden:
        return await ctx.loaders.get(load_follow_counts_hiding, hidden).load(user_id)
    return await ctx.loaders.get(load_follow_counts).load(user_id)


def _counts_shaped(followers: bool) -> Shaped:
    """`_count_rows` rendered once per number of keys (a profile's counts are on most requests)."""
    now = Slot("now", User._meta.fields_map["suspended_until"])
    return Shaped(Follow, lambda many: _count_rows(followers, Slot("ids", many=many), now))


_FOLLOWER_COUNTS, _FOLLOWING_COUNTS = _counts_shaped(True), _counts_shaped(False)


@lru_cache(maxsize=64)
def _both_counts_sql(first: str, second: str, shift: int | None) -> str:
    """The two counts as one UNION ALL; on PostgreSQL the second's $n numbered after the first's."""
    if shift is not None:
        second = re.sub(r"\$(\d+)", lambda m: f"${int(m.group(1)) + shift}", second)
    return f"SELECT 0 AS kind, * FROM ({first}) AS a UNION ALL SELECT 1 AS kind, * FROM ({second}) AS b"


async def load_follow_counts(keys: Sequence[int]) -> list[tuple[int, int]]:
    """(followers, following) of each key in one statement: the two counts of `_counts`, as
    `follows` rules them, sent as one UNION ALL (a profile asks for both)."""
    db = _FOLLOWER_COUNTS.db()
    values = {"ids": list(keys), "now": datetime.now(UTC)}
    first, first_values = _FOLLOWER_COUNTS.sql(db, len(keys), values)
    second, second_values = _FOLLOWING_COUNTS.sql(db, len(keys), values)
    shift = len(first_values) if db.capabilities.dialect == "postgres" else None
    rows = await db.execute_query_dict(
        _both_counts_sql(first, second, shift), [*first_values, *second_values]
    )
    counts = {(row["kind"], row["uid"]): row["n"] for row in rows}
    return [(counts.get((0, key), 0), counts.get((1, key), 0)) for key in keys]


async def load_is_followed_by(viewer_id: int, keys: Sequence[int]) -> list[bool]:
    """Does the viewer follow each key? Use as ctx.loaders.get(load_is_followed_by, viewer.id)."""
    followed = set(
        await Follow.filter(follower_id=viewer_id, followee_id__in=list(keys)).values_list(
            "followee_id", flat=True
        )
    )
    return [key in followed for key in keys]


async def follow_page(
    ctx: Context, user_id: int, followers: bool, first: int | None, after: str | None
) -> Page[Follow]:
    from core.pagination import newest_first

    hidden = sorted(await visibility.blocked(ctx))
    return await newest_first(follows([user_id], followers, hidden=hidden), first, after)


async def load_match_requests(keys: Sequence[int]) -> list[MatchRequest | None]:
    return by_key(await MatchRequest.filter(id__in=list(keys)), keys)
