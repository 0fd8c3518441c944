"""seed-demo step: diners follow each other and review dishes (so feeds have something)."""

from __future__ import annotations

from tqdm import tqdm

from demo.seed import SeedState
from models.foodies import Follow
from models.restaurants import Dish
from models.reviews import Review
from resolvers import feed
from resolvers.reviews.reviews import FEED_KIND

LINES = {
    5: ["绝了！必须再来", "锅底香，服务好，强烈推荐", "Best thing I ate this month", "排队一小时也值得"],
    4: ["味道不错，就是有点咸", "分量足，性价比高", "Solid, would come back", "环境一般但好吃"],
    3: ["中规中矩", "还行吧，没有想象中惊艳", "OK, nothing special"],
    2: ["偏贵，味道一般", "上菜太慢了"],
    1: ["踩雷了", "Not fresh, disappointed"],
}


async def seed(state: SeedState, reviews: int = 300) -> None:
    rng, diners = state.rng, state.diners
    if not diners:
        return
    follows = {(a.id, b.id) for a in diners for b in rng.sample(diners, min(8, len(diners))) if a.id != b.id}
    await Follow.bulk_create([Follow(follower_id=a, followee_id=b) for a, b in sorted(follows)])
    dishes = await Dish.all().order_by("id")
    if not dishes:
        return
    written: set[tuple[int, int]] = set()
    for _ in tqdm(range(reviews), desc="reviews", unit="review"):
        author, dish = rng.choice(diners), rng.choice(dishes)
        if (author.id, dish.id) in written:
            continue
        written.add((author.id, dish.id))
        rating = rng.choices([5, 4, 3, 2, 1], weights=[35, 35, 15, 10, 5])[0]
        review = await Review.create(
            author_id=author.id,
            dish_id=dish.id,
            restaurant_id=dish.restaurant_id,
            rating=rating,
            body=rng.choice(LINES[rating]),
            helpful_count=0,
        )
        dish.rating_sum += rating
        dish.review_count += 1
        await dish.save(update_fields=["rating_sum", "review_count"])
        await feed.publish(FEED_KIND, review.id, author.id, dish.restaurant_id)
