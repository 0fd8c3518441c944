"""开饭提醒 / 活动提醒: the host and the seated guests are told a few hours before a shared meal
starts, and those going to a restaurant event a few hours before it.

One reminder per meal and time: `reminded_at` is set by the statement that picks the meals, so
two workers never remind twice (each notice also carries a dedupe key). A meal moved to another
time gets `reminded_at` cleared (tables/polls.move_meal; an event's by meals/events.update_event):
the new time is reminded too. Only meals and events still on (open or not cancelled, visible);
the wording names the restaurant and the local time, as the voucher reminders do.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from core.atomic import update_returning
from core.context import Context, Services
from models.meals import EventRsvp, MealSeat, MealStatus, RestaurantEvent, SeatStatus, SharedMeal
from models.restaurants import Visibility
from resolvers.notifications import inbox
from resolvers.tables.offers import local_time

MEAL_REMINDER_HOURS = 3
EVENT_REMINDER_HOURS = 3
TOLD = (SeatStatus.HOST, SeatStatus.JOINED)


async def remind_meals(services: Services) -> int:
    """Remind every meal starting within MEAL_REMINDER_HOURS not yet reminded; how many."""
    ctx = Context(services=services)
    told: list[int] = []
    async with in_transaction("default"):
        ids = await _due("shared_meals", "status = ?", MealStatus.OPEN.value, MEAL_REMINDER_HOURS)
        meals = await SharedMeal.filter(id__in=ids).select_related("restaurant")
        seated = await MealSeat.filter(meal_id__in=ids, status__in=TOLD).values_list("meal_id", "user_id")
        for meal in meals:
            guests = [user_id for meal_id, user_id in seated if meal_id == meal.id]
            told += await _tell(
                ctx,
                "meal_reminder",
                dict.fromkeys([meal.host_id, *guests]),
                _text("开饭提醒", meal),
                ("SharedMeal", meal.id),
                meal.starts_at,
                meal_id=meal.id,
            )
    await inbox.announce(ctx, told)
    return len(meals)


async def remind_events(services: Services) -> int:
    """Remind every event starting within EVENT_REMINDER_HOURS not yet reminded; how many."""
    ctx = Context(services=services)
    told: list[int] = []
    async with in_transaction("default"):
        ids = await _due("restaurant_events", "cancelled = ?", False, EVENT_REMINDER_HOURS)
        events = await RestaurantEvent.filter(id__in=ids).select_related("restaurant")
        going = await EventRsvp.filter(event_id__in=ids, going=True).values_list("event_id", "user_id")
        for event in events:
            told += await _tell(
                ctx,
                "event_reminder",
                sorted({user_id for event_id, user_id in going if event_id == event.id}),
                _text("活动提醒", event),
                ("RestaurantEvent", event.id),
                event.starts_at,
                event_id=event.id,
            )
    await inbox.announce(ctx, told)
    return len(events)


async def _due(table: str, still_on: str, on: object, hours: int) -> list[int]:
    """The rows of `table` (still on and visible) starting within `hours`, not yet reminded:
    marked reminded by this very statement, so no other run or worker picks them."""
    now = datetime.now(UTC)
    rows = await update_returning(
        table,
        "reminded_at = ?",
        f"{still_on} AND visibility = ? AND reminded_at IS NULL AND starts_at > ? AND starts_at <= ?",
        [now, on, Visibility.VISIBLE.value, now, now + timedelta(hours=hours)],
        "id",
    )
    return [row["id"] for row in rows]


def _text(heading: str, plan: SharedMeal | RestaurantEvent) -> str:
    place = plan.restaurant
    when = local_time(plan.starts_at, place.timezone or "UTC")
    return f"{heading}：「{plan.title}」{when} 在「{place.name}」，别迟到"


async def _tell(
    ctx: Context,
    kind: str,
    user_ids: Iterable[int],
    text: str,
    subject: tuple[str, int],
    starts_at: datetime,
    **about: int,
) -> list[int]:
    """Each person once per plan and start time (the dedupe key); who was told."""
    told: list[int] = []
    for user_id in user_ids:
        notes = await inbox.notify(
            ctx,
            [user_id],
            kind,
            text,
            subject=subject,
            dedupe_key=f"{kind}:{subject[1]}:{user_id}:{int(starts_at.timestamp())}",
            **about,
        )
        told += [note.user_id for note in notes]
    return told
