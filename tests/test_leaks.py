"""Small leaks closed (issue 13, items 6 and 10): each tried as a hostile client would."""

from __future__ import annotations

import secrets
import stat
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from secret_policy import weak_secret_reason
from settings import Settings
from tests.helpers import account_with_role, add_dish, gql, open_restaurant, random_spot, register
from tests.servers import ROOT, free_port, running_servers, server_env

REGISTER = "mutation($i: RegisterInput!) { register(input: $i) { errors { code } } }"


def _registration(name: str = "限") -> dict:
    return {
        "query": REGISTER,
        "variables": {
            "i": {
                "email": f"r-{uuid.uuid4().hex[:10]}@example.com",
                "password": "correct horse battery",
                "displayName": name,
            }
        },
    }


async def _register_codes(http: httpx.AsyncClient, forwarded_for: list[str]) -> list[list[str]]:
    codes = []
    for address in forwarded_for:
        response = await http.post("/graphql", json=_registration(), headers={"X-Forwarded-For": address})
        assert response.status_code == 200, response.text
        codes.append([e["code"] for e in response.json()["data"]["register"]["errors"]])
    return codes


@pytest.mark.parametrize("trust", [False, True])
async def test_serve_believes_x_forwarded_for_only_when_trust_forwarded_for_is_on(settings, app, trust):
    """A real `serve` process from loopback: uvicorn's own proxy_headers must not decide."""
    spoofed = [f"198.51.100.{n}" for n in range(1, 5)]
    env = {
        "RATE_LIMIT_REGISTRATIONS_PER_HOUR": "2",
        "TRUST_FORWARDED_FOR": "true" if trust else "false",
        "REDIS_NAMESPACE": f"leaks-{uuid.uuid4().hex[:8]}",
    }
    with running_servers(settings, 1, extra_env=env, shared_redis=False) as (url,):
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            rotating = await _register_codes(http, spoofed)
            if trust:
                # Behind our own proxy each address has its own budget...
                assert rotating == [[], [], [], []]
                # ...and one address is still limited however often it comes back.
                repeated = await _register_codes(http, ["203.0.113.9"] * 3)
                assert repeated == [[], [], ["RATE_LIMITED"]]
            else:
                # Rotating the header buys nothing: the socket's address (loopback) counts.
                assert rotating == [[], [], ["RATE_LIMITED"], ["RATE_LIMITED"]]


# ------------------------------------------------------------------ secrets and /metrics

PRODUCTION_SECRET = secrets.token_hex(32)


