"""seed-demo step helper: opening hours by kind of place (late hotpot and BBQ run past midnight),
a few weekly rest days, and holiday closures and hours around the Spring Festival."""

from __future__ import annotations

from datetime import date, timedelta

from models.hours import OpeningHours

H = 60
# kind suffix -> (opens, closes) in minutes; closes <= opens runs past midnight
HOURS = {
    "火锅": (11 * H, 2 * H),
    "川菜馆": (10 * H + 30, 21 * H + 30),
    "串串香": (17 * H, 2 * H),
    "面馆": (6 * H + 30, 14 * H),
    "烧烤": (18 * H, 3 * H),
    "茶餐厅": (7 * H, 22 * H),
    "日料": (11 * H + 30, 22 * H),
    "咖啡": (8 * H, 20 * H),
    "素食馆": (10 * H, 21 * H),
}


def _specials(i: int, today: date) -> dict[str, dict]:
    if i % 4 == 0:  # closed for a week of the Spring Festival
        start = date(today.year + (today.month > 2), 2, 16)
        return {(start + timedelta(d)).isoformat(): {"ranges": [], "note": "春节休息"} for d in range(7)}
    if i % 4 == 1:  # short hours tomorrow
        short = {"ranges": [[12 * H, 18 * H]], "note": "店庆，营业时间调整"}
        return {(today + timedelta(1)).isoformat(): short}
    return {}


async def seed_hours(restaurant_id: int, i: int, suffix: str, today: date) -> None:
    opens, closes = HOURS.get(suffix, (10 * H, 22 * H))
    rest_day = i % 7 if i % 3 == 0 else None  # a third of places rest one weekday
    weekly = [[day, opens, closes] for day in range(7) if day != rest_day]
    await OpeningHours.create(restaurant_id=restaurant_id, weekly=weekly, specials=_specials(i, today))
