"""The feed: reviews, meals and events of followed diners and of restaurants near the viewer.

Content is published as a FeedEntry when it appears (inside the creating transaction); reading
is one indexed query over entries, newest first, with keyset cursors, so pages never repeat.

A page is one statement: the entries (followed actors and nearby restaurants as subqueries,
visibility from resolvers/visibility.py's SQL forms) joined with each entry's content (review,
shared meal or event), actor, restaurant and the review's dish. Those rows prime the request's
loaders, so the items' fields (visibility checks included) read them without more SQL. With the
viewer's blocks (read once per request) and the reviews' photos (one loader), a page of reviews
with author, dish, restaurant and photos costs 3 statements whatever its size (the photos read
with the page when the operation asks for them).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Q, Subquery

from core.context import Context
from core.loaders import Join, Shaped, Slot, rows_of
from core.pagination import Page, newest_first_cursor, newest_first_page, page_size
from core.replica import read_db
from geo.fragment import MARK, SqlFragment
from models.accounts import User
from models.feed import FeedEntry
from models.foodies import Follow
from models.meals import RestaurantEvent, SharedMeal
from models.restaurants import Dish, Restaurant
from models.reviews import Review
from resolvers import visibility
from resolvers.accounts.accounts import is_moderator
from resolvers.restaurants.restaurants import load_dishes, load_reviewed_dishes
from resolvers.reviews.photos import load_review_photos

NEARBY_KM = 10.0
RESTAURANT_KIND = "restaurant"
# Feed entry kinds (the content modules' FEED_KIND) and the content model of each.
CONTENT = {"review": Review, "meal": SharedMeal, "event": RestaurantEvent}
JOINS = (
    *(
        Join(kind, model, f'"base"."kind" = \'{kind}\' AND "{kind}"."id" = "base"."object_id"')
        for kind, model in CONTENT.items()
    ),
    Join("actor", User, '"actor"."id" = "base"."actor_id"'),
    Join("restaurant", Restaurant, '"restaurant"."id" = "base"."restaurant_id"'),
    Join("dish", Dish, '"dish"."id" = "review"."dish_id"'),
)
NEWEST_FIRST = '"base"."created_at" DESC, "base"."id" DESC'


async def publish(
    kind: str, object_id: int, actor_id: int | None, restaurant_id: int | None, audience: str = "public"
) -> None:
    await FeedEntry.create(
        kind=kind, object_id=object_id, actor_id=actor_id, restaurant_id=restaurant_id, audience=audience
    )


async def moved(kind: str, object_id: int, restaurant_id: int) -> None:
    """Content that changed restaurant (a meal its guests voted elsewhere): its entry follows, so
    it shows as nearby at the new place and goes with the new place's visibility."""
    await FeedEntry.filter(kind=kind, object_id=object_id).update(restaurant_id=restaurant_id)


async def set_visible(kind: str, object_id: int, visible: bool) -> None:
    """Moderation and deletion hide the entry with the content."""
    await FeedEntry.filter(kind=kind, object_id=object_id).update(visible=visible)


@dataclass(frozen=True)
class _PageShape:
    """What changes a feed page's statement text; its values are bound (core/loaders.py `Shaped`):
    building the Tortoise query was ~13 % of a page's CPU (bench/README.md, section 18)."""

    near: tuple[str, ...] | None  # the nearby restaurants' fragment text (None: no location)
    near_values: int
    moderator: bool
    hidden: int  # how many people are blocked either way
    after: bool
    size: int


def _entries(shape: _PageShape, values: Mapping[str, Any]) -> Any:
    """The entries the viewer may see: `values`' items (each a value or a `Slot` standing for it)
    are the viewer's id, the nearby fragment's values, the hidden ids and the moment."""
    viewer = values["viewer"]
    followed = Subquery(Follow.filter(follower_id=viewer).values("followee_id"))
    audience = Q(actor_id=viewer) | Q(actor_id__in=followed)
    if shape.near is not None:
        nearby = SqlFragment(MARK.join(shape.near), *values["near"])
        audience |= Q(restaurant_id__in=nearby, audience="public")
    actors = (
        Q() if shape.moderator else visibility.users_rule("actor__", viewer, values["hidden"], values["now"])
    )
    return FeedEntry.filter(audience, visibility.feed_rule(actors))


