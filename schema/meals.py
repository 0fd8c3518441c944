"""Shared meals, restaurant events, notifications, and the live sharedMealUpdated subscription."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Iterable
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from core.errors import AuthError
from models.accounts import User
from models.meals import (
    Audience,
    MealSeat,
    Notification,
    ReservationStatus,
    RestaurantEvent,
    SeatStatus,
    SharedMeal,
)
from models.restaurants import Restaurant
from resolvers import visibility
from resolvers.meals import events, meals, notifications
from schema.accounts import UserNode
from schema.context import Info
from schema.deals import DealNode, live_deals
from schema.errors import UserError, guarded
from schema.ids import decode
from schema.pagination import Connection, to_connection
from schema.restaurants import RestaurantNode

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


@strawberry.enum
class MealStatusEnum(Enum):
    OPEN = "open"
    CANCELLED = "cancelled"


@strawberry.type
class MealGuest:
    state: SeatState
    since: datetime
    model: strawberry.Private[MealSeat]

    @strawberry.field
    async def user(self, info: Info) -> UserNode | None:
        user = await visibility.fetch(info.context, User, self.model.user_id)
        return UserNode.from_model(user) if user else None


@strawberry.type(name="SharedMeal")
class SharedMealNode(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str
    starts_at: datetime
    capacity: int = strawberry.field(description="Seats at the table, host included.")
    seats_taken: int
    approval_required: bool
    visibility: MealVisibility
    status: MealStatusEnum
    reservation_status: ReservationStatusEnum  # type: ignore[valid-type]
    created_at: datetime
    distance_km: float | None = None
    model: strawberry.Private[SharedMeal]

    @classmethod
    def from_model(cls, row: SharedMeal, distance_km: float | None = None) -> SharedMealNode:
        return cls(
            id=row.id,
            title=row.title,
            description=row.description,
            starts_at=row.starts_at,
            capacity=row.capacity,
            seats_taken=row.seats_taken,
            approval_required=row.approval_required,
            visibility=MealVisibility(row.audience.value),
            status=MealStatusEnum(row.status.value),
            reservation_status=row.reservation,
            created_at=row.created_at,
            distance_km=None if distance_km is None else round(distance_km, 3),
            model=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[SharedMealNode | None]:
        rows = await visibility.fetch_many(info.context, SharedMeal, [int(i) for i in node_ids])
        return [cls.from_model(r) if r else None for r in rows]

    @strawberry.field
    def seats_left(self) -> int:
        return max(0, self.model.capacity - self.model.seats_taken)

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

    @strawberry.field
    async def waitlist_count(self, info: Info) -> int:
        return sum(1 for r in await self._seats(info) if r.status == SeatStatus.WAITLISTED)

    @strawberry.field(description="Private: the host sees the waitlist and pending requests in order.")
    async def waiting(self, info: Info) -> list[MealGuest]:
        viewer = info.context.require_viewer()
        if viewer.id != self.model.host_id:
            raise AuthError("FORBIDDEN", "Only the host sees who is waiting")
        rows = await self._seats(info)
        waiting = (SeatStatus.WAITLISTED, SeatStatus.PENDING)
        return [
            MealGuest(state=SeatState(r.status.value), since=r.created_at, model=r)
            for r in rows
            if r.status in waiting
        ]

    @strawberry.field(description="The viewer's place at this meal, null when none.")
    async def my_status(self, info: Info) -> SeatState | None:
        status = await meals.my_seat(info.context, self.model.id)
        return SeatState(status.value) if status else None

    @strawberry.field(description="Deals on offer now at this restaurant (claim them with this as source).")
    async def deals(self, info: Info) -> list[DealNode]:
        return await live_deals(info, self.model.restaurant_id)


@strawberry.type(name="RestaurantEvent")
class RestaurantEventNode(relay.Node):
    id: relay.NodeID[int]
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    seats_taken: int
    price_cents: int
    currency: str
    tags: list[str]
    cancelled: bool
    created_at: datetime
    distance_km: float | None = None
    model: strawberry.Private[RestaurantEvent]

    @classmethod
    def from_model(cls, row: RestaurantEvent, distance_km: float | None = None) -> RestaurantEventNode:
        return cls(
            id=row.id,
            title=row.title,
            description=row.description,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            capacity=row.capacity,
            seats_taken=row.seats_taken,
            price_cents=row.price_cents,
            currency=row.currency,
            tags=list(row.tags or []),
            cancelled=row.cancelled,
            created_at=row.created_at,
            distance_km=None if distance_km is None else round(distance_km, 3),
            model=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[RestaurantEventNode | None]:
        rows = await visibility.fetch_many(info.context, RestaurantEvent, [int(i) for i in node_ids])
        return [cls.from_model(r) if r else None for r in rows]

    @strawberry.field
    def seats_left(self) -> int:
        return max(0, self.model.capacity - self.model.seats_taken)

    @strawberry.field
    async def restaurant(self, info: Info) -> RestaurantNode | None:
        row = await visibility.fetch(info.context, Restaurant, self.model.restaurant_id)
        return RestaurantNode.from_model(row) if row else None

    @strawberry.field
    async def going_by_me(self, info: Info) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            return False
        return await info.context.loaders.get(events.load_my_rsvps, viewer.id).load(self.model.id)

    @strawberry.field(description="Deals on offer now at this restaurant (claim them with this as source).")
    async def deals(self, info: Info) -> list[DealNode]:
        return await live_deals(info, self.model.restaurant_id)


@strawberry.type(name="Notification")
class NotificationNode(relay.Node):
    id: relay.NodeID[int]
    kind: str
    message: str
    read: bool
    created_at: datetime
    model: strawberry.Private[Notification]

    @classmethod
    def from_model(cls, row: Notification) -> NotificationNode:
        return cls(
            id=row.id,
            kind=row.kind,
            message=row.message,
            read=row.read_at is not None,
            created_at=row.created_at,
            model=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[NotificationNode | None]:
        viewer = info.context.viewer
        if viewer is None:
            return [None for _ in node_ids]
        rows = {
            n.id: n for n in await Notification.filter(id__in=[int(i) for i in node_ids], user_id=viewer.id)
        }
        return [cls.from_model(rows[int(i)]) if int(i) in rows else None for i in node_ids]

    @strawberry.field
    async def meal(self, info: Info) -> SharedMealNode | None:
        if self.model.meal_id is None:
            return None
        row = await visibility.fetch(info.context, SharedMeal, self.model.meal_id)
        return SharedMealNode.from_model(row) if row else None


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


@strawberry.type
class SharedMealPayload:
    errors: list[UserError]
    meal: SharedMealNode | None = None


@strawberry.enum
class JoinStatus(Enum):
    JOINED = "joined"
    WAITLISTED = "waitlisted"
    PENDING = "pending"
    DECLINED = "declined"


@strawberry.type
class JoinMealPayload:
    errors: list[UserError]
    status: JoinStatus | None = None
    meal: SharedMealNode | None = None


@strawberry.type
class RestaurantEventPayload:
    errors: list[UserError]
    event: RestaurantEventNode | None = None


@strawberry.type
class MarkReadPayload:
    errors: list[UserError]
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
        return to_connection(page, lambda pair: SharedMealNode.from_model(*pair))

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
        return to_connection(page, lambda pair: RestaurantEventNode.from_model(*pair))

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


async def _meal_payload(info: Info, action) -> SharedMealPayload:  # noqa: ANN001
    info.context.require_viewer()

    async def act() -> SharedMealPayload:
        return SharedMealPayload(errors=[], meal=SharedMealNode.from_model(await action()))

    return await guarded(SharedMealPayload, act)


@strawberry.type
class Mutation:
    @strawberry.mutation(description="Host a table; the host holds one of the seats.")
    async def create_shared_meal(self, info: Info, input: SharedMealInput) -> SharedMealPayload:
        async def action() -> SharedMeal:
            fields = meals.MealFields(
                restaurant_id=decode(input.restaurant_id, "Restaurant", "restaurantId"),
                title=input.title,
                description=input.description,
                starts_at=input.starts_at,
                capacity=input.capacity,
                approval_required=input.approval_required,
                audience=Audience(input.visibility.value),
            )
            return await meals.create_meal(info.context, fields)

        return await _meal_payload(info, action)

    @strawberry.mutation(description="JOINED while seats are free, else WAITLISTED in arrival order.")
    async def join_shared_meal(self, info: Info, meal_id: strawberry.ID) -> JoinMealPayload:
        info.context.require_viewer()

        async def act() -> JoinMealPayload:
            status, meal = await meals.join_meal(info.context, _meal_id(meal_id))
            return JoinMealPayload(
                errors=[], status=JoinStatus(status.value), meal=SharedMealNode.from_model(meal)
            )

        return await guarded(JoinMealPayload, act)

    @strawberry.mutation(description="Leave; your seat goes to the first waitlisted diner.")
    async def leave_shared_meal(self, info: Info, meal_id: strawberry.ID) -> SharedMealPayload:
        return await _meal_payload(info, lambda: meals.leave_meal(info.context, _meal_id(meal_id)))

    @strawberry.mutation(description="Host only.")
    async def remove_meal_guest(
        self, info: Info, meal_id: strawberry.ID, user_id: strawberry.ID
    ) -> SharedMealPayload:
        return await _meal_payload(
            info,
            lambda: meals.remove_guest(info.context, _meal_id(meal_id), decode(user_id, "User", "userId")),
        )

    @strawberry.mutation(description="Host only, for meals that need approval.")
    async def answer_join_request(
        self, info: Info, meal_id: strawberry.ID, user_id: strawberry.ID, approve: bool
    ) -> JoinMealPayload:
        info.context.require_viewer()

        async def act() -> JoinMealPayload:
            status = await meals.answer_join(
                info.context, _meal_id(meal_id), decode(user_id, "User", "userId"), approve
            )
            meal = await meals.SharedMeal.get(id=_meal_id(meal_id))
            return JoinMealPayload(
                errors=[], status=JoinStatus(status.value), meal=SharedMealNode.from_model(meal)
            )

        return await guarded(JoinMealPayload, act)

    @strawberry.mutation(description="Host only; guests are notified.")
    async def cancel_shared_meal(self, info: Info, meal_id: strawberry.ID) -> SharedMealPayload:
        return await _meal_payload(info, lambda: meals.cancel_meal(info.context, _meal_id(meal_id)))

    @strawberry.mutation(description="Host only: ask the restaurant to hold a table.")
    async def request_reservation(
        self, info: Info, meal_id: strawberry.ID, note: str = ""
    ) -> SharedMealPayload:
        return await _meal_payload(
            info, lambda: meals.request_reservation(info.context, _meal_id(meal_id), note)
        )

    @strawberry.mutation(description="Restaurant staff only: confirm or decline a meal's table request.")
    async def answer_reservation(
        self, info: Info, meal_id: strawberry.ID, confirm: bool
    ) -> SharedMealPayload:
        return await _meal_payload(
            info, lambda: meals.answer_reservation(info.context, _meal_id(meal_id), confirm)
        )

    @strawberry.mutation(description="Restaurant staff only.")
    async def create_restaurant_event(
        self, info: Info, input: RestaurantEventInput
    ) -> RestaurantEventPayload:
        info.context.require_viewer()

        async def act() -> RestaurantEventPayload:
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
            return RestaurantEventPayload(errors=[], event=RestaurantEventNode.from_model(event))

        return await guarded(RestaurantEventPayload, act)

    @strawberry.mutation(description="A place at the event, or EVENT_FULL.")
    async def rsvp_event(self, info: Info, event_id: strawberry.ID) -> RestaurantEventPayload:
        info.context.require_viewer()

        async def act() -> RestaurantEventPayload:
            event = await events.rsvp(info.context, decode(event_id, "RestaurantEvent", "eventId"))
            return RestaurantEventPayload(errors=[], event=RestaurantEventNode.from_model(event))

        return await guarded(RestaurantEventPayload, act)

    @strawberry.mutation
    async def cancel_event_rsvp(self, info: Info, event_id: strawberry.ID) -> RestaurantEventPayload:
        info.context.require_viewer()

        async def act() -> RestaurantEventPayload:
            event = await events.cancel_rsvp(info.context, decode(event_id, "RestaurantEvent", "eventId"))
            return RestaurantEventPayload(errors=[], event=RestaurantEventNode.from_model(event))

        return await guarded(RestaurantEventPayload, act)

    @strawberry.mutation(description="Mark your notifications read (all of them when ids is omitted).")
    async def mark_notifications_read(
        self, info: Info, ids: list[strawberry.ID] | None = None
    ) -> MarkReadPayload:
        info.context.require_viewer()

        async def act() -> MarkReadPayload:
            pks = None if ids is None else [decode(i, "Notification", "ids") for i in ids]
            return MarkReadPayload(errors=[], marked=await notifications.mark_read(info.context, pks))

        return await guarded(MarkReadPayload, act)


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
