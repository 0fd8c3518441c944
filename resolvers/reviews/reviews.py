"""Dish reviews: one per diner per dish, edit history, helpful votes, consistent dish ratings.

Dish.rating_sum/review_count and Review.helpful_count are changed by atomic increments in the
same transaction as the row they count, so concurrent writers can't lose an update; content
that moderation hides leaves the counts (see set_visibility), as do a suspended author's reviews
(withdrawal.py). A delta always comes from the
review row as the same transaction's UPDATE found it (RETURNING, under the row's lock), never
from a copy read before: parallel edits and moderation of one review run one after the other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Subquery
from tortoise.transactions import in_transaction

from core.atomic import update_returning
from core.context import Context
from core.error_text import at_most, between, too_long
from core.errors import Collector, ErrorCode, UserInputError
from core.loaders import group_by_key
from core.text import check_visible_text
from models.moderation import AuditEntry
from models.restaurants import Dish, RestaurantStaff, Visibility
from models.reviews import HelpfulVote, ModeratedDeletion, Photo, Review, ReviewEdit, ReviewPhoto
from resolvers import feed, visibility
from resolvers.accounts.accounts import is_moderator, write_limit
from resolvers.accounts.roles import require_diner
from resolvers.notifications import inbox
from resolvers.reviews import ratings, withdrawal
from resolvers.reviews.photos import usable_photos

MAX_BODY = 2000
MAX_PHOTOS = 9
FEED_KIND = "review"
MAX_SPEND_CENTS = 10_000_000


@dataclass
class ReviewFields:
    rating: int | None
    body: str | None
    photo_ids: list[int] | None
    spend_cents: int | None = None


def _check(fields: ReviewFields, collector: Collector, creating: bool) -> None:
    if fields.rating is not None or creating:
        if fields.rating is None or not 1 <= fields.rating <= 5:
            collector.add("rating", ErrorCode.OUT_OF_RANGE, between("Rating is 1 to 5", 1, 5))
    if fields.body is not None:
        fields.body = fields.body.strip()
        if len(fields.body) > MAX_BODY:
            collector.add("body", ErrorCode.TOO_LONG, too_long(MAX_BODY))
        check_visible_text(fields.body, "body", collector, multiline=True)
    if fields.photo_ids is not None:  # refused as sent: never quietly deduplicated or cut
        if len(fields.photo_ids) > MAX_PHOTOS:
            collector.add(
                "photoIds", ErrorCode.OUT_OF_RANGE, at_most(f"At most {MAX_PHOTOS} photos", MAX_PHOTOS)
            )
        elif len(set(fields.photo_ids)) != len(fields.photo_ids):
            collector.add("photoIds", ErrorCode.DUPLICATE, "The same photo is listed twice")
    if fields.spend_cents is not None and not 1 <= fields.spend_cents <= MAX_SPEND_CENTS:
        collector.add(
            "spendCents",
            ErrorCode.OUT_OF_RANGE,
            between("Spend per person is 0.01 to 100 000.00", "0.01", "100000"),
        )


async def review_limit(ctx: Context) -> int:
    viewer = await write_limit(ctx, "review", per_hour=ctx.settings.rate_limit_reviews_per_hour)
    return viewer.id


async def _link_photos(review_id: int, photo_ids: Sequence[int]) -> None:
    """The review's photos become `photo_ids` (inside the caller's transaction). Those taken off
    are free from now (the orphan clean-up deletes them after PHOTO_KEEP_DAYS); those put on are
    taken by a conditional UPDATE first, so one the clean-up deleted meanwhile is NOT_FOUND and
    the clean-up never deletes one a review is taking (it re-checks `free_since` on that row)."""
    now = datetime.now(UTC)
    before = await ReviewPhoto.filter(review_id=review_id).values_list("photo_id", flat=True)
    await ReviewPhoto.filter(review_id=review_id).delete()
    dropped = set(before) - set(photo_ids)
    if dropped:
        await Photo.filter(id__in=list(dropped)).update(free_since=now)
    if photo_ids and await Photo.filter(id__in=list(photo_ids)).update(free_since=None) != len(photo_ids):
        raise _photo_taken()
    await ReviewPhoto.bulk_create(
        [ReviewPhoto(review_id=review_id, photo_id=pid, position=i) for i, pid in enumerate(photo_ids)]
    )


async def create_review(ctx: Context, dish_id: int, fields: ReviewFields) -> Review:
    collector = Collector()
    _check(fields, collector, creating=True)
    collector.raise_if_any()
    require_diner(ctx.require_viewer(), "dishId", "Only diners' accounts review dishes")
    viewer_id = await review_limit(ctx)
    # The dish rule (visibility.py): not archived, at a visible restaurant. A dish of an archived,
    # hidden or removed restaurant takes no new review (its counts would move out of sight).
    dish = await visibility.get(ctx, Dish, dish_id)
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
            withdrawn = await withdrawal.lock_author(viewer_id)  # first: lock order (withdrawal.py)
            await ratings.lock(dish.restaurant_id)
            visited = await ratings.first_visit(viewer_id, dish.restaurant_id)
            review = await Review.create(
                author_id=viewer_id,
                dish_id=dish_id,
                restaurant_id=dish.restaurant_id,
                rating=fields.rating,
                body=fields.body or "",
                spend_cents=fields.spend_cents,
                verified=visited is not None,
                verified_at=visited,
            )
            await _link_photos(review.id, [p.id for p in photos])
            share = ratings.Share.of(review, author_withdrawn=withdrawn)
            await ratings.move_dish(dish_id, None, share)
            await ratings.move(dish.restaurant_id, None, share)
            await feed.publish(FEED_KIND, review.id, viewer_id, dish.restaurant_id)
    except IntegrityError:  # a parallel request made the same review, or took a photo, first
        if not await Review.exists(author_id=viewer_id, dish_id=dish_id):
            raise _photo_taken() from None
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
    try:
        await _edit(review, fields, photos)
    except IntegrityError:  # a parallel request put one of these photos on another review first
        raise _photo_taken() from None
    return await _still_there(review.id)


def _photo_taken() -> UserInputError:
    return UserInputError(ErrorCode.NOT_FOUND, "Photo not found or already used", "photoIds")


async def _edit(review: Review, fields: ReviewFields, photos: list[Photo] | None) -> None:
    """update_review's write, in one transaction (its checks done)."""
    async with in_transaction("default"):
        await ratings.lock(review.restaurant_id)
        # Lock the review; rating, body, spend and visibility come back as they are now.
        locked = await update_returning(
            "reviews",
            "edit_count = edit_count",
            "id = ? AND visibility != ?",
            [review.id, Visibility.REMOVED.value],
            f"body, dish_id, {ratings.SHARE_COLUMNS}",
        )
        if not locked:
            raise UserInputError(ErrorCode.NOT_FOUND, "No such review of yours", "reviewId")
        before = locked[0]
        old_photos = list(
            await ReviewPhoto.filter(review_id=review.id)
            .order_by("position")
            .values_list("photo_id", flat=True)
        )
        # Only what differs from the locked row: an edit that changes nothing records nothing.
        changes = {"rating": fields.rating, "body": fields.body, "spend_cents": fields.spend_cents}
        changes = {k: v for k, v in changes.items() if v is not None and v != before[k]}
        new_photos = None if photos is None else [p.id for p in photos]
        if new_photos == old_photos:
            new_photos = None
        if changes or new_photos is not None:
            await ReviewEdit.create(
                review_id=review.id, rating=before["rating"], body=before["body"], photo_ids=old_photos
            )
            await Review.filter(id=review.id).update(
                **changes, edit_count=F("edit_count") + 1, updated_at=datetime.now(UTC)
            )
            old, new = ratings.Share.of(before), ratings.Share.of(before | changes)
            await ratings.move_dish(before["dish_id"], old, new)
            await ratings.move(before["restaurant_id"], old, new)
            if new_photos is not None:
                await _link_photos(review.id, new_photos)
    if (changes or new_photos is not None) and before["visibility"] == Visibility.HIDDEN.value:
        # 修改后重新审核: the author fixed a folded review; a moderator looks again (restores it).
        from resolvers.moderation import ReportReason, system_report  # reads reviews: import late

        note = "auto: the author edited this hidden review"
        await system_report("Review", review.id, note, ReportReason.OTHER)


