"""The feed connection. Domains add the field for their content kind to FeedItem."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from core.loaders import then
from models.accounts import User
from models.feed import FeedEntry
from models.meals import RestaurantEvent, SharedMeal
from models.reviews import Review
from resolvers import feed, visibility
from schema.accounts import UserNode
from schema.context import Info
from schema.lookahead import selects
from schema.meals import RestaurantEventNode, SharedMealNode
from schema.nodes import ModelNode
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

    # Each answer itself when resolvers/feed.py primed the loaders with the page's rows (no task
    # for graphql-core to make), else an awaitable of it (core/loaders.py `then`).
    @strawberry.field(description="Who posted it (null for restaurant events).")
    def actor(self, info: Info) -> UserNode | None:
        return then(visibility.fetch_now(info.context, User, self.entry.actor_id), UserNode.of)

    @strawberry.field(description="The review, when kind is REVIEW.")
    def review(self, info: Info) -> ReviewNode | None:
        return self._content(info, "review", Review, ReviewNode)

    @strawberry.field(description="The shared meal, when kind is SHARED_MEAL.")
    def shared_meal(self, info: Info) -> SharedMealNode | None:
        return self._content(info, "meal", SharedMeal, SharedMealNode)

    @strawberry.field(description="The restaurant event, when kind is EVENT.")
    def event(self, info: Info) -> RestaurantEventNode | None:
        return self._content(info, "event", RestaurantEvent, RestaurantEventNode)

    def _content(self, info: Info, kind: str, model: type[Any], node: type[ModelNode]) -> Any:
        """The entry's content as `node` when the entry is of `kind` and the viewer may see it."""
        if self.entry.kind != kind:
            return None
        return then(visibility.fetch_now(info.context, model, self.entry.object_id), node.of)


@strawberry.type
class Query:
    @strawberry.field(
        description="Reviews, meals and events of followed diners and nearby places, newest first."
    )
    async def feed(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[FeedItem]:
        photos = selects(info, "edges", "node", "review", "photos")
        page = await feed.feed_page(info.context, first, after, photos=photos)
        return to_connection(page, FeedItem.from_model)
