"""geo/ on the configured backend (SQLite R*Tree or PostGIS) against a brute-force reference.

The same property suite runs on both backends, so both return the same ids in the same order.
"""

from __future__ import annotations

import math
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo.distance import bounding_boxes, distance_km
from geo.index import Hit
from geo.privacy import coarse_km, obfuscate
from tests.conftest import BACKEND

EPS_KM = 1e-6
SECRET = "geo-test-secret"

latitudes = st.floats(min_value=-90, max_value=90, allow_nan=False)
longitudes = st.floats(min_value=-180, max_value=180, allow_nan=False)


@st.composite
def scenes(draw):
    """A query point and points around it: near poles, across the antimeridian, anywhere."""
    region = draw(st.sampled_from(["anywhere", "north_pole", "south_pole", "antimeridian", "city"]))
    if region == "north_pole":
        centre = (draw(st.floats(88.0, 90.0)), draw(longitudes))
    elif region == "south_pole":
        centre = (draw(st.floats(-90.0, -88.0)), draw(longitudes))
    elif region == "antimeridian":
        centre = (draw(st.floats(-70, 70)), draw(st.sampled_from([-179.99, 179.99, 180.0, -180.0])))
    elif region == "city":
        centre = (draw(st.floats(-60, 60)), draw(st.floats(-170, 170)))
    else:
        centre = (draw(latitudes), draw(longitudes))
    radius = draw(st.floats(0.1, 400.0))
    spread = radius * 1.6 / 111.0
    points = []
    for _ in range(draw(st.integers(0, 25))):
        lat = min(90.0, max(-90.0, centre[0] + draw(st.floats(-spread, spread))))
        lng = centre[1] + draw(st.floats(-spread * 3, spread * 3))
        lng = ((lng + 180.0) % 360.0) - 180.0
        points.append((lat, lng))
    return centre, radius, points


def reference(centre, radius, points) -> list[Hit]:
    hits = [Hit(distance_km(*centre, *p), i + 1) for i, p in enumerate(points)]
    return sorted(h for h in hits if h.distance_km <= radius)


def assert_same(actual: list[Hit], expected: list[Hit], radius: float) -> None:
    """Same ids in the same order, distances equal within tolerance; ties may swap."""
    ambiguous = {h.object_id for h in expected if abs(h.distance_km - radius) < 1e-6 * max(1, radius)}
    actual = [h for h in actual if h.object_id not in ambiguous]
    expected = [h for h in expected if h.object_id not in ambiguous]
    assert [h.object_id for h in actual] == [h.object_id for h in expected] or _tied(actual, expected)
    for a, e in zip(actual, expected, strict=True):
        assert math.isclose(a.distance_km, e.distance_km, rel_tol=1e-6, abs_tol=1e-6)


def _tied(actual: list[Hit], expected: list[Hit]) -> bool:
    if sorted(h.object_id for h in actual) != sorted(h.object_id for h in expected):
        return False
    return all(
        math.isclose(a.distance_km, e.distance_km, abs_tol=1e-6)
        for a, e in zip(actual, expected, strict=True)
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scene=scenes())
async def test_within_matches_brute_force(services, scene):
    centre, radius, points = scene
    kind = f"t{uuid.uuid4().hex[:10]}"
    for i, (lat, lng) in enumerate(points):
        await services.geo.upsert(kind, i + 1, lat, lng)
    try:
        hits = await services.geo.within(kind, *centre, radius, limit=100)
        assert_same(hits, reference(centre, radius, points), radius)
    finally:
        for i in range(len(points)):
            await services.geo.remove(kind, i + 1)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scene=scenes(), page=st.integers(1, 5))
async def test_keyset_pages_add_up_to_one_query(services, scene, page):
    centre, radius, points = scene
    kind = f"p{uuid.uuid4().hex[:10]}"
    for i, (lat, lng) in enumerate(points):
        await services.geo.upsert(kind, i + 1, lat, lng)
    whole = await services.geo.within(kind, *centre, radius, limit=100)
    paged: list[Hit] = []
    after = None
    while True:
        batch = await services.geo.within(kind, *centre, radius, limit=page, after=after)
        paged += batch
        if len(batch) < page:
            break
        after = batch[-1]
    assert [h.object_id for h in paged] == [h.object_id for h in whole]


