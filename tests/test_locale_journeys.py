"""A Chinese app speaks Chinese: notification settings, favourite list names and 24小时营业 hours,
each through the GraphQL endpoint (both backends)."""

from __future__ import annotations

import asyncio
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from resolvers.notifications.kinds import KINDS
from tests.helpers import gql, open_restaurant, random_spot, register

HAN = re.compile(r"[\u4e00-\u9fff]")

# ------------------------------------------------------------------ notification preferences

PREFS = "{ notificationPreferences { kind description descriptionEn inApp push } }"
SET_PREF = """mutation($k: String!, $i: Boolean) { setNotificationPreference(kind: $k, inApp: $i) {
  preference { kind description descriptionEn inApp } errors { field code } } }"""


async def test_notification_settings_are_described_in_chinese_with_english_alongside(client):
    diner, _, _ = await register(client, name="小王")
    prefs = (await gql(client, PREFS, token=diner))["data"]["notificationPreferences"]
    assert [p["kind"] for p in prefs] == list(KINDS)  # every kind, in the registry's order
    by_kind = {p["kind"]: p for p in prefs}
    assert by_kind["new_follower"]["description"] == "有人关注了你"
    assert by_kind["new_follower"]["descriptionEn"] == "Someone followed you"
    assert by_kind["helpful_vote"]["description"] == "有人觉得你的点评有用"
    for p in prefs:
        assert HAN.search(p["description"]), p  # Chinese first
        assert p["descriptionEn"].isascii() and p["descriptionEn"][0].isupper(), p
        assert p["description"] != p["descriptionEn"]
    assert len({p["description"] for p in prefs}) == len(prefs)  # no two kinds read the same

    off = await gql(client, SET_PREF, {"k": "reservation_confirmed", "i": False}, diner)
    payload = off["data"]["setNotificationPreference"]
    assert payload["errors"] == []
    assert payload["preference"] == {
        "kind": "reservation_confirmed",
        "description": "你的饭局订座被餐厅确认",
        "descriptionEn": "The restaurant confirmed the table for your meal",
        "inApp": False,
    }


# ------------------------------------------------------------------ favourite list names

SAVE = """mutation($t: ID!) { saveFavourite(targetId: $t) { list { id name isDefault } errors { field code } } }"""
CREATE = """mutation($n: String!) { createFavouriteList(name: $n) { list { id name }
  errors { field code message } } }"""
RENAME = """mutation($l: ID!, $n: String!) { renameFavouriteList(listId: $l, name: $n) { list { name }
  errors { field code message } } }"""
MINE = "{ myFavouriteLists(first: 50) { totalCount edges { node { name isDefault } } } }"


def errors(body, name):
    return [(e["field"], e["code"]) for e in body["data"][name]["errors"]]


async def test_default_list_is_chinese_and_names_are_unique_per_owner(client):
    _, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client, name="吃货")
    other, _, _ = await register(client, name="路人")

    saved = (await gql(client, SAVE, {"t": restaurant}, diner))["data"]["saveFavourite"]
    assert saved["errors"] == [] and saved["list"]["isDefault"] and saved["list"]["name"] == "默认收藏"

    made = (await gql(client, CREATE, {"n": "周末火锅"}, diner))["data"]["createFavouriteList"]
    assert made["errors"] == []
    date_night = (await gql(client, CREATE, {"n": "Date Night"}, diner))["data"]["createFavouriteList"]
    assert date_night["errors"] == []

    # The same name again, trimmed, in another case or full-width: DUPLICATE on `name`.
    for name in (" 周末火锅 ", "默认收藏", "date night", "DATE NIGHT", "Ｄａｔｅ Ｎｉｇｈｔ"):
        body = await gql(client, CREATE, {"n": name}, diner)
        assert errors(body, "createFavouriteList") == [("name", "DUPLICATE")], name
        assert body["data"]["createFavouriteList"]["list"] is None
    # Another person may use the same name.
    theirs = (await gql(client, CREATE, {"n": "周末火锅"}, other))["data"]["createFavouriteList"]
    assert theirs["errors"] == []

    # Renaming onto another list's name is refused; onto its own name (another case) is fine.
    refused = await gql(client, RENAME, {"l": date_night["list"]["id"], "n": "周末火锅"}, diner)
    assert errors(refused, "renameFavouriteList") == [("name", "DUPLICATE")]
    same = await gql(client, RENAME, {"l": date_night["list"]["id"], "n": "date night"}, diner)
    assert same["data"]["renameFavouriteList"] == {"list": {"name": "date night"}, "errors": []}

    # An empty name says what is missing.
    for name in ("", "   "):
        body = await gql(client, CREATE, {"n": name}, diner)
        (error,) = body["data"]["createFavouriteList"]["errors"]
        assert (error["field"], error["code"], error["message"]) == ("name", "INVALID", "Name is required")
        body = await gql(client, RENAME, {"l": made["list"]["id"], "n": name}, diner)
        assert body["data"]["renameFavouriteList"]["errors"][0]["message"] == "Name is required"

    names = sorted(
        e["node"]["name"] for e in (await gql(client, MINE, token=diner))["data"]["myFavouriteLists"]["edges"]
    )
    assert names == sorted(["默认收藏", "周末火锅", "date night"])


