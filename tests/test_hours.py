"""Opening hours: properties of the pure logic (hypothesis), then the API on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ErrorCode, UserInputError
from resolvers.restaurants.hours import ALL_DAY, DAY, Schedule, is_open, opens_at
from resolvers.restaurants.opening import WeeklyRange, check_hours, clock
from tests.helpers import gql, open_restaurant, random_spot, register

ZONES = ("Asia/Shanghai", "America/New_York", "Europe/Berlin")
QUARTERS = st.integers(0, DAY // 15).map(lambda q: q * 15)
PARTIAL = st.tuples(QUARTERS, QUARTERS).filter(lambda r: r[0] != r[1] and r[0] < DAY)
# One range in ten is 00:00-00:00, open all day (24小时营业).
RANGES = st.integers(0, 9).flatmap(lambda n: st.just(ALL_DAY) if n == 0 else PARTIAL)
WEEKLY = st.lists(st.tuples(st.integers(0, 6), RANGES).map(lambda t: (t[0], *t[1])), max_size=6)
INSTANTS = st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 31)).map(lambda d: d.replace(tzinfo=UTC))


def week_minutes(weekly: tuple[tuple[int, int, int], ...]) -> set[int]:
    """Oracle: the open minutes of a week (0 = Monday 00:00), ranges wrapping past midnight
    (and past Sunday) laid out on a 7-day ring."""
    minutes: set[int] = set()
    for day, opens, closes in weekly:
        length = (closes - opens) if closes > opens else (DAY - opens + closes)
        start = day * DAY + opens
        minutes.update((start + i) % (7 * DAY) for i in range(length))
    return minutes


@settings(max_examples=150, deadline=None)
@given(weekly=WEEKLY, at=INSTANTS, zone=st.sampled_from(ZONES))
def test_open_now_matches_the_week_ring(weekly, at, zone):
    schedule = Schedule(tuple(weekly))
    local = at.astimezone(ZoneInfo(zone))
    minute = local.weekday() * DAY + local.hour * 60 + local.minute
    assert is_open(schedule, zone, at) == (minute in week_minutes(schedule.weekly))


@settings(max_examples=60, deadline=None)
@given(weekly=WEEKLY, at=INSTANTS, zone=st.sampled_from(ZONES))
def test_opens_at_is_the_first_open_quarter_hour(weekly, at, zone):
    schedule = Schedule(tuple(weekly))
    at = at.replace(second=0, microsecond=0)
    found = opens_at(schedule, zone, at)
    if is_open(schedule, zone, at):
        assert found is None
        return
    step = at + timedelta(minutes=15 - at.minute % 15)
    first = None
    while step < at + timedelta(days=8):
        if is_open(schedule, zone, step):
            first = step
            break
        step += timedelta(minutes=15)
    if first is None:
        assert found is None
    else:
        assert found == first, (found, first)


@settings(max_examples=200, deadline=None)
@given(weekly=WEEKLY)
def test_validation_refuses_exactly_the_weeks_whose_ranges_overlap(weekly):
    """Accepted iff no minute of the week ring is covered twice; each refusal names a range."""
    ranges = [WeeklyRange(clock(o), clock(c), d) for d, o, c in weekly]
    covered = sum(len(week_minutes((w,))) for w in weekly)
    disjoint = covered == len(week_minutes(tuple(weekly)))
    try:
        rows, _ = check_hours(None, ranges, [], date(2025, 1, 1))
    except UserInputError as error:
        assert not disjoint, error.errors
        for field, code, message in error.errors:
            assert field is not None and field.startswith("weekly.") and code == ErrorCode.INVALID_TIME_RANGE
            assert "overlap" in message
    else:
        assert disjoint and rows == [list(w) for w in weekly]


def test_open_all_day_is_never_closed_and_never_opens():
    zone = "Asia/Shanghai"
    schedule = Schedule(tuple((d, *ALL_DAY) for d in range(7)))
    start = datetime(2025, 1, 6, tzinfo=ZoneInfo(zone))
    for quarter in range(7 * DAY // 15):
        at = start + timedelta(minutes=15 * quarter)
        assert is_open(schedule, zone, at) and opens_at(schedule, zone, at) is None
    monday_only = Schedule(((0, *ALL_DAY),))  # the whole Monday, and not a minute of Tuesday
    assert is_open(monday_only, zone, start + timedelta(hours=23, minutes=59))
    assert not is_open(monday_only, zone, start + timedelta(days=1))
    assert opens_at(monday_only, zone, start + timedelta(days=1)) == start + timedelta(days=7)


def test_overnight_and_special_days_in_shanghai():
    zone = "Asia/Shanghai"
    tz = ZoneInfo(zone)
    friday = date(2025, 1, 3)
    schedule = Schedule(((4, 18 * 60, 2 * 60), (5, 18 * 60, 2 * 60)), {"2025-01-04": ()})

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)

    saturday = friday + timedelta(1)
    assert is_open(schedule, zone, at(friday, 23))
    assert is_open(schedule, zone, at(saturday, 1, 59))  # Friday's night runs into the closure
    assert not is_open(schedule, zone, at(saturday, 2))
    assert not is_open(schedule, zone, at(saturday, 19))  # closed for the special day
    assert opens_at(schedule, zone, at(saturday, 3)) == at(friday + timedelta(7), 18)


def test_dst_spring_forward_in_new_york():
    zone = "America/New_York"
    tz = ZoneInfo(zone)
    schedule = Schedule(((6, 2 * 60 + 30, 4 * 60),))  # Sunday 02:30-04:00; 2025-03-09 skips 02:xx
    before = datetime(2025, 3, 9, 1, 0, tzinfo=tz)
    found = opens_at(schedule, zone, before)
    assert found is not None and is_open(schedule, zone, found)
    assert found.astimezone(UTC) == datetime(2025, 3, 9, 7, 0, tzinfo=UTC)  # 03:00 EDT


SET = """
mutation($r: ID!, $i: OpeningHoursInput!) { setOpeningHours(restaurantId: $r, input: $i) {
  restaurant { openNow opensAt openingHours { timezone weekly { weekday opens closes }
    specials { date closed note ranges { opens closes } } } }
  errors { field code message } } }
