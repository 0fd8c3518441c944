"""A person's own data: export it as JSON, or delete the account and its personal data.

Deletion keeps every aggregate right: reviews leave their dishes' counts the way moderation
removal does; vouchers stay (attached to an anonymised account) so restaurants' sales and
insights don't change; everything that says who the person was (email, name, bio, tastes,
position, photos, follows, blocks, requests, notifications, including those the person caused,
notification preferences, push devices, location consents) is erased.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from core.context import Context, Services
from models.accounts import FAR_FUTURE, User
from models.conversations import Message
from models.deals import Claim, ReferralCredit
from models.favourites import FavouriteItem, FavouriteList
from models.foodies import Block, Follow, MatchRequest
from models.meals import EventRsvp, MealSeat, MealStatus, Notification, SeatStatus, SharedMeal
from models.notifications import NotificationPreference, PushDevice
from models.privacy import LocationConsent
from models.restaurants import Visibility
from models.reviews import HelpfulVote, Photo, Review, ReviewEdit, ReviewPhoto
from models.tables import Booking, MealRating
from resolvers.accounts.accounts import DINER_KIND
from resolvers.accounts.plans import give_up_plans
from resolvers.accounts.sessions import end_all_sessions
from resolvers.deals.vouchers import CODE_SHOWN
from resolvers.reviews import reviews

DELETED_NAME = "已注销用户"
# Rows per section of the export (the oldest kept, by id): the export stays a bounded read.
EXPORT_CAP = 10_000


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


async def export_user(user: User) -> dict[str, Any]:
    """Everything the person wrote or did, as plain JSON."""
    review_rows = await Review.filter(author_id=user.id).select_related("dish", "restaurant").order_by("id")
    edits = await ReviewEdit.filter(review_id__in=[r.id for r in review_rows]).order_by("id")
    meals = await MealSeat.filter(user_id=user.id).select_related("meal__restaurant").order_by("id")
    # With their deal and restaurant: an order history a person can read (a deal id alone says nothing).
    claims = await Claim.filter(user_id=user.id).select_related("deal__restaurant").order_by("id")
    credits = await ReferralCredit.filter(user_id=user.id).order_by("id")
    return {
        "exportedAt": datetime.now(UTC).isoformat(),
        "account": {
            "id": user.id,
            "email": user.email,
            "displayName": user.display_name,
            "role": user.role.value,
            "bio": user.bio,
            "cuisines": user.cuisines,
            "dietary": user.dietary,
            "spiceLevel": user.spice_level,
            "budgetLevel": user.budget_level,
            "location": None if user.lat is None else {"lat": user.lat, "lng": user.lng},
            "discoverable": user.discoverable,
            "timezone": user.timezone,
            "createdAt": _iso(user.created_at),
        },
        "reviews": [
            {
                "id": r.id,
                "dishId": r.dish_id,
                "dishName": r.dish.name,
                "restaurantId": r.restaurant_id,
                "restaurantName": r.restaurant.name,
                "rating": r.rating,
                "body": r.body,
                "visibility": r.visibility.value,
                "createdAt": _iso(r.created_at),
                "earlierVersions": [
                    {"rating": e.rating, "body": e.body} for e in edits if e.review_id == r.id
                ],
            }
            for r in review_rows
        ],
        "meals": [
            {
                "mealId": s.meal_id,
                "status": s.status.value,
                "since": _iso(s.created_at),
                "title": s.meal.title,
                "restaurantId": s.meal.restaurant_id,
                "restaurantName": s.meal.restaurant.name,
                "startsAt": _iso(s.meal.starts_at),
            }
            for s in meals
        ],
        "claims": [
            {
                "id": c.id,
                "dealId": c.deal_id,
                "dealTitle": c.deal.title,
                "restaurantId": c.deal.restaurant_id,
                "restaurantName": c.deal.restaurant.name,
                "code": c.code if c.status in CODE_SHOWN else None,  # as the Claim type shows it
                "status": c.status.value,
                "amountCents": c.amount_cents,
                "billCents": c.bill_cents,
                "createdAt": _iso(c.created_at),
                "redeemedAt": _iso(c.redeemed_at),
            }
            for c in claims
        ],
        "following": list(await Follow.filter(follower_id=user.id).values_list("followee_id", flat=True)),
        "referralCreditsCents": sum(c.amount_cents for c in credits),
        **await _notifications_and_consents(user),
        **await _activity(user),
    }


def _local(at: datetime, zone: str) -> str:
    """A time as the restaurant's clock shows it, with its offset (UTC when the zone is unknown)."""
    try:
        return at.astimezone(ZoneInfo(zone or "UTC")).isoformat()
    except (KeyError, ValueError):
        return at.astimezone(UTC).isoformat()


