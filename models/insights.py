"""Merchant insights rollup: one row per restaurant, local day, local hour and source.

Maintained on write (views, vouchers issued, redemptions: resolvers/deals/rollup.py) by an
upsert that adds to the counters, so a year of trends reads a few thousand small rows instead
of scanning every view and claim.
"""

from __future__ import annotations

from tortoise import fields

from models.base import Model
from models.deals import SourceType


class DealDailyStat(Model):
    id = fields.BigIntField(primary_key=True)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="daily_stats", on_delete=fields.CASCADE
    )
    day = fields.DateField()  # in the restaurant's time zone
    hour = fields.SmallIntField()  # 0-23, local
    source_type = fields.CharEnumField(SourceType, max_length=16)
    views = fields.IntField(default=0)
    claims = fields.IntField(default=0)
    redemptions = fields.IntField(default=0)
    revenue_cents = fields.BigIntField(default=0)

    class Meta:
        table = "deal_daily_stats"
        unique_together = (("restaurant", "day", "hour", "source_type"),)
