"""Favourites (issue 15): a diner's lists of saved restaurants, dishes and shared meals.

A new app so no existing table changes. Each diner has at most one default list (created on
their first save; `default_owner` is the owner's id on that list only, NULL elsewhere, so a
unique index settles two concurrent first saves) plus named ones. A list is private until
shared: the link carries a random token of which only the SHA-256 is stored.
"""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import Model


class FavouriteKind(StrEnum):
    RESTAURANT = "restaurant"
    DISH = "dish"
    SHARED_MEAL = "shared_meal"


class FavouriteList(Model):
    id = fields.BigIntField(primary_key=True)
    owner = fields.ForeignKeyField("accounts.User", related_name="favourite_lists", on_delete=fields.CASCADE)
    name = fields.CharField(max_length=80)
    is_default = fields.BooleanField(default=False)
    default_owner = fields.BigIntField(null=True, unique=True)
    share_token_hash = fields.CharField(max_length=64, null=True, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "favourite_lists"


class FavouriteItem(Model):
    """One saved target: exactly one of restaurant, dish, meal is set (as `kind` says)."""

    id = fields.BigIntField(primary_key=True)
    list = fields.ForeignKeyField("favourites.FavouriteList", related_name="items", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(FavouriteKind, max_length=16)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="favourite_items", null=True, on_delete=fields.CASCADE
    )
    dish = fields.ForeignKeyField(
        "restaurants.Dish", related_name="favourite_items", null=True, on_delete=fields.CASCADE
    )
    meal = fields.ForeignKeyField(
        "meals.SharedMeal", related_name="favourite_items", null=True, on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "favourite_items"
        # NULLs are distinct on both backends: each pair only binds the column that is set.
        unique_together = (("list", "restaurant"), ("list", "dish"), ("list", "meal"))
