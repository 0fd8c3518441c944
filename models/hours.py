"""Opening hours: a restaurant's weekly hours and its special days, in its own time zone."""

from __future__ import annotations

from tortoise import fields

from models.base import Model


class OpeningHours(Model):
    """One row per restaurant. Times are wall-clock minutes in the restaurant's zone.

    weekly: [[weekday 0=Monday, opens, closes], ...]; closes <= opens means past midnight.
    specials: {"YYYY-MM-DD": {"ranges": [[opens, closes], ...], "note": str}}; no ranges = closed.
    """

    id = fields.BigIntField(primary_key=True)
    restaurant = fields.OneToOneField(
        "restaurants.Restaurant", related_name="opening_hours", on_delete=fields.CASCADE
    )
    weekly: list[list[int]] = fields.JSONField(default=list)  # type: ignore[assignment]
    specials: dict[str, dict] = fields.JSONField(default=dict)  # type: ignore[assignment]
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "opening_hours"
