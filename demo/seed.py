"""seed-demo: a realistic, deterministic demo city (Chengdu-centred) for `make run`."""

from __future__ import annotations

import importlib
import importlib.util
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

from tqdm import tqdm

from core.context import Services
from geo.privacy import obfuscate
from models.accounts import Role, User
from models.privacy import LocationConsent
from resolvers.accounts.accounts import DINER_KIND
from resolvers.foodies.tastes import CUISINES, DIETARY

CITY_CENTRE = (30.6586, 104.0648)  # 成都 天府广场
NEIGHBOURHOODS = [  # (lat, lng, weight): diners cluster where people live and eat
    (30.6586, 104.0648, 5),
    (30.6723, 104.0437, 3),
    (30.6398, 104.0823, 3),
    (30.5728, 104.0668, 4),
    (30.6920, 104.1092, 2),
    (30.6280, 104.0290, 2),
    (30.5432, 104.0648, 2),
    (30.7010, 104.0520, 1),
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "小雨",
    "欣怡",
    "子涵",
    "浩然",
    "梓萱",
    "一诺",
    "思远",
    "嘉怡",
]
BIOS = [
    "爱吃辣，周末探店",
    "寻找一起吃火锅的朋友",
    "美食博主，专注苍蝇馆子",
    "Coffee and dumplings, always",
    "只吃素，但很能吃",
    "新搬来成都，想认识吃货",
    "烧烤+啤酒=快乐",
    "甜品控 🍰",
    "",
]
DEMO_PASSWORD = "tablemates-demo"


@dataclass
class SeedState:
    """What earlier seed steps made, for later steps (restaurants, reviews...) to use."""

    rng: random.Random
    services: Services
    diners: list[User] = field(default_factory=list)
    extra: dict[str, object] = field(default_factory=dict)


def city_point(rng: random.Random) -> tuple[float, float]:
    lat, lng, _ = rng.choices(NEIGHBOURHOODS, weights=[w for *_, w in NEIGHBOURHOODS])[0]
    return lat + rng.gauss(0, 0.018), lng + rng.gauss(0, 0.022)


async def seed_demo(
    services: Services, seed: int = 7, diners: int = 400, only_if_empty: bool = False
) -> bool:
    """Seed once: a database already holding the demo city (or, with only_if_empty, any user)
    is left alone, so running it twice is harmless."""
    if only_if_empty and await User.exists():
        return False
    if await User.filter(email__endswith="@demo.tablemates.cn").exists():
        return False
    state = SeedState(rng=random.Random(seed), services=services)
    await _seed_diners(state, diners)
    steps = ("foodies", "restaurants", "reviews", "meals", "events", "deals", "moderation", "tables", "trust")
    for domain in (*steps, "favourites"):
        module_name = f"demo.{domain}"
        if importlib.util.find_spec(module_name):
            await importlib.import_module(module_name).seed(state)
    return True


async def _seed_diners(state: SeedState, count: int) -> None:
    rng = state.rng
    password_hash = await state.services.passwords.hash(DEMO_PASSWORD)
    cuisines, dietary = list(CUISINES), list(DIETARY)
    for i in tqdm(range(count), desc="diners", unit="diner"):
        lat, lng = city_point(rng)
        user = await User.create(
            email=f"diner{i:04d}@demo.tablemates.cn",
            password_hash=password_hash,
            display_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            role=Role.DINER,
            bio=rng.choice(BIOS),
            cuisines=rng.sample(cuisines, rng.randint(1, 5)),
            dietary=rng.sample(dietary, rng.choice([0, 0, 0, 1, 2])),
            spice_level=rng.randint(0, 5),
            budget_level=rng.randint(1, 4),
            lat=lat,
            lng=lng,
            discoverable=rng.random() > 0.05,
        )
        if user.discoverable:
            point = obfuscate(lat, lng, user.id, secret=state.services.settings.secret_key)
            await state.services.geo.upsert(DINER_KIND, user.id, *point)
        state.diners.append(user)
    # Demo diners share a location, so each consented (PIPL) to the notice in force.
    notice, now = state.services.settings.location_notice_version, datetime.now(UTC)
    await LocationConsent.bulk_create(
        [LocationConsent(user_id=u.id, notice_version=notice, granted_at=now) for u in state.diners]
    )