async def _still_there(review_id: int) -> Review:
    """The review after a write; its author may have deleted it since (then: NOT_FOUND)."""
    row = await Review.get_or_none(id=review_id)
    if row is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "This review was deleted", "reviewId")
    return row


async def vote_helpful(ctx: Context, review_id: int) -> Review:
    viewer = await write_limit(ctx, "vote")
    require_diner(viewer, "reviewId", "Only diners' accounts vote on reviews")
    review = await visibility.get(ctx, Review, review_id)
    if review is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such review", "reviewId")
    if review.author_id == viewer.id:
        raise UserInputError(ErrorCode.OWN_CONTENT, "You can't vote for your own review", "reviewId")
    if await RestaurantStaff.exists(restaurant_id=review.restaurant_id, user_id=viewer.id):
        # As they can't review it: the restaurant's people don't lift its reviews (刷赞).
        raise UserInputError(
            ErrorCode.OWN_CONTENT, "Staff can't vote on reviews of their own restaurant", "reviewId"
        )
    gone = UserInputError(ErrorCode.NOT_FOUND, "No such review", "reviewId")
    try:
        async with in_transaction("default"):
            # The voter's row first: suspended meanwhile (votes withdrawn), the vote is kept
            # but not counted, and comes into the count when the suspension ends. Then the
            # review row, locked while still visible: deleted or hidden since the check above is
            # NOT_FOUND, and it can't go before the vote is in, so the insert's IntegrityError
            # below is the unique key (a second vote), not a missing review.
            withdrawn = await withdrawal.lock_author(viewer.id)
            counted = await update_returning(
                "reviews",
                "helpful_count = helpful_count + ?",
                "id = ? AND visibility = ?",
                [0 if withdrawn else 1, review.id, Visibility.VISIBLE.value],
                "id",
            )
            if not counted:
                raise gone
            await HelpfulVote.create(review_id=review.id, user_id=viewer.id)
            await inbox.notify(
                ctx, [review.author_id], "helpful_vote", f"{viewer.display_name} 觉得你的点评有用",
                actor_id=viewer.id, subject=("Review", review.id),
                dedupe_key=f"helpful_vote:{review.id}:{viewer.id}",  # voting again after 取消: told once
            )
    except IntegrityError:
        if not await HelpfulVote.exists(review_id=review.id, user_id=viewer.id):
            raise gone from None
        raise UserInputError(ErrorCode.ALREADY_VOTED, "You already found this helpful", "reviewId") from None
    await inbox.announce(ctx, [review.author_id])
    return await _still_there(review.id)