async def _activity(user: User) -> dict[str, Any]:
    """Bookings, event places, messages, favourites, match requests, photos, blocks and meal
    ratings: one read per section (two for favourites and photos), each capped at EXPORT_CAP rows.
    Of other people only a display name is given, never their email, position or anything else."""
    cap = EXPORT_CAP
    booking_rows = (
        await Booking.filter(user_id=user.id).select_related("restaurant").order_by("id").limit(cap)
    )
    rsvps = (
        await EventRsvp.filter(user_id=user.id).select_related("event__restaurant").order_by("id").limit(cap)
    )
    messages = await Message.filter(sender_id=user.id).order_by("id").limit(cap)
    lists = await FavouriteList.filter(owner_id=user.id).order_by("id").limit(cap)
    items = (
        await FavouriteItem.filter(list__owner_id=user.id)
        .select_related("restaurant", "dish", "meal")
        .order_by("id")
        .limit(cap)
    )
    requests = (
        await MatchRequest.filter(Q(sender_id=user.id) | Q(recipient_id=user.id))
        .select_related("sender", "recipient")
        .order_by("id")
        .limit(cap)
    )
    photos = await Photo.filter(owner_id=user.id).order_by("id").limit(cap)
    in_reviews = set(
        await ReviewPhoto.filter(photo_id__in=[p.id for p in photos]).values_list("photo_id", flat=True)
    )
    blocks = await Block.filter(blocker_id=user.id).select_related("blocked").order_by("id").limit(cap)
    ratings = (
        await MealRating.filter(rater_id=user.id).select_related("meal", "target").order_by("id").limit(cap)
    )

    def item_name(item: FavouriteItem) -> str | None:
        target = item.restaurant or item.dish
        if target is not None:
            return target.name
        return item.meal.title if item.meal is not None else None

    def other(request: MatchRequest) -> User:
        return request.recipient if request.sender_id == user.id else request.sender

    return {
        "bookings": [
            {
                "id": b.id,
                "restaurantId": b.restaurant_id,
                "restaurantName": b.restaurant.name,
                "startsAt": _local(b.starts_at, b.restaurant.timezone),
                "partySize": b.party_size,
                "status": b.status.value,
                "note": b.note,
                "createdAt": _iso(b.created_at),
            }
            for b in booking_rows
        ],
        "eventPlaces": [
            {
                "eventId": r.event_id,
                "title": r.event.title,
                "restaurantId": r.event.restaurant_id,
                "restaurantName": r.event.restaurant.name,
                "startsAt": _local(r.event.starts_at, r.event.restaurant.timezone),
                "going": r.going,
                "since": _iso(r.created_at),
            }
            for r in rsvps
        ],
        "messagesSent": [
            {
                "id": m.id,
                "conversationId": m.conversation_id,
                "sentAt": _iso(m.created_at),
                "body": m.body,
                "photoId": m.photo_id,
                "visibility": m.visibility.value,
            }
            for m in messages
        ],
        "favouriteLists": [
            {
                "id": f.id,
                "name": f.name,
                "isDefault": f.is_default,
                "shared": f.share_token_hash is not None,
                "createdAt": _iso(f.created_at),
                "items": [
                    {
                        "kind": i.kind.value,
                        "id": i.restaurant_id or i.dish_id or i.meal_id,
                        "name": item_name(i),
                        "savedAt": _iso(i.created_at),
                    }
                    for i in items
                    if i.list_id == f.id
                ],
            }
            for f in lists
        ],
        "matchRequests": [
            {
                "direction": "sent" if r.sender_id == user.id else "received",
                "otherDisplayName": other(r).display_name,
                "status": r.status.value,
                "message": r.message,
                "createdAt": _iso(r.created_at),
                "respondedAt": _iso(r.responded_at),
            }
            for r in requests
        ],
        "photos": [
            {
                "id": p.id,
                "status": p.status.value,
                "visibility": p.visibility.value,
                "createdAt": _iso(p.created_at),
                "inReview": p.id in in_reviews,
            }
            for p in photos
        ],
        "blocks": [
            {"blockedDisplayName": b.blocked.display_name, "since": _iso(b.created_at)} for b in blocks
        ],
        "mealRatings": [
            {
                "mealId": r.meal_id,
                "mealTitle": r.meal.title,
                "aboutDisplayName": r.target.display_name if r.target is not None else None,
                "thumbsUp": r.thumbs_up,
                "tags": r.tags,
                "createdAt": _iso(r.created_at),
            }
            for r in ratings
        ],
    }


