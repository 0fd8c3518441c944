"""Shared meals, restaurant events, notifications, and the live sharedMealUpdated subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from core.errors import AuthError
from core.loaders import rows_of
from models.accounts import User
from models.favourites import FavouriteKind
from models.meals import (
    Audience,
    EventRsvp,
    MealSeat,
    Notification,
    ReservationStatus,
    RestaurantEvent,
    SeatStatus,
    SharedMeal,
)
from models.restaurants import Restaurant
from resolvers import visibility
from resolvers.favourites import lists as favourites
from resolvers.meals import events, meals, notifications
from resolvers.tables import meal_life, reliability
from schema.accounts import UserNode
from schema.context import Info
from schema.deals import DealNode, live_deals
from schema.ids import decode, encode, resolve_global_id
from schema.nodes import ModelNode, listed
from schema.pagination import Connection, to_connection
from schema.payloads import Payload, payload_mutation
from schema.restaurants import RestaurantNode, require_staff_field

ReservationStatusEnum = strawberry.enum(ReservationStatus, name="ReservationStatus")


@strawberry.enum
class MealVisibility(Enum):
    PUBLIC = "public"
    FOLLOWERS = "followers"


@strawberry.enum
class SeatState(Enum):
    HOST = "host"
    JOINED = "joined"
    WAITLISTED = "waitlisted"
    PENDING = "pending"
    LEFT = "left"
    REMOVED = "removed"
    DECLINED = "declined"
    NO_SHOW = "no_show"
    OFFERED = "offered"


@strawberry.enum
class MealStatusEnum(Enum):
    OPEN = "open"
    CANCELLED = "cancelled"
    COMPLETED = "completed"


@strawberry.enum
class MealPhase(Enum):
    SCHEDULED = "scheduled"
    UNDER_WAY = "under_way"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


@strawberry.type
class MealGuest:
    state: SeatState
    since: datetime
    model: strawberry.Private[MealSeat]

    @strawberry.field
    async def user(self, info: Info) -> UserNode | None:
        return UserNode.of(await visibility.fetch(info.context, User, self.model.user_id))

    @strawberry.field(
        description="Host only: the guest's user id, also when `user` is null (a suspended diner whose "
        "seat is after the suspension): the seat can still be named to removeMealGuest."
    )
    async def user_id(self, info: Info) -> strawberry.ID | None:
        if not await self._asked_by_host(info):
            return None
        return strawberry.ID(encode("User", self.model.user_id))

    @strawberry.field(description="Host only: the diner's record (attended, no-shows, meals rated).")
    async def reliability(self, info: Info) -> GuestReliability | None:
        if not await self._asked_by_host(info):
            return None
        found = await info.context.loaders.get(reliability.load_records).load(self.model.user_id)
        return GuestReliability(attended=found.attended, no_shows=found.no_shows, rated=found.rated)

    async def _asked_by_host(self, info: Info) -> bool:
        """The meal from the request's loader (one read for every guest of the page)."""
        viewer = info.context.viewer
        if viewer is None:
            return False
        meal = await info.context.loaders.get(rows_of(SharedMeal)).load(self.model.meal_id)
        return meal is not None and meal.host_id == viewer.id


@strawberry.type
class GuestReliability:
    attended: int
    no_shows: int
    rated: int