async def unvote_helpful(ctx: Context, review_id: int) -> Review:
    """Take back a helpful vote (取消有用): the vote goes and, if it was counted, the count with it."""
    viewer = await write_limit(ctx, "vote")
    review = await visibility.get(ctx, Review, review_id)
    if review is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such review", "reviewId")
    async with in_transaction("default"):
        # The voter's row first, as a vote and a withdrawal take it: a vote made (or left) while
        # withdrawn is not in the count, so taking it back moves nothing.
        withdrawn = await withdrawal.lock_author(viewer.id)
        if not await HelpfulVote.filter(review_id=review.id, user_id=viewer.id).delete():
            raise UserInputError(ErrorCode.NOT_FOUND, "You haven't voted for this review", "reviewId")
        if not withdrawn:
            await update_returning(
                "reviews", "helpful_count = helpful_count - 1", "id = ?", [review.id], "id"
            )
    return await _still_there(review.id)


async def set_visibility(review_id: int, visibility: Visibility) -> bool:
    """Moderation: a review that stops being visible leaves its dish's counts (and comes back);
    whether this call moved it across the visible line.

    The count moves only when this statement itself crossed the visible line, by the rating of
    the row it changed (an edit in flight has either committed its rating or waits for us).
    """
    showing = visibility == Visibility.VISIBLE
    found = await Review.filter(id=review_id).first().values_list("restaurant_id", "author_id")
    restaurant_id, author_id = found if found else (None, None)
    async with in_transaction("default"):
        if author_id is not None:  # first: showing it again must not race a withdrawal
            await withdrawal.lock_author(author_id)
        await ratings.lock(restaurant_id)
        crossed = await update_returning(
            "reviews",
            "visibility = ?",
            "id = ? AND visibility != ?" if showing else "id = ? AND visibility = ?",
            [visibility.value, review_id, Visibility.VISIBLE.value],
            f"dish_id, {ratings.SHARE_COLUMNS}",
        )
        if crossed:
            share = ratings.Share.of(crossed[0] | {"visibility": Visibility.VISIBLE.value})
            old, new = (None, share) if showing else (share, None)
            await ratings.move_dish(crossed[0]["dish_id"], old, new)
            await ratings.move(crossed[0]["restaurant_id"], old, new)
        elif not showing:  # hidden <-> removed: no count moves, and never from visible here
            await Review.filter(id=review_id, visibility__not=Visibility.VISIBLE).update(
                visibility=visibility
            )
        review = await Review.get_or_none(id=review_id)
        if review is not None:
            await feed.set_visible(FEED_KIND, review.id, showing)
    return bool(crossed)


