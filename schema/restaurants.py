"""Restaurants and dishes: nodes, nearby and search queries, owner/staff mutations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from core.errors import AuthError
from models.accounts import User
from models.favourites import FavouriteKind
from models.restaurants import Dish, Restaurant, RestaurantStaff, StaffInvitation, StaffRole
from resolvers import visibility
from resolvers.favourites import lists as favourites
from resolvers.restaurants import restaurants, staff
from resolvers.reviews import reviews
from resolvers.search import search
from schema.accounts import UserNode
from schema.context import Info
from schema.ids import decode
from schema.nodes import ModelNode, listed
from schema.pagination import Connection, to_connection
from schema.payloads import Payload, payload_mutation
from schema.review_lists import ReviewFilter, ReviewSort, SignatureDishSort

if TYPE_CHECKING:
    from schema.deals import DealNode
    from schema.hours import OpeningHours
    from schema.meals import RestaurantEventNode, SharedMealNode
    from schema.reviews import PhotoNode, ReviewNode
    from schema.trust import RatingSummary

Lazy = strawberry.lazy

StaffRoleEnum = strawberry.enum(StaffRole, name="StaffRole")
SearchSort = strawberry.enum(search.Sort, name="SearchSort", description="Order of search results.")


async def require_staff_field(info: Info, restaurant_id: int) -> None:
    """A private field of a restaurant's own people (its staff list, an event's attendees): its
    staff and admins only; anyone else gets FORBIDDEN, which nulls just that field."""
    viewer = info.context.require_viewer()
    role = await info.context.loaders.get(restaurants.load_staff_roles, viewer.id).load(restaurant_id)
    if role is None and viewer.role != "admin":
        raise AuthError("FORBIDDEN", "Only this restaurant's staff")


@strawberry.type
class StaffMember:
    role: StaffRoleEnum  # type: ignore[valid-type]
    since: datetime
    model: strawberry.Private[RestaurantStaff]

    @strawberry.field
    async def user(self, info: Info) -> UserNode | None:
        user = await visibility.fetch(info.context, User, self.model.user_id)
        return UserNode.from_model(user) if user else None


@strawberry.type
class StaffInvitationEntry:
    """An owner's invitation waiting for its answer (acceptStaffInvitation / declineStaffInvitation)."""

    invited_at: datetime
    model: strawberry.Private[StaffInvitation]

    @strawberry.field(description="Who is invited (the restaurant's staff read this).")
    async def user(self, info: Info) -> UserNode | None:
        return UserNode.of(await visibility.fetch(info.context, User, self.model.user_id))

    @strawberry.field(description="The restaurant inviting (the invitee reads this).")
    async def restaurant(self, info: Info) -> RestaurantNode | None:
        return RestaurantNode.of(await visibility.fetch(info.context, Restaurant, self.model.restaurant_id))

    @classmethod
    def of(cls, row: StaffInvitation) -> StaffInvitationEntry:
        return cls(invited_at=row.created_at, model=row)


