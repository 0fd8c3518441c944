"""开饭提醒 / 活动提醒: the host and the seated guests are told a few hours before a shared meal
starts, and those going to a restaurant event a few hours before it.

One reminder per meal and time: `reminded_at` is set by the statement that picks the meals, so
two workers never remind twice (each notice also carries a dedupe key). A meal moved to another
time gets `reminded_at` cleared (tables/polls.move_meal; an event's by meals/events.update_event):
the new time is reminded too. Only meals and events still on (open or not cancelled, visible);
the wording names the restaurant and the local time, as the voucher reminders do.
"""

from __future__ import annotations

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
    now = datetime.now(UTC)
    horizon = now + timedelta(hours=MEAL_REMINDER_HOURS)
    ctx = Context(services=services)
    told: list[int] = []
    async with in_transaction("default"):
        rows = await update_returning(
            "shared_meals",
            "reminded_at = ?",
            "status = ? AND visibility = ? AND reminded_at IS NULL AND starts_at > ? AND starts_at <= ?",
            [now, MealStatus.OPEN.value, Visibility.VISIBLE.value, now, horizon],
            "id",
        )
        ids = [row["id"] for row in rows]
        meals = await SharedMeal.filter(id__in=ids).select_related("restaurant")
        seated = await MealSeat.filter(meal_id__in=ids, status__in=TOLD).values_list("meal_id", "user_id")
        for meal in meals:
            place = meal.restaurant
            when = local_time(meal.starts_at, place.timezone or "UTC")
            text = f"开饭提醒：「{meal.title}」{when} 在「{place.name}」，别迟到"
            guests = [user_id for meal_id, user_id in seated if meal_id == meal.id]
            for user_id in dict.fromkeys([meal.host_id, *guests]):
                notes = await inbox.notify(
                    ctx,
                    [user_id],
                    "meal_reminder",
                    text,
                    meal.id,
                    subject=("SharedMeal", meal.id),
                    dedupe_key=f"meal_reminder:{meal.id}:{user_id}:{int(meal.starts_at.timestamp())}",
                )
                told += [note.user_id for note in notes]
    await inbox.announce(ctx, told)
    return len(meals)


async def remind_events(services: Services) -> int:
    """Remind every event starting within EVENT_REMINDER_HOURS not yet reminded; how many."""
    now = datetime.now(UTC)
    horizon = now + timedelta(hours=EVENT_REMINDER_HOURS)
    ctx = Context(services=services)
    told: list[int] = []
    async with in_transaction("default"):
        rows = await update_returning(
            "restaurant_events",
            "reminded_at = ?",
            "cancelled = ? AND visibility = ? AND reminded_at IS NULL AND starts_at > ? AND starts_at <= ?",
            [now, False, Visibility.VISIBLE.value, now, horizon],
            "id",
        )
        ids = [row["id"] for row in rows]
        events = await RestaurantEvent.filter(id__in=ids).select_related("restaurant")
        going = await EventRsvp.filter(event_id__in=ids, going=True).values_list("event_id", "user_id")
        for event in events:
            place = event.restaurant
            when = local_time(event.starts_at, place.timezone or "UTC")
            text = f"活动提醒：「{event.title}」{when} 在「{place.name}」，别迟到"
            for user_id in sorted({user_id for event_id, user_id in going if event_id == event.id}):
                notes = await inbox.notify(
                    ctx,
                    [user_id],
                    "event_reminder",
                    text,
                    event_id=event.id,
                    subject=("RestaurantEvent", event.id),
                    dedupe_key=f"event_reminder:{event.id}:{user_id}:{int(event.starts_at.timestamp())}",
                )
                told += [note.user_id for note in notes]
    await inbox.announce(ctx, told)
    return len(events)