@strawberry.type(name="SharedMeal")
class SharedMealNode(ModelNode, kind=SharedMeal):
    id: relay.NodeID[int]
    title: str
    description: str
    starts_at: datetime
    capacity: int = strawberry.field(description="Seats at the table, host included.")
    seats_taken: int = strawberry.field(
        description="Seats held: the host and joined guests (`guests`) plus seats held for an open "
        "offer (`seatsOffered`), so seatsTaken = guests + seatsOffered; seatsLeft = capacity - seatsTaken."
    )
    approval_required: bool
    visibility: MealVisibility
    status: MealStatusEnum
    reservation_status: ReservationStatusEnum  # type: ignore[valid-type]
    created_at: datetime
    distance_km: float | None = None
    model: strawberry.Private[SharedMeal]

    derive = {
        "visibility": lambda row: MealVisibility(row.audience.value),
        "status": lambda row: MealStatusEnum(row.status.value),
        "reservation_status": lambda row: row.reservation,
    }

    @strawberry.field
    def seats_left(self) -> int:
        return max(0, self.model.capacity - self.model.seats_taken)

    @strawberry.field(description="SCHEDULED, UNDER_WAY (from the start, 3 hours), COMPLETED or CANCELLED.")
    def phase(self) -> MealPhase:
        return MealPhase(meal_life.phase(self.model))

    @strawberry.field
    async def host(self, info: Info) -> UserNode | None:
        user = await visibility.fetch(info.context, User, self.model.host_id)
        return UserNode.from_model(user) if user else None

    @strawberry.field
    async def restaurant(self, info: Info) -> RestaurantNode | None:
        row = await visibility.fetch(info.context, Restaurant, self.model.restaurant_id)
        return RestaurantNode.from_model(row) if row else None

    async def _seats(self, info: Info) -> list[MealSeat]:
        return await info.context.loaders.get(meals.load_seats).load(self.model.id)

    @strawberry.field(description="Host and joined diners, in arrival order.")
    async def guests(self, info: Info) -> list[MealGuest]:
        rows = await self._seats(info)
        return [
            MealGuest(state=SeatState(r.status.value), since=r.created_at, model=r)
            for r in rows
            if r.status in meals.SEATED
        ]

    @strawberry.field(
        description="Seats held for a waitlisted diner who was offered one and has not answered yet "
        "(state OFFERED in `waiting`); counted in seatsTaken, not in guests nor waitlistCount."
    )
    async def seats_offered(self, info: Info) -> int:
        return sum(1 for r in await self._seats(info) if r.status == SeatStatus.OFFERED)

    @strawberry.field(
        description="Diners waiting in line for a seat (state WAITLISTED), not counting one offered "
        "a seat (seatsOffered) nor requests awaiting the host's approval (PENDING)."
    )
    async def waitlist_count(self, info: Info) -> int:
        return sum(1 for r in await self._seats(info) if r.status == SeatStatus.WAITLISTED)

    @strawberry.field(
        description="Private: the host sees, in arrival order, who was offered a seat (OFFERED), "
        "the waitlist (WAITLISTED, as many as waitlistCount) and requests awaiting approval (PENDING)."
    )
    async def waiting(self, info: Info) -> list[MealGuest] | None:
        viewer = info.context.require_viewer()
        if viewer.id != self.model.host_id:
            raise AuthError("FORBIDDEN", "Only the host sees who is waiting")
        rows = await self._seats(info)
        waiting = (SeatStatus.WAITLISTED, SeatStatus.PENDING, SeatStatus.OFFERED)
        return [
            MealGuest(state=SeatState(r.status.value), since=r.created_at, model=r)
            for r in rows
            if r.status in waiting
        ]

    @strawberry.field(
        description="收藏: whether the viewer has it in any of their favourite lists; null when signed out."
    )
    def saved_by_me(self, info: Info) -> bool | None:
        return favourites.saved_by_me(info.context, FavouriteKind.SHARED_MEAL, self.model.id)

    @strawberry.field(description="The viewer's place at this meal, null when none.")
    async def my_status(self, info: Info) -> SeatState | None:
        status = await meals.my_seat(info.context, self.model.id)
        return SeatState(status.value) if status else None

    @strawberry.field(
        description="Your place on its waitlist (候补第 N 位; 1: the next seat freed is offered to you); "
        "null when not waiting (an offered seat is myStatus OFFERED) or signed out."
    )
    async def waitlist_position_by_me(self, info: Info) -> int | None:
        return await meals.my_place_in_line(info.context, self.model.id)

    @strawberry.field(description="Deals on offer now at this restaurant (claim them with this as source).")
    async def deals(self, info: Info) -> list[DealNode]:
        return await live_deals(info, self.model.restaurant_id)


@strawberry.type
class EventAttendee:
    since: datetime
    model: strawberry.Private[EventRsvp]

    @strawberry.field
    async def user(self, info: Info) -> UserNode | None:
        return UserNode.of(await visibility.fetch(info.context, User, self.model.user_id))


