"""Tables (issue 16): bookings and slots, the restaurant's reservation inbox, live updates."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncGenerator
from enum import Enum

import strawberry
from strawberry import relay
from strawberry.tools import merge_types

from core.errors import AuthError, ErrorCode, UserInputError
from models.accounts import User
from models.meals import SharedMeal
from models.restaurants import Restaurant
from models.tables import (
    Booking,
    BookingPolicy,
    BookingSlot,
    BookingStatus,
    MealPoll,
    PollKind,
    PollOption,
    PollVote,
)
from resolvers import visibility
from resolvers.restaurants.access import require_staff
from resolvers.tables import bookings, inbox, meal_life, offers, polls, reliability
from schema.accounts import UserNode
from schema.context import Info
from schema.ids import decode, decode_any, encode
from schema.meals import SharedMealNode, SharedMealPayload
from schema.nodes import ModelNode
from schema.payloads import Payload, payload_mutation
from schema.restaurants import RestaurantNode

BookingStatusEnum = strawberry.enum(BookingStatus, name="BookingStatus")


@strawberry.type
class DinerRecord:
    """A diner's record at tables: shown to restaurants they book with and to hosts."""

    attended: int
    no_shows: int
    rated: int


async def diner_record(info: Info, user_id: int) -> DinerRecord:
    """Batched for a page (an inbox day, a list of bookings): four statements however many rows."""
    found = await info.context.loaders.get(reliability.load_records).load(user_id)
    return DinerRecord(attended=found.attended, no_shows=found.no_shows, rated=found.rated)


@strawberry.type(name="BookingSlot")
class BookingSlotNode(ModelNode, kind=BookingSlot):
    id: relay.NodeID[int]
    starts_at: dt.datetime
    seats: int
    seats_booked: int
    model: strawberry.Private[BookingSlot]

    @strawberry.field
    def seats_left(self) -> int:
        return max(0, self.model.seats - self.model.seats_booked)


@strawberry.type(name="Booking")
class BookingNode(ModelNode, kind=Booking):
    id: relay.NodeID[int]
    party_size: int
    starts_at: dt.datetime
    note: str
    status: BookingStatusEnum  # type: ignore[valid-type]
    decline_reason: str
    created_at: dt.datetime
    model: strawberry.Private[Booking]

    @strawberry.field(description="The time the restaurant proposed, while PROPOSED.")
    async def proposed_starts_at(self) -> dt.datetime | None:
        # Only while the proposal stands: a booking cancelled meanwhile keeps the slot id it had.
        if self.model.proposed_slot_id is None or self.model.status != BookingStatus.PROPOSED:
            return None
        slot = await BookingSlot.get_or_none(id=self.model.proposed_slot_id)
        return slot.starts_at if slot else None

    @strawberry.field(description="Closed ones too (archived: 已停业): a diner's record keeps its shop.")
    async def restaurant(self, info: Info) -> RestaurantNode | None:
        row = await visibility.fetch_recorded_restaurant(info.context, self.model.restaurant_id)
        return RestaurantNode.from_model(row) if row else None

    @strawberry.field
    async def diner(self, info: Info) -> UserNode | None:
        user = await visibility.fetch(info.context, User, self.model.user_id)
        return UserNode.from_model(user) if user else None

    @strawberry.field(description="The diner's no-show record: the diner and the restaurant's staff.")
    async def diner_record(self, info: Info) -> DinerRecord:
        return await diner_record(info, self.model.user_id)


@strawberry.type(name="BookingPolicy")
class BookingPolicyType:
    cancel_cutoff_minutes: int
    max_party_size: int
    no_show_limit: int


@strawberry.enum
class RequestKind(Enum):
    BOOKING = "booking"
    SHARED_MEAL = "shared_meal"