async def delete_review(ctx: Context, review_id: int) -> int:
    """The author deletes their review for good; its counts leave with it (from the row as the
    locking statement found it), and moderators keep a copy in the audit log."""
    viewer = await write_limit(ctx, "review-delete")
    restaurant_id = await Review.filter(id=review_id).first().values_list("restaurant_id", flat=True)
    async with in_transaction("default"):
        await ratings.lock(restaurant_id)  # type: ignore[arg-type]
        locked = await update_returning(
            "reviews",
            "edit_count = edit_count",
            "id = ? AND author_id = ?",
            [review_id, viewer.id],
            f"body, dish_id, {ratings.SHARE_COLUMNS}",
        )
        if not locked:
            raise UserInputError(ErrorCode.NOT_FOUND, "No such review of yours", "reviewId")
        row = locked[0]
        share = ratings.Share.of(row)
        await ratings.move_dish(row["dish_id"], share, None)
        await ratings.move(row["restaurant_id"], share, None)
        await feed.set_visible(FEED_KIND, review_id, False)
        await AuditEntry.create(
            moderator_id=None,
            action="AUTHOR_DELETED",
            target_type="Review",
            target_id=review_id,
            note=f"deleted by its author (user {viewer.id}); rating {row['rating']}: {row['body']}"[:1000],
        )
        if row["visibility"] != Visibility.VISIBLE.value:  # moderation's decision outlives the row
            await ModeratedDeletion.create(
                author_id=viewer.id, dish_id=row["dish_id"], visibility=Visibility(row["visibility"])
            )
        # Its photos are free from now (the orphan clean-up deletes them after PHOTO_KEEP_DAYS).
        shown = ReviewPhoto.filter(review_id=review_id).values("photo_id")
        await Photo.filter(id__in=Subquery(shown)).update(free_since=datetime.now(UTC))
        await Review.filter(id=review_id).delete()
    return review_id


def average_rating(dish: Dish) -> float | None:
    return round(dish.rating_sum / dish.review_count, 2) if dish.review_count else None


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
