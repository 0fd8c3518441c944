"""The restaurant page: rating summary, photo gallery, signature dishes, what is coming up.

The summary reads the counters of resolvers/reviews/ratings (one row per restaurant, batched);
nothing here counts reviews per request.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import StrEnum

from tortoise.expressions import Subquery

from core.context import Context
from core.pagination import Page, newest_first
from models.meals import MealStatus, RestaurantEvent, SharedMeal
from models.restaurants import Dish
from models.reviews import Photo, PhotoStatus, Review
from models.trust import RestaurantRating
from resolvers import visibility

# Best-rated needs a few opinions: a dish with one 5-star review is not a signature dish.
BEST_RATED_MIN_REVIEWS = 2
MAX_UPCOMING = 20


class SignatureSort(StrEnum):
    MOST_REVIEWED = "MOST_REVIEWED"
    BEST_RATED = "BEST_RATED"


async def load_ratings(keys: Sequence[int]) -> list[RestaurantRating | None]:
    rows = await RestaurantRating.filter(restaurant_id__in=list(keys))
    found = {row.restaurant_id: row for row in rows}
    return [found.get(key) for key in keys]


def distribution(row: RestaurantRating | None) -> list[tuple[int, int]]:
    """(stars, visible reviews) for 5 down to 1."""
    return [(stars, getattr(row, f"stars_{stars}") if row else 0) for stars in range(5, 0, -1)]


def _gallery(scope: dict[str, int], hidden: list[int]) -> object:
    """Ready, visible photos on the reviews that the restaurant's (or the dish's: `scope`) review
    list shows the viewer (`listed_reviews_q`: authors blocked either way, `hidden`, left out as
    there)."""
    listed = Review.filter(visibility.listed_reviews_q(hidden), **scope)
    return Photo.filter(
        visibility.photos_q(),
        status=PhotoStatus.READY,
        review_link__review_id__in=Subquery(listed.values("id")),
    )


async def gallery(ctx: Context, scope: dict[str, int], first: int | None, after: str | None) -> Page[Photo]:
    """`scope` is {"restaurant_id": id} (its page's gallery) or {"dish_id": id} (the dish's)."""
    hidden = sorted(await visibility.blocked(ctx))
    return await newest_first(_gallery(scope, hidden), first, after)


def signature_dishes(dishes: list[Dish], by: SignatureSort, first: int) -> list[Dish]:
    """From the menu the request already loaded: most reviewed, or best rated (enough reviews)."""
    reviewed = [d for d in dishes if d.review_count > 0]
    if by == SignatureSort.BEST_RATED:
        enough = [d for d in reviewed if d.review_count >= BEST_RATED_MIN_REVIEWS] or reviewed
        ranked = sorted(enough, key=lambda d: (-d.rating_sum / d.review_count, -d.review_count, d.id))
    else:
        ranked = sorted(reviewed, key=lambda d: (-d.review_count, -d.rating_sum / d.review_count, d.id))
    return ranked[: max(0, min(first, MAX_UPCOMING))]


async def upcoming_events(restaurant_id: int, first: int) -> list[RestaurantEvent]:
    return await (
        RestaurantEvent.filter(
            visibility.events_q(),
            restaurant_id=restaurant_id,
            cancelled=False,
            starts_at__gt=datetime.now(UTC),
        )
        .order_by("starts_at", "id")
        .limit(max(0, min(first, MAX_UPCOMING)))
    )


async def upcoming_meals(ctx: Context, restaurant_id: int, first: int) -> list[SharedMeal]:
    """Public open meals there that the viewer may see, soonest first."""
    return await (
        SharedMeal.filter(
            await visibility.listed_meals_q(ctx),
            restaurant_id=restaurant_id,
            status=MealStatus.OPEN,
            starts_at__gt=datetime.now(UTC),
        )
        .order_by("starts_at", "id")
        .limit(max(0, min(first, MAX_UPCOMING)))
    )