@strawberry.type
class ReservationRequest:
    """One line of a restaurant's inbox: a booking, or a shared meal's table request."""

    kind: RequestKind
    starts_at: dt.datetime
    booking: BookingNode | None
    meal: SharedMealNode | None
    model: strawberry.Private[inbox.Request]

    @strawberry.field(description="The Booking or SharedMeal ID to answer with.")
    def request_id(self) -> strawberry.ID:
        if self.booking is not None:
            return strawberry.ID(encode("Booking", self.model.booking.id))  # type: ignore[union-attr]
        return strawberry.ID(encode("SharedMeal", self.model.meal.id))  # type: ignore[union-attr]

    @strawberry.field(description="The booking's party, or the meal's seats taken.")
    def party_size(self) -> int:
        row = self.model
        return row.booking.party_size if row.booking else row.meal.seats_taken  # type: ignore[union-attr]

    @strawberry.field(description="Who asked: the booking's diner or the meal's host.")
    async def diner_record(self, info: Info) -> DinerRecord:
        row = self.model
        return await diner_record(info, row.booking.user_id if row.booking else row.meal.host_id)  # type: ignore[union-attr]

    @staticmethod
    def of(row: inbox.Request) -> ReservationRequest:
        if row.booking is not None:
            return ReservationRequest(
                kind=RequestKind.BOOKING,
                starts_at=row.starts_at,
                booking=BookingNode.from_model(row.booking),
                meal=None,
                model=row,
            )
        return ReservationRequest(
            kind=RequestKind.SHARED_MEAL,
            starts_at=row.starts_at,
            booking=None,
            meal=SharedMealNode.from_model(row.meal),
            model=row,
        )


@strawberry.input
class BookingSlotInput:
    starts_at: dt.datetime
    seats: int = strawberry.field(description="Bookable seats at this time, 0-500.")


@strawberry.input
class BookingPolicyInput:
    """Fields left out (or null) keep their value: before any policy, 120, 10 and 2."""

    cancel_cutoff_minutes: int | None = strawberry.field(
        default=None, description="Diners cancel up to this many minutes before (0-10080)."
    )
    max_party_size: int | None = strawberry.field(default=None, description="1-50.")
    no_show_limit: int | None = strawberry.field(
        default=None, description="No-shows after which bookings need approval (1-20)."
    )


@strawberry.input
class BookTableInput:
    restaurant_id: strawberry.ID
    starts_at: dt.datetime = strawberry.field(description="One of the restaurant's slots, in the future.")
    party_size: int
    note: str = ""


@strawberry.enum
class RequestDecision(Enum):
    CONFIRM = "confirm"
    DECLINE = "decline"
    PROPOSE = "propose"


@strawberry.type
class BookingPayload(Payload):
    booking: BookingNode | None = None


@strawberry.type
class BookingSlotsPayload(Payload):
    slots: list[BookingSlotNode] = strawberry.field(default_factory=list)


@strawberry.type
class BookingPolicyPayload(Payload):
    policy: BookingPolicyType | None = None


@strawberry.type
class ReservationRequestPayload(Payload):
    request: ReservationRequest | None = None


def _booking(row: Booking) -> BookingPayload:
    return BookingPayload(booking=BookingNode.from_model(row))


def _policy(row: BookingPolicy) -> BookingPolicyType:
    return BookingPolicyType(
        cancel_cutoff_minutes=row.cancel_cutoff_minutes,
        max_party_size=row.max_party_size,
        no_show_limit=row.no_show_limit,
    )


def _request_target(value: strawberry.ID) -> tuple[str, int]:
    kind, pk = decode_any(value, "requestId")
    if kind not in ("Booking", "SharedMeal"):
        raise UserInputError(ErrorCode.INVALID_ID, "Expected a Booking or SharedMeal ID", "requestId")
    return kind, pk


def _request(row: Booking | SharedMeal) -> ReservationRequestPayload:
    found = inbox.Request(booking=row) if isinstance(row, Booking) else inbox.Request(meal=row)
    return ReservationRequestPayload(request=ReservationRequest.of(found))


@strawberry.type
class BookingQuery:
    @strawberry.field(description="Bookable times at a restaurant between two moments (at most 500).")
    async def booking_slots(
        self, info: Info, restaurant_id: strawberry.ID, start: dt.datetime, end: dt.datetime
    ) -> list[BookingSlotNode]:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        rows = await bookings.slots_between(pk, start, end)
        return [BookingSlotNode.from_model(r) for r in rows]

    @strawberry.field
    async def booking_policy(self, info: Info, restaurant_id: strawberry.ID) -> BookingPolicyType:
        return _policy(await bookings.policy_of(decode(restaurant_id, "Restaurant", "restaurantId")))

    @strawberry.field(
        description="Your bookings (at most 100): those still to come, soonest first, then past ones, "
        "latest first."
    )
    async def my_bookings(self, info: Info) -> list[BookingNode]:
        return [BookingNode.from_model(r) for r in await bookings.my_bookings(info.context)]

    @strawberry.field(
        description="Staff only: bookings and shared-meal table requests on a day (restaurant's zone)."
    )
    async def reservation_inbox(
        self, info: Info, restaurant_id: strawberry.ID, day: dt.date
    ) -> list[ReservationRequest]:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        try:
            rows = await inbox.day_requests(info.context, pk, day)
        except UserInputError as error:
            raise AuthError("FORBIDDEN", error.errors[0][2]) from None
        return [ReservationRequest.of(r) for r in rows]


