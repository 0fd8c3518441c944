"""The feed: reviews, meals and events of followed diners and of restaurants near the viewer.

Content is published as a FeedEntry when it appears (inside the creating transaction); reading
is one indexed query over entries, newest first, with keyset cursors, so pages never repeat.
"""

from __future__ import annotations

from tortoise.expressions import Q

from core.context import Context
from core.pagination import Page, newest_first
from core.replica import read_db
from models.feed import FeedEntry
from models.foodies import Follow
from resolvers import visibility

NEARBY_KM = 10.0
NEARBY_RESTAURANTS = 500
RESTAURANT_KIND = "restaurant"


async def publish(
    kind: str, object_id: int, actor_id: int | None, restaurant_id: int | None, audience: str = "public"
) -> None:
    await FeedEntry.create(
        kind=kind, object_id=object_id, actor_id=actor_id, restaurant_id=restaurant_id, audience=audience
    )


async def set_visible(kind: str, object_id: int, visible: bool) -> None:
    """Moderation and deletion hide the entry with the content."""
    await FeedEntry.filter(kind=kind, object_id=object_id).update(visible=visible)


async def feed_page(ctx: Context, first: int | None, after: str | None) -> Page[FeedEntry]:
    viewer = ctx.require_viewer()
    db = read_db(ctx)
    followed = await Follow.filter(follower_id=viewer.id).using_db(db).values_list("followee_id", flat=True)
    audience = Q(actor_id__in=[viewer.id, *followed])
    if viewer.lat is not None and viewer.lng is not None:
        hits = await ctx.services.geo.within(
            RESTAURANT_KIND, viewer.lat, viewer.lng, NEARBY_KM, limit=NEARBY_RESTAURANTS
        )
        if hits:
            audience |= Q(restaurant_id__in=[h.object_id for h in hits], audience="public")
    query = FeedEntry.filter(audience, await visibility.feed_q(ctx)).using_db(db)
    return await newest_first(query, first, after)
