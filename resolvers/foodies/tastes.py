"""The curated taste vocabulary: cuisine and dietary tags the app understands.

Tags are stable English slugs (clients localise them); `label_zh` is the Chinese label the
app shows by default. Wherever a client gives tags (profile tastes, a restaurant's cuisines,
search) it may write the slug (hotpot) or the Chinese label (火锅), in any case or width: both
are stored and answered as the slug.
"""

from __future__ import annotations

import unicodedata

CUISINES: dict[str, str] = {
    "sichuan": "川菜",
    "cantonese": "粤菜",
    "hunan": "湘菜",
    "shandong": "鲁菜",
    "jiangsu": "苏菜",
    "zhejiang": "浙菜",
    "fujian": "闽菜",
    "anhui": "徽菜",
    "hotpot": "火锅",
    "bbq": "烧烤",
    "dim_sum": "早茶点心",
    "noodles": "面食",
    "dumplings": "饺子",
    "street_food": "小吃",
    "xinjiang": "新疆菜",
    "northeastern": "东北菜",
    "yunnan": "云南菜",
    "shanghainese": "本帮菜",
    "beijing": "京菜",
    "seafood": "海鲜",
    "vegetarian": "素食",
    "japanese": "日料",
    "korean": "韩餐",
    "thai": "泰国菜",
    "vietnamese": "越南菜",
    "indian": "印度菜",
    "western": "西餐",
    "italian": "意大利菜",
    "french": "法餐",
    "american": "美式",
    "mexican": "墨西哥菜",
    "middle_eastern": "中东菜",
    "desserts": "甜品",
    "bakery": "烘焙",
    "coffee": "咖啡",
    "tea": "茶饮",
    "bar": "酒吧",
    "fast_food": "快餐",
}

DIETARY: dict[str, str] = {
    "vegetarian": "素食",
    "vegan": "纯素",
    "halal": "清真",
    "kosher": "犹太洁食",
    "gluten_free": "无麸质",
    "lactose_free": "无乳糖",
    "nut_allergy": "坚果过敏",
    "seafood_allergy": "海鲜过敏",
    "no_pork": "不吃猪肉",
    "no_beef": "不吃牛肉",
    "low_sugar": "低糖",
}

MAX_TAGS = 12
SPICE_RANGE = (0, 5)
BUDGET_RANGE = (1, 4)


def fold(text: str) -> str:
    """One spelling of a tag as a person types it: full-width, case, spaces and dashes folded."""
    return unicodedata.normalize("NFKC", text).casefold().strip().replace("-", "_").replace(" ", "_")


def by_name(vocabulary: dict[str, str]) -> dict[str, str]:
    """The vocabulary's tags by every name they are asked by: the slug and the Chinese label."""
    return {fold(name): tag for tag, label in vocabulary.items() for name in (tag, label)}


CUISINE_BY_NAME = by_name(CUISINES)
DIETARY_BY_NAME = by_name(DIETARY)


SHOWN_UNKNOWN = 10  # an error names at most this many unknown tags...
SHOWN_UNKNOWN_CHARS = 32  # ...each cut to this length: the message never echoes a whole body back


def known_tags(given: list[str], names: dict[str, str]) -> tuple[list[str], list[str]]:
    """The tags `given` names, without repeats and in their order, and what named none (each
    once, at most SHOWN_UNKNOWN of them and cut short, then "…" and how many more: what an error
    message names; 1 000 copies of one typo used to be named 1 000 times)."""
    tags: dict[str, None] = {}
    unknown: dict[str, None] = {}
    for name in given:
        tag = names.get(fold(name))
        if tag is None:
            shown = name.strip()
            unknown[shown if len(shown) <= SHOWN_UNKNOWN_CHARS else shown[:SHOWN_UNKNOWN_CHARS] + "…"] = None
        else:
            tags[tag] = None
    named = list(unknown)
    if len(named) > SHOWN_UNKNOWN:
        named = [*named[:SHOWN_UNKNOWN], f"… (+{len(named) - SHOWN_UNKNOWN})"]
    return list(tags), named