@strawberry.type(name="RestaurantEvent")
class RestaurantEventNode(ModelNode, kind=RestaurantEvent):
    id: relay.NodeID[int]
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    price_cents: int = strawberry.field(
        description="Paid at the restaurant (到店付): an RSVP holds a place, no money moves in the "
        "app. To sell tickets, link a deal to the event and diners claim it from the event."
    )
    currency: str
    tags: list[str]
    cancelled: bool
    created_at: datetime
    distance_km: float | None = None
    model: strawberry.Private[RestaurantEvent]

    derive = {
        "tags": listed("tags"),
    }

    @strawberry.field
    def seats_left(self) -> int:
        return max(0, self.model.capacity - self.model.seats_taken)

    @strawberry.field
    async def restaurant(self, info: Info) -> RestaurantNode | None:
        row = await visibility.fetch(info.context, Restaurant, self.model.restaurant_id)
        return RestaurantNode.from_model(row) if row else None

    @strawberry.field(description="Whether you hold a place at it; null when signed out.")
    def going_by_me(self, info: Info) -> bool | None:
        return events.going_by_me(info.context, self.model.id)

    @strawberry.field(
        description="Whether you are on its waitlist (候补: the first place freed goes to the earliest "
        "in line); null when signed out."
    )
    def waitlisted_by_me(self, info: Info) -> bool | None:
        return events.waitlisted_by_me(info.context, self.model.id)

    @strawberry.field(
        description="Your place in its line (候补第 N 位; 1: the next place freed is yours); null when "
        "not in line or signed out."
    )
    def waitlist_position_by_me(self, info: Info) -> int | None:
        return events.place_in_line(info.context, self.model.id)

    @strawberry.field(description="How many are waiting for a place (0 when none).")
    def waitlist_count(self, info: Info) -> int:
        return events.line_length(info.context, self.model.id)

    @strawberry.field(
        description="Private: the restaurant's staff see who is going, in the order they first "
        "signed up (since: that first RSVP, kept if they cancelled and came back). totalCount is "
        "seatsTaken."
    )
    async def attendees(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[EventAttendee] | None:
        await require_staff_field(info, self.model.restaurant_id)
        page = await events.attendees(info.context, self.model, first, after)
        return to_connection(
            page, lambda r: EventAttendee(since=r.created_at, model=r), self.model.seats_taken
        )

    @strawberry.field(description="Deals on offer now at this restaurant (claim them with this as source).")
    async def deals(self, info: Info) -> list[DealNode]:
        return await live_deals(info, self.model.restaurant_id)


@strawberry.type(name="Notification")
class NotificationNode(ModelNode, kind=Notification, private_to="user_id"):
    id: relay.NodeID[int]
    kind: str
    message: str
    read: bool
    created_at: datetime
    model: strawberry.Private[Notification]

    derive = {
        "read": lambda row: row.read_at is not None,
    }

    @strawberry.field
    async def meal(self, info: Info) -> SharedMealNode | None:
        if self.model.meal_id is None:
            return None
        row = await visibility.fetch(info.context, SharedMeal, self.model.meal_id)
        return SharedMealNode.from_model(row) if row else None

    @strawberry.field(
        description="The event it is about (also when cancelled; null when you may no longer see it)."
    )
    async def event(self, info: Info) -> RestaurantEventNode | None:
        event = await visibility.fetch(info.context, RestaurantEvent, self.model.event_id)
        return RestaurantEventNode.of(event)

    @strawberry.field(description="Who caused it (null when you may no longer see them).")
    async def actor(self, info: Info) -> UserNode | None:
        if self.model.actor_id is None:
            return None
        row = await visibility.fetch(info.context, User, self.model.actor_id)
        return UserNode.from_model(row) if row else None

    @strawberry.field(
        description="What it is about (a review, a match request, a deal...), as node(id:) shows it to you."
    )
    async def subject(self, info: Info) -> relay.Node | None:
        kind, pk = self.model.subject_type, self.model.subject_id
        if kind is None or pk is None:
            # An event's notices (cancelled, changed, a place freed, the reminder) name it by event_id.
            if self.model.event_id is None:
                return None
            kind, pk = "RestaurantEvent", self.model.event_id
        return await resolve_global_id(info, encode(kind, pk))


@strawberry.input
class SharedMealInput:
    restaurant_id: strawberry.ID
    title: str
    starts_at: datetime = strawberry.field(description="ISO-8601 with offset; in the future.")
    capacity: int = strawberry.field(description="2-20, host included.")
    description: str = ""
    approval_required: bool = False
    visibility: MealVisibility = MealVisibility.PUBLIC


@strawberry.input
class RestaurantEventInput:
    restaurant_id: strawberry.ID
    title: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    price_cents: int = 0
    description: str = ""
    tags: list[str] = strawberry.field(default_factory=list)


@strawberry.input(description="What to change; a field left out (or null) stays as it is.")
class SharedMealUpdateInput:
    title: str | None = None
    description: str | None = None
    starts_at: datetime | None = strawberry.field(
        default=None,
        description="A new time tells everyone at the meal or in line for it (meal_changed) "
        "and withdraws a table request.",
    )
    capacity: int | None = strawberry.field(
        default=None,
        description="2-20, not below the seats held (OUT_OF_RANGE); added seats are offered to the waitlist.",
    )


@strawberry.input(description="What to change; a field left out (or null) stays as it is.")
class RestaurantEventUpdateInput:
    title: str | None = None
    description: str | None = None
    starts_at: datetime | None = strawberry.field(
        default=None, description="A new start tells everyone going (event_changed)."
    )
    ends_at: datetime | None = None
    capacity: int | None = strawberry.field(
        default=None, description="Not below the places taken (OUT_OF_RANGE)."
    )
    tags: list[str] | None = None
    price_cents: int | None = strawberry.field(
        default=None,
        description="Paid at the door (到店付): a new price tells everyone going (event_changed).",
    )


@strawberry.type
class SharedMealPayload(Payload):
    meal: SharedMealNode | None = None


@strawberry.enum
class JoinStatus(Enum):
    JOINED = "joined"
    WAITLISTED = "waitlisted"
    PENDING = "pending"
    DECLINED = "declined"


@strawberry.type
class JoinMealPayload(Payload):
    status: JoinStatus | None = None
    meal: SharedMealNode | None = None


@strawberry.type
class RestaurantEventPayload(Payload):
    event: RestaurantEventNode | None = None


@strawberry.type
class MarkReadPayload(Payload):
    marked: int = 0


@strawberry.type
class Query:
    @strawberry.field
    async def shared_meal(self, info: Info, id: strawberry.ID) -> SharedMealNode | None:
        row = await visibility.fetch(info.context, SharedMeal, decode(id, "SharedMeal", "id"))
        return SharedMealNode.from_model(row) if row else None

    @strawberry.field(description="Upcoming public meals at restaurants within the radius, nearest first.")
    async def shared_meals_nearby(
        self,
        info: Info,
        lat: float,
        lng: float,
        radius_km: float | None = 5,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[SharedMealNode]:
        page = await meals.meals_nearby(
            info.context, lat, lng, radius_km if radius_km is not None else 5, first, after
        )
        return to_connection(page, SharedMealNode.from_hit)

    @strawberry.field(description="Upcoming events at restaurants within the radius, nearest first.")
    async def events_nearby(
        self,
        info: Info,
        lat: float,
        lng: float,
        radius_km: float | None = 5,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[RestaurantEventNode]:
        page = await events.events_nearby(
            info.context, lat, lng, radius_km if radius_km is not None else 5, first, after
        )
        return to_connection(page, RestaurantEventNode.from_hit)

    @strawberry.field(
        description="Events you hold a place at: those not over yet, soonest first, then past ones, "
        "latest first."
    )
    async def my_events(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[RestaurantEventNode]:
        return to_connection(
            await events.my_events(info.context, first, after), RestaurantEventNode.from_model
        )

    @strawberry.field(
        description="Meals you host or are part of (seated, offered a seat, waitlisted, asking to join): "
        "those not over yet (under way included), soonest first, then past ones, latest first; "
        "cancelled ones leave the list."
    )
    async def my_meals(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[SharedMealNode]:
        return to_connection(await meals.my_meals(info.context, first, after), SharedMealNode.from_model)

    @strawberry.field(description="Your notifications, newest first.")
    async def notifications(
        self, info: Info, unread_only: bool = False, first: int | None = 20, after: str | None = None
    ) -> Connection[NotificationNode]:
        page = await notifications.page(info.context, unread_only, first, after)
        return to_connection(page, NotificationNode.from_model)

    @strawberry.field
    async def unread_notification_count(self, info: Info) -> int:
        return await notifications.unread_count(info.context)


def _meal_id(value: strawberry.ID) -> int:
    return decode(value, "SharedMeal", "mealId")


def _meal(row: SharedMeal) -> SharedMealPayload:
    return SharedMealPayload(meal=SharedMealNode.from_model(row))


@strawberry.type
class Mutation:
    @payload_mutation(description="Host a table; the host holds one of the seats.")
    async def create_shared_meal(self, info: Info, input: SharedMealInput) -> SharedMealPayload:
        fields = meals.MealFields(
            restaurant_id=decode(input.restaurant_id, "Restaurant", "restaurantId"),
            title=input.title,
            description=input.description,
            starts_at=input.starts_at,
            capacity=input.capacity,
            approval_required=input.approval_required,
            audience=Audience(input.visibility.value),
        )
        return _meal(await meals.create_meal(info.context, fields))

    @payload_mutation(description="JOINED while seats are free, else WAITLISTED in arrival order.")
    async def join_shared_meal(self, info: Info, meal_id: strawberry.ID) -> JoinMealPayload:
        status, meal = await meals.join_meal(info.context, _meal_id(meal_id))
        return JoinMealPayload(status=JoinStatus(status.value), meal=SharedMealNode.from_model(meal))

    @payload_mutation(description="Leave; your seat goes to the first waitlisted diner.")
    async def leave_shared_meal(self, info: Info, meal_id: strawberry.ID) -> SharedMealPayload:
        return _meal(await meals.leave_meal(info.context, _meal_id(meal_id)))

    @payload_mutation(description="Host only.")
    async def remove_meal_guest(
        self, info: Info, meal_id: strawberry.ID, user_id: strawberry.ID
    ) -> SharedMealPayload:
        guest = decode(user_id, "User", "userId")
        return _meal(await meals.remove_guest(info.context, _meal_id(meal_id), guest))

    @payload_mutation(description="Host only, for meals that need approval.")
    async def answer_join_request(
        self, info: Info, meal_id: strawberry.ID, user_id: strawberry.ID, approve: bool
    ) -> JoinMealPayload:
        status = await meals.answer_join(
            info.context, _meal_id(meal_id), decode(user_id, "User", "userId"), approve
        )
        meal = await meals.SharedMeal.get(id=_meal_id(meal_id))
        return JoinMealPayload(status=JoinStatus(status.value), meal=SharedMealNode.from_model(meal))

    @payload_mutation(description="Host only, before the meal starts (TOO_LATE after).")
    async def update_shared_meal(
        self, info: Info, meal_id: strawberry.ID, input: SharedMealUpdateInput
    ) -> SharedMealPayload:
        changes = meals.MealChanges(
            title=input.title,
            description=input.description,
            starts_at=input.starts_at,
            capacity=input.capacity,
        )
        return _meal(await meals.update_meal(info.context, _meal_id(meal_id), changes))

    @payload_mutation(description="Host only; guests are notified.")
    async def cancel_shared_meal(self, info: Info, meal_id: strawberry.ID) -> SharedMealPayload:
        return _meal(await meals.cancel_meal(info.context, _meal_id(meal_id)))

    @payload_mutation(description="Host only: ask the restaurant to hold a table.")
    async def request_reservation(
        self, info: Info, meal_id: strawberry.ID, note: str = ""
    ) -> SharedMealPayload:
        return _meal(await meals.request_reservation(info.context, _meal_id(meal_id), note))

    @payload_mutation(description="Restaurant staff only: confirm or decline a meal's table request.")
    async def answer_reservation(
        self, info: Info, meal_id: strawberry.ID, confirm: bool
    ) -> SharedMealPayload:
        return _meal(await meals.answer_reservation(info.context, _meal_id(meal_id), confirm))

    @payload_mutation(description="Restaurant staff only.")
    async def create_restaurant_event(
        self, info: Info, input: RestaurantEventInput
    ) -> RestaurantEventPayload:
        fields = events.EventFields(
            restaurant_id=decode(input.restaurant_id, "Restaurant", "restaurantId"),
            title=input.title,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            capacity=input.capacity,
            price_cents=input.price_cents,
            description=input.description,
            tags=input.tags,
        )
        event = await events.create_event(info.context, fields)
        return RestaurantEventPayload(event=RestaurantEventNode.from_model(event))

    @payload_mutation(description="A place at the event, or EVENT_FULL.")
    async def rsvp_event(self, info: Info, event_id: strawberry.ID) -> RestaurantEventPayload:
        event = await events.rsvp(info.context, decode(event_id, "RestaurantEvent", "eventId"))
        return RestaurantEventPayload(event=RestaurantEventNode.from_model(event))

    @payload_mutation(
        description="候补: on a full event, a place in line (the first place freed is yours, told by an "
        "event_place_freed notice); with a place free, that place at once. cancelEventRsvp leaves the line."
    )
    async def join_event_waitlist(self, info: Info, event_id: strawberry.ID) -> RestaurantEventPayload:
        event = await events.join_waitlist(info.context, decode(event_id, "RestaurantEvent", "eventId"))
        return RestaurantEventPayload(event=RestaurantEventNode.from_model(event))

    @payload_mutation(
        description="Not going after all (your place goes to the first in line), or off the waitlist."
    )
    async def cancel_event_rsvp(self, info: Info, event_id: strawberry.ID) -> RestaurantEventPayload:
        event = await events.cancel_rsvp(info.context, decode(event_id, "RestaurantEvent", "eventId"))
        return RestaurantEventPayload(event=RestaurantEventNode.from_model(event))

    @payload_mutation(
        description="Restaurant staff only: call an upcoming event off. Every place is freed and "
        "each attendee told (event_cancelled); a second call answers CANCELLED, a started event TOO_LATE."
    )
    async def cancel_restaurant_event(self, info: Info, event_id: strawberry.ID) -> RestaurantEventPayload:
        event = await events.cancel_event(info.context, decode(event_id, "RestaurantEvent", "eventId"))
        return RestaurantEventPayload(event=RestaurantEventNode.from_model(event))

    @payload_mutation(
        description="Restaurant staff only: change an upcoming event, with create's checks. The "
        "capacity can't go below the places taken (OUT_OF_RANGE); a cancelled event answers "
        "CANCELLED, a started one TOO_LATE. A new start or price tells each attendee (event_changed)."
    )
    async def update_restaurant_event(
        self, info: Info, event_id: strawberry.ID, input: RestaurantEventUpdateInput
    ) -> RestaurantEventPayload:
        changes = events.EventChanges(
            title=input.title,
            description=input.description,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            capacity=input.capacity,
            tags=input.tags,
            price_cents=input.price_cents,
        )
        pk = decode(event_id, "RestaurantEvent", "eventId")
        event = await events.update_event(info.context, pk, changes)
        return RestaurantEventPayload(event=RestaurantEventNode.from_model(event))

    @payload_mutation(description="Mark your notifications read (all of them when ids is omitted).")
    async def mark_notifications_read(
        self, info: Info, ids: list[strawberry.ID] | None = None
    ) -> MarkReadPayload:
        pks = None if ids is None else [decode(i, "Notification", "ids") for i in ids]
        return MarkReadPayload(marked=await notifications.mark_read(info.context, pks))


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="The meal on every join, leave, promotion, cancellation, reservation change."
    )
    async def shared_meal_updated(
        self, info: Info, meal_id: strawberry.ID
    ) -> AsyncGenerator[SharedMealNode, None]:
        info.context.require_viewer()
        try:
            pk = _meal_id(meal_id)
            updates = meals.meal_updates(info.context, pk)
            async for meal in updates:
                yield SharedMealNode.from_model(meal)
        except meals.UserInputError:
            raise AuthError("FORBIDDEN", "You can't see this meal") from None
