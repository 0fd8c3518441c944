"""Nearby foodies, follows, blocks and match requests."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import suppress
from datetime import datetime
from enum import Enum

import strawberry
from strawberry import relay

from models.accounts import User
from models.foodies import MatchRequest, MatchStatus
from resolvers import visibility
from resolvers.foodies import foodies
from schema.accounts import UserNode
from schema.context import Info
from schema.ids import decode
from schema.nodes import ModelNode
from schema.pagination import Connection, to_connection
from schema.payloads import Payload, payload_mutation

MatchStatusEnum = strawberry.enum(MatchStatus, name="MatchRequestStatus")


@strawberry.type
class FoodieMatch:
    user: UserNode
    distance_km: float = strawberry.field(description="Rounded up to a whole km, from the obfuscated point.")
    score: float = strawberry.field(description="0..1: taste 55%, proximity 30%, recent activity 15%.")
    shared_cuisines: list[str]


@strawberry.enum
class MatchDirection(Enum):
    INCOMING = "incoming"
    OUTGOING = "outgoing"


@strawberry.type(name="MatchRequest")
class MatchRequestNode(ModelNode, loader=foodies.load_match_requests):
    id: relay.NodeID[int]
    message: str
    status: MatchStatusEnum  # type: ignore[valid-type]
    created_at: datetime
    responded_at: datetime | None
    model: strawberry.Private[MatchRequest]

    @classmethod
    async def visible(cls, info: Info, row: MatchRequest) -> bool:
        """One's own requests, while the other person is someone the viewer may see."""
        viewer = info.context.viewer
        if viewer is None or viewer.id not in (row.sender_id, row.recipient_id):
            return False
        other = row.recipient_id if viewer.id == row.sender_id else row.sender_id
        return await visibility.fetch(info.context, User, other) is not None

    @strawberry.field(description="Null once the viewer may no longer see them (blocked, suspended).")
    async def sender(self, info: Info) -> UserNode | None:
        return UserNode.of(await visibility.fetch(info.context, User, self.model.sender_id))

    @strawberry.field(description="Null once the viewer may no longer see them (blocked, suspended).")
    async def recipient(self, info: Info) -> UserNode | None:
        return UserNode.of(await visibility.fetch(info.context, User, self.model.recipient_id))


SEEN = "As the viewer may see them now: null when suspended or blocked either way."
BLOCKED_SEEN = "As blockedUsers shows them: null when suspended or when they blocked you too."


@strawberry.type
class FollowPayload(Payload):
    user: UserNode | None = strawberry.field(default=None, description=SEEN)
    following: bool | None = None


@strawberry.type
class BlockPayload(Payload):
    user: UserNode | None = strawberry.field(
        default=None, description=f"{BLOCKED_SEEN} (blockUser; unblockUser: {SEEN[0].lower()}{SEEN[1:]})"
    )
    blocked: bool | None = None


@strawberry.type
class MatchRequestPayload(Payload):
    request: MatchRequestNode | None = None


@strawberry.type
class Query:
    @strawberry.field(description="Diners near you, best match first. Needs sign-in and a location.")
    async def nearby_foodies(
        self, info: Info, radius_km: float | None = 5, first: int | None = 20, after: str | None = None
    ) -> Connection[FoodieMatch]:
        page = await foodies.nearby_foodies(
            info.context, radius_km if radius_km is not None else 5, first, after
        )
        return to_connection(
            page,
            lambda m: FoodieMatch(
                user=UserNode.from_model(m.user),
                distance_km=m.distance_km,
                score=m.score,
                shared_cuisines=m.shared_cuisines,
            ),
        )

    @strawberry.field(description="Your match requests, newest first.")
    async def match_requests(
        self,
        info: Info,
        direction: MatchDirection = MatchDirection.INCOMING,
        status: MatchStatusEnum | None = None,  # type: ignore[valid-type]
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[MatchRequestNode]:
        page = await foodies.match_requests_page(
            info.context, direction == MatchDirection.INCOMING, status, first, after
        )
        return to_connection(page, MatchRequestNode.from_model)


async def _as_seen(info: Info, user: User) -> UserNode | None:
    """The other person of a follow or block as the viewer may see them now (user rule: null once
    suspended or blocked either way, so null after a block), whoever the mutation accepted."""
    ctx = info.context
    blocks = ctx.loaders.get(visibility.load_blocked)
    for pk in (ctx.require_viewer().id, user.id):  # the mutation may have changed them: read afresh
        with suppress(KeyError):  # (not read yet in this request)
            blocks.clear(pk)
    return UserNode.of(await visibility.get(ctx, User, user.id))


@strawberry.type
class Mutation:
    @payload_mutation
    async def follow(self, info: Info, user_id: strawberry.ID) -> FollowPayload:
        user = await foodies.follow(info.context, decode(user_id, "User", "userId"))
        return FollowPayload(user=await _as_seen(info, user), following=True)

    @payload_mutation
    async def unfollow(self, info: Info, user_id: strawberry.ID) -> FollowPayload:
        user = await foodies.unfollow(info.context, decode(user_id, "User", "userId"))
        return FollowPayload(user=await _as_seen(info, user), following=False)

    @payload_mutation
    async def block_user(self, info: Info, user_id: strawberry.ID) -> BlockPayload:
        user = await foodies.block(info.context, decode(user_id, "User", "userId"))
        # As blockedUsers shows them: the viewer's own block set aside, the rest of the rule kept.
        [shown] = await visibility.as_blocker_sees(info.context, [user])
        return BlockPayload(user=UserNode.of(shown), blocked=True)

    @payload_mutation
    async def unblock_user(self, info: Info, user_id: strawberry.ID) -> BlockPayload:
        user = await foodies.unblock(info.context, decode(user_id, "User", "userId"))
        return BlockPayload(user=await _as_seen(info, user), blocked=False)

    @payload_mutation
    async def send_match_request(
        self, info: Info, user_id: strawberry.ID, message: str | None = None
    ) -> MatchRequestPayload:
        request = await foodies.send_match_request(
            info.context, decode(user_id, "User", "userId"), message
        )
        return MatchRequestPayload(request=MatchRequestNode.from_model(request))

    @payload_mutation
    async def respond_match_request(
        self, info: Info, request_id: strawberry.ID, accept: bool
    ) -> MatchRequestPayload:
        request_pk = decode(request_id, "MatchRequest", "requestId")
        request = await foodies.respond_match_request(info.context, request_pk, accept)
        return MatchRequestPayload(request=MatchRequestNode.from_model(request))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Match requests sent to you, live.")
    async def match_request_received(self, info: Info) -> AsyncGenerator[MatchRequestNode, None]:
        info.context.require_viewer()
        async for request in foodies.match_request_events(info.context):
            yield MatchRequestNode.from_model(request)
