"""Dish reviews and photos: nodes, the presigned upload flow, review and vote mutations."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from core.errors import AuthError
from core.loaders import now, then
from models.accounts import User
from models.restaurants import Restaurant
from models.reviews import Photo, Review, ReviewEdit
from resolvers import visibility
from resolvers.restaurants import restaurants
from resolvers.reviews import photos, reviews
from schema.accounts import UserNode
from schema.context import Info
from schema.deals import DealNode, ModerationState, live_deals
from schema.ids import decode, encode
from schema.nodes import ModelNode
from schema.payloads import Payload, payload_mutation
from schema.restaurants import DishNode, RestaurantNode

if TYPE_CHECKING:
    from schema.trust import ReviewReplyNode


@strawberry.type(name="Photo")
class PhotoNode(ModelNode, kind=Photo):
    id: relay.NodeID[int]
    width: int | None
    height: int | None
    content_type: str
    ready: bool = strawberry.field(description="False until confirmPhotoUpload has checked it.")
    model: strawberry.Private[Photo]

    derive = {
        "ready": lambda row: row.key is not None,
    }

    @strawberry.field(description="The cleaned image (no metadata); signed unless media is public.")
    def url(self, info: Info) -> str | None:
        return info.context.services.storage.url(self.model.key) if self.model.key else None

    @strawberry.field
    def thumbnail_url(self, info: Info) -> str | None:
        key = self.model.thumbnail_key
        return info.context.services.storage.url(key) if key else None


def _photo_nodes(rows: list[Photo]) -> list[PhotoNode]:
    return [PhotoNode.from_model(p) for p in rows]


@strawberry.type
class ReviewVersion:
    """A review as it was before an edit."""

    rating: int
    body: str
    photo_ids: list[strawberry.ID]
    replaced_at: datetime

    @classmethod
    def from_model(cls, row: ReviewEdit) -> ReviewVersion:
        ids = [strawberry.ID(encode("Photo", pid)) for pid in row.photo_ids]
        return cls(rating=row.rating, body=row.body, photo_ids=ids, replaced_at=row.created_at)


@strawberry.type(name="Review")
class ReviewNode(ModelNode, kind=Review):
    id: relay.NodeID[int]
    rating: int
    body: str
    helpful_count: int
    edit_count: int
    created_at: datetime
    updated_at: datetime
    spend_cents: int | None = strawberry.field(description="What the author spent per person, if said.")
    verified: bool = strawberry.field(
        description="The author redeemed a voucher at this restaurant (computed by the server)."
    )
    verified_at: datetime | None = strawberry.field(description="When that visit was.")
    model: strawberry.Private[Review]

    @strawberry.field(description="The restaurant's public reply, if any.")
    async def reply(self, info: Info) -> Annotated[ReviewReplyNode, strawberry.lazy("schema.trust")] | None:
        from schema.trust import reply_of

        return await reply_of(info, self.model.id)

    # Relations: the answer itself when the request's loaders hold it (a list or the feed primed
    # them), else an awaitable (core/loaders.py `then`): graphql-core makes no task for the former.
    @strawberry.field
    def author(self, info: Info) -> UserNode | None:
        return then(visibility.fetch_now(info.context, User, self.model.author_id), UserNode.of)

    @strawberry.field(
        description="The dish reviewed, also once taken off the menu (archived: 已下架); null when "
        "its restaurant is taken down."
    )
    def dish(self, info: Info) -> DishNode | None:
        found = now(info.context.loaders.get(restaurants.load_reviewed_dishes), self.model.dish_id)
        return then(found, DishNode.of)

    @strawberry.field
    def restaurant(self, info: Info) -> RestaurantNode | None:
        found = visibility.fetch_now(info.context, Restaurant, self.model.restaurant_id)
        return then(found, RestaurantNode.of)

    @strawberry.field(description="Up to 9 photos, in the author's order.")
    def photos(self, info: Info) -> list[PhotoNode]:
        return then(now(info.context.loaders.get(photos.load_review_photos), self.model.id), _photo_nodes)

    @strawberry.field(description="Whether the viewer voted this review helpful.")
    async def voted_helpful_by_me(self, info: Info) -> bool:
        viewer = info.context.viewer
        if viewer is None:
            return False
        return await info.context.loaders.get(reviews.load_voted_by, viewer.id).load(self.model.id)

    @strawberry.field(
        description="The author and moderators only, null for everyone else: HIDDEN when a moderator "
        "folded the review (then only its author still sees it, 仅自己可见), REMOVED, or VISIBLE."
    )
    def moderation(self, info: Info) -> ModerationState | None:  # type: ignore[valid-type]
        if not reviews.can_read_history(info.context, self.model):
            return None
        return self.model.visibility

    @strawberry.field(description="Earlier versions, newest first. Private: the author and moderators.")
    async def edits(self, info: Info) -> list[ReviewVersion] | None:
        info.context.require_viewer()
        if not reviews.can_read_history(info.context, self.model):
            raise AuthError("FORBIDDEN", "Only the author and moderators see the edit history")
        rows = await info.context.loaders.get(reviews.load_edits).load(self.model.id)
        return [ReviewVersion.from_model(r) for r in rows]

    @strawberry.field(description="Deals on offer now at this restaurant (claim them with this as source).")
    async def deals(self, info: Info) -> list[DealNode]:
        return await live_deals(info, self.model.restaurant_id)


@strawberry.type
class PhotoUpload:
    photo_id: strawberry.ID
    url: str
    method: str = strawberry.field(description="POST (S3: multipart form with `fields`) or PUT (local).")
    headers: JSON
    fields: JSON
    expires_at: datetime


@strawberry.type
class PhotoUploadPayload(Payload):
    upload: PhotoUpload | None = None


@strawberry.type
class PhotoPayload(Payload):
    photo: PhotoNode | None = None


@strawberry.input
class ReviewInput:
    dish_id: strawberry.ID
    rating: int
    body: str = ""
    photo_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    spend_cents: int | None = strawberry.field(default=None, description="Spend per person (人均), cents.")


@strawberry.input
class ReviewUpdateInput:
    rating: int | None = None
    body: str | None = None
    photo_ids: list[strawberry.ID] | None = None
    spend_cents: int | None = None


@strawberry.type
class ReviewPayload(Payload):
    review: ReviewNode | None = None


def _photo_ids(ids: list[strawberry.ID] | None) -> list[int] | None:
    return None if ids is None else [decode(i, "Photo", "photoIds") for i in ids]


@strawberry.type
class Mutation:
    @payload_mutation(description="Step 1 of a photo upload: a presigned request to send the bytes to.")
    async def request_photo_upload(self, info: Info, content_type: str, byte_size: int) -> PhotoUploadPayload:
        photo, upload = await photos.request_upload(info.context, content_type, byte_size)
        return PhotoUploadPayload(
            upload=PhotoUpload(
                photo_id=strawberry.ID(encode("Photo", photo.id)),
                url=upload.url,
                method=upload.method,
                headers=upload.headers,
                fields=upload.fields,
                expires_at=upload.expires_at,
            ),
        )

    @payload_mutation(description="Step 2: check the uploaded image, strip metadata, make a thumbnail.")
    async def confirm_photo_upload(self, info: Info, photo_id: strawberry.ID) -> PhotoPayload:
        photo = await photos.confirm_upload(info.context, decode(photo_id, "Photo", "photoId"))
        return PhotoPayload(photo=PhotoNode.from_model(photo))

    @payload_mutation(description="One review per diner per dish; edit it with updateReview.")
    async def create_review(self, info: Info, input: ReviewInput) -> ReviewPayload:
        fields = reviews.ReviewFields(
            rating=input.rating,
            body=input.body,
            photo_ids=_photo_ids(input.photo_ids),
            spend_cents=input.spend_cents,
        )
        row = await reviews.create_review(info.context, decode(input.dish_id, "Dish", "dishId"), fields)
        return ReviewPayload(review=ReviewNode.from_model(row))

    @payload_mutation(description="Author only; the previous version is kept in `edits`.")
    async def update_review(
        self, info: Info, review_id: strawberry.ID, input: ReviewUpdateInput
    ) -> ReviewPayload:
        fields = reviews.ReviewFields(
            rating=input.rating,
            body=input.body,
            photo_ids=_photo_ids(input.photo_ids),
            spend_cents=input.spend_cents,
        )
        row = await reviews.update_review(info.context, decode(review_id, "Review", "reviewId"), fields)
        return ReviewPayload(review=ReviewNode.from_model(row))

    @payload_mutation(description="One vote per diner, never on your own review.")
    async def vote_review_helpful(self, info: Info, review_id: strawberry.ID) -> ReviewPayload:
        row = await reviews.vote_helpful(info.context, decode(review_id, "Review", "reviewId"))
        return ReviewPayload(review=ReviewNode.from_model(row))

    @payload_mutation(description="取消有用: take back your helpful vote (NOT_FOUND if you gave none).")
    async def unvote_review_helpful(self, info: Info, review_id: strawberry.ID) -> ReviewPayload:
        row = await reviews.unvote_helpful(info.context, decode(review_id, "Review", "reviewId"))
        return ReviewPayload(review=ReviewNode.from_model(row))
