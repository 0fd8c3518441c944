"""Discovery and trust: rating summaries, sorted/filtered review lists, merchant replies, and
authors deleting their reviews. The restaurant, dish and review nodes call into this module."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from models.accounts import User
from models.restaurants import Restaurant
from models.reviews import Review
from models.trust import RestaurantRating, ReviewReply
from resolvers import visibility
from resolvers.restaurants import page
from resolvers.reviews import listing, ratings, replies, reviews
from schema.accounts import UserNode
from schema.context import Info
from schema.ids import decode, encode
from schema.nodes import ModelNode
from schema.pagination import Connection, to_connection
from schema.payloads import Payload, payload_mutation
from schema.review_lists import ReviewFilter

if TYPE_CHECKING:
    from schema.restaurants import RestaurantNode
    from schema.reviews import ReviewNode


@strawberry.type
class RatingCount:
    stars: int
    count: int


@strawberry.type
class RatingSummary:
    """A restaurant's rating from its visible dish reviews (hidden and deleted ones are out)."""

    average_rating: float | None = strawberry.field(
        description=f"Weighted mean: a verified review counts {ratings.VERIFIED_WEIGHT}x; null when none."
    )
    review_count: int
    verified_review_count: int
    distribution: list[RatingCount] = strawberry.field(description="Stars 5 down to 1.")
    average_spend_cents: int | None = strawberry.field(
        description="人均 per person: spends stated in reviews and redeemed voucher bills; null when none."
    )
    currency: str = "CNY"

    @classmethod
    def of(cls, row: RestaurantRating | None) -> RatingSummary:
        return cls(
            average_rating=ratings.weighted_average(row),
            review_count=row.review_count if row else 0,
            verified_review_count=row.verified_count if row else 0,
            distribution=[RatingCount(stars=s, count=c) for s, c in page.distribution(row)],
            average_spend_cents=ratings.spend_per_person(row),
        )


async def rating_summary(info: Info, restaurant_id: int) -> RatingSummary:
    return RatingSummary.of(await info.context.loaders.get(page.load_ratings).load(restaurant_id))


async def review_connection(
    info: Info,
    scope: dict[str, int],
    sort: listing.ReviewSort,
    filters: ReviewFilter | None,
    first: int | None,
    after: str | None,
) -> Connection[ReviewNode]:
    """The reviews of a restaurant or dish, with a total counted only when selected."""
    from schema.reviews import ReviewNode

    wanted = filters.domain() if filters else listing.ReviewFilter()
    found = await listing.review_page(info.context, scope, listing.ReviewSort(sort), wanted, first, after)
    return to_connection(found, ReviewNode.from_model, listing.review_total(info.context, scope, wanted))


@strawberry.type(name="ReviewReply")
class ReviewReplyNode(ModelNode, kind=ReviewReply):
    """The restaurant's public answer under a review."""

    id: relay.NodeID[int]
    body: str
    created_at: datetime
    updated_at: datetime
    model: strawberry.Private[ReviewReply]

    @strawberry.field
    async def review(self, info: Info) -> Annotated[ReviewNode, strawberry.lazy("schema.reviews")] | None:
        from schema.reviews import ReviewNode

        row = await visibility.fetch(info.context, Review, self.model.review_id)
        return ReviewNode.from_model(row) if row else None

    @strawberry.field(description="The restaurant that answers.")
    async def restaurant(
        self, info: Info
    ) -> Annotated[RestaurantNode, strawberry.lazy("schema.restaurants")] | None:
        from schema.restaurants import RestaurantNode

        row = await visibility.fetch(info.context, Restaurant, self.model.restaurant_id)
        return RestaurantNode.from_model(row) if row else None

    @strawberry.field(description="The staff member who wrote it.")
    async def author(self, info: Info) -> UserNode | None:
        user = await visibility.fetch(info.context, User, self.model.author_id)
        return UserNode.from_model(user) if user else None


async def reply_of(info: Info, review_id: int) -> ReviewReplyNode | None:
    row = await replies.for_review(info.context, review_id)
    return ReviewReplyNode.from_model(row) if row else None


@strawberry.type
class ReviewReplyPayload(Payload):
    reply: ReviewReplyNode | None = None


@strawberry.type
class DeletePayload(Payload):
    deleted_id: strawberry.ID | None = None


@strawberry.type
class Mutation:
    @payload_mutation(description="Staff of the review's restaurant: one public reply per review.")
    async def reply_to_review(self, info: Info, review_id: strawberry.ID, body: str) -> ReviewReplyPayload:
        row = await replies.reply(info.context, decode(review_id, "Review", "reviewId"), body)
        return ReviewReplyPayload(reply=ReviewReplyNode.from_model(row))

    @payload_mutation(description="Staff of the restaurant: edit its reply.")
    async def update_review_reply(self, info: Info, reply_id: strawberry.ID, body: str) -> ReviewReplyPayload:
        row = await replies.edit(info.context, decode(reply_id, "ReviewReply", "replyId"), body)
        return ReviewReplyPayload(reply=ReviewReplyNode.from_model(row))

    @payload_mutation(description="Staff of the restaurant: take its reply down.")
    async def delete_review_reply(self, info: Info, reply_id: strawberry.ID) -> DeletePayload:
        pk = await replies.delete(info.context, decode(reply_id, "ReviewReply", "replyId"))
        return DeletePayload(deleted_id=strawberry.ID(encode("ReviewReply", pk)))

    @payload_mutation(description="The author deletes their review; moderators keep it in the audit log.")
    async def delete_review(self, info: Info, review_id: strawberry.ID) -> DeletePayload:
        pk = await reviews.delete_review(info.context, decode(review_id, "Review", "reviewId"))
        return DeletePayload(deleted_id=strawberry.ID(encode("Review", pk)))