def _page_query(shape: _PageShape) -> Any:
    """A page of `_entries` with `Slot`s for its values (rendered once per shape), newest first
    after the cursor, one more entry than the page holds (is there a next page?)."""
    slots = {
        "viewer": Slot("viewer"),
        "near": [Slot("near", index=i) for i in range(shape.near_values)],
        "hidden": Slot("hidden", many=shape.hidden) if shape.hidden else (),
        "now": Slot("now", User._meta.fields_map["suspended_until"]),
    }
    query = _entries(shape, slots)
    if shape.after:
        created = Slot("after", FeedEntry._meta.fields_map["created_at"], index=0)
        last = Slot("after", index=1)
        query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=last))
    return query.order_by("-created_at", "-id").limit(shape.size + 1)


_PAGE = Shaped(FeedEntry, _page_query)


async def feed_page(
    ctx: Context, first: int | None, after: str | None, photos: bool = False
) -> Page[FeedEntry]:
    """A page of the viewer's feed, newest first (keyset on (created_at, id), as `newest_first`).
    `photos`: the operation asks for the reviews' photos; they are read with the page (the one
    statement the items' `photos` fields would send), so every field of every item finds its
    answer held and completes at once (no task per item)."""
    viewer = ctx.require_viewer()
    size, cursor = page_size(first), newest_first_cursor(after)
    db = read_db(ctx)
    nearby = None
    if viewer.lat is not None and viewer.lng is not None:
        # Per entry: the page stops after a few entries, where the set of every restaurant
        # within 10 km of a dense city's centre would be built first (geo's `per_row`).
        nearby = await ctx.services.geo.within_subquery(
            RESTAURANT_KIND, viewer.lat, viewer.lng, NEARBY_KM, per_row='"feed_entries"."restaurant_id"'
        )
    moderator = is_moderator(viewer)
    hidden = [] if moderator else sorted(await visibility.blocked(ctx))
    values = {
        "viewer": viewer.id,
        "near": nearby.values if nearby is not None else (),
        "hidden": hidden,
        "now": datetime.now(UTC),
        "after": cursor,
    }
    shape = _PageShape(
        nearby.shape() if nearby is not None else None,
        len(values["near"]),
        moderator,
        len(hidden),
        cursor is not None,
        size,
    )
    rows = await _PAGE.joined(shape, values, JOINS, NEWEST_FIRST, db=db)
    _prime(ctx, rows)
    entries = [entry for entry, _ in rows]

    async def count() -> int:
        """totalCount: every entry the viewer may see (the statement built when asked)."""
        return await _entries(shape, values).using_db(db).count()

    page = newest_first_page(entries, size, count)
    if photos:
        reviews = [entry.object_id for entry in page.items if entry.kind == "review"]
        await ctx.loaders.get(load_review_photos).load_many(reviews)
    return page


def _prime(ctx: Context, rows: list[tuple[FeedEntry, dict[str, Any]]]) -> None:
    """The joined rows answer the loaders the items' fields use (rows_of: whatever their state,
    as those loaders read them; visibility is still checked on them by resolvers/visibility)."""
    loaders = ctx.loaders
    content: dict[Any, dict[int, Any]] = {model: {} for model in CONTENT.values()}
    users, restaurants, dishes = {}, {}, {}
    for entry, joined in rows:
        model = CONTENT.get(entry.kind)
        if model is not None:
            content[model][entry.object_id] = joined[entry.kind]
        if joined["actor"] is not None:
            users[entry.actor_id] = joined["actor"]
        if joined["restaurant"] is not None:
            restaurants[entry.restaurant_id] = joined["restaurant"]
        if (review := joined["review"]) is not None:
            dishes[review.dish_id] = joined["dish"]
    for model, found in content.items():
        loaders.prime(rows_of(model), found)
    loaders.prime(rows_of(User), users)
    loaders.prime(rows_of(Restaurant), restaurants)
    loaders.prime(rows_of(Dish), dishes)
    loaders.prime(
        load_dishes, {k: d if d is not None and not d.archived else None for k, d in dishes.items()}
    )
    # Review.dish: archived ones too (the entry's restaurant is visible: feed_rule).
    loaders.prime(load_reviewed_dishes, dishes)
