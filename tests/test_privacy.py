"""Location privacy: a trilateration attack through the API must stay ≥ 500 m off (median), and
nothing nearbyFoodies shows (distanceKm, score, order, cursor, who is listed) follows the exact
distance to someone's point: only its whole-km band."""

from __future__ import annotations

import math
import random
import statistics
from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from core.pagination import decode_cursor
from geo.distance import distance_km
from geo.privacy import coarse_km, obfuscate
from resolvers.foodies.matching import SCORE_SCALE, Scorer
from tests.helpers import gql, random_spot, register
from tests.test_foodies import diner, offset
from tests.test_matching_score import NOW, tastes

MOVE = "mutation($lat: Float!, $lng: Float!) { updateLocation(lat: $lat, lng: $lng) { errors { code } } }"
NEARBY = """
query($after: String) {
  nearbyFoodies(radiusKm: 40, first: 100, after: $after) {
    edges { node { distanceKm user { id } } }
    pageInfo { hasNextPage endCursor }
  }
}
"""
VICTIMS = 300
VANTAGES = 14


def to_xy(lat0: float, lng0: float, lat: float, lng: float) -> tuple[float, float]:
    return (lng - lng0) * 111.32 * math.cos(math.radians(lat0)), (lat - lat0) * 111.32


def least_squares(observations: list[tuple[float, float, float]]) -> tuple[float, float]:
    """Gauss-Newton fit of a point to (x, y, range) observations, ranges taken mid-bucket."""
    x = statistics.fmean(o[0] for o in observations)
    y = statistics.fmean(o[1] for o in observations)
    for _ in range(60):
        jtj = [[0.0, 0.0], [0.0, 0.0]]
        jtr = [0.0, 0.0]
        for ox, oy, r in observations:
            d = math.hypot(x - ox, y - oy) or 1e-9
            jx, jy = (x - ox) / d, (y - oy) / d
            residual = d - r
            jtj[0][0] += jx * jx
            jtj[0][1] += jx * jy
            jtj[1][1] += jy * jy
            jtr[0] += jx * residual
            jtr[1] += jy * residual
        det = jtj[0][0] * jtj[1][1] - jtj[0][1] ** 2
        if abs(det) < 1e-12:
            break
        dx = (jtj[1][1] * jtr[0] - jtj[0][1] * jtr[1]) / det
        dy = (jtj[0][0] * jtr[1] - jtj[0][1] * jtr[0]) / det
        x, y = x - dx, y - dy
        if math.hypot(dx, dy) < 1e-6:
            break
    return x, y


async def test_trilateration_median_error_is_at_least_500_m(client):
    rng = random.Random(2024)
    lat0, lng0 = random_spot(rng)
    truth: dict[str, tuple[float, float]] = {}
    for _ in range(VICTIMS):
        token, user_id, _ = await register(client)
        lat, lng = lat0 + rng.uniform(-0.09, 0.09), lng0 + rng.uniform(-0.1, 0.1)
        await gql(client, MOVE, {"lat": lat, "lng": lng}, token)
        truth[user_id] = (lat, lng)

    attacker, _, _ = await register(client, name="attacker")
    observations: dict[str, list[tuple[float, float, float]]] = {uid: [] for uid in truth}
    for i in range(VANTAGES):
        angle = 2 * math.pi * i / VANTAGES
        radius_deg = 0.04 + 0.08 * (i % 3)
        vlat, vlng = lat0 + radius_deg * math.sin(angle), lng0 + radius_deg * math.cos(angle)
        await gql(client, MOVE, {"lat": vlat, "lng": vlng}, attacker)
        vx, vy = to_xy(lat0, lng0, vlat, vlng)
        after = None
        while True:
            page = (await gql(client, NEARBY, {"after": after}, attacker))["data"]["nearbyFoodies"]
            for edge in page["edges"]:
                shown = edge["node"]["distanceKm"]
                assert shown == int(shown)
                observations[edge["node"]["user"]["id"]].append((vx, vy, shown - 0.5))
            if not page["pageInfo"]["hasNextPage"]:
                break
            after = page["pageInfo"]["endCursor"]

    errors = []
    for user_id, obs in observations.items():
        assert len(obs) >= 3, "every victim is seen from several vantage points"
        ex, ey = least_squares(obs)
        tx, ty = to_xy(lat0, lng0, *truth[user_id])
        errors.append(math.hypot(ex - tx, ey - ty))
    median = statistics.median(errors)
    print(f"trilateration median error: {median:.3f} km over {len(errors)} users")
    assert median >= 0.5, f"median trilateration error {median:.3f} km"
    assert median < 3.0, "the attack itself works (it lands near the obfuscated cell)"


