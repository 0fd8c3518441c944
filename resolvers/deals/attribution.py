"""Where a deal view or claim came from, and whose social activity earns the referral credit.

Credit goes to the author of the source (review author, meal host, profile owner, the sharer of
a share link), never to the claimer themselves or to the restaurant's own staff, and never
depends on what a review says (credit is paid only for redeemed claims).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from tortoise.models import Model

from core.context import Context
from core.errors import ErrorCode, UserInputError
from models.accounts import User
from models.deals import Claim, Deal, ReferralCredit, SourceType
from models.meals import RestaurantEvent, SharedMeal
from models.restaurants import RestaurantStaff
from models.reviews import Review
from resolvers import visibility


@dataclass(frozen=True)
class Attribution:
    type: SourceType
    source_id: int | None
    referrer_id: int | None


DIRECT = Attribution(SourceType.DIRECT, None, None)


def share_token(secret: str, deal_id: int, sharer_id: int) -> str:
    """An opaque share-link token: deal and sharer, HMAC-signed so nobody forges a referrer."""
    payload = f"{deal_id}.{sharer_id}"
    mac = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()[:16]
    return base64.urlsafe_b64encode(f"{payload}.{mac}".encode()).decode().rstrip("=")


def read_share_token(secret: str, token: str) -> tuple[int, int] | None:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        deal_id, sharer_id, mac = raw.split(".")
        expected = hmac.new(secret.encode(), f"{deal_id}.{sharer_id}".encode(), hashlib.sha256).hexdigest()[
            :16
        ]
        if hmac.compare_digest(mac, expected):
            return int(deal_id), int(sharer_id)
    except (ValueError, UnicodeDecodeError):
        pass
    return None


def _bad(message: str) -> UserInputError:
    return UserInputError(ErrorCode.INVALID, message, "source")


# Content a claim can name as its source: the model, and whose activity it credits.
CONTENT: dict[str, tuple[type[Model], SourceType, str | None]] = {
    "Review": (Review, SourceType.REVIEW, "author_id"),
    "SharedMeal": (SharedMeal, SourceType.SHARED_MEAL, "host_id"),
    "RestaurantEvent": (RestaurantEvent, SourceType.EVENT, None),  # events credit nobody
}
TYPE_FOR_NODE = {kind: source for kind, (_, source, _) in CONTENT.items()}
MODEL_FOR_SOURCE = {source: model for model, source, _ in CONTENT.values()} | {SourceType.PROFILE: User}


async def _content_author(ctx: Context, kind: str, pk: int, deal: Deal) -> int | None:
    """Author of a review/meal/event at the deal's restaurant that the claimer may see: content
    removed or hidden by moderation, or whose author is suspended, credits nobody."""
    if kind not in CONTENT:
        raise _bad(f"A {kind} can't be a source")
    model, _, author_field = CONTENT[kind]
    row = await visibility.fetch(ctx, model, pk)
    if row is None or row.restaurant_id != deal.restaurant_id:
        raise _bad(f"No such {kind} at this restaurant")
    return getattr(row, author_field) if author_field else None


async def _profile_owner(ctx: Context, kind: str, pk: int) -> int:
    """A profile the claimer may see (an unknown, suspended or blocked one is a clear error)."""
    if kind != "User":
        raise _bad("A PROFILE source is a User ID")
    if await visibility.fetch(ctx, User, pk) is None:
        raise _bad("No such user")
    return pk


async def resolve(
    ctx: Context,
    deal: Deal,
    source_type: SourceType | None,
    node: tuple[str, int] | None,
    raw_id: str | None,
) -> Attribution:
    """Check the source against the deal and what the viewer (the claimer) may see; work out
    the referrer."""
    if source_type is None:
        return DIRECT
    claimer_id = ctx.viewer.id if ctx.viewer else None
    referrer: int | None
    if source_type == SourceType.SHARE_LINK:
        parsed = read_share_token(ctx.settings.secret_key, raw_id or "")
        if parsed is None or parsed[0] != deal.id:
            raise _bad("Not a share link of this deal")
        source_id, referrer = parsed[1], parsed[1]
        # The link still sells (it is the deal's own link, forwarded around a group chat), but a
        # sharer the claimer may not see (blocked either way, suspended) is credited nothing.
        if referrer != claimer_id and await visibility.fetch(ctx, User, referrer) is None:
            referrer = None
    else:
        if node is None:
            raise _bad("Not a valid ID")
        kind, pk = node
        if source_type == SourceType.PROFILE:
            referrer = await _profile_owner(ctx, kind, pk)
        elif source_type == SourceType.FEED:
            referrer = await _content_author(ctx, kind, pk, deal)
        else:
            if TYPE_FOR_NODE.get(kind) != source_type:
                raise _bad(f"A {source_type.name} source needs a {source_type.name.title()} ID")
            referrer = await _content_author(ctx, kind, pk, deal)
        source_id = pk
    if referrer is not None and (
        referrer == claimer_id
        or await RestaurantStaff.exists(restaurant_id=deal.restaurant_id, user_id=referrer)
    ):
        referrer = None
    return Attribution(source_type, source_id, referrer)


@dataclass(frozen=True)
class Named:
    """A claim's source as the client named it, checked (`resolve`) only when a claim is made
    with it: a retry of a claim made earlier with the same key gets that claim whatever became
    of its source meanwhile (a review hidden by moderation, a meal cancelled, a profile
    suspended), as the claim itself kept the attribution checked when it was made."""

    type: SourceType
    node: tuple[str, int] | None
    raw_id: str | None

    async def check(self, ctx: Context, deal: Deal) -> Attribution:
        return await resolve(ctx, deal, self.type, self.node, self.raw_id)


async def credit_due(claim: Claim, restaurant_id: int) -> bool:
    """At redemption: the referrer and the source still stand. Content removed or hidden by
    moderation (or an author suspended) after the claim earns no credit. A referrer is paid once
    per diner they brought to a restaurant (推荐有礼 pays for a customer, not per voucher): a
    diner claiming a deal's 100 vouchers through a friend's profile, redeemed by a colluding
    till, earns the friend ¥5, not ¥500. Called under the diner's row lock (redemptions of one
    diner run one at a time), so two tills can't both pay it."""
    if claim.referrer_id is None or not await visibility.standing(User, claim.referrer_id):
        return False
    paid_before = ReferralCredit.filter(
        user_id=claim.referrer_id, claim__user_id=claim.user_id, claim__deal__restaurant_id=restaurant_id
    )
    if await paid_before.exists():
        return False
    if claim.source_type == SourceType.FEED and claim.source_id is not None:
        return await _feed_source_stands(claim.source_id, claim.referrer_id)
    model = MODEL_FOR_SOURCE.get(claim.source_type)
    return model is None or claim.source_id is None or await visibility.standing(model, claim.source_id)


async def _feed_source_stands(pk: int, referrer_id: int) -> bool:
    """A FEED claim keeps the content's id, not its kind: the content is the review or meal with
    that id whose author is the referrer (events credit nobody). Credit only while every such
    content still stands; none left (deleted) credits nobody, as for a REVIEW source."""
    found = False
    for model, _, author_field in CONTENT.values():
        if author_field is None:
            continue
        if await model.filter(id=pk, **{author_field: referrer_id}).exists():
            found = True
            if not await visibility.standing(model, pk):
                return False
    return found