async def test_upsert_moves_a_point_and_exclude_filters(services):
    kind = f"m{uuid.uuid4().hex[:10]}"
    await services.geo.upsert(kind, 1, 30.0, 104.0)
    await services.geo.upsert(kind, 2, 30.01, 104.0)
    assert [h.object_id for h in await services.geo.within(kind, 30.0, 104.0, 5)] == [1, 2]
    await services.geo.upsert(kind, 1, 31.0, 104.0)  # moved 111 km away
    assert [h.object_id for h in await services.geo.within(kind, 30.0, 104.0, 5)] == [2]
    assert await services.geo.within(kind, 30.0, 104.0, 5, exclude=[2]) == []


async def test_points_tied_at_the_edge_of_a_page_come_by_id(services):
    """Points at one spot tie on distance: the page cut between them keeps the lowest ids,
    whatever order the index returns them in, and the next page starts after the cut."""
    kind = f"t{uuid.uuid4().hex[:10]}"
    await services.geo.upsert(kind, 50, 30.004, 104.0)  # ~0.45 km
    for object_id in (9, 3, 7, 1, 5):  # one spot ~1.1 km north, inserted out of order
        await services.geo.upsert(kind, object_id, 30.01, 104.0)
    await services.geo.upsert(kind, 2, 30.02, 104.0)  # ~2.2 km
    first = await services.geo.within(kind, 30.0, 104.0, 5, limit=3)
    assert [h.object_id for h in first] == [50, 1, 3]
    rest = await services.geo.within(kind, 30.0, 104.0, 5, limit=10, after=first[-1])
    assert [h.object_id for h in rest] == [5, 7, 9, 2]
    assert [h.object_id for h in await services.geo.within(kind, 30.0, 104.0, 1.5, limit=10)] == [50, 1, 3, 5, 7, 9]


@given(lat=st.floats(-85, 85), lng=longitudes)
def test_bounding_boxes_contain_the_circle(lat, lng):
    radius = 50.0
    boxes = bounding_boxes(lat, lng, radius)
    for bearing in range(0, 360, 15):
        b = math.radians(bearing)
        d = radius * 0.999 / 6371.0087714
        la1, lo1 = math.radians(lat), math.radians(lng)
        la2 = math.asin(math.sin(la1) * math.cos(d) + math.cos(la1) * math.sin(d) * math.cos(b))
        lo2 = lo1 + math.atan2(
            math.sin(b) * math.sin(d) * math.cos(la1), math.cos(d) - math.sin(la1) * math.sin(la2)
        )
        plat, plng = math.degrees(la2), ((math.degrees(lo2) + 180) % 360) - 180
        assert any(x.min_lat <= plat <= x.max_lat and x.min_lng <= plng <= x.max_lng for x in boxes)


@given(lat=st.floats(-80, 80), lng=longitudes)
def test_obfuscated_point_is_stable_and_coarse(lat, lng):
    point = obfuscate(lat, lng, 7, secret=SECRET)
    assert obfuscate(lat, lng, 7, secret=SECRET) == point
    assert distance_km(lat, lng, *point) < 3.0  # within its ~1.2 km-edge H3 cell


@given(d=st.floats(0, 20000))
def test_coarse_km_rounds_up_to_whole_km(d):
    shown = coarse_km(d)
    assert shown == int(shown) and shown >= 1 and shown >= d - 1e-6 and shown - d < 1 + 1e-6


async def test_within_subquery_binds_the_point_unless_inlined(services):
    """The point and radius are parameters of the query the fragment is placed in (numbered
    after the query's own), or literals once `inlined`; both select the same points."""
    from models.restaurants import Restaurant

    lat, lng = 31.2345, 121.4567
    await services.geo.upsert("restaurant", 10**12 + uuid.uuid4().int % 10**9, lat, lng)
    inside = await services.geo.within_subquery("restaurant", lat, lng, 5.0)

    def rendered(queryset):  # noqa: ANN001, ANN202
        queryset._choose_db_if_not_chosen()
        queryset._make_query()
        return queryset.query.get_parameterized_sql()

    bound, values = rendered(Restaurant.filter(archived=False, id__in=inside))
    assert repr(lng) not in bound and values[0] is False and lng in values, (bound, values)
    inlined, literal_values = rendered(Restaurant.filter(archived=False, id__in=inside.inlined()))
    assert repr(lng) in inlined and literal_values == [False], (inlined, literal_values)
    assert (
        await Restaurant.filter(id__in=inside).count()
        == await Restaurant.filter(id__in=inside.inlined()).count()
    )


