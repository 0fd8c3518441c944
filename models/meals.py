"""Shared meals (a diner hosts a table, others join or wait), restaurant events, notifications."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import Model
from models.restaurants import Visibility


class MealStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"
    COMPLETED = "completed"  # written by the meal-life job after the meal (issue 16)


class Audience(StrEnum):
    PUBLIC = "public"
    FOLLOWERS = "followers"


class ReservationStatus(StrEnum):
    NONE = "none"
    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    PROPOSED = "proposed"  # the restaurant proposed another time (issue 16)


# A table request the restaurant still acts on: asked, answered with another time, or held.
LIVE_RESERVATIONS = (ReservationStatus.REQUESTED, ReservationStatus.PROPOSED, ReservationStatus.CONFIRMED)


class SeatStatus(StrEnum):
    HOST = "host"
    JOINED = "joined"
    WAITLISTED = "waitlisted"
    PENDING = "pending"  # waiting for the host's approval
    LEFT = "left"
    REMOVED = "removed"
    DECLINED = "declined"
    NO_SHOW = "no_show"  # left after the start (issue 16): counts against the diner
    OFFERED = "offered"  # waitlisted, offered a freed seat for a while (issue 16); the seat is held


class SharedMeal(Model):
    id = fields.BigIntField(primary_key=True)
    host = fields.ForeignKeyField("accounts.User", related_name="hosted_meals", on_delete=fields.CASCADE)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="shared_meals", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    starts_at = fields.DatetimeField(db_index=True)
    capacity = fields.SmallIntField()
    # Seats held, host included; only ever changed by conditional updates (never > capacity).
    seats_taken = fields.SmallIntField(default=1)
    approval_required = fields.BooleanField(default=False)
    audience = fields.CharEnumField(Audience, max_length=16, default=Audience.PUBLIC)
    status = fields.CharEnumField(MealStatus, max_length=16, default=MealStatus.OPEN)
    reservation = fields.CharEnumField(ReservationStatus, max_length=16, default=ReservationStatus.NONE)
    reservation_note = fields.CharField(max_length=200, default="")
    visibility = fields.CharEnumField(Visibility, max_length=16, default=Visibility.VISIBLE)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # Set by the reminder job's conditional update (one 开饭提醒 per meal and time); cleared when
    # the meal moves to another time, so the new time is reminded too.
    reminded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "shared_meals"


# One diner's place at a meal; the waitlist is ordered by `id` (arrival order). (A comment, not a
# docstring: Tortoise turns docstrings into SQL table comments and mis-quotes apostrophes.)
class MealSeat(Model):
    id = fields.BigIntField(primary_key=True)
    meal = fields.ForeignKeyField("meals.SharedMeal", related_name="seats", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("accounts.User", related_name="meal_seats", on_delete=fields.CASCADE)
    status = fields.CharEnumField(SeatStatus, max_length=16)
    created_at = fields.DatetimeField(auto_now_add=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "meal_seats"
        unique_together = (("meal", "user"),)


class RestaurantEvent(Model):
    id = fields.BigIntField(primary_key=True)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="events", on_delete=fields.CASCADE
    )
    created_by = fields.ForeignKeyField(
        "accounts.User", related_name="created_events", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=120)
    description = fields.TextField(default="")
    starts_at = fields.DatetimeField(db_index=True)
    ends_at = fields.DatetimeField()
    capacity = fields.IntField()
    seats_taken = fields.IntField(default=0)
    price_cents = fields.IntField(default=0)
    currency = fields.CharField(max_length=3, default="CNY")
    tags: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    cancelled = fields.BooleanField(default=False)
    visibility = fields.CharEnumField(Visibility, max_length=16, default=Visibility.VISIBLE)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # 活动提醒: when those going were reminded (resolvers/meals/reminders.py); cleared by a new time.
    reminded_at = fields.DatetimeField(null=True)

    class Meta:
        table = "restaurant_events"


class EventRsvp(Model):
    id = fields.BigIntField(primary_key=True)
    event = fields.ForeignKeyField("meals.RestaurantEvent", related_name="rsvps", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("accounts.User", related_name="event_rsvps", on_delete=fields.CASCADE)
    going = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)
    # 候补: when the diner joined the event's waitlist (not going, in line); null otherwise. The
    # first place freed goes to the earliest (resolvers/meals/events.py `fill_from_waitlist`).
    waitlisted_at = fields.DatetimeField(null=True)

    class Meta:
        table = "event_rsvps"
        unique_together = (("event", "user"),)


class Notification(Model):
    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("accounts.User", related_name="notifications", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=32)  # promoted | meal_cancelled | reservation_confirmed ...
    message = fields.CharField(max_length=300)
    meal = fields.ForeignKeyField(
        "meals.SharedMeal", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    event = fields.ForeignKeyField(
        "meals.RestaurantEvent", related_name="notifications", null=True, on_delete=fields.CASCADE
    )
    read_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # Who caused it (a follower, a voter...) and what it is about, as the GraphQL type name and
    # row id (a client opens it with node(); visibility still applies). dedupe_key: a job's
    # notification is stored once however often or in how many processes the job runs.
    actor = fields.ForeignKeyField(
        "accounts.User", related_name="notifications_caused", null=True, on_delete=fields.SET_NULL
    )
    subject_type = fields.CharField(max_length=24, null=True)
    subject_id = fields.BigIntField(null=True)
    dedupe_key = fields.CharField(max_length=64, null=True, unique=True)

    class Meta:
        table = "notifications"