@strawberry.type(name="Restaurant")
class RestaurantNode(ModelNode, kind=Restaurant):
    id: relay.NodeID[int]
    name: str
    address: str
    cuisines: list[str]
    phone: str
    timezone: str = strawberry.field(description="IANA zone the restaurant's times are shown in.")
    lat: float = strawberry.field(description="Restaurants are public places: exact position.")
    lng: float
    created_at: datetime
    archived: bool = strawberry.field(
        description="Closed by its owner: only its own people still see it (myRestaurants)."
    )
    distance_km: float | None = strawberry.field(
        default=None, description="From the searched point, in nearby queries; null elsewhere."
    )
    model: strawberry.Private[Restaurant]

    derive = {
        "cuisines": listed("cuisines"),
    }

    @strawberry.field
    async def owner(self, info: Info) -> UserNode | None:
        user = await visibility.fetch(info.context, User, self.model.owner_id)
        return UserNode.from_model(user) if user else None

    @strawberry.field(description="Dishes on the menu (archived ones are gone), oldest first.")
    async def dishes(
        self, info: Info, first: int | None = 50, after: str | None = None
    ) -> Connection[DishNode]:
        rows = await info.context.loaders.get(restaurants.load_dishes_by_restaurant).load(self.model.id)
        return to_connection(restaurants.page_of_list(rows, first, after), DishNode.from_model, len(rows))

    @strawberry.field(description="The viewer's role here (OWNER/STAFF), null for everyone else.")
    async def my_role(self, info: Info) -> StaffRoleEnum | None:  # type: ignore[valid-type]
        viewer = info.context.viewer
        if viewer is None:
            return None
        return await info.context.loaders.get(restaurants.load_staff_roles, viewer.id).load(self.model.id)

    @strawberry.field(
        description="收藏: whether the viewer has it in any of their favourite lists; null when signed out."
    )
    def saved_by_me(self, info: Info) -> bool | None:
        return favourites.saved_by_me(info.context, FavouriteKind.RESTAURANT, self.model.id)

    @strawberry.field(description="Owner and staff. Private: the restaurant's own staff only.")
    async def staff(self, info: Info) -> list[StaffMember] | None:
        await require_staff_field(info, self.model.id)
        rows = await info.context.loaders.get(restaurants.load_staff_lists).load(self.model.id)
        return [StaffMember(role=r.role, since=r.created_at, model=r) for r in rows]

    @strawberry.field(
        description="Invitations not answered yet (addRestaurantStaff): staff only. An invitee is "
        "not staff until they accept."
    )
    async def staff_invitations(self, info: Info) -> list[StaffInvitationEntry] | None:
        await require_staff_field(info, self.model.id)
        rows = await info.context.loaders.get(staff.load_invitations).load(self.model.id)
        return [StaffInvitationEntry.of(r) for r in rows]

    @strawberry.field(description="Weekly hours, holidays and closures; null when never set.")
    async def opening_hours(
        self, info: Info
    ) -> Annotated[OpeningHours, strawberry.lazy("schema.hours")] | None:
        from schema.hours import opening_hours

        return await opening_hours(info, self.model)

    @strawberry.field(description="Open at this moment, in the restaurant's own zone; null when no hours.")
    async def open_now(self, info: Info) -> bool | None:
        from schema.hours import open_now

        return await open_now(info, self.model)

    @strawberry.field(description="Next opening (with the restaurant's offset) when closed now.")
    async def opens_at(self, info: Info) -> datetime | None:
        from schema.hours import opens_at

        return await opens_at(info, self.model)

    @strawberry.field(
        description="Deals on sale now, sold-out ones (soldOut, 已抢光) after those still on sale."
    )
    async def deals(self, info: Info) -> list[Annotated[DealNode, strawberry.lazy("schema.deals")]]:
        from schema.deals import live_deals

        return await live_deals(info, self.model.id)

    @strawberry.field(
        description="Deals whose sale opens later (即将开抢), soonest first: startsAt says when; "
        "claimDeal answers DEAL_NOT_STARTED until then."
    )
    async def upcoming_deals(self, info: Info) -> list[Annotated[DealNode, strawberry.lazy("schema.deals")]]:
        from schema.deals import upcoming_deals

        return await upcoming_deals(info, self.model.id)

    # ---- the restaurant page (issue 15: schema/trust.py, resolvers/restaurants/page.py)

    @strawberry.field(description="Rating, review count, distribution and 人均 from visible reviews.")
    async def rating_summary(self, info: Info) -> Annotated[RatingSummary, Lazy("schema.trust")]:
        from schema.trust import rating_summary

        return await rating_summary(info, self.model.id)

    @strawberry.field(description="Visible reviews of all its dishes, sorted and filtered.")
    async def reviews(
        self,
        info: Info,
        sort: ReviewSort = ReviewSort.NEWEST,  # type: ignore[valid-type]
        filter: ReviewFilter | None = None,
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[Annotated[ReviewNode, Lazy("schema.reviews")]]:
        from schema.trust import review_connection

        return await review_connection(info, {"restaurant_id": self.model.id}, sort, filter, first, after)

    @strawberry.field(description="Photo gallery: photos on its visible reviews, newest first.")
    async def photos(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Annotated[PhotoNode, Lazy("schema.reviews")]]:
        from resolvers.restaurants import page
        from schema.reviews import PhotoNode

        return to_connection(
            await page.gallery(info.context, {"restaurant_id": self.model.id}, first, after),
            PhotoNode.from_model,
        )

    @strawberry.field(description="Signature dishes: most reviewed, or best rated (2+ reviews).")
    async def signature_dishes(
        self,
        info: Info,
        by: SignatureDishSort = SignatureDishSort.MOST_REVIEWED,  # type: ignore[valid-type]
        first: int = 3,
    ) -> list[DishNode]:
        from resolvers.restaurants import page

        rows = await info.context.loaders.get(restaurants.load_dishes_by_restaurant).load(self.model.id)
        return [DishNode.from_model(d) for d in page.signature_dishes(rows, page.SignatureSort(by), first)]

    @strawberry.field(description="Its events still to come, soonest first.")
    async def upcoming_events(
        self, info: Info, first: int = 5
    ) -> list[Annotated[RestaurantEventNode, Lazy("schema.meals")]]:
        from resolvers.restaurants import page
        from schema.meals import RestaurantEventNode

        return [RestaurantEventNode.from_model(e) for e in await page.upcoming_events(self.model.id, first)]

    @strawberry.field(description="Public shared meals there still to come, soonest first.")
    async def upcoming_meals(
        self, info: Info, first: int = 5
    ) -> list[Annotated[SharedMealNode, Lazy("schema.meals")]]:
        from resolvers.restaurants import page
        from schema.meals import SharedMealNode

        rows = await page.upcoming_meals(info.context, self.model.id, first)
        return [SharedMealNode.from_model(m) for m in rows]


@strawberry.type(name="Dish")
class DishNode(ModelNode, loader=restaurants.load_dishes):
    id: relay.NodeID[int]
    name: str
    description: str
    price_cents: int
    currency: str
    tags: list[str]
    archived: bool = strawberry.field(
        description="已下架: taken off the menu by its restaurant. Only reviews still name such a "
        "dish (Review.dish); the menu, search and dish(id) leave it out."
    )
    review_count: int = strawberry.field(description="Visible reviews only.")
    average_rating: float | None = strawberry.field(description="Mean of visible reviews; null when none.")
    created_at: datetime
    model: strawberry.Private[Dish]

    derive = {
        "tags": listed("tags"),
        "average_rating": lambda row: reviews.average_rating(row),
    }

    @strawberry.field
    async def restaurant(self, info: Info) -> RestaurantNode | None:
        row = await visibility.fetch(info.context, Restaurant, self.model.restaurant_id)
        return RestaurantNode.from_model(row) if row else None

    @strawberry.field(
        description="收藏: whether the viewer has it in any of their favourite lists; null when signed out."
    )
    def saved_by_me(self, info: Info) -> bool | None:
        return favourites.saved_by_me(info.context, FavouriteKind.DISH, self.model.id)

    @strawberry.field(description="菜品相册: photos on its visible reviews, newest first.")
    async def photos(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Annotated[PhotoNode, Lazy("schema.reviews")]]:
        from resolvers.restaurants import page
        from schema.reviews import PhotoNode

        return to_connection(
            await page.gallery(info.context, {"dish_id": self.model.id}, first, after),
            PhotoNode.from_model,
        )

    @strawberry.field(description="Visible reviews, newest first unless sorted otherwise.")
    async def reviews(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        sort: ReviewSort = ReviewSort.NEWEST,  # type: ignore[valid-type]
        filter: ReviewFilter | None = None,
    ) -> Connection[Annotated[ReviewNode, strawberry.lazy("schema.reviews")]]:
        from schema.trust import review_connection

        return await review_connection(info, {"dish_id": self.model.id}, sort, filter, first, after)


@strawberry.input
class RestaurantInput:
    name: str
    lat: float
    lng: float
    address: str = ""
    cuisines: list[str] = strawberry.field(default_factory=list)
    phone: str | None = None


@strawberry.input
class RestaurantUpdateInput:
    name: str | None = None
    lat: float | None = None
    lng: float | None = None
    address: str | None = None
    cuisines: list[str] | None = None
    phone: str | None = None


@strawberry.input
class DishInput:
    name: str
    price_cents: int
    tags: list[str] = strawberry.field(default_factory=list)
    description: str | None = None


@strawberry.input
class DishUpdateInput:
    name: str | None = None
    price_cents: int | None = None
    tags: list[str] | None = None
    description: str | None = None


@strawberry.type
class RestaurantPayload(Payload):
    restaurant: RestaurantNode | None = None


@strawberry.type
class DishPayload(Payload):
    dish: DishNode | None = None


@strawberry.type
class Query:
    @strawberry.field
    async def restaurant(self, info: Info, id: strawberry.ID) -> RestaurantNode | None:
        pk = decode(id, "Restaurant", "id")
        row = await restaurants.get_restaurant(info.context, pk)
        return RestaurantNode.from_model(row) if row else None

    @strawberry.field(description="Restaurants inviting you to their staff, newest first.")
    async def my_staff_invitations(self, info: Info) -> list[StaffInvitationEntry]:
        return [StaffInvitationEntry.of(r) for r in await staff.my_invitations(info.context)]

    @strawberry.field
    async def dish(self, info: Info, id: strawberry.ID) -> DishNode | None:
        row = await restaurants.get_dish(info.context, decode(id, "Dish", "id"))
        return DishNode.from_model(row) if row else None

    @strawberry.field(description="Restaurants within the radius, nearest first, with exact distance.")
    async def restaurants_nearby(
        self,
        info: Info,
        lat: float,
        lng: float,
        radius_km: float | None = 3,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[RestaurantNode]:
        page = await restaurants.restaurants_nearby(
            info.context, lat, lng, radius_km if radius_km is not None else 3, first, after
        )
        return to_connection(page, RestaurantNode.from_hit)

    @strawberry.field(
        description="Restaurants by Chinese or English words (every word must match the name, "
        "address, cuisine or a dish; 2-character words such as 火锅 work), with filters and sorts "
        "(default RELEVANCE: name matches first, then most reviewed)."
    )
    async def search_restaurants(
        self,
        info: Info,
        query: str = "",
        cuisine: str | None = None,
        first: int | None = None,
        after: str | None = None,
        lat: float | None = None,
        lng: float | None = None,
        radius_km: float | None = None,
        open_now: bool | None = None,
        price_levels: list[int] | None = None,
        has_live_deal: bool | None = None,
        min_rating: float | None = None,
        sort: SearchSort | None = None,  # type: ignore[valid-type]
    ) -> Connection[RestaurantNode]:
        c = search.Criteria(
            query=query,
            cuisine=cuisine,
            lat=lat,
            lng=lng,
            radius_km=radius_km,
            open_now=bool(open_now),
            price_levels=price_levels,
            has_live_deal=bool(has_live_deal),
            min_rating=min_rating,
            sort=sort or search.Sort.RELEVANCE,
        )
        page = await search.search_restaurants(info.context, c, first, after)
        return to_connection(page, RestaurantNode.from_hit)


def _restaurant_fields(input: RestaurantInput | RestaurantUpdateInput) -> restaurants.RestaurantFields:
    return restaurants.RestaurantFields(
        name=input.name,
        lat=input.lat,
        lng=input.lng,
        address=input.address,
        cuisines=input.cuisines,
        phone=input.phone,
    )


def _dish_fields(input: DishInput | DishUpdateInput) -> restaurants.DishFields:
    return restaurants.DishFields(
        name=input.name, price_cents=input.price_cents, tags=input.tags, description=input.description
    )


@strawberry.type
class Mutation:
    @payload_mutation(description="Restaurant accounts only; the caller becomes the owner.")
    async def create_restaurant(self, info: Info, input: RestaurantInput) -> RestaurantPayload:
        row = await restaurants.create_restaurant(info.context, _restaurant_fields(input))
        return RestaurantPayload(restaurant=RestaurantNode.from_model(row))

    @payload_mutation(description="Owner only.")
    async def update_restaurant(
        self, info: Info, restaurant_id: strawberry.ID, input: RestaurantUpdateInput
    ) -> RestaurantPayload:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        row = await restaurants.update_restaurant(info.context, pk, _restaurant_fields(input))
        return RestaurantPayload(restaurant=RestaurantNode.from_model(row))

    @payload_mutation(description="Owner only: the restaurant leaves search, nearby and feeds.")
    async def archive_restaurant(self, info: Info, restaurant_id: strawberry.ID) -> RestaurantPayload:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        row = await restaurants.archive_restaurant(info.context, pk)
        return RestaurantPayload(restaurant=RestaurantNode.from_model(row))

    @payload_mutation(
        description="Owner only: invite an existing account to the staff (redeem, events, insights). "
        "They are told (staff_invitation) and become staff when they accept (acceptStaffInvitation); "
        "until then they are in staffInvitations."
    )
    async def add_restaurant_staff(
        self, info: Info, restaurant_id: strawberry.ID, email: str
    ) -> RestaurantPayload:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        await staff.invite_staff(info.context, pk, email)
        row = await Restaurant.get(id=pk)
        return RestaurantPayload(restaurant=RestaurantNode.from_model(row))

    @payload_mutation(description="The invitee becomes staff of the restaurant that invited them.")
    async def accept_staff_invitation(self, info: Info, restaurant_id: strawberry.ID) -> RestaurantPayload:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        await staff.accept_invitation(info.context, pk)
        row = await Restaurant.get(id=pk)
        return RestaurantPayload(restaurant=RestaurantNode.from_model(row))

    @payload_mutation(description="The invitee says no: the invitation is gone, nothing else changes.")
    async def decline_staff_invitation(self, info: Info, restaurant_id: strawberry.ID) -> RestaurantPayload:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        await staff.decline_invitation(info.context, pk)
        return RestaurantPayload(restaurant=None)

    @payload_mutation(
        description="Owner only (removes staff or withdraws an invitation); a staff member may also "
        "remove themselves (leave)."
    )
    async def remove_restaurant_staff(
        self, info: Info, restaurant_id: strawberry.ID, user_id: strawberry.ID
    ) -> RestaurantPayload:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        await staff.remove_staff(info.context, pk, decode(user_id, "User", "userId"))
        row = await Restaurant.get(id=pk)
        return RestaurantPayload(restaurant=RestaurantNode.from_model(row))

    @payload_mutation(description="Restaurant staff only.")
    async def add_dish(self, info: Info, restaurant_id: strawberry.ID, input: DishInput) -> DishPayload:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        row = await restaurants.add_dish(info.context, pk, _dish_fields(input))
        return DishPayload(dish=DishNode.from_model(row))

    @payload_mutation(description="Restaurant staff only.")
    async def update_dish(self, info: Info, dish_id: strawberry.ID, input: DishUpdateInput) -> DishPayload:
        row = await restaurants.update_dish(
            info.context, decode(dish_id, "Dish", "dishId"), _dish_fields(input)
        )
        return DishPayload(dish=DishNode.from_model(row))

    @payload_mutation(description="Restaurant staff only: the dish leaves the menu; reviews stay.")
    async def archive_dish(self, info: Info, dish_id: strawberry.ID) -> DishPayload:
        row = await restaurants.archive_dish(info.context, decode(dish_id, "Dish", "dishId"))
        return DishPayload(dish=DishNode.from_model(row))

    @payload_mutation(
        description="Restaurant staff only: an archived dish back on the menu (重新上架) with its reviews; "
        "DUPLICATE when the menu has its name again."
    )
    async def unarchive_dish(self, info: Info, dish_id: strawberry.ID) -> DishPayload:
        row = await restaurants.unarchive_dish(info.context, decode(dish_id, "Dish", "dishId"))
        return DishPayload(dish=DishNode.from_model(row))
