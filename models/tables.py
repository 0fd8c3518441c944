"""Tables: standalone bookings against per-slot seats, the restaurant's booking policy, and
staff answers to shared-meal table requests (decline reasons, proposed times)."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import Model


class BookingStatus(StrEnum):
    REQUESTED = "requested"  # waiting for staff (diners with repeated no-shows); seats held
    CONFIRMED = "confirmed"
    PROPOSED = "proposed"  # staff proposed another time; the original seats stay held
    DECLINED = "declined"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# Statuses that hold seats on their slot (seats_booked counts them).
HOLDING = (BookingStatus.REQUESTED, BookingStatus.CONFIRMED, BookingStatus.PROPOSED)


# The restaurant's rules for standalone bookings (defaults apply while it has no row).
class BookingPolicy(Model):
    id = fields.BigIntField(primary_key=True)
    restaurant = fields.OneToOneField(
        "restaurants.Restaurant", related_name="booking_policy", on_delete=fields.CASCADE
    )
    cancel_cutoff_minutes = fields.IntField(default=120)
    max_party_size = fields.SmallIntField(default=10)
    no_show_limit = fields.SmallIntField(default=2)  # this many no-shows: bookings need approval

    class Meta:
        table = "booking_policies"


# Bookable seats at one start time; seats_booked only moves in the UPDATE that checks it.
class BookingSlot(Model):
    id = fields.BigIntField(primary_key=True)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="booking_slots", on_delete=fields.CASCADE
    )
    starts_at = fields.DatetimeField(db_index=True)
    seats = fields.IntField()
    seats_booked = fields.IntField(default=0)

    class Meta:
        table = "booking_slots"
        unique_together = (("restaurant", "starts_at"),)


class Booking(Model):
    id = fields.BigIntField(primary_key=True)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="bookings", on_delete=fields.CASCADE
    )
    slot = fields.ForeignKeyField("tables.BookingSlot", related_name="bookings", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("accounts.User", related_name="bookings", on_delete=fields.CASCADE)
    party_size = fields.SmallIntField()
    starts_at = fields.DatetimeField(db_index=True)
    note = fields.CharField(max_length=200, default="")
    status = fields.CharEnumField(BookingStatus, max_length=16)
    decline_reason = fields.CharField(max_length=200, default="")
    proposed_slot = fields.ForeignKeyField(
        "tables.BookingSlot", related_name="proposals", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "bookings"


# Staff's answer to a shared meal's table request beyond confirm: a reason, or another time.
class MealReservationAnswer(Model):
    id = fields.BigIntField(primary_key=True)
    meal = fields.OneToOneField(
        "meals.SharedMeal", related_name="reservation_answer", on_delete=fields.CASCADE
    )
    decline_reason = fields.CharField(max_length=200, default="")
    proposed_starts_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "meal_reservation_answers"


# A guest confirmed at the table: by staff, or by redeeming a voucher at that restaurant.
class MealCheckIn(Model):
    id = fields.BigIntField(primary_key=True)
    meal = fields.ForeignKeyField("meals.SharedMeal", related_name="check_ins", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("accounts.User", related_name="meal_check_ins", on_delete=fields.CASCADE)
    by_voucher = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "meal_check_ins"
        unique_together = (("meal", "user"),)


# After a completed meal: a guest's private thumbs and tags on the meal (target null) or a guest.
class MealRating(Model):
    id = fields.BigIntField(primary_key=True)
    meal = fields.ForeignKeyField("meals.SharedMeal", related_name="ratings", on_delete=fields.CASCADE)
    rater = fields.ForeignKeyField(
        "accounts.User", related_name="meal_ratings_given", on_delete=fields.CASCADE
    )
    target = fields.ForeignKeyField(
        "accounts.User", related_name="meal_ratings_received", null=True, on_delete=fields.CASCADE
    )
    thumbs_up = fields.BooleanField()
    tags: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "meal_ratings"
        unique_together = (("meal", "rater", "target"),)


class OfferStatus(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    LAPSED = "lapsed"


# A freed seat offered to a waitlisted diner until expires_at (the seat is OFFERED meanwhile).
class SeatOffer(Model):
    id = fields.BigIntField(primary_key=True)
    meal = fields.ForeignKeyField("meals.SharedMeal", related_name="seat_offers", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("accounts.User", related_name="seat_offers", on_delete=fields.CASCADE)
    status = fields.CharEnumField(OfferStatus, max_length=16, default=OfferStatus.OPEN)
    expires_at = fields.DatetimeField(db_index=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "seat_offers"


class PollKind(StrEnum):
    TIME = "time"
    RESTAURANT = "restaurant"
    DISH = "dish"


# A question inside a shared meal that seated guests vote on; the host closes it and the winning
# option is applied (a new time or restaurant for the meal; dishes are the table's order).
class MealPoll(Model):
    id = fields.BigIntField(primary_key=True)
    meal = fields.ForeignKeyField("meals.SharedMeal", related_name="polls", on_delete=fields.CASCADE)
    kind = fields.CharEnumField(PollKind, max_length=16)
    question = fields.CharField(max_length=200)
    closed = fields.BooleanField(default=False)
    winner_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "meal_polls"


class PollOption(Model):
    id = fields.BigIntField(primary_key=True)
    poll = fields.ForeignKeyField("tables.MealPoll", related_name="options", on_delete=fields.CASCADE)
    label = fields.CharField(max_length=120)
    starts_at = fields.DatetimeField(null=True)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="poll_options", null=True, on_delete=fields.CASCADE
    )
    dish = fields.ForeignKeyField(
        "restaurants.Dish", related_name="poll_options", null=True, on_delete=fields.CASCADE
    )

    class Meta:
        table = "poll_options"


class PollVote(Model):
    id = fields.BigIntField(primary_key=True)
    poll = fields.ForeignKeyField("tables.MealPoll", related_name="votes", on_delete=fields.CASCADE)
    option = fields.ForeignKeyField("tables.PollOption", related_name="votes", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("accounts.User", related_name="poll_votes", on_delete=fields.CASCADE)

    class Meta:
        table = "poll_votes"
        unique_together = (("poll", "user"),)
