"""Restaurants, their staff, and their dishes."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import Model


class Visibility(StrEnum):
    """Moderation state shared by every piece of user content (see models/moderation)."""

    VISIBLE = "visible"
    HIDDEN = "hidden"
    REMOVED = "removed"


class StaffRole(StrEnum):
    OWNER = "owner"
    STAFF = "staff"


class Restaurant(Model):
    id = fields.BigIntField(primary_key=True)
    owner = fields.ForeignKeyField(
        "accounts.User", related_name="owned_restaurants", on_delete=fields.RESTRICT
    )
    name = fields.CharField(max_length=120)
    # Lower-cased name + address + cuisine labels: the haystack for CJK-safe LIKE search.
    search_text = fields.TextField(default="")
    address = fields.CharField(max_length=255, default="")
    lat = fields.FloatField()
    lng = fields.FloatField()
    cuisines: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    phone = fields.CharField(max_length=32, default="")
    timezone = fields.CharField(max_length=64, default="Asia/Shanghai")
    archived = fields.BooleanField(default=False)
    visibility = fields.CharEnumField(Visibility, max_length=16, default=Visibility.VISIBLE)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "restaurants"


class RestaurantStaff(Model):
    id = fields.BigIntField(primary_key=True)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="staff", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField("accounts.User", related_name="staff_of", on_delete=fields.CASCADE)
    role = fields.CharEnumField(StaffRole, max_length=16, default=StaffRole.STAFF)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "restaurant_staff"
        unique_together = (("restaurant", "user"),)


class StaffInvitation(Model):
    """An owner's offer of staff rights, pending until the invitee accepts: being staff takes
    away reviewing and voting on the restaurant (OWN_CONTENT), so nobody becomes staff unasked."""

    id = fields.BigIntField(primary_key=True)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="staff_invitations", on_delete=fields.CASCADE
    )
    user = fields.ForeignKeyField("accounts.User", related_name="staff_invitations", on_delete=fields.CASCADE)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "staff_invitations"
        table_description = "Pending offers of staff rights (accepted: a restaurant_staff row)"
        unique_together = (("restaurant", "user"),)


class Dish(Model):
    id = fields.BigIntField(primary_key=True)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="dishes", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=120)
    description = fields.CharField(max_length=500, default="")
    price_cents = fields.IntField()
    currency = fields.CharField(max_length=3, default="CNY")
    tags: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    archived = fields.BooleanField(default=False)
    # Denormalised, updated in the same transaction as review writes (see resolvers/reviews).
    rating_sum = fields.IntField(default=0)
    review_count = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "dishes"
