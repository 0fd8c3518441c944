"""Review lists of a restaurant or a dish: four sorts, three filters, and their totals.

Sorts are keyset-paged (core/keyset.py). MOST_HELPFUL puts verified reviews first, then helpful
votes. Totals come from the maintained counters when a counter answers exactly that question
(no filter, one rating, verified only), otherwise from one COUNT, run only when asked for.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import cache

from tortoise.expressions import Q, Subquery
from tortoise.functions import Count

from core.context import Context
from core.error_text import between
from core.errors import ErrorCode, UserInputError
from core.keyset import Key, after_q, cursor_values, ordering, page_of
from core.loaders import Join, Shaped, Slot, rows_of
from core.pagination import Page, page_size
from models.accounts import User
from models.restaurants import Dish, Visibility
from models.reviews import Review, ReviewPhoto
from models.trust import RestaurantRating
from resolvers import visibility


class ReviewSort(StrEnum):
    NEWEST = "NEWEST"
    MOST_HELPFUL = "MOST_HELPFUL"
    HIGHEST = "HIGHEST"
    LOWEST = "LOWEST"


_NEWEST = (Key("created_at", kind=datetime), Key("id"))
SORT_KEYS: dict[ReviewSort, tuple[Key, ...]] = {
    ReviewSort.NEWEST: _NEWEST,
    ReviewSort.MOST_HELPFUL: (Key("verified", kind=bool), Key("helpful_count"), *_NEWEST),
    ReviewSort.HIGHEST: (Key("rating"), *_NEWEST),
    ReviewSort.LOWEST: (Key("rating", descending=False), *_NEWEST),
}


@dataclass(frozen=True)
class ReviewFilter:
    with_photos: bool = False
    verified_only: bool = False
    rating: int | None = None

    def check(self) -> None:
        if self.rating is not None and not 1 <= self.rating <= 5:
            raise UserInputError(ErrorCode.OUT_OF_RANGE, between("Rating is 1 to 5", 1, 5), "rating")

    def q(self) -> Q:
        condition = Q()
        if self.with_photos:
            shown = ReviewPhoto.filter(photo__visibility=Visibility.VISIBLE).values("review_id")
            condition &= Q(id__in=Subquery(shown))
        if self.verified_only:
            condition &= Q(verified=True)
        if self.rating is not None:
            condition &= Q(rating=self.rating)
        return condition


def _query(scope: dict[str, int], filters: ReviewFilter, shown: Q | None = None) -> object:
    query = Review.filter(shown if shown is not None else visibility.reviews_q(), filters.q(), **scope)
    if "author_id" in scope:
        query = query.filter(_of_public_restaurants())
    return query


def _of_public_restaurants() -> Q:
    """A diner's list spans restaurants: only reviews of those still public."""
    return visibility.restaurants_q("restaurant__")


async def load_author_review_counts(keys: Sequence[int]) -> list[int]:
    """How many reviews each author's list (`User.reviews`) shows, in one GROUP BY. The same for
    every viewer: one who blocked the author, or was blocked, does not see the author at all."""
    rows = await (
        Review.filter(visibility.reviews_q(), _of_public_restaurants(), author_id__in=list(keys))
        .annotate(count=Count("id"))
        .group_by("author_id")
        .values_list("author_id", "count")
    )
    counts = dict(rows)
    return [counts.get(key, 0) for key in keys]


async def review_page(
    ctx: Context,
    scope: dict[str, int],
    sort: ReviewSort,
    filters: ReviewFilter,
    first: int | None,
    after: str | None,
) -> Page[Review]:
    """`scope` is {"restaurant_id": id}, {"dish_id": id} or {"author_id": id} (of public
    restaurants only); authors blocked either way are left out (and out of `review_total` too)."""
    filters.check()
    keys = SORT_KEYS[sort]
    size = page_size(first)
    values = cursor_values(keys, after)
    hidden = sorted(await visibility.blocked(ctx))
    [(field, scoped)] = scope.items()
    shape = _PageShape(field, sort, filters, size, values is not None, len(hidden))
    bound = {"scope": scoped, "now": datetime.now(UTC), "hidden": hidden, "after": values}
    found = await _PAGE.joined(shape, bound, _AUTHOR, _order(keys))
    # The authors came with the page: `author` fields (and their visibility checks) read them
    # from the request's loader without another statement.
    ctx.loaders.prime(rows_of(User), {review.author_id: joined["author"] for review, joined in found})
    return page_of([review for review, _ in found], keys, size)


@dataclass(frozen=True)
class _PageShape:
    """What changes a review page's statement text (its values are bound: core/loaders.py)."""

    scope: str
    sort: ReviewSort
    filters: ReviewFilter
    size: int
    after: bool
    hidden: int


def _page_query(shape: _PageShape) -> object:
    """The page's query with `Slot`s for its values (rendered once per shape)."""
    keys = SORT_KEYS[shape.sort]
    fields = Review._meta.fields_map
    hidden = Slot("hidden", many=shape.hidden) if shape.hidden else ()
    now = Slot("now", User._meta.fields_map["suspended_until"])
    query = _query({shape.scope: Slot("scope")}, shape.filters, visibility.listed_reviews_q(hidden, now))
    if shape.after:
        after = [Slot("after", fields[key.field], index=i) for i, key in enumerate(keys)]
        query = query.filter(after_q(keys, after))  # type: ignore[attr-defined]
    return query.order_by(*ordering(keys)).limit(shape.size + 1)  # type: ignore[attr-defined]


_PAGE = Shaped(Review, _page_query)
_AUTHOR = (Join("author", User, '"author"."id" = "base"."author_id"'),)


@cache
def _order(keys: tuple[Key, ...]) -> str:
    """The page's order over the joined statement's "base" rows."""
    return ", ".join(f'"base"."{key.field}" {"DESC" if key.descending else "ASC"}' for key in keys)


def review_total(ctx: Context, scope: dict[str, int], filters: ReviewFilter) -> Callable[[], Awaitable[int]]:
    """How many reviews the list holds for this viewer, computed only when called (totalCount
    selected): the shared counter, unless the viewer has blocked (or been blocked by) someone,
    whose reviews the list leaves out; then a COUNT under the list's own rule."""

    async def total() -> int:
        hidden = sorted(await visibility.blocked(ctx))
        counter = None if hidden else await _from_counter(scope, filters)
        if counter is not None:
            return counter
        return await _query(scope, filters, visibility.listed_reviews_q(hidden)).count()  # type: ignore[attr-defined]

    return total


async def _from_counter(scope: dict[str, int], filters: ReviewFilter) -> int | None:
    if filters.with_photos or "author_id" in scope:
        return None
    if "dish_id" in scope:
        if filters.verified_only or filters.rating is not None:
            return None
        dish = await Dish.get_or_none(id=scope["dish_id"])
        return dish.review_count if dish else 0
    if filters.verified_only and filters.rating is not None:
        return None
    row = await RestaurantRating.get_or_none(restaurant_id=scope["restaurant_id"])
    if row is None:
        return 0
    if filters.verified_only:
        return row.verified_count
    if filters.rating is not None:
        return int(getattr(row, f"stars_{filters.rating}"))
    return row.review_count
