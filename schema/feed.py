"""The feed connection. Domains add the field for their content kind to FeedItem."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from models.accounts import User
from models.feed import FeedEntry
from models.meals import RestaurantEvent, SharedMeal
from models.reviews import Review
from resolvers import feed, visibility
from schema.accounts import UserNode
from schema.context import Info
from schema.meals import RestaurantEventNode, SharedMealNode
from schema.pagination import Connection, to_connection
from schema.reviews import ReviewNode


@strawberry.enum
class FeedItemKind(Enum):
    REVIEW = "review"
    SHARED_MEAL = "meal"
    EVENT = "event"


@strawberry.type
class FeedItem:
    kind: FeedItemKind
    created_at: datetime
    entry: strawberry.Private[FeedEntry]

    @classmethod
    def from_model(cls, entry: FeedEntry) -> FeedItem:
        return cls(kind=FeedItemKind(entry.kind), created_at=entry.created_at, entry=entry)

    @strawberry.field(description="Who posted it (null for restaurant events).")
    async def actor(self, info: Info) -> UserNode | None:
        user = await visibility.fetch(info.context, User, self.entry.actor_id)
        return UserNode.from_model(user) if user else None

    @strawberry.field(description="The review, when kind is REVIEW.")
    async def review(self, info: Info) -> ReviewNode | None:
        if self.entry.kind != "review":
            return None
        row = await visibility.fetch(info.context, Review, self.entry.object_id)
        return ReviewNode.from_model(row) if row else None

    @strawberry.field(description="The shared meal, when kind is SHARED_MEAL.")
    async def shared_meal(self, info: Info) -> SharedMealNode | None:
        if self.entry.kind != "meal":
            return None
        row = await visibility.fetch(info.context, SharedMeal, self.entry.object_id)
        return SharedMealNode.from_model(row) if row else None

    @strawberry.field(description="The restaurant event, when kind is EVENT.")
    async def event(self, info: Info) -> RestaurantEventNode | None:
        if self.entry.kind != "event":
            return None
        row = await visibility.fetch(info.context, RestaurantEvent, self.entry.object_id)
        return RestaurantEventNode.from_model(row) if row else None


@strawberry.type
class Query:
    @strawberry.field(
        description="Reviews, meals and events of followed diners and nearby places, newest first."
    )
    async def feed(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[FeedItem]:
        page = await feed.feed_page(info.context, first, after)
        return to_connection(page, FeedItem.from_model)