async def _notifications_and_consents(user: User) -> dict[str, Any]:
    preferences = await NotificationPreference.filter(user_id=user.id).order_by("kind")
    devices = await PushDevice.filter(user_id=user.id).order_by("id")
    consents = await LocationConsent.filter(user_id=user.id).order_by("id")
    return {
        "notificationPreferences": [{"kind": p.kind, "inApp": p.in_app, "push": p.push} for p in preferences],
        "pushDevices": [
            {"platform": d.platform.value, "registeredAt": _iso(d.registered_at)} for d in devices
        ],
        "locationConsents": [
            {
                "noticeVersion": c.notice_version,
                "grantedAt": _iso(c.granted_at),
                "withdrawnAt": _iso(c.withdrawn_at),
            }
            for c in consents
        ],
    }


async def delete_user(services: Services, user: User) -> dict[str, int]:
    """Erase the person, keep the aggregates. Returns what was removed, for the operator."""
    review_ids = list(await Review.filter(author_id=user.id).values_list("id", flat=True))
    for review_id in review_ids:  # leaves dish counts, lists and feeds like a removal
        await reviews.set_visibility(review_id, Visibility.REMOVED)
    # Seats and places go back through the paths leaving uses: counts freed, waitlists promoted,
    # guests of hosted meals told of the cancellation.
    await give_up_plans(Context(services=services), user.id)
    photos = await Photo.filter(owner_id=user.id)
    async with in_transaction("default"):
        await Review.filter(id__in=review_ids).delete()
        await HelpfulVote.filter(user_id=user.id).delete()
        # Seats leaving could not free (checked in at a meal under way) go with the row, so
        # `seatsTaken` stays the guests and offers listed.
        held = MealSeat.filter(
            user_id=user.id, status__in=[SeatStatus.JOINED, SeatStatus.OFFERED], meal__status=MealStatus.OPEN
        )
        for meal_id in await held.values_list("meal_id", flat=True):
            await SharedMeal.filter(id=meal_id).update(seats_taken=F("seats_taken") - 1)
        await MealSeat.filter(user_id=user.id).delete()
        await EventRsvp.filter(user_id=user.id).delete()
        await Follow.filter(Q(follower_id=user.id) | Q(followee_id=user.id)).delete()
        await Block.filter(Q(blocker_id=user.id) | Q(blocked_id=user.id)).delete()
        await MatchRequest.filter(Q(sender_id=user.id) | Q(recipient_id=user.id)).delete()
        await Notification.filter(Q(user_id=user.id) | Q(actor_id=user.id)).delete()
        await NotificationPreference.filter(user_id=user.id).delete()
        await PushDevice.filter(user_id=user.id).delete()
        await LocationConsent.filter(user_id=user.id).delete()
        await Photo.filter(owner_id=user.id).delete()
        await User.filter(id=user.id).update(
            email=f"deleted-{user.id}-{secrets.token_hex(4)}@deleted.invalid",
            display_name=DELETED_NAME,
            password_hash="!",  # matches no password
            bio="",
            cuisines=[],
            dietary=[],
            spice_level=None,
            budget_level=None,
            lat=None,
            lng=None,
            location_updated_at=None,
            discoverable=False,
            suspended_until=FAR_FUTURE,
            token_version=user.token_version + 1,
        )
    await end_all_sessions(services, user.id)  # sign out every device; sockets close everywhere
    await services.geo.remove(DINER_KIND, user.id)
    for photo in photos:
        for key in (photo.key, photo.thumbnail_key, photo.upload_key):
            if key:
                await services.storage.delete(key)
    return {"reviews": len(review_ids), "photos": len(photos)}