@strawberry.type
class BookingMutation:
    @payload_mutation(description="Staff: open or resize bookable slots (never below seats booked).")
    async def set_booking_slots(
        self, info: Info, restaurant_id: strawberry.ID, slots: list[BookingSlotInput]
    ) -> BookingSlotsPayload:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        fields = [bookings.SlotFields(starts_at=s.starts_at, seats=s.seats) for s in slots]
        rows = await bookings.set_slots(info.context, pk, fields)
        return BookingSlotsPayload(slots=[BookingSlotNode.from_model(r) for r in rows])

    @payload_mutation(description="Staff: cancellation cut-off, party size, no-shows before approval.")
    async def set_booking_policy(
        self, info: Info, restaurant_id: strawberry.ID, input: BookingPolicyInput
    ) -> BookingPolicyPayload:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        fields = bookings.PolicyFields(input.cancel_cutoff_minutes, input.max_party_size, input.no_show_limit)
        return BookingPolicyPayload(policy=_policy(await bookings.set_policy(info.context, pk, fields)))

    @payload_mutation(
        description="CONFIRMED at once, or REQUESTED when your no-shows need approval; SLOT_FULL."
    )
    async def book_table(self, info: Info, input: BookTableInput) -> BookingPayload:
        pk = decode(input.restaurant_id, "Restaurant", "restaurantId")
        return _booking(await bookings.book(info.context, pk, input.starts_at, input.party_size, input.note))

    @payload_mutation(description="Your booking, up to the restaurant's cut-off (TOO_LATE after it).")
    async def cancel_booking(self, info: Info, booking_id: strawberry.ID) -> BookingPayload:
        return _booking(await bookings.cancel(info.context, decode(booking_id, "Booking", "bookingId")))

    @payload_mutation(description="Staff, once the booking's time has come (TOO_EARLY before).")
    async def mark_booking_no_show(self, info: Info, booking_id: strawberry.ID) -> BookingPayload:
        return _booking(await bookings.mark_no_show(info.context, decode(booking_id, "Booking", "bookingId")))

    @payload_mutation(description="Staff: confirm, decline (with a reason) or propose another time.")
    async def answer_reservation_request(
        self,
        info: Info,
        request_id: strawberry.ID,
        decision: RequestDecision,
        reason: str = "",
        proposed_starts_at: dt.datetime | None = None,
    ) -> ReservationRequestPayload:
        kind, pk = _request_target(request_id)
        answer = inbox.answer_booking if kind == "Booking" else inbox.answer_meal
        return _request(await answer(info.context, pk, decision.value, reason, proposed_starts_at))

    @payload_mutation(description="The diner (a meal's host) accepts or turns down the proposed time.")
    async def answer_proposed_time(
        self, info: Info, request_id: strawberry.ID, accept: bool
    ) -> ReservationRequestPayload:
        kind, pk = _request_target(request_id)
        answer = inbox.answer_booking_proposal if kind == "Booking" else inbox.answer_meal_proposal
        return _request(await answer(info.context, pk, accept))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Your booking on every change.")
    async def booking_updated(
        self, info: Info, booking_id: strawberry.ID
    ) -> AsyncGenerator[BookingNode, None]:
        info.context.require_viewer()
        try:
            pk = decode(booking_id, "Booking", "bookingId")
            updates = inbox.booking_updates(info.context, pk)
            # Checked again at each event: one no longer allowed to see it gets nothing more.
            async for row in updates:
                yield BookingNode.from_model(row)
        except UserInputError:
            raise AuthError("FORBIDDEN", "No such booking") from None

    @strawberry.subscription(
        description="Staff: each reservation request of the restaurant as it arrives or changes."
    )
    async def reservation_inbox_updated(
        self, info: Info, restaurant_id: strawberry.ID
    ) -> AsyncGenerator[ReservationRequest, None]:
        viewer = info.context.require_viewer()
        try:
            pk = decode(restaurant_id, "Restaurant", "restaurantId")
            await require_staff(viewer, pk)
        except UserInputError:
            raise AuthError("FORBIDDEN", "Staff only") from None
        async for row in inbox.inbox_updates(info.context, pk):
            yield ReservationRequest.of(row)


