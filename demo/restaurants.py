"""seed-demo step: restaurants with menus around the demo city, each with an owner account."""

from __future__ import annotations

from datetime import date

from tqdm import tqdm

from demo.hours import seed_hours
from demo.seed import DEMO_PASSWORD, SeedState, city_point
from models.accounts import Role, User
from models.restaurants import Dish, Restaurant, RestaurantStaff, StaffRole
from resolvers.restaurants.restaurants import RESTAURANT_KIND, search_text
from resolvers.search.index import reindex_restaurant

# (name suffix, cuisines, dishes with prices in yuan)
KINDS = [
    ("火锅", ["hotpot", "sichuan"], [("毛肚", 38), ("鸭肠", 28), ("黄喉", 32), ("嫩牛肉", 42), ("冰粉", 8)]),
    ("川菜馆", ["sichuan"], [("麻婆豆腐", 22), ("回锅肉", 36), ("宫保鸡丁", 32), ("水煮鱼", 68)]),
    ("串串香", ["street_food", "sichuan"], [("牛肉串", 2), ("藕片", 1), ("郡肝", 2), ("脑花", 12)]),
    ("面馆", ["noodles"], [("担担面", 14), ("牛肉面", 18), ("燃面", 12), ("甜水面", 10)]),
    ("烧烤", ["bbq"], [("羊肉串", 3), ("烤脑花", 15), ("烤茄子", 12), ("烤苕皮", 6)]),
    ("茶餐厅", ["cantonese", "dim_sum"], [("虾饺", 26), ("叉烧包", 18), ("菠萝油", 16), ("丝袜奶茶", 15)]),
    ("日料", ["japanese"], [("三文鱼刺身", 68), ("鳗鱼饭", 58), ("豚骨拉面", 42)]),
    ("咖啡", ["coffee", "desserts"], [("拿铁", 28), ("手冲", 35), ("巴斯克蛋糕", 32)]),
    ("素食馆", ["vegetarian"], [("素三鲜", 28), ("香菇菜心", 24), ("罗汉斋", 36)]),
]
PREFIXES = [
    "蜀大侠",
    "小龙坎",
    "老码头",
    "陈麻婆",
    "钟水饺",
    "龙抄手",
    "谭鸭血",
    "皇城老妈",
    "马旺子",
    "玉林",
    "宽窄",
    "锦里",
    "春熙",
    "太古",
    "望江",
    "九眼桥",
]
STREETS = ["锦江区春熙路", "青羊区宽窄巷子", "武侯区玉林路", "高新区天府大道", "成华区建设路", "金牛区茶店子"]


async def seed(state: SeedState, count: int = 48) -> None:
    rng, geo = state.rng, state.services.geo
    password_hash = await state.services.passwords.hash(DEMO_PASSWORD)
    restaurants: list[Restaurant] = []
    taken: set[str] = set()
    for i in tqdm(range(count), desc="restaurants", unit="restaurant"):
        owner = await User.create(
            email=f"owner{i:03d}@demo.tablemates.cn",
            password_hash=password_hash,
            display_name=f"老板{i:03d}",
            role=Role.RESTAURANT,
        )
        suffix, cuisines, menu = KINDS[i % len(KINDS)]
        name = f"{rng.choice(PREFIXES)}{suffix}"
        street = rng.choice(STREETS)
        address = f"{street}{rng.randint(1, 300)}号"
        if name in taken:  # a second branch of a chain is named by its street, as Dianping lists them
            name = f"{name}（{street[3:]}店）"
        taken.add(name)
        lat, lng = city_point(rng)
        restaurant = await Restaurant.create(
            owner_id=owner.id,
            name=name,
            address=address,
            lat=lat,
            lng=lng,
            cuisines=cuisines,
            search_text=search_text(name, address, cuisines),
        )
        await RestaurantStaff.create(restaurant_id=restaurant.id, user_id=owner.id, role=StaffRole.OWNER)
        await geo.upsert(RESTAURANT_KIND, restaurant.id, lat, lng)
        await Dish.bulk_create(
            [Dish(restaurant_id=restaurant.id, name=dish, price_cents=yuan * 100) for dish, yuan in menu]
        )
        await reindex_restaurant(restaurant.id)  # searchable names (issue 15)
        await seed_hours(restaurant.id, i, suffix, date.today())
        restaurants.append(restaurant)
    state.extra["restaurants"] = restaurants
