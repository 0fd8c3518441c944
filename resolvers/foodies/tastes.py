"""The curated taste vocabulary: cuisine and dietary tags the app understands.

Tags are stable English slugs (clients localise them); `label_zh` is the Chinese label the
app shows by default.
"""

from __future__ import annotations

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