async def test_parallel_creates_and_renames_of_one_name_leave_one_list(client):
    diner, _, _ = await register(client, name="吃货")
    answers = await asyncio.gather(*(gql(client, CREATE, {"n": "夜宵"}, diner) for _ in range(6)))
    outcomes = sorted(
        "ok" if not a["data"]["createFavouriteList"]["errors"] else errors(a, "createFavouriteList")[0][1]
        for a in answers
    )
    assert outcomes == ["DUPLICATE"] * 5 + ["ok"]

    lists = []
    for name in ("早茶", "小吃", "甜品"):
        lists.append(
            (await gql(client, CREATE, {"n": name}, diner))["data"]["createFavouriteList"]["list"]["id"]
        )
    renamed = await asyncio.gather(*(gql(client, RENAME, {"l": pk, "n": "Brunch"}, diner) for pk in lists))
    assert sorted(len(r["data"]["renameFavouriteList"]["errors"]) for r in renamed) == [0, 1, 1]

    names = [
        e["node"]["name"] for e in (await gql(client, MINE, token=diner))["data"]["myFavouriteLists"]["edges"]
    ]
    assert sorted(names).count("夜宵") == 1 and names.count("Brunch") == 1 and len(names) == 4


async def test_a_named_list_called_like_the_default_does_not_clash_with_it(client):
    _, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client, name="吃货")
    assert (await gql(client, CREATE, {"n": "默认收藏"}, diner))["data"]["createFavouriteList"][
        "errors"
    ] == []
    saved = (await gql(client, SAVE, {"t": restaurant}, diner))["data"]["saveFavourite"]
    assert saved["list"] == {"id": saved["list"]["id"], "name": "默认收藏 2", "isDefault": True}


# ------------------------------------------------------------------ 24小时营业

SET_HOURS = """
mutation($r: ID!, $i: OpeningHoursInput!) { setOpeningHours(restaurantId: $r, input: $i) {
  restaurant { openNow opensAt openingHours { weekly { weekday opens closes } specials { date ranges { opens closes } } } }
  errors { field code message } } }
"""
OPEN_NOW = """query($q: String!, $lat: Float, $lng: Float) {
  searchRestaurants(query: $q, lat: $lat, lng: $lng, radiusKm: 2, openNow: true) { edges { node { id } } } }"""


def week(opens: str, closes: str) -> list[dict]:
    return [{"weekday": d, "opens": opens, "closes": closes} for d in range(7)]


