"""Dish reviews: one per diner per dish, edit history, helpful votes, consistent dish ratings.

Dish.rating_sum/review_count and Review.helpful_count are changed by atomic increments in the
same transaction as the row they count, so concurrent writers can't lose an update; content
that moderation hides leaves the counts (see set_visibility). A delta always comes from the
review row as the same transaction's UPDATE found it (RETURNING, under the row's lock), never
from a copy read before: parallel edits and moderation of one review run one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from core.atomic import update_returning
from core.context import Context
from core.errors import Collector, ErrorCode, UserInputError
from core.loaders import group_by_key
from core.pagination import Page, newest_first
from models.restaurants import Dish, RestaurantStaff, Visibility
from models.reviews import HelpfulVote, Review, ReviewEdit, ReviewPhoto
from resolvers import feed, visibility
from resolvers.accounts.accounts import is_moderator, write_limit
from resolvers.notifications import inbox
from resolvers.reviews.photos import usable_photos

MAX_BODY = 2000
MAX_PHOTOS = 9
FEED_KIND = "review"


@dataclass
class ReviewFields:
    rating: int | None
    body: str | None
    photo_ids: list[int] | None


def _check(fields: ReviewFields, collector: Collector, creating: bool) -> None:
    if fields.rating is not None or creating:
        if fields.rating is None or not 1 <= fields.rating <= 5:
            collector.add("rating", ErrorCode.OUT_OF_RANGE, "Rating is 1 to 5")
    if fields.body is not None:
        fields.body = fields.body.strip()
        if len(fields.body) > MAX_BODY:
            collector.add("body", ErrorCode.TOO_LONG, f"At most {MAX_BODY} characters")
    if fields.photo_ids is not None:
        fields.photo_ids = list(dict.fromkeys(fields.photo_ids))
        if len(fields.photo_ids) > MAX_PHOTOS:
            collector.add("photoIds", ErrorCode.OUT_OF_RANGE, f"At most {MAX_PHOTOS} photos")


async def review_limit(ctx: Context) -> int:
    viewer = await write_limit(ctx, "review", per_hour=ctx.settings.rate_limit_reviews_per_hour)
    return viewer.id


async def _link_photos(review_id: int, photo_ids: Sequence[int]) -> None:
    await ReviewPhoto.filter(review_id=review_id).delete()
    await ReviewPhoto.bulk_create(
        [ReviewPhoto(review_id=review_id, photo_id=pid, position=i) for i, pid in enumerate(photo_ids)]
    )


async def create_review(ctx: Context, dish_id: int, fields: ReviewFields) -> Review:
    collector = Collector()
    _check(fields, collector, creating=True)
    collector.raise_if_any()
    viewer_id = await review_limit(ctx)
    dish = await Dish.get_or_none(id=dish_id, archived=False)
    if dish is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such dish", "dishId")
    if await RestaurantStaff.exists(restaurant_id=dish.restaurant_id, user_id=viewer_id):
        raise UserInputError(ErrorCode.OWN_CONTENT, "Staff can't review their own restaurant", "dishId")
    if await Review.exists(author_id=viewer_id, dish_id=dish_id):
        raise UserInputError(ErrorCode.ALREADY_REVIEWED, "You reviewed this dish; edit that review", "dishId")
    photos = await usable_photos(viewer_id, fields.photo_ids or [], None)
    assert fields.rating is not None
    try:
        async with in_transaction("default"):
            review = await Review.create(
                author_id=viewer_id,
                dish_id=dish_id,
                restaurant_id=dish.restaurant_id,
                rating=fields.rating,
                body=fields.body or "",
            )
            await _link_photos(review.id, [p.id for p in photos])
            await Dish.filter(id=dish_id).update(
                rating_sum=F("rating_sum") + fields.rating, review_count=F("review_count") + 1
            )
            await feed.publish(FEED_KIND, review.id, viewer_id, dish.restaurant_id)
    except IntegrityError:  # a parallel request made the same review (or took a photo) first
        raise UserInputError(
            ErrorCode.ALREADY_REVIEWED, "You reviewed this dish; edit that review", "dishId"
        ) from None
    from resolvers.moderation import check_new_review  # moderation reads reviews; import late

    await check_new_review(review)
    return review


async def update_review(ctx: Context, review_id: int, fields: ReviewFields) -> Review:
    collector = Collector()
    _check(fields, collector, creating=False)
    collector.raise_if_any()
    viewer_id = await review_limit(ctx)
    review = await Review.get_or_none(id=review_id, author_id=viewer_id)
    if review is None or review.visibility == Visibility.REMOVED:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such review of yours", "reviewId")
    photos = None if fields.photo_ids is None else await usable_photos(viewer_id, fields.photo_ids, review.id)
    async with in_transaction("default"):
        # Lock the review first; rating, body and visibility come back as they are now.
        locked = await update_returning(
            "reviews",
            "edit_count = edit_count + 1",
            "id = ? AND visibility != ?",
            [review.id, Visibility.REMOVED.value],
            "rating, body, visibility",
        )
        if not locked:
            raise UserInputError(ErrorCode.NOT_FOUND, "No such review of yours", "reviewId")
        before = locked[0]
        old_photos = (
            await ReviewPhoto.filter(review_id=review.id)
            .order_by("position")
            .values_list("photo_id", flat=True)
        )
        await ReviewEdit.create(
            review_id=review.id, rating=before["rating"], body=before["body"], photo_ids=list(old_photos)
        )
        delta = (fields.rating - before["rating"]) if fields.rating is not None else 0
        if delta and before["visibility"] == Visibility.VISIBLE.value:
            await Dish.filter(id=review.dish_id).update(rating_sum=F("rating_sum") + delta)
        changes = {"rating": fields.rating, "body": fields.body}
        await Review.filter(id=review.id).update(**{k: v for k, v in changes.items() if v is not None})
        if photos is not None:
            await _link_photos(review.id, [p.id for p in photos])
    return await Review.get(id=review.id)


async def vote_helpful(ctx: Context, review_id: int) -> Review:
    viewer = await write_limit(ctx, "vote")
    review = await visibility.get(ctx, Review, review_id)
    if review is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such review", "reviewId")
    if review.author_id == viewer.id:
        raise UserInputError(ErrorCode.OWN_CONTENT, "You can't vote for your own review", "reviewId")
    try:
        async with in_transaction("default"):
            await HelpfulVote.create(review_id=review.id, user_id=viewer.id)
            await Review.filter(id=review.id).update(helpful_count=F("helpful_count") + 1)
            await inbox.notify(
                ctx, [review.author_id], "helpful_vote", f"{viewer.display_name} 觉得你的点评有用",
                actor_id=viewer.id, subject=("Review", review.id),
            )
    except IntegrityError:
        raise UserInputError(ErrorCode.ALREADY_VOTED, "You already found this helpful", "reviewId") from None
    await inbox.announce(ctx, [review.author_id])
    return await Review.get(id=review.id)


async def set_visibility(review_id: int, visibility: Visibility) -> Review | None:
    """Moderation: a review that stops being visible leaves its dish's counts (and comes back).

    The count moves only when this statement itself crossed the visible line, by the rating of
    the row it changed (an edit in flight has either committed its rating or waits for us).
    """
    showing = visibility == Visibility.VISIBLE
    async with in_transaction("default"):
        crossed = await update_returning(
            "reviews",
            "visibility = ?",
            "id = ? AND visibility != ?" if showing else "id = ? AND visibility = ?",
            [visibility.value, review_id, Visibility.VISIBLE.value],
            "rating, dish_id",
        )
        if crossed:
            sign = 1 if showing else -1
            await Dish.filter(id=crossed[0]["dish_id"]).update(
                rating_sum=F("rating_sum") + sign * crossed[0]["rating"],
                review_count=F("review_count") + sign,
            )
        elif not showing:  # hidden <-> removed: no count moves, and never from visible here
            await Review.filter(id=review_id, visibility__not=Visibility.VISIBLE).update(
                visibility=visibility
            )
        review = await Review.get_or_none(id=review_id)
        if review is not None:
            await feed.set_visible(FEED_KIND, review.id, showing)
    return review


def average_rating(dish: Dish) -> float | None:
    return round(dish.rating_sum / dish.review_count, 2) if dish.review_count else None


async def dish_reviews(ctx: Context, dish_id: int, first: int | None, after: str | None) -> Page[Review]:
    return await newest_first(
        Review.filter(await visibility.listed_reviews_q(ctx), dish_id=dish_id), first, after
    )


def can_read_history(ctx: Context, review: Review) -> bool:
    viewer = ctx.viewer
    return viewer is not None and (viewer.id == review.author_id or is_moderator(viewer))


# ------------------------------------------------------------------ loaders


async def load_edits(keys: Sequence[int]) -> list[list[ReviewEdit]]:
    rows = await ReviewEdit.filter(review_id__in=list(keys)).order_by("-id")
    return group_by_key(rows, keys, "review_id")


async def load_voted_by(viewer_id: int, keys: Sequence[int]) -> list[bool]:
    voted = set(
        await HelpfulVote.filter(user_id=viewer_id, review_id__in=list(keys)).values_list(
            "review_id", flat=True
        )
    )
    return [key in voted for key in keys]
