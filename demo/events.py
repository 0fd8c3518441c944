"""seed-demo step: upcoming restaurant events (tastings, festivals, classes) with some places
taken, so eventsNearby, the feed and event-sourced deals have something to show."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from demo.seed import SeedState
from models.meals import EventRsvp, RestaurantEvent
from models.restaurants import Restaurant
from resolvers import feed
from resolvers.meals.events import FEED_KIND

ZONE = ZoneInfo("Asia/Shanghai")
# (title, description, tags, hours, capacity, price in yuan: paid at the restaurant, 到店付)
EVENTS = (
    ("新品试吃会", "主厨新菜抢先尝，现场打分，好评的菜下月上新。", ["tasting"], 2, 20, 0),
    ("周末火锅节", "锅底半价，现场川剧变脸表演。", ["festival", "hotpot"], 3, 60, 0),
    ("手工饺子课", "跟老师傅学包钟水饺，做好的带回家。", ["class"], 2, 12, 68),
    ("精酿啤酒配烧烤之夜", "五款本地精酿，配店里招牌烤串。", ["drinks", "bbq"], 3, 30, 98),
    ("素食养生讲座", "营养师讲四季素食搭配，附赠素斋。", ["talk", "vegetarian"], 2, 25, 0),
)


async def seed(state: SeedState, places: int = 10) -> None:
    rng, diners = state.rng, state.diners
    restaurants = await Restaurant.all().order_by("-id").limit(places)
    for i, restaurant in enumerate(restaurants):
        title, description, tags, hours, capacity, yuan = EVENTS[i % len(EVENTS)]
        day = datetime.now(ZONE).date() + timedelta(days=rng.randint(2, 14))
        starts = datetime.combine(day, time(rng.choice((14, 18, 19))), ZONE).astimezone(UTC)
        going = rng.sample(diners, min(len(diners), rng.randint(0, capacity // 2)))
        event = await RestaurantEvent.create(
            restaurant_id=restaurant.id,
            created_by_id=restaurant.owner_id,
            title=title,
            description=description,
            starts_at=starts,
            ends_at=starts + timedelta(hours=hours),
            capacity=capacity,
            seats_taken=len(going),
            price_cents=yuan * 100,
            tags=tags,
        )
        await EventRsvp.bulk_create([EventRsvp(event_id=event.id, user_id=diner.id) for diner in going])
        await feed.publish(FEED_KIND, event.id, None, restaurant.id)
