"""Location privacy: a trilateration attack through the API must stay ≥ 500 m off (median)."""

from __future__ import annotations

import math
import random
import statistics

from geo.distance import distance_km
from tests.helpers import gql, random_spot, register

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
