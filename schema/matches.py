"""Matches: who one matched with, unmatching, and the answer to one's request, live."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry

from models.accounts import User
from resolvers import visibility
from resolvers.foodies import foodies, matches
from schema.accounts import UserNode
from schema.context import Info
from schema.foodies import MatchRequestNode
from schema.ids import decode, encode
from schema.pagination import Connection, to_connection
from schema.payloads import Payload, payload_mutation


@strawberry.type
class Match:
    user: UserNode
    matched_at: datetime
    request: MatchRequestNode


@strawberry.type
class UnmatchPayload(Payload):
    user: UserNode | None = None


@strawberry.type
class WithdrawMatchRequestPayload(Payload):
    user: UserNode | None = strawberry.field(default=None, description="Whom the request was to.")


def _match(m: matches.Match) -> Match:
    return Match(
        user=UserNode.from_model(m.user),
        matched_at=m.matched_at,
        request=MatchRequestNode.from_model(m.request),
    )


@strawberry.type
class BlockedUser:
    user_id: strawberry.ID = strawberry.field(description="For unblockUser, even when `user` is null.")
    user: UserNode | None = strawberry.field(
        description="Null for a suspended account or someone who blocked you too."
    )
    blocked_at: datetime


@strawberry.type
class Query:
    @strawberry.field(description="People you blocked, latest first (unblockUser undoes a block).")
    async def blocked_users(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[BlockedUser]:
        page = await foodies.blocked_page(info.context, first, after)
        # The one list that shows blocked people: to the blocker, so they can undo it.
        rows = await User.filter(id__in=[b.blocked_id for b in page.items])
        seen = await visibility.as_blocker_sees(info.context, rows)
        shown = dict(zip([u.id for u in rows], seen, strict=True))
        return to_connection(
            page,
            lambda b: BlockedUser(
                user_id=strawberry.ID(encode("User", b.blocked_id)),
                user=UserNode.of(shown.get(b.blocked_id)),
                blocked_at=b.created_at,
            ),
        )

    @strawberry.field(description="People you matched with, newest match first.")
    async def matches(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[Match]:
        return to_connection(await matches.matches_page(info.context, first, after), _match)


@strawberry.type
class Mutation:
    @payload_mutation(description="End a match (you can match again later).")
    async def unmatch(self, info: Info, user_id: strawberry.ID) -> UnmatchPayload:
        user = await matches.unmatch(info.context, decode(user_id, "User", "userId"))
        return UnmatchPayload(user=UserNode.of(await visibility.get(info.context, User, user.id)))


    @payload_mutation(
        description="Take back a match request you sent that is not answered yet (you can ask again later)."
    )
    async def withdraw_match_request(
        self, info: Info, request_id: strawberry.ID
    ) -> WithdrawMatchRequestPayload:
        pk = decode(request_id, "MatchRequest", "requestId")
        user_id = await foodies.withdraw_match_request(info.context, pk)
        asked = await visibility.get(info.context, User, user_id)
        return WithdrawMatchRequestPayload(user=UserNode.of(asked))


@strawberry.type
class Subscription:
    @strawberry.subscription(description="Answers to match requests you sent, live.")
    async def match_request_answered(self, info: Info) -> AsyncGenerator[MatchRequestNode, None]:
        info.context.require_viewer()
        async for request in matches.answer_events(info.context):
            yield MatchRequestNode.from_model(request)