async def test_metrics_exist_in_production_only_with_a_token_and_ask_for_it(settings, app):
    env = {"ENV": "production", "SECRET_KEY": PRODUCTION_SECRET}
    with running_servers(settings, 1, extra_env=env, shared_redis=False) as (url,):
        assert httpx.get(f"{url}/metrics", timeout=10).status_code == 404
    token = secrets.token_urlsafe(32)
    with running_servers(settings, 1, extra_env={**env, "METRICS_TOKEN": token}, shared_redis=False) as (
        url,
    ):
        anonymous = httpx.get(f"{url}/metrics", timeout=10)
        assert anonymous.status_code == 401 and "tablemates_" not in anonymous.text
        wrong = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}x"}, timeout=10)
        assert wrong.status_code == 401
        scraped = httpx.get(f"{url}/metrics", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert scraped.status_code == 200 and "tablemates_" in scraped.text


@pytest.mark.parametrize(
    "secret",
    [
        next(
            line.split("=", 1)[1]
            for line in (ROOT / "deploy" / "env.example").read_text().splitlines()
            if line.startswith("SECRET_KEY=")
        ),
        "dev-secret-change-me" + "!" * 20,
        "k" * 64,
        "ab" * 32,
        "short",
    ],
)
def test_production_refuses_placeholder_and_guessable_secrets(settings, tmp_path, secret):
    """`serve` in production with deploy/env.example's placeholder (or a guessable key) refuses to start."""
    env = {**server_env(settings, None), "ENV": "production", "SECRET_KEY": secret, "DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "app.py", "serve", "--port", str(free_port())],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "SECRET_KEY" in done.stderr, done.stderr[-500:]


def test_development_secret_is_random_per_data_directory_and_private(tmp_path):
    first = Settings.from_env({"ENV": "development", "DATA_DIR": str(tmp_path / "a")})
    again = Settings.from_env({"ENV": "development", "DATA_DIR": str(tmp_path / "a")})
    other = Settings.from_env({"ENV": "development", "DATA_DIR": str(tmp_path / "b")})
    assert first.secret_key == again.secret_key != other.secret_key
    assert weak_secret_reason(first.secret_key) is None
    assert stat.S_IMODE((tmp_path / "a" / "secret_key").stat().st_mode) == 0o600


async def test_a_token_signed_with_the_old_public_default_is_refused_in_development(settings, app, tmp_path):
    """The former constant dev secret let anyone mint a token for any user of a dev server."""
    from core.tokens import issue_token
    from schema.ids import decode

    env = {"ENV": "development", "SECRET_KEY": None, "DATA_DIR": str(tmp_path)}
    with running_servers(settings, 1, extra_env=env, shared_redis=False) as (url,):
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            token, user_id, _ = await register(http)
            me = await gql(http, "{ me { id } }", token=token)
            assert me["data"]["me"]["id"] == user_id
            forged = issue_token("dev-secret-change-me", decode(user_id, "User", "id"), 0, 3600)
            body = await gql(http, "{ me { id } }", token=forged, expect_errors=True)
    assert not (body.get("data") or {}).get("me")
    assert (tmp_path / "secret_key").exists()


# ------------------------------------------------------------------ reportContent

REPORT = """
mutation($t: ID!, $r: ReportReason!) { reportContent(targetId: $t, reason: $r) {
  report { id status } errors { field code message } } }
"""
MODERATE = """
mutation($r: ID!, $a: ModerationAction!) { moderate(reportId: $r, action: $a) { errors { code } } }
"""


async def _report(client, token: str, target: str) -> dict:
    return (await gql(client, REPORT, {"t": target, "r": "SPAM"}, token))["data"]["reportContent"]


@pytest.mark.parametrize("action", ["HIDE_CONTENT", "REMOVE_CONTENT", "SUSPEND_USER"])
async def test_report_content_answers_for_hidden_targets_as_for_unknown_ids(client, services, action):
    from schema.ids import decode_any, encode

    moderator, _ = await account_with_role(client, services)
    owner, restaurant = await open_restaurant(client, *random_spot())
    dish = await add_dish(client, owner, restaurant)
    author, author_id, _ = await register(client, name="作者")
    created = await gql(
        client,
        "mutation($i: ReviewInput!) { createReview(input: $i) { review { id } } }",
        {"i": {"dishId": dish, "rating": 1, "body": "难吃"}},
        author,
    )
    review = created["data"]["createReview"]["review"]["id"]
    target = author_id if action == "SUSPEND_USER" else review
    first = await _report(client, (await register(client))[0], target)
    assert first["errors"] == []
    done = await gql(client, MODERATE, {"r": first["report"]["id"], "a": action}, moderator)
    assert done["data"]["moderate"]["errors"] == []

    stranger, _, _ = await register(client)
    kind, _ = decode_any(target, "t")
    never_used = await _report(client, stranger, encode(kind, 2**40))
    hidden = await _report(client, stranger, target)
    assert never_used["errors"] and never_used["errors"][0]["code"] == "NOT_FOUND"
    assert hidden == never_used


# ------------------------------------------------------------------ one scheduling horizon

FAR = ["9999-12-31T23:59:59-12:00", "9999-12-31T23:59:59+14:00", "2100-01-01T00:00:00+00:00"]
DEAL = "mutation($i: DealInput!) { createDeal(input: $i) { deal { id } errors { field code } } }"
EVENT = "mutation($i: RestaurantEventInput!) { createRestaurantEvent(input: $i) { event { id } errors { field code } } }"
MEAL = "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } errors { field code } } }"


def _hours(n: float) -> str:
    return (datetime.now(UTC) + timedelta(hours=n)).isoformat()


@pytest.mark.parametrize("far", FAR)
async def test_every_schedule_ends_within_one_horizon(client, far):
    owner, restaurant = await open_restaurant(client, *random_spot())
    diner, _, _ = await register(client)
    deal = {
        "restaurantId": restaurant,
        "title": "券",
        "priceCents": 100,
        "originalPriceCents": 200,
        "quantity": 5,
    }
    event = {"restaurantId": restaurant, "title": "品鉴会", "capacity": 5, "priceCents": 0}
    cases = [
        (DEAL, "createDeal", {**deal, "startsAt": _hours(0), "endsAt": far}, owner, "endsAt"),
        (EVENT, "createRestaurantEvent", {**event, "startsAt": _hours(2), "endsAt": far}, owner, "endsAt"),
        (
            MEAL,
            "createSharedMeal",
            {"restaurantId": restaurant, "title": "局", "startsAt": far, "capacity": 4},
            diner,
            "startsAt",
        ),
    ]
    for document, name, variables, token, field in cases:
        payload = (await gql(client, document, {"i": variables}, token))["data"][name]
        codes = {(e["field"], e["code"]) for e in payload["errors"]}
        assert (field, "OUT_OF_RANGE") in codes and not any(
            payload.get(k) for k in ("deal", "event", "meal")
        ), (
            name,
            payload,
        )
    # The horizon is generous for real use: a deal and an event ending in eleven months are fine.
    ok_deal = await gql(
        client, DEAL, {"i": {**deal, "startsAt": _hours(0), "endsAt": _hours(24 * 330)}}, owner
    )
    assert ok_deal["data"]["createDeal"]["errors"] == []
    ok_event = await gql(
        client, EVENT, {"i": {**event, "startsAt": _hours(24 * 330), "endsAt": _hours(24 * 330 + 3)}}, owner
    )
    assert ok_event["data"]["createRestaurantEvent"]["errors"] == []


# ------------------------------------------------------------------ location privacy offset

LOCATE = "mutation($lat: Float!, $lng: Float!) { updateLocation(lat: $lat, lng: $lng) { errors { code } } }"


def _public_replay(lat: float, lng: float, person: int) -> tuple[float, float]:
    """What anyone could compute before: the offset from the cell and the person id alone."""
    import hashlib
    import math

    import h3

    from geo.privacy import KM_PER_DEGREE, MAX_OFFSET_KM, PRIVACY_RESOLUTION

    cell = h3.latlng_to_cell(lat, lng, PRIVACY_RESOLUTION)
    centre_lat, centre_lng = h3.cell_to_latlng(cell)
    digest = hashlib.sha256(f"{cell}:{person}".encode()).digest()
    bearing = int.from_bytes(digest[:4], "big") / 2**32 * 2 * math.pi
    distance = MAX_OFFSET_KM * math.sqrt(int.from_bytes(digest[4:8], "big") / 2**32)
    scale = KM_PER_DEGREE * max(math.cos(math.radians(centre_lat)), 0.01)
    return (
        centre_lat + distance * math.cos(bearing) / KM_PER_DEGREE,
        (centre_lng + distance * math.sin(bearing) / scale + 180) % 360 - 180,
    )


async def test_privacy_offset_is_keyed_by_the_server_secret_and_stable_per_person(client, settings):
    import h3

    from geo.distance import distance_km
    from geo.models import GeoPoint
    from geo.privacy import PRIVACY_RESOLUTION, obfuscate
    from schema.ids import decode

    token, user_id, _ = await register(client)
    person = decode(user_id, "User", "id")
    lat, lng = random_spot()
    cell = h3.latlng_to_cell(lat, lng, PRIVACY_RESOLUTION)
    assert (await gql(client, LOCATE, {"lat": lat, "lng": lng}, token))["data"]["updateLocation"][
        "errors"
    ] == []
    row = await GeoPoint.get(kind="diner", object_id=person)
    shown = (row.lat, row.lng)

    replayed = _public_replay(lat, lng, person)
    assert distance_km(*shown, *replayed) > 1e-3, "the point must not be computable from public data"
    assert shown == pytest.approx(obfuscate(lat, lng, person, secret=settings.secret_key))
    assert obfuscate(lat, lng, person, secret="another server") != pytest.approx(shown)

    # Stable per person: moving within the same privacy cell shows the very same point.
    centre = h3.cell_to_latlng(cell)
    await gql(client, LOCATE, {"lat": centre[0], "lng": centre[1]}, token)
    again = await GeoPoint.get(kind="diner", object_id=person)
    assert (again.lat, again.lng) == pytest.approx(shown)


# ------------------------------------------------------------------ invisible characters

PROFILE = """
mutation($n: String, $b: String) { updateProfile(input: {displayName: $n, bio: $b}) {
  user { displayName bio } errors { field code } } }
"""
REFUSED_NAMES = [
    "Admin\u202enimdA",  # RIGHT-TO-LEFT OVERRIDE
    "老\u200b王",  # ZERO WIDTH SPACE
    "\u2066Eve\u2069",  # bidi isolates
    "Bob\ufeff",  # BOM
    "so\u00adft",  # SOFT HYPHEN
    "a\u200db",  # ZWJ between letters: no emoji sequence
    "tab\there",  # control character in a one-line field
    "Ad\u200cmin",  # ZWNJ between Latin letters: a look-alike, not Persian
    "\U0001f3f4\U000e0068\U000e0069\U000e0064\U000e0065\U000e0020\U000e0061\U000e0064",  # tags smuggling ASCII
    "hi\U000e0061\U000e0064",  # tag characters with no flag
    "a\ufe0f\ufe0e\U000e0101\U000e0102",  # a run of variation selectors: hidden bytes
    "x\U000e0100",  # an ideographic variation selector after a Latin letter
    "\u3164",  # HANGUL FILLER: a name that draws nothing
    "老\u2800王",  # BRAILLE PATTERN BLANK
    "a\u034fb",  # COMBINING GRAPHEME JOINER
    "line\u2028break",  # LINE SEPARATOR in a one-line field
]
KEPT_NAMES = [
    "王小明",
    "김민준 🍜",
    "\U0001f469\u200d\U0001f373 chef",  # woman cook: a ZWJ emoji sequence
    "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # family
    "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f Scot",  # subdivision flag
    "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645",  # Persian with ZWNJ between letters
    "\u2764\ufe0f\u200d\U0001f525",  # heart on fire (variation selector, then ZWJ)
    "\u845b\U000e0100城",  # 葛 with its ideographic variation selector (a family name's glyph)
    "\U0001f3f4\U000e0067\U000e0062\U000e0077\U000e006c\U000e0073\U000e007f",  # Wales
]


@pytest.mark.parametrize("name", REFUSED_NAMES)
async def test_display_names_refuse_invisible_and_bidi_characters(client, name):
    refused = (await gql(client, REGISTER, _registration(name)["variables"]))["data"]["register"]
    assert [e["code"] for e in refused["errors"]] == ["INVALID"]
    token, _, _ = await register(client, name="原名")
    changed = (await gql(client, PROFILE, {"n": name}, token))["data"]["updateProfile"]
    assert [(e["field"], e["code"]) for e in changed["errors"]] == [("displayName", "INVALID")]
    me = await gql(client, "{ me { displayName } }", token=token)
    assert me["data"]["me"]["displayName"] == "原名"


@pytest.mark.parametrize("name", KEPT_NAMES)
async def test_display_names_keep_cjk_emoji_and_joining_scripts(client, name):
    token, _, _ = await register(client, name=name)
    me = await gql(client, "{ me { displayName } }", token=token)
    assert me["data"]["me"]["displayName"] == name


async def test_bios_and_restaurant_names_refuse_overrides_but_keep_line_breaks(client):
    token, _, _ = await register(client)
    bad = (await gql(client, PROFILE, {"b": "hi\u202e there"}, token))["data"]["updateProfile"]
    assert [(e["field"], e["code"]) for e in bad["errors"]] == [("bio", "INVALID")]
    good = (await gql(client, PROFILE, {"b": "爱吃辣\n周末约饭 \U0001f336\ufe0f"}, token))["data"][
        "updateProfile"
    ]
    assert good["errors"] == [] and good["user"]["bio"] == "爱吃辣\n周末约饭 \U0001f336\ufe0f"
    owner, _, _ = await register(client, account_type="RESTAURANT")
    lat, lng = random_spot()
    created = await gql(
        client,
        "mutation($i: RestaurantInput!) { createRestaurant(input: $i) { restaurant { id } errors { field code } } }",
        {"i": {"name": "火锅\u200b店", "lat": lat, "lng": lng, "address": "解放碑", "cuisines": ["hotpot"]}},
        owner,
    )
    payload = created["data"]["createRestaurant"]
    assert payload["restaurant"] is None and [(e["field"], e["code"]) for e in payload["errors"]] == [
        ("name", "INVALID")
    ]


async def test_meal_event_and_deal_titles_refuse_direction_overrides(client):
    """One title rule for every listing others browse (core.text.check_title)."""
    owner, restaurant = await open_restaurant(client, *random_spot())
    starts = (datetime.now(UTC) + timedelta(days=2)).isoformat()
    ends = (datetime.now(UTC) + timedelta(days=9)).isoformat()
    title = "周五\u202e火锅局"
    meal = await gql(
        client,
        "mutation($i: SharedMealInput!) { createSharedMeal(input: $i) { meal { id } errors { field code } } }",
        {"i": {"restaurantId": restaurant, "title": title, "startsAt": starts, "capacity": 4}},
        (await register(client))[0],  # tables are diners'
    )
    event = await gql(
        client,
        "mutation($i: RestaurantEventInput!) { createRestaurantEvent(input: $i) { event { id } errors { field code } } }",
        {"i": {"restaurantId": restaurant, "title": title, "startsAt": starts, "endsAt": ends, "capacity": 10}},
        owner,
    )
    deal = await gql(
        client,
        "mutation($i: DealInput!) { createDeal(input: $i) { deal { id } errors { field code } } }",
        {
            "i": {
                "restaurantId": restaurant, "title": title, "priceCents": 9900, "originalPriceCents": 15800,
                "quantity": 10, "perUserLimit": 1, "startsAt": starts, "endsAt": ends,
            }
        },
        owner,
    )
    for body, name in ((meal, "createSharedMeal"), (event, "createRestaurantEvent"), (deal, "createDeal")):
        assert ("title", "INVALID") in [(e["field"], e["code"]) for e in body["data"][name]["errors"]], name
