"""Accounts: the User node, sign-up/sign-in, the viewer's own profile and location."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from core.errors import AuthError
from core.pagination import Page
from models.accounts import Role, User
from resolvers import visibility
from resolvers.accounts import accounts, location_consent
from resolvers.foodies import foodies
from resolvers.foodies.tastes import CUISINES, DIETARY
from resolvers.reviews import listing
from schema.context import Info
from schema.nodes import ModelNode, listed
from schema.pagination import Connection, to_connection
from schema.review_lists import ReviewFilter, ReviewSort

if TYPE_CHECKING:
    from schema.reviews import ReviewNode
from schema.payloads import Payload, payload_mutation

RoleEnum = strawberry.enum(Role, name="Role")


@strawberry.enum
class AccountType(Enum):
    DINER = "DINER"
    RESTAURANT = "RESTAURANT"


@strawberry.type
class MyLocation:
    """The viewer's own raw position: only ever shown to its owner."""

    lat: float
    lng: float
    updated_at: datetime | None


@strawberry.type(name="User")
class UserNode(ModelNode, kind=User):
    id: relay.NodeID[int]
    display_name: str
    bio: str
    cuisines: list[str]
    dietary: list[str]
    spice_level: int | None
    budget_level: int | None
    role: RoleEnum  # type: ignore[valid-type]
    created_at: datetime
    model: strawberry.Private[User]

    derive = {
        "cuisines": listed("cuisines"),
        "dietary": listed("dietary"),
    }

    def _require_self(self, info: Info) -> None:
        viewer = info.context.require_viewer()
        if viewer.id != self.model.id:
            raise AuthError("FORBIDDEN", "Only visible to the account's owner")

    @strawberry.field(description="Private: only the account's owner.")
    def email(self, info: Info) -> str | None:
        self._require_self(info)
        return self.model.email

    @strawberry.field(description="Private: the owner's raw position; others never see it.")
    def location(self, info: Info) -> MyLocation | None:
        self._require_self(info)
        if self.model.lat is None or self.model.lng is None:
            return None
        return MyLocation(lat=self.model.lat, lng=self.model.lng, updated_at=self.model.location_updated_at)

    @strawberry.field(description="Private: whether the owner appears in nearby matching.")
    def discoverable(self, info: Info) -> bool | None:
        self._require_self(info)
        return self.model.discoverable

    @strawberry.field(description="Private: the owner's IANA time zone, e.g. Asia/Shanghai.")
    def timezone(self, info: Info) -> str | None:
        self._require_self(info)
        return self.model.timezone

    @strawberry.field(
        description="Private: referral credit earned (cents) from vouchers your activity brought."
    )
    async def referral_credits(self, info: Info) -> int | None:
        self._require_self(info)
        from resolvers.deals.deals import referral_balance

        return await referral_balance(self.model.id)

    # ---- the diner's reviews (TA的点评)
    @strawberry.field(
        description="Their visible reviews (of public restaurants), newest first unless sorted otherwise."
    )
    async def reviews(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        sort: ReviewSort = ReviewSort.NEWEST,  # type: ignore[valid-type]
        filter: ReviewFilter | None = None,
    ) -> Connection[Annotated[ReviewNode, strawberry.lazy("schema.reviews")]]:
        from schema.trust import review_connection

        return await review_connection(info, {"author_id": self.model.id}, sort, filter, first, after)

    @strawberry.field(description="How many reviews `reviews` lists (unfiltered).")
    async def review_count(self, info: Info) -> int:
        return await info.context.loaders.get(listing.load_author_review_counts).load(self.model.id)

    # ---- social graph (foodies)
    @strawberry.field
    async def followers_count(self, info: Info) -> int:
        return (await foodies.follow_counts(info.context, self.model.id))[0]

    @strawberry.field
    async def following_count(self, info: Info) -> int:
        return (await foodies.follow_counts(info.context, self.model.id))[1]

    @strawberry.field(description="Whether the signed-in viewer follows this user (false when anonymous).")
    async def is_followed_by_me(self, info: Info) -> bool:
        viewer = info.context.viewer
        if viewer is None or viewer.id == self.model.id:
            return False
        return await info.context.loaders.get(foodies.load_is_followed_by, viewer.id).load(self.model.id)

    @strawberry.field
    async def followers(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[UserNode]:
        return await _follow_connection(info, self.model.id, True, first, after)

    @strawberry.field
    async def following(
        self, info: Info, first: int | None = 20, after: str | None = None
    ) -> Connection[UserNode]:
        return await _follow_connection(info, self.model.id, False, first, after)


async def _follow_connection(
    info: Info, user_id: int, followers: bool, first: int | None, after: str | None
) -> Connection[UserNode]:
    page = await foodies.follow_page(info.context, user_id, followers, first, after)
    ids = [f.follower_id if followers else f.followee_id for f in page.items]
    users = await visibility.fetch_many(info.context, User, ids)
    shown = Page(users, page.cursors, page.has_next_page).only([u is not None for u in users])
    index = 0 if followers else 1

    async def total() -> int:
        return (await foodies.follow_counts(info.context, user_id))[index]

    return to_connection(shown, UserNode.from_model, total)


@strawberry.type
class TasteTag:
    tag: str
    label_zh: str


@strawberry.input
class RegisterInput:
    email: str
    password: str
    display_name: str
    account_type: AccountType = AccountType.DINER
    location_consent_version: str | None = strawberry.field(
        default=None, description="Consent to this location notice version (locationNotice) at sign-up."
    )


@strawberry.input
class ProfileInput:
    display_name: str | None = None
    bio: str | None = None
    cuisines: list[str] | None = None
    dietary: list[str] | None = None
    spice_level: Annotated[int | None, strawberry.argument(description="0-5")] = None
    budget_level: Annotated[int | None, strawberry.argument(description="1-4")] = None
    discoverable: bool | None = None
    timezone: str | None = None


@strawberry.type
class AuthPayload(Payload):
    token: str | None = None
    user: UserNode | None = None


@strawberry.type
class LogoutPayload(Payload):
    pass


@strawberry.type
class ProfilePayload(Payload):
    user: UserNode | None = None


@strawberry.type
class LocationPayload(Payload):
    user: UserNode | None = None
    location: MyLocation | None = None


def _session_payload(info: Info, session: accounts.Session) -> AuthPayload:
    info.context.viewer = session.user  # the rest of this response speaks to the new session
    return AuthPayload(token=session.token, user=UserNode.from_model(session.user))


@strawberry.type
class Query:
    @strawberry.field(description="The signed-in user, or null when anonymous.")
    def me(self, info: Info) -> UserNode | None:
        """Null when signed out; a suspended account's token is refused here as everywhere, saying
        why (`extensions.reason` ACCOUNT_SUSPENDED): `me` is what an app asks first, and a silent
        null sent the person to a sign-in that refuses them too."""
        context = info.context
        if context.viewer is None and context.refusal is not None:
            context.require_viewer()
        return UserNode.from_model(context.viewer) if context.viewer else None

    @strawberry.field(description="The curated cuisine tags profiles and restaurants use.")
    def cuisine_tags(self) -> list[TasteTag]:
        return [TasteTag(tag=k, label_zh=v) for k, v in CUISINES.items()]

    @strawberry.field(description="The curated dietary tags profiles use.")
    def dietary_tags(self) -> list[TasteTag]:
        return [TasteTag(tag=k, label_zh=v) for k, v in DIETARY.items()]


@strawberry.type
class Mutation:
    @payload_mutation(public=True)
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        session = await location_consent.register_consenting(
            info.context,
            input.email,
            input.password,
            input.display_name,
            input.account_type.value,
            input.location_consent_version,
        )
        return _session_payload(info, session)

    @payload_mutation(public=True)
    async def login(self, info: Info, email: str, password: str) -> AuthPayload:
        return _session_payload(info, await accounts.login(info.context, email, password))

    @payload_mutation(description="Sign out this device: its token stops working at once.")
    async def logout(self, info: Info) -> LogoutPayload:
        await accounts.logout(info.context)
        return LogoutPayload()

    @payload_mutation(description="Sign out every device, this one included.")
    async def logout_everywhere(self, info: Info) -> LogoutPayload:
        await accounts.logout_everywhere(info.context)
        return LogoutPayload()

    @payload_mutation(
        description="Change the password: other devices are signed out; the new token is for this one."
    )
    async def change_password(self, info: Info, current_password: str, new_password: str) -> AuthPayload:
        session = await accounts.change_password(info.context, current_password, new_password)
        return _session_payload(info, session)

    @payload_mutation
    async def update_profile(self, info: Info, input: ProfileInput) -> ProfilePayload:
        changes = accounts.ProfileChanges(
            display_name=input.display_name,
            bio=input.bio,
            cuisines=input.cuisines,
            dietary=input.dietary,
            spice_level=input.spice_level,
            budget_level=input.budget_level,
            discoverable=input.discoverable,
            timezone=input.timezone,
        )
        user = await accounts.update_profile(info.context, changes)
        return ProfilePayload(user=UserNode.from_model(user))

    @payload_mutation
    async def update_location(self, info: Info, lat: float, lng: float) -> LocationPayload:
        user = await accounts.update_location(info.context, lat, lng)
        node = UserNode.from_model(user)
        return LocationPayload(user=node, location=node.location(info))