async def test_raw_coordinates_of_others_appear_nowhere_in_the_schema(client):
    """Only the owner's `location` field carries coordinates, and it refuses everyone else."""
    body = await gql(client, "{ __schema { types { name fields { name } } } }")
    coordinate_fields = {
        (t["name"], f["name"])
        for t in body["data"]["__schema"]["types"]
        if not t["name"].startswith("__")
        for f in t["fields"] or []
        if f["name"] in ("lat", "lng", "latitude", "longitude", "location")
    }
    person_types = {"User", "FoodieMatch", "MatchRequest"}
    assert {(t, f) for t, f in coordinate_fields if t in person_types} == {("User", "location")}
    assert all(t not in person_types for t, _ in coordinate_fields - {("User", "location")})


def test_obfuscation_alone_moves_the_median_user_over_500_m():
    from geo.privacy import obfuscate

    rng = random.Random(9)
    offsets = []
    for _ in range(2000):
        lat, lng = rng.uniform(-60, 60), rng.uniform(-180, 180)
        offsets.append(distance_km(lat, lng, *obfuscate(lat, lng, rng.randint(1, 10**9), secret="privacy-test")))
    assert statistics.median(offsets) >= 0.5


# ------------------------------------------------------- probing by small moves (quantisation)

PROBE = """
query($r: Float) {
  nearbyFoodies(radiusKm: $r, first: 10) {
    totalCount edges { cursor node { distanceKm score user { id } } }
  }
}
"""


async def _their_point(services, email: str, lat: float, lng: float) -> tuple[float, float]:
    """The target's obfuscated point, as the server indexes it (the test knows the truth)."""
    from models.accounts import User

    target = await User.get(email=email)
    return obfuscate(lat, lng, target.id, secret=services.settings.secret_key)


async def _seen(client, token: str, target: str, radius: float = 10) -> tuple | None:
    """What the viewer learns about the target: (distanceKm, score, cursor), or None if unlisted."""
    page = (await gql(client, PROBE, {"r": radius}, token))["data"]["nearbyFoodies"]
    edges = [e for e in page["edges"] if e["node"]["user"]["id"] == target]
    if not edges:
        return None
    node = edges[0]["node"]
    return node["distanceKm"], node["score"], edges[0]["cursor"]


