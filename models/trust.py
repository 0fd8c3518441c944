"""Restaurant-page aggregates and merchants' public replies to reviews (issue 15).

A new app so the reviews and restaurants tables stay as they are (apart from three review
columns); search and other features can read `restaurant_ratings` by restaurant id.
"""

from __future__ import annotations

from tortoise import fields

from models.base import Model
from models.restaurants import Visibility


class RestaurantRating(Model):
    """Counters over a restaurant's visible dish reviews, moved only by atomic increments in the
    transaction that changes a review (resolvers/reviews/ratings.py), never from a value read."""

    id = fields.BigIntField(primary_key=True)
    restaurant = fields.OneToOneField(
        "restaurants.Restaurant", related_name="rating", on_delete=fields.CASCADE
    )
    review_count = fields.IntField(default=0)
    rating_sum = fields.IntField(default=0)
    # Verified reviews weigh more: sum(rating * weight) / sum(weight).
    weighted_sum = fields.IntField(default=0)
    weight_total = fields.IntField(default=0)
    verified_count = fields.IntField(default=0)
    stars_1 = fields.IntField(default=0)
    stars_2 = fields.IntField(default=0)
    stars_3 = fields.IntField(default=0)
    stars_4 = fields.IntField(default=0)
    stars_5 = fields.IntField(default=0)
    # 人均: stated spend per person on visible reviews, and bills of redeemed vouchers.
    review_spend_sum = fields.BigIntField(default=0)
    review_spend_count = fields.IntField(default=0)
    bill_sum = fields.BigIntField(default=0)
    bill_count = fields.IntField(default=0)

    class Meta:
        table = "restaurant_ratings"


class ReviewReply(Model):
    """The restaurant's one public answer to a review."""

    id = fields.BigIntField(primary_key=True)
    review = fields.OneToOneField("reviews.Review", related_name="reply", on_delete=fields.CASCADE)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="review_replies", on_delete=fields.CASCADE
    )
    author = fields.ForeignKeyField("accounts.User", related_name="review_replies", on_delete=fields.CASCADE)
    body = fields.TextField()
    visibility = fields.CharEnumField(Visibility, max_length=16, default=Visibility.VISIBLE)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "review_replies"
