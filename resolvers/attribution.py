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

from models.deals import Deal, SourceType
from models.meals import RestaurantEvent, SharedMeal
from models.restaurants import RestaurantStaff, Visibility
from models.reviews import Review
from resolvers.errors import ErrorCode, UserInputError


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


async def _content_author(kind: str, pk: int, deal: Deal) -> int | None:
    """Author of a review/meal/event at the deal's restaurant (events credit nobody)."""
    if kind == "Review":
        review = await Review.get_or_none(id=pk, visibility=Visibility.VISIBLE)
        if review is None or review.restaurant_id != deal.restaurant_id:
            raise _bad("That review is not about this restaurant")
        return review.author_id
    if kind == "SharedMeal":
        meal = await SharedMeal.get_or_none(id=pk)
        if meal is None or meal.restaurant_id != deal.restaurant_id:
            raise _bad("That meal is not at this restaurant")
        return meal.host_id
    if kind == "RestaurantEvent":
        event = await RestaurantEvent.get_or_none(id=pk)
        if event is None or event.restaurant_id != deal.restaurant_id:
            raise _bad("That event is not at this restaurant")
        return None
    raise _bad(f"A {kind} can't be a source")


TYPE_FOR_NODE = {
    "Review": SourceType.REVIEW,
    "SharedMeal": SourceType.SHARED_MEAL,
    "RestaurantEvent": SourceType.EVENT,
}


async def resolve(
    secret: str,
    deal: Deal,
    claimer_id: int | None,
    source_type: SourceType | None,
    node: tuple[str, int] | None,
    raw_id: str | None,
) -> Attribution:
    """Check the source against the deal; work out the referrer."""
    if source_type is None:
        return DIRECT
    referrer: int | None
    if source_type == SourceType.SHARE_LINK:
        parsed = read_share_token(secret, raw_id or "")
        if parsed is None or parsed[0] != deal.id:
            raise _bad("Not a share link of this deal")
        source_id, referrer = parsed[1], parsed[1]
    else:
        if node is None:
            raise _bad("Not a valid ID")
        kind, pk = node
        if source_type == SourceType.PROFILE:
            if kind != "User":
                raise _bad("A PROFILE source is a User ID")
            referrer = pk
        elif source_type == SourceType.FEED:
            referrer = await _content_author(kind, pk, deal)
        else:
            if TYPE_FOR_NODE.get(kind) != source_type:
                raise _bad(f"A {source_type.name} source needs a {source_type.name.title()} ID")
            referrer = await _content_author(kind, pk, deal)
        source_id = pk
    if referrer is not None and (
        referrer == claimer_id
        or await RestaurantStaff.exists(restaurant_id=deal.restaurant_id, user_id=referrer)
    ):
        referrer = None
    return Attribution(source_type, source_id, referrer)