# ------------------------------------------------------------------ the meal's life


@strawberry.input
class GuestRatingInput:
    user_id: strawberry.ID
    thumbs_up: bool
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.type
class RateMealPayload(Payload):
    rated: bool = False


@strawberry.type
class ReceivedTag:
    tag: str
    count: int


@strawberry.type
class MealLifeQuery:
    @strawberry.field(description="Rating tags, by key.")
    def meal_rating_tags(self) -> list[str]:
        return list(meal_life.RATING_TAGS)

    @strawberry.field(description="Private: the tags other guests gave you, counted.")
    async def my_received_tags(self, info: Info) -> list[ReceivedTag]:
        viewer = info.context.require_viewer()
        counts = await meal_life.received_tags(viewer.id)
        return [ReceivedTag(tag=t, count=n) for t, n in sorted(counts.items())]


@strawberry.type
class MealLifeMutation:
    @payload_mutation(description="Staff of the meal's restaurant: a seated guest is at the table.")
    async def check_in_guest(
        self, info: Info, meal_id: strawberry.ID, user_id: strawberry.ID
    ) -> SharedMealPayload:
        meal = await meal_life.check_in(
            info.context, decode(meal_id, "SharedMeal", "mealId"), decode(user_id, "User", "userId")
        )
        return SharedMealPayload(meal=SharedMealNode.from_model(meal))

    @payload_mutation(description="After the meal, once: thumbs and tags for the meal and the other guests.")
    async def rate_meal(
        self,
        info: Info,
        meal_id: strawberry.ID,
        thumbs_up: bool,
        tags: list[str] | None = None,
        guests: list[GuestRatingInput] | None = None,
    ) -> RateMealPayload:
        rated = [
            meal_life.GuestRating(decode(g.user_id, "User", f"guests.{i}.userId"), g.thumbs_up, g.tags)
            for i, g in enumerate(guests or [])
        ]
        await meal_life.rate(
            info.context, decode(meal_id, "SharedMeal", "mealId"), thumbs_up, tags or [], rated
        )
        return RateMealPayload(rated=True)


# ------------------------------------------------------------------ waitlist offers


@strawberry.type
class SeatOfferType:
    """A freed seat held for you until expiresAt: accept it or let it go to the next diner."""

    expires_at: dt.datetime
    meal: SharedMealNode


@strawberry.type
class OfferQuery:
    @strawberry.field(description="Your open seat offer at this meal, null when none.")
    async def my_seat_offer(self, info: Info, meal_id: strawberry.ID) -> SeatOfferType | None:
        viewer = info.context.require_viewer()
        offer = await offers.my_offer(viewer.id, decode(meal_id, "SharedMeal", "mealId"))
        meal = await visibility.fetch(info.context, SharedMeal, offer.meal_id) if offer else None
        if offer is None or meal is None:
            return None
        return SeatOfferType(expires_at=offer.expires_at, meal=SharedMealNode.from_model(meal))


@strawberry.type
class OfferMutation:
    @payload_mutation(description="Take the offered seat (OFFER_LAPSED once its time is up) or pass it on.")
    async def answer_seat_offer(self, info: Info, meal_id: strawberry.ID, accept: bool) -> SharedMealPayload:
        meal = await offers.answer(info.context, decode(meal_id, "SharedMeal", "mealId"), accept)
        return SharedMealPayload(meal=SharedMealNode.from_model(meal))


# ------------------------------------------------------------------ polls

PollKindEnum = strawberry.enum(PollKind, name="PollKind")


@strawberry.type
class PollOptionType:
    id: strawberry.ID
    label: str
    starts_at: dt.datetime | None
    votes: int
    model: strawberry.Private[PollOption]

    @strawberry.field
    async def restaurant(self, info: Info) -> RestaurantNode | None:
        row = await visibility.fetch(info.context, Restaurant, self.model.restaurant_id)
        return RestaurantNode.from_model(row) if row else None


