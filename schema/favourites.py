"""Favourites (issue 15): lists of saved restaurants, dishes and shared meals, private to their
owner, readable by anyone holding the list's share link (`favouriteList(shareToken:)`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from models.accounts import User
from models.favourites import FavouriteItem, FavouriteKind, FavouriteList
from models.meals import SharedMeal
from models.restaurants import Dish, Restaurant
from resolvers import visibility
from resolvers.favourites import lists
from schema.accounts import UserNode
from schema.context import Info
from schema.ids import decode, decode_any, encode
from schema.nodes import ModelNode
from schema.pagination import Connection, to_connection
from schema.payloads import Payload, payload_mutation
from schema.restaurants import DishNode, RestaurantNode
from schema.trust import DeletePayload

if TYPE_CHECKING:
    from schema.meals import SharedMealNode

FavouriteKindEnum = strawberry.enum(FavouriteKind, name="FavouriteKind")


@strawberry.type(name="FavouriteItem")
class FavouriteItemNode(ModelNode, kind=FavouriteItem):
    """One saved restaurant, dish or shared meal; its target field is set, the others null."""

    id: relay.NodeID[int]
    kind: FavouriteKindEnum  # type: ignore[valid-type]
    saved_at: datetime
    model: strawberry.Private[FavouriteItem]

    derive = {"saved_at": lambda row: row.created_at}

    @strawberry.field
    async def restaurant(self, info: Info) -> RestaurantNode | None:
        row = await visibility.fetch(info.context, Restaurant, self.model.restaurant_id)
        return RestaurantNode.from_model(row) if row else None

    @strawberry.field
    async def dish(self, info: Info) -> DishNode | None:
        row = await visibility.fetch(info.context, Dish, self.model.dish_id)
        return DishNode.from_model(row) if row else None

    @strawberry.field
    async def shared_meal(
        self, info: Info
    ) -> Annotated[SharedMealNode, strawberry.lazy("schema.meals")] | None:
        from schema.meals import SharedMealNode

        row = await visibility.fetch(info.context, SharedMeal, self.model.meal_id)
        return SharedMealNode.from_model(row) if row else None


@strawberry.type(name="FavouriteList")
class FavouriteListNode(ModelNode, kind=FavouriteList):
    """A diner's list: by ID for its owner only; through its share link for anyone."""

    id: relay.NodeID[int]
    name: str
    is_default: bool
    shared: bool = strawberry.field(description="Whether a share link opens it now.")
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[FavouriteList]

    derive = {"shared": lambda row: row.share_token_hash is not None}

    @strawberry.field
    async def owner(self, info: Info) -> UserNode | None:
        row = await visibility.fetch(info.context, User, self.model.owner_id)
        return UserNode.from_model(row) if row else None

    @strawberry.field(
        description="Newest first; targets since hidden, removed or blocked for the reader are left out."
    )
    async def items(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[FavouriteItemNode]:
        found = await lists.items(info.context, self.model.id, first, after)
        return to_connection(found, FavouriteItemNode.from_model)


@strawberry.type
class Query:
    @strawberry.field(description="The viewer's favourite lists, newest first.")
    async def my_favourite_lists(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[FavouriteListNode]:
        found = await lists.my_lists(info.context, first, after)
        return to_connection(found, FavouriteListNode.from_model)

    @strawberry.field(
        description="The list a share link opens (anyone, signed in or not); null once revoked or rotated."
    )
    async def favourite_list(self, info: Info, share_token: str) -> FavouriteListNode | None:
        row = await lists.by_share_token(info.context, share_token)
        return FavouriteListNode.from_model(row) if row else None


@strawberry.type
class FavouriteListPayload(Payload):
    list: FavouriteListNode | None = None


@strawberry.type
class ShareFavouriteListPayload(Payload):
    list: FavouriteListNode | None = None
    share_token: str | None = strawberry.field(
        default=None, description="Shown once: only its hash is kept. Sharing again rotates it."
    )


@strawberry.type
class FavouriteItemPayload(Payload):
    item: FavouriteItemNode | None = None
    list: FavouriteListNode | None = None


@strawberry.type
class Mutation:
    @payload_mutation(description="A new, private, named list.")
    async def create_favourite_list(self, info: Info, name: str) -> FavouriteListPayload:
        row = await lists.create_list(info.context, name)
        return FavouriteListPayload(list=FavouriteListNode.from_model(row))

    @payload_mutation(description="Rename one of the viewer's lists.")
    async def rename_favourite_list(
        self, info: Info, list_id: strawberry.ID, name: str
    ) -> FavouriteListPayload:
        row = await lists.rename_list(info.context, decode(list_id, "FavouriteList", "listId"), name)
        return FavouriteListPayload(list=FavouriteListNode.from_model(row))

    @payload_mutation(description="Delete one of the viewer's lists with its items.")
    async def delete_favourite_list(self, info: Info, list_id: strawberry.ID) -> DeletePayload:
        pk = await lists.delete_list(info.context, decode(list_id, "FavouriteList", "listId"))
        return DeletePayload(deleted_id=strawberry.ID(encode("FavouriteList", pk)))

    @payload_mutation(
        description="Save a restaurant, dish or shared meal to a list (the default list when none is "
        "given, made on the first save). Saving again answers the item already there."
    )
    async def save_favourite(
        self, info: Info, target_id: strawberry.ID, list_id: strawberry.ID | None = None
    ) -> FavouriteItemPayload:
        type_name, pk = decode_any(target_id, "targetId")
        in_list = decode(list_id, "FavouriteList", "listId") if list_id is not None else None
        item, owner_list = await lists.save(info.context, type_name, pk, in_list)
        return FavouriteItemPayload(
            item=FavouriteItemNode.from_model(item), list=FavouriteListNode.from_model(owner_list)
        )

    @payload_mutation(description="Take an item off its list.")
    async def remove_favourite(self, info: Info, item_id: strawberry.ID) -> DeletePayload:
        pk = await lists.remove(info.context, decode(item_id, "FavouriteItem", "itemId"))
        return DeletePayload(deleted_id=strawberry.ID(encode("FavouriteItem", pk)))

    @payload_mutation(description="A new share link for a list (the previous one stops working).")
    async def share_favourite_list(self, info: Info, list_id: strawberry.ID) -> ShareFavouriteListPayload:
        row, token = await lists.share(info.context, decode(list_id, "FavouriteList", "listId"))
        return ShareFavouriteListPayload(list=FavouriteListNode.from_model(row), share_token=token)

    @payload_mutation(description="Revoke a list's share link: the list is private again.")
    async def unshare_favourite_list(self, info: Info, list_id: strawberry.ID) -> FavouriteListPayload:
        row = await lists.unshare(info.context, decode(list_id, "FavouriteList", "listId"))
        return FavouriteListPayload(list=FavouriteListNode.from_model(row))
