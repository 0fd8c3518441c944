"""Dish reviews, their edit history, helpful votes, and the photos diners upload."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import Model
from models.restaurants import Visibility


class PhotoStatus(StrEnum):
    PENDING = "pending"  # upload URL handed out; object not yet checked
    READY = "ready"  # verified, metadata stripped, thumbnail made


class Photo(Model):
    id = fields.BigIntField(primary_key=True)
    owner = fields.ForeignKeyField("accounts.User", related_name="photos", on_delete=fields.CASCADE)
    upload_key = fields.CharField(max_length=200, unique=True)
    content_type = fields.CharField(max_length=32)
    declared_bytes = fields.IntField()
    status = fields.CharEnumField(PhotoStatus, max_length=16, default=PhotoStatus.PENDING)
    # Set on confirmation: the cleaned image and its thumbnail (both metadata-free JPEG/PNG/WebP).
    key = fields.CharField(max_length=200, null=True)
    thumbnail_key = fields.CharField(max_length=200, null=True)
    width = fields.IntField(null=True)
    height = fields.IntField(null=True)
    visibility = fields.CharEnumField(Visibility, max_length=16, default=Visibility.VISIBLE)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # Since when no review shows it (confirmed and not yet used, taken off its review, its review
    # deleted); None while a review does. The orphan clean-up deletes it and its files once it has
    # been free for PHOTO_KEEP_DAYS (resolvers/reviews/upload_cleanup.py).
    free_since = fields.DatetimeField(null=True)

    class Meta:
        table = "photos"


class Review(Model):
    id = fields.BigIntField(primary_key=True)
    author = fields.ForeignKeyField("accounts.User", related_name="reviews", on_delete=fields.CASCADE)
    dish = fields.ForeignKeyField("restaurants.Dish", related_name="reviews", on_delete=fields.CASCADE)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="reviews", on_delete=fields.CASCADE
    )
    rating = fields.SmallIntField()
    body = fields.TextField(default="")
    helpful_count = fields.IntField(default=0)
    edit_count = fields.IntField(default=0)
    visibility = fields.CharEnumField(Visibility, max_length=16, default=Visibility.VISIBLE)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)
    # What the author says they spent per person (人均), when they say it.
    spend_cents = fields.IntField(null=True)
    # Computed, never claimed: the author redeemed a voucher here (see resolvers/reviews/ratings).
    verified = fields.BooleanField(default=False)
    verified_at = fields.DatetimeField(null=True)

    class Meta:
        table = "reviews"
        unique_together = (("author", "dish"),)


class ReviewPhoto(Model):
    id = fields.BigIntField(primary_key=True)
    review = fields.ForeignKeyField("reviews.Review", related_name="photo_links", on_delete=fields.CASCADE)
    photo = fields.OneToOneField("reviews.Photo", related_name="review_link", on_delete=fields.CASCADE)
    position = fields.SmallIntField(default=0)

    class Meta:
        table = "review_photos"


class ReviewEdit(Model):
    """The version a review had before an edit: the history diners and moderators can read."""

    id = fields.BigIntField(primary_key=True)
    review = fields.ForeignKeyField("reviews.Review", related_name="edits", on_delete=fields.CASCADE)
    rating = fields.SmallIntField()
    body = fields.TextField(default="")
    photo_ids: list[int] = fields.JSONField(default=list)  # type: ignore[assignment]
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "review_edits"


class HelpfulVote(Model):
    id = fields.BigIntField(primary_key=True)
    review = fields.ForeignKeyField("reviews.Review", related_name="votes", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("accounts.User", related_name="helpful_votes", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "helpful_votes"
        unique_together = (("review", "user"),)


class ModeratedDeletion(Model):
    """An author deleted their review while it was hidden or removed by moderation: a new review
    of the same dish by them starts hidden and goes to a moderator (resolvers/moderation.py
    `check_new_review`), or deleting and posting again would undo moderation in two calls."""

    id = fields.BigIntField(primary_key=True)
    author = fields.ForeignKeyField(
        "accounts.User", related_name="moderated_deletions", on_delete=fields.CASCADE
    )
    dish = fields.ForeignKeyField(
        "restaurants.Dish", related_name="moderated_deletions", on_delete=fields.CASCADE
    )
    visibility = fields.CharEnumField(Visibility, max_length=16)
    deleted_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "moderated_deletions"
        indexes = (("author_id", "dish_id"),)