@pytest.mark.skipif(BACKEND != "services", reason="PostgreSQL's plan; SQLite builds the set either way")
async def test_within_subquery_per_row_checks_each_row_not_the_set_inside(services):
    """`per_row`: the filter looks up the tested row's point (by kind and id) instead of building
    the set of every point inside first, which a dense city makes a hash of 80 000 ids for a
    page of 20 (the feed); both select the same rows."""
    from tortoise import connections

    from models.feed import FeedEntry

    lat, lng = 23.1291, 113.2644
    near, far = 10**12 + uuid.uuid4().int % 10**9, 10**12 + uuid.uuid4().int % 10**9
    await services.geo.upsert("restaurant", near, lat, lng + 0.01)
    await services.geo.upsert("restaurant", far, lat + 1.0, lng)
    for object_id in (near, far):  # entries standing for the points by id (no restaurant rows)
        await FeedEntry.create(kind="review", object_id=object_id, actor_id=None, restaurant_id=None)
    column = '"feed_entries"."object_id"'
    per_row = await services.geo.within_subquery("restaurant", lat, lng, 10.0, per_row=column)
    as_set = await services.geo.within_subquery("restaurant", lat, lng, 10.0)

    def newest(inside):  # noqa: ANN001, ANN202
        return FeedEntry.filter(object_id__in=inside).order_by("-created_at", "-id").limit(20)

    assert await newest(per_row).values_list("object_id", flat=True) == [near]
    assert await newest(as_set).values_list("object_id", flat=True) == [near]
    query = newest(per_row)
    query._choose_db_if_not_chosen()
    query._make_query()
    sql, values = query.query.get_parameterized_sql()
    _, plan = await connections.get("default").execute_query(f"EXPLAIN {sql}", values)
    lines = [row["QUERY PLAN"] for row in plan]
    assert any("geo_points" in line and "Index" in line for line in lines), lines
    assert not any("hashed SubPlan" in line or "Hash" in line for line in lines), lines
    with pytest.raises(ValueError):
        await services.geo.within_subquery("restaurant", lat, lng, 10.0, per_row="restaurant_id; --")


@pytest.mark.skipif(BACKEND != "services", reason="PostgreSQL's own distance order as the reference")
async def test_pages_follow_postgis_distance_order_through_symmetric_ties(services):
    """Points placed symmetrically around the viewer (the same distance east and west, north and
    south) and stacked on one spot: pages of 3 walk them exactly in PostgreSQL's own (`<->`
    distance, id) order, whatever order the KNN index (chord lengths) meets them in."""
    from tortoise import connections

    kind = f"s{uuid.uuid4().hex[:10]}"
    lat, lng = 30.5, 104.05
    object_id = 0
    for step in range(1, 7):
        for dlat, dlng in ((0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, -1)):
            object_id += 1
            await services.geo.upsert(kind, 1000 - object_id, lat + dlat * step * 0.002, lng + dlng * step * 0.002)
    for _ in range(4):
        object_id += 1
        await services.geo.upsert(kind, 1000 - object_id, lat + 0.004, lng)
    _, rows = await connections.get("default").execute_query(
        "SELECT object_id FROM geo_points WHERE kind = $1 ORDER BY "
        "geog <-> ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, object_id",
        [kind, lng, lat],
    )
    expected = [row["object_id"] for row in rows]
    paged, after = [], None
    while True:
        batch = await services.geo.within(kind, lat, lng, 50, limit=3, after=after)
        paged += [h.object_id for h in batch]
        if len(batch) < 3:
            break
        after = batch[-1]
    assert paged == expected