@strawberry.type(name="MealPoll")
class MealPollType:
    id: strawberry.ID
    kind: PollKindEnum  # type: ignore[valid-type]
    question: str
    closed: bool
    model: strawberry.Private[MealPoll]

    async def _options(self) -> list[PollOptionType]:
        counts = await polls.votes_by_option(self.model.id)
        return [
            PollOptionType(
                id=strawberry.ID(encode("PollOption", o.id)),
                label=o.label,
                starts_at=o.starts_at,
                votes=counts.get(o.id, 0),
                model=o,
            )
            for o in await PollOption.filter(poll_id=self.model.id).order_by("id")
        ]

    @strawberry.field(description="Options in the order given, with their vote counts.")
    async def options(self) -> list[PollOptionType]:
        return await self._options()

    @strawberry.field(description="The applied winner, once the host closed the poll.")
    async def winner(self) -> PollOptionType | None:
        return next((o for o in await self._options() if o.model.id == self.model.winner_id), None)

    @strawberry.field
    async def my_vote(self, info: Info) -> strawberry.ID | None:
        viewer = info.context.viewer
        vote = await PollVote.get_or_none(poll_id=self.model.id, user_id=viewer.id) if viewer else None
        return strawberry.ID(encode("PollOption", vote.option_id)) if vote else None

    @staticmethod
    def of(row: MealPoll) -> MealPollType:
        return MealPollType(
            id=strawberry.ID(encode("MealPoll", row.id)),
            kind=row.kind,
            question=row.question,
            closed=row.closed,
            model=row,
        )


@strawberry.input
class PollOptionInput:
    label: str = ""
    starts_at: dt.datetime | None = None
    restaurant_id: strawberry.ID | None = None
    dish_id: strawberry.ID | None = None


@strawberry.type
class MealPollPayload(Payload):
    poll: MealPollType | None = None


@strawberry.type
class PollQuery:
    @strawberry.field(description="The polls of a meal you can see, oldest first.")
    async def meal_polls(self, info: Info, meal_id: strawberry.ID) -> list[MealPollType]:
        rows = await polls.meal_polls(info.context, decode(meal_id, "SharedMeal", "mealId"))
        return [MealPollType.of(r) for r in rows]


def _option_fields(i: int, option: PollOptionInput) -> polls.OptionFields:
    return polls.OptionFields(
        label=option.label,
        starts_at=option.starts_at,
        restaurant_id=decode(option.restaurant_id, "Restaurant", f"options.{i}.restaurantId")
        if option.restaurant_id
        else None,
        dish_id=decode(option.dish_id, "Dish", f"options.{i}.dishId") if option.dish_id else None,
    )


@strawberry.type
class PollMutation:
    @payload_mutation(description="Host only: 2-10 options of one kind (times, restaurants or dishes).")
    async def create_meal_poll(
        self,
        info: Info,
        meal_id: strawberry.ID,
        kind: PollKindEnum,
        question: str,
        options: list[PollOptionInput],  # type: ignore[valid-type]
    ) -> MealPollPayload:
        fields = [_option_fields(i, o) for i, o in enumerate(options)]
        poll = await polls.create(
            info.context, decode(meal_id, "SharedMeal", "mealId"), kind, question, fields
        )
        return MealPollPayload(poll=MealPollType.of(poll))

    @payload_mutation(
        description="Guests at the table: one vote (voting again moves it); POLL_CLOSED after close."
    )
    async def vote_in_poll(
        self, info: Info, poll_id: strawberry.ID, option_id: strawberry.ID
    ) -> MealPollPayload:
        poll = await polls.vote(
            info.context, decode(poll_id, "MealPoll", "pollId"), decode(option_id, "PollOption", "optionId")
        )
        return MealPollPayload(poll=MealPollType.of(poll))

    @payload_mutation(description="Host only: the most-voted option wins and is applied to the meal.")
    async def close_meal_poll(self, info: Info, poll_id: strawberry.ID) -> MealPollPayload:
        poll = await polls.close(info.context, decode(poll_id, "MealPoll", "pollId"))
        return MealPollPayload(poll=MealPollType.of(poll))


Query = merge_types("Query", (BookingQuery, MealLifeQuery, OfferQuery, PollQuery))
Mutation = merge_types("Mutation", (BookingMutation, MealLifeMutation, OfferMutation, PollMutation))