"""
SEARCH = """
query($q: String!, $lat: Float, $lng: Float) {
  searchRestaurants(query: $q, lat: $lat, lng: $lng, radiusKm: 2, openNow: true) { edges { node { id } } } }
"""


def always(opens: str, closes: str) -> list[dict]:
    return [{"weekday": d, "opens": opens, "closes": closes} for d in range(7)]


async def test_staff_set_hours_and_diners_see_open_now(client):
    lat, lng = random_spot()
    owner, open_place = await open_restaurant(client, lat, lng, name="深夜食堂")
    owner2, closed_place = await open_restaurant(client, lat, lng, name="早茶食堂")
    _, no_hours = await open_restaurant(client, lat, lng, name="无时食堂")
    tomorrow = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(1)).date().isoformat()
    body = await gql(
        client,
        SET,
        {"r": open_place, "i": {"timezone": "Europe/Berlin", "weekly": always("00:00", "24:00"),
                                "specials": [{"date": tomorrow, "ranges": [], "note": "Ruhetag"}]}},
        owner,
    )  # fmt: skip
    payload = body["data"]["setOpeningHours"]
    assert payload["errors"] == []
    restaurant = payload["restaurant"]
    assert restaurant["openNow"] is True and restaurant["opensAt"] is None
    assert restaurant["openingHours"]["timezone"] == "Europe/Berlin"
    assert restaurant["openingHours"]["specials"] == [
        {"date": tomorrow, "closed": True, "note": "Ruhetag", "ranges": []}
    ]
    # Open one minute a week (today 23:59): closed now, opens at a time in the restaurant's zone.
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    body = await gql(client, SET, {"r": closed_place, "i": {"weekly": [
        {"weekday": now.weekday(), "opens": "23:59", "closes": "24:00"}]}}, owner2)  # fmt: skip
    restaurant = body["data"]["setOpeningHours"]["restaurant"]
    if now.strftime("%H:%M") != "23:59":
        assert restaurant["openNow"] is False
        assert restaurant["opensAt"].endswith("+08:00")
    found = await gql(client, SEARCH, {"q": "食堂", "lat": lat, "lng": lng})
    assert [e["node"]["id"] for e in found["data"]["searchRestaurants"]["edges"]] == [open_place]
    assert no_hours not in str(found)


async def test_bad_hours_are_user_errors_and_diners_cannot_set_them(client):
    lat, lng = random_spot()
    owner, rid = await open_restaurant(client, lat, lng)
    bad = [
        ({"timezone": "Mars/Olympus", "weekly": []}, "timezone"),
        ({"weekly": [{"weekday": 7, "opens": "09:00", "closes": "10:00"}]}, "weekly.0.weekday"),
        ({"weekly": [{"weekday": 1, "opens": "9am", "closes": "10:00"}]}, "weekly.0.opens"),
        ({"weekly": [{"weekday": 1, "opens": "10:00", "closes": "10:00"}]}, "weekly.0"),
        ({"weekly": [{"weekday": 1, "opens": "24:00", "closes": "02:00"}]}, "weekly.0.opens"),
        ({"weekly": [], "specials": [{"date": "2099-01-01", "note": "坏\u202e"}]}, "specials.0.note"),
    ]
    for given_input, field in bad:
        body = await gql(client, SET, {"r": rid, "i": given_input}, owner)
        errors = body["data"]["setOpeningHours"]["errors"]
        assert errors and errors[0]["field"] == field, (given_input, errors)
    diner, _, _ = await register(client)
    body = await gql(client, SET, {"r": rid, "i": {"weekly": always("09:00", "17:00")}}, diner)
    assert body["data"]["setOpeningHours"]["errors"][0]["code"] == "FORBIDDEN"
    # Nothing was written by the refused attempts.
    check = await gql(client, "query($id: ID!) { restaurant(id: $id) { openNow openingHours { timezone } } }", {"id": rid})
    assert check["data"]["restaurant"] == {"openNow": None, "openingHours": None}


async def test_a_holiday_added_alone_keeps_the_week_and_the_week_alone_keeps_holidays(client):
    """Adding 圣诞休息 with `specials` alone erased the weekly hours (left out meant []): the
    restaurant read closed for good; putting the week back erased the holiday."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    read = """query($r: ID!) { restaurant(id: $r) { openingHours { weekly { weekday opens closes }
      specials { date note } } } }"""
    week = [{"weekday": d, "opens": "11:00", "closes": "22:00"} for d in range(7)]
    holiday = (datetime.now(UTC) + timedelta(days=20)).date().isoformat()
    zone_only = await gql(client, SET, {"r": restaurant, "i": {"timezone": "Asia/Chongqing"}}, owner)
    # A zone alone sets no hours (it stored an empty week: closed at every hour).
    assert zone_only["data"]["setOpeningHours"]["restaurant"]["openingHours"] is None
    first = await gql(client, SET, {"r": restaurant, "i": {"weekly": week}}, owner)
    assert first["data"]["setOpeningHours"]["errors"] == []
    added = {"specials": [{"date": holiday, "ranges": [], "note": "圣诞休息"}]}
    assert (await gql(client, SET, {"r": restaurant, "i": added}, owner))["data"]["setOpeningHours"]["errors"] == []
    hours = (await gql(client, read, {"r": restaurant}))["data"]["restaurant"]["openingHours"]
    assert len(hours["weekly"]) == 7 and hours["specials"] == [{"date": holiday, "note": "圣诞休息"}]
    shorter = {"weekly": [{"weekday": d, "opens": "17:00", "closes": "22:00"} for d in range(5)]}
    assert (await gql(client, SET, {"r": restaurant, "i": shorter}, owner))["data"]["setOpeningHours"]["errors"] == []
    hours = (await gql(client, read, {"r": restaurant}))["data"]["restaurant"]["openingHours"]
    assert [w["weekday"] for w in hours["weekly"]] == [0, 1, 2, 3, 4] and hours["specials"][0]["note"] == "圣诞休息"
    cleared = {"specials": []}  # an empty list still clears
    assert (await gql(client, SET, {"r": restaurant, "i": cleared}, owner))["data"]["setOpeningHours"]["errors"] == []
    hours = (await gql(client, read, {"r": restaurant}))["data"]["restaurant"]["openingHours"]
    assert len(hours["weekly"]) == 5 and hours["specials"] == []
