"""Deal conditions (structured fine print) and merchant trends (daily series, heatmap)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry

from resolvers.deals import conditions as rules
from resolvers.deals import trends
from schema.context import Info
from schema.deals import AttributionSource
from schema.ids import decode


@strawberry.type
class TimeWindow:
    start: dt.time
    end: dt.time
    ends_next_day: bool = strawberry.field(
        description="The window ends the next day (夜宵 22:00–次日02:00); its hours after midnight "
        "count as the day it began for validWeekdays and excludedDates."
    )


@strawberry.input
class TimeWindowInput:
    start: dt.time
    end: dt.time
    ends_next_day: bool = strawberry.field(
        default=False, description="End is on the next day (then it is before start): 22:00–次日02:00."
    )


@strawberry.type
class DealConditions:
    """Usable days and hours are in the restaurant's time zone; weekdays 1 = Monday … 7 = Sunday."""

    valid_weekdays: list[int] = strawberry.field(
        description="ISO weekdays, 1 = Monday … 7 = Sunday (opening hours: 0 = Monday); empty: every day."
    )
    time_windows: list[TimeWindow]
    excluded_dates: list[dt.date]
    new_customers_only: bool
    min_party_size: int | None
    max_party_size: int | None
    reservation_required: bool
    one_per_table: bool
    stackable: bool

    @classmethod
    def of(cls, c: rules.Conditions) -> DealConditions:
        return cls(
            valid_weekdays=c.valid_weekdays,
            time_windows=[
                TimeWindow(start=w.start, end=w.end, ends_next_day=w.next_day)
                for w in map(rules.as_window, c.time_windows)
            ],
            excluded_dates=c.excluded_dates,
            new_customers_only=c.new_customers_only,
            min_party_size=c.min_party_size,
            max_party_size=c.max_party_size,
            reservation_required=c.reservation_required,
            one_per_table=c.one_per_table,
            stackable=c.stackable,
        )


@strawberry.input
class DealConditionsInput:
    valid_weekdays: list[int] = strawberry.field(
        default_factory=list,
        description="ISO weekdays, 1 = Monday … 7 = Sunday (opening hours: 0 = Monday); empty: every day.",
    )
    time_windows: list[TimeWindowInput] = strawberry.field(default_factory=list)
    excluded_dates: list[dt.date] = strawberry.field(default_factory=list)
    new_customers_only: bool = False
    min_party_size: int | None = None
    max_party_size: int | None = None
    reservation_required: bool = False
    one_per_table: bool = False
    stackable: bool = True

    def to_rules(self) -> rules.Conditions:
        return rules.Conditions(
            valid_weekdays=list(self.valid_weekdays),
            time_windows=[
                rules.Window(w.start.replace(tzinfo=None), w.end.replace(tzinfo=None), w.ends_next_day)
                for w in self.time_windows
            ],
            excluded_dates=list(self.excluded_dates),
            new_customers_only=self.new_customers_only,
            min_party_size=self.min_party_size,
            max_party_size=self.max_party_size,
            reservation_required=self.reservation_required,
            one_per_table=self.one_per_table,
            stackable=self.stackable,
        )


@strawberry.type
class FinePrintLine:
    code: str = strawberry.field(description="Stable key the app may translate (WEEKDAYS, TIME_WINDOWS …).")
    text: str = strawberry.field(description="The line in Chinese, as the voucher's 使用规则 reads.")
    text_en: str = strawberry.field(description="The same line in English.")


@strawberry.type
class SourceDay:
    type: AttributionSource
    views: int
    claims: int
    redemptions: int
    revenue_cents: int


@strawberry.type
class DayPoint:
    date: dt.date
    views: int
    claims: int
    redemptions: int
    revenue_cents: int
    by_source: list[SourceDay]


@strawberry.type
class HeatCell:
    weekday: int = strawberry.field(description="1 = Monday … 7 = Sunday, restaurant time.")
    hour: int
    redemptions: int


@strawberry.type
class RestaurantTrends:
    time_zone: str
    days: list[DayPoint] = strawberry.field(description="Every day of the range, zeros included.")
    redemption_heatmap: list[HeatCell] = strawberry.field(description="Non-empty cells only.")
    currency: str = "CNY"


def _point(day: trends.Day) -> DayPoint:
    return DayPoint(
        date=day.date,
        views=day.totals.views,
        claims=day.totals.claims,
        redemptions=day.totals.redemptions,
        revenue_cents=day.totals.revenue_cents,
        by_source=[
            SourceDay(
                type=AttributionSource(source.value),
                views=c.views,
                claims=c.claims,
                redemptions=c.redemptions,
                revenue_cents=c.revenue_cents,
            )
            for source, c in day.by_source.items()
        ],
    )


@strawberry.type
class Query:
    @strawberry.field(
        description="Owner/staff only: daily views, vouchers issued, redemptions and voucher revenue "
        "(by source) over local days [from, to], and when vouchers are redeemed (weekday × hour)."
    )
    async def restaurant_trends(
        self,
        info: Info,
        restaurant_id: strawberry.ID,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
    ) -> RestaurantTrends:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        result = await trends.restaurant_trends(info.context, pk, from_, to)
        return RestaurantTrends(
            time_zone=result.zone,
            days=[_point(d) for d in result.days],
            redemption_heatmap=[HeatCell(weekday=w, hour=h, redemptions=n) for (w, h), n in result.heatmap],
        )