async def test_a_viewer_moving_in_50_m_steps_reads_only_the_distance_band(client, services):
    """The hostile client: it walks away from someone's obfuscated point in 50 m steps, reading
    distanceKm, score and cursor at each step. With a score continuous in the distance (as it
    was), two steps gave the distance to the metre (score difference × radius / 0.30) and three
    positions the point. Now all three are one value per band: 20 steps inside a band read the
    same thing, so nothing between band edges can be told apart."""
    rng = random.Random(77)
    lat, lng = random_spot(rng)
    _, target, email = await diner(client, lat, lng, cuisines=("sichuan", "hotpot"), spiceLevel=4)
    plat, plng = await _their_point(services, email, lat, lng)
    attacker, _, _ = await diner(
        client, plat, plng, cuisines=("sichuan", "bbq"), spiceLevel=3, name="attacker"
    )

    by_band: dict[float, set[tuple]] = {}
    exact_by_band: dict[float, list[float]] = {}
    for step in range(60):  # 0 to 2.95 km east of their point: bands 1, 2 and 3
        vlat, vlng = offset(plat, plng, 0.0, 0.05 * step + 0.01)
        await gql(client, MOVE, {"lat": vlat, "lng": vlng}, attacker)
        seen = await _seen(client, attacker, target)
        assert seen is not None
        shown_km, score, cursor = seen
        exact = distance_km(vlat, vlng, plat, plng)
        assert shown_km == coarse_km(exact)  # the band, to the obfuscated point
        # The cursor carries the score as shown (1/1000ths) and the id: nothing finer.
        cursor_score, _ = decode_cursor(cursor, 2)
        assert cursor_score == score and round(score * SCORE_SCALE) == score * SCORE_SCALE
        by_band.setdefault(shown_km, set()).add(seen)
        exact_by_band.setdefault(shown_km, []).append(exact)

    assert sorted(by_band) == [1.0, 2.0, 3.0]
    # One observation per band, whatever the exact distance inside it (≥ 0.9 km of it walked).
    assert all(len(observations) == 1 for observations in by_band.values()), by_band
    assert all(max(d) - min(d) >= 0.9 for d in exact_by_band.values())
    # Nearer bands still rank higher: the score falls band by band.
    scores = [next(iter(by_band[band]))[1] for band in sorted(by_band)]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) == 3


async def test_nudging_the_radius_shows_nothing_between_whole_km(client, services):
    """The other probe: from one place, narrow the radius until someone drops out. The radius
    is rounded up to whole km like distances, so every radius in (N - 1, N] answers exactly as N
    does: who is listed, their score and cursor, and the count."""
    rng = random.Random(78)
    lat, lng = random_spot(rng)
    _, target, email = await diner(client, lat, lng, cuisines=("cantonese",))
    plat, plng = await _their_point(services, email, lat, lng)
    attacker, _, _ = await diner(client, *offset(plat, plng, 0.0, 2.45), cuisines=("cantonese",))

    async def page(radius: float) -> dict:
        return (await gql(client, PROBE, {"r": radius}, attacker))["data"]["nearbyFoodies"]

    whole = {km: await page(km) for km in (1.0, 2.0, 3.0, 4.0)}
    assert [bool(whole[km]["edges"]) for km in (1.0, 2.0, 3.0, 4.0)] == [False, False, True, True]
    for radius in (0.1, 0.5, 1.2, 1.9, 2.0001, 2.3, 2.44, 2.45, 2.46, 2.6, 2.99, 3.5):
        assert await page(radius) == whole[coarse_km(radius)], radius
    assert await _seen(client, attacker, target, 2.99) == await _seen(client, attacker, target, 2.01)




@given(
    tastes,
    tastes,
    st.integers(1, 50),
    st.floats(0, 0.999999),
    st.floats(0, 0.999999),
    st.integers(1, 50),
    st.none() | st.floats(-1, 60).map(lambda days: NOW - timedelta(days=days)),
)
def test_the_score_is_a_function_of_the_distance_band(mine, theirs, band, a, b, radius, last):
    """Any two distances in one band (N - 1, N] score the same, a whole number of 1/1000ths: the
    score can't be inverted to a distance finer than distanceKm."""
    raw = Scorer(mine, radius, NOW).raw
    d1, d2 = band - a, band - b  # both in (band - 1, band]
    assert coarse_km(d1) == coarse_km(d2) == band
    one = raw(theirs.cuisines, theirs.dietary, theirs.spice_level, theirs.budget_level, d1, last)
    two = raw(theirs.cuisines, theirs.dietary, theirs.spice_level, theirs.budget_level, d2, last)
    assert one == two
    assert round(one * SCORE_SCALE) == one * SCORE_SCALE and 0.0 <= one <= 1.0