async def test_open_all_day_is_00_00_to_00_00(client):
    lat, lng = random_spot()
    owner, rid = await open_restaurant(client, lat, lng, name="二十四小时便利面馆")
    body = await gql(
        client,
        SET_HOURS,
        {"r": rid, "i": {"timezone": "Asia/Shanghai", "weekly": week("00:00", "00:00")}},
        owner,
    )
    payload = body["data"]["setOpeningHours"]
    assert payload["errors"] == []
    restaurant = payload["restaurant"]
    assert restaurant["openNow"] is True and restaurant["opensAt"] is None
    assert restaurant["openingHours"]["weekly"] == week("00:00", "00:00")  # read back as written
    found = await gql(client, OPEN_NOW, {"q": "面馆", "lat": lat, "lng": lng})
    assert [e["node"]["id"] for e in found["data"]["searchRestaurants"]["edges"]] == [rid]

    # A special day may be open all day too; tomorrow only, closed the rest of the week.
    tomorrow = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(1)).date().isoformat()
    special = {
        "weekly": [],
        "specials": [{"date": tomorrow, "ranges": [{"opens": "00:00", "closes": "00:00"}]}],
    }
    restaurant = (await gql(client, SET_HOURS, {"r": rid, "i": special}, owner))["data"]["setOpeningHours"][
        "restaurant"
    ]
    assert restaurant["openNow"] is False
    assert restaurant["opensAt"] == f"{tomorrow}T00:00:00+08:00"


async def test_bad_ranges_name_their_index_and_say_what_is_wrong(client):
    owner, rid = await open_restaurant(client, *random_spot())

    async def refused(given):
        body = await gql(client, SET_HOURS, {"r": rid, "i": given}, owner)
        payload = body["data"]["setOpeningHours"]
        assert payload["restaurant"] is None
        return [(e["field"], e["code"], e["message"]) for e in payload["errors"]]

    same = await refused({"weekly": week("09:00", "09:00")})
    assert [f for f, _, _ in same] == [f"weekly.{d}" for d in range(7)]  # one per range, each named
    assert {c for _, c, _ in same} == {"INVALID_TIME_RANGE"}
    assert "closes must differ from opens, except 00:00–00:00 for open all day" in same[0][2]

    lunch_and_dinner = [
        {"weekday": 2, "opens": "11:00", "closes": "14:00"},
        {"weekday": 2, "opens": "13:00", "closes": "21:00"},
    ]
    ((field, code, message),) = await refused({"weekly": lunch_and_dinner})
    assert (field, code) == ("weekly.1", "INVALID_TIME_RANGE")
    assert "Wednesday 13:00–21:00 overlaps Wednesday 11:00–14:00 (weekly.0)" in message

    # Past midnight into the next day counts; so does a whole day.
    late = [
        {"weekday": 4, "opens": "18:00", "closes": "02:00"},
        {"weekday": 5, "opens": "01:00", "closes": "03:00"},
    ]
    assert [f for f, _, _ in await refused({"weekly": late})] == ["weekly.1"]
    all_day_and_lunch = [
        {"weekday": 0, "opens": "11:00", "closes": "14:00"},
        {"weekday": 0, "opens": "00:00", "closes": "00:00"},
    ]
    assert [f for f, _, _ in await refused({"weekly": all_day_and_lunch})] == ["weekly.1"]

    day = (datetime.now(ZoneInfo("Asia/Shanghai")) + timedelta(3)).date().isoformat()
    twice = [
        {"opens": "10:00", "closes": "15:00"},
        {"opens": "10:00", "closes": "10:00"},
        {"opens": "12:00", "closes": "13:00"},
    ]
    found = await refused({"weekly": [], "specials": [{"date": day, "ranges": twice}]})
    assert [(f, c) for f, c, _ in found] == [
        ("specials.0.ranges.1", "INVALID_TIME_RANGE"),
        ("specials.0.ranges.2", "INVALID_TIME_RANGE"),
    ]

    # Touching ranges are fine: lunch until 14:00, dinner from 14:00, and a late night.
    fine = [
        {"weekday": 2, "opens": "11:00", "closes": "14:00"},
        {"weekday": 2, "opens": "14:00", "closes": "21:00"},
        {"weekday": 6, "opens": "22:00", "closes": "00:00"},
        {"weekday": 0, "opens": "00:00", "closes": "00:00"},
    ]
    body = await gql(client, SET_HOURS, {"r": rid, "i": {"weekly": fine}}, owner)
    assert body["data"]["setOpeningHours"]["errors"] == []
