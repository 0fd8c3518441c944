"""nearbyFoodies' SQL ranking (resolvers/foodies/ranking.py) against the Python reference.

PostgreSQL ranks candidates with `ranking.SCORED_SQL` and pages them with `ranking.page_sql`; the
formula's reference is `matching.Scorer.raw` (SQLite's path). Here both run on the same random
candidates (tastes, distances, activity times, radius, suspensions), fed to the production SQL
as the `candidates` geo/ would give: every unrounded score must be equal bit for bit, and walking
the pages with the keyset cursor must give exactly Python's order, (score desc, id), ties
included (candidates are drawn from a few profiles, so equal scores are common).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.dialects.postgresql.asyncpg import dialect as asyncpg_dialect
from tortoise import connections

from resolvers.foodies import ranking
from resolvers.foodies.matching import Scorer, Taste
from resolvers.foodies.tastes import CUISINES, DIETARY
from tests.conftest import BACKEND

pytestmark = pytest.mark.skipif(BACKEND != "services", reason="PostgreSQL ranks in SQL; SQLite in Python")

NOW = datetime(2026, 12, 4, 12, 0, 0, 123456, tzinfo=UTC)
DIALECT = asyncpg_dialect(paramstyle="numeric_dollar")
# The candidates as geo/ gives them (object_id, distance_m, card), each card made by the
# production `diner_card` from a `users` row read from JSON: floats and timestamps written
# exactly (repr, isoformat with microseconds) and read back exactly, through the card.
CANDIDATES = """candidates AS (
    SELECT c.object_id, c.distance_m, diner_card(jsonb_populate_record(NULL::users, c.person)) AS card
    FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS c(object_id bigint, distance_m float8, person jsonb))"""

tags = st.lists(st.sampled_from(sorted(CUISINES)), max_size=6, unique=True)
diets = st.lists(st.sampled_from(sorted(DIETARY)), max_size=4, unique=True)
tastes = st.builds(
    Taste,
    tags.map(frozenset),
    diets.map(frozenset),
    st.none() | st.integers(0, 5),
    st.none() | st.integers(1, 4),
)
# Activity: never, just now, the 1- and 30-day edges, the future, and anywhere between.
idle = st.none() | st.sampled_from([0.0, 1.0, 30.0, -0.5]) | st.floats(-2, 40)
radii = st.sampled_from([5, 0.5, 50]) | st.floats(0.1, 50)


@st.composite
def scenes(draw):
    """A viewer, a radius and candidates drawn from a few profiles (so scores tie)."""
    radius = draw(radii)
    profiles = draw(
        st.lists(
            st.tuples(
                tags,
                diets,
                st.none() | st.integers(0, 5),
                st.none() | st.integers(1, 4),
                # Distances as PostGIS's `<->` gives them, in metres: never subnormal (a
                # subnormal divided by 1 000 is an underflow error in PostgreSQL, 0 in Python).
                st.sampled_from([0.0, radius * 1000.0]) | st.floats(0, radius * 1200.0, allow_subnormal=False),
                idle,
                st.booleans(),
            ),
            min_size=1,
            max_size=5,
        )
    )
    ids = draw(st.lists(st.integers(1, 10**6), min_size=1, max_size=25, unique=True))
    candidates = [(i, draw(st.sampled_from(profiles))) for i in ids]
    return draw(tastes), radius, candidates


def _row(uid: int, profile: tuple) -> dict:
    cuisines, dietary, spice, budget, distance_m, days, suspended = profile
    last = None if days is None else (NOW - timedelta(days=days)).isoformat()
    until = (NOW + timedelta(hours=1)).isoformat() if suspended else None
    person = {
        "id": uid, "cuisines": cuisines, "dietary": dietary, "spice_level": spice, "budget_level": budget,
        "last_active_at": last, "suspended_until": until, "discoverable": True,
    }  # fmt: skip
    return {"object_id": uid, "distance_m": distance_m, "person": person}


async def _run(sql: str, values: dict) -> list:
    compiled = text(sql).compile(dialect=DIALECT)
    _, rows = await connections.get("default").execute_query(
        str(compiled), [values[name] for name in compiled.positiontup or ()]
    )
    return rows


def _reference(viewer: Taste, radius: float, candidates: list) -> list[tuple[float, int]]:
    """Python's ranking, as SQLite's path does it: (unrounded score, id), best first."""
    raw = Scorer(viewer, radius, NOW).raw
    kept = []
    for uid, (cuisines, dietary, spice, budget, distance_m, days, suspended) in candidates:
        if suspended:
            continue
        last = None if days is None else datetime.fromisoformat((NOW - timedelta(days=days)).isoformat())
        kept.append((raw(frozenset(cuisines), dietary, spice, budget, distance_m / 1000.0, last), uid))
    return sorted(kept, key=lambda item: (-item[0], item[1]))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scene=scenes(), size=st.integers(1, 4))
async def test_sql_ranks_and_pages_exactly_as_the_python_scorer(services, scene, size):
    viewer, radius, candidates = scene
    rows = json.dumps([_row(uid, profile) for uid, profile in candidates])
    expected = _reference(viewer, radius, candidates)

    scored = await _run(f"WITH {CANDIDATES} {ranking.SCORED_SQL}", {
        **ranking.rank_values(viewer, radius, NOW, size, None), "rows": rows,
    })  # fmt: skip
    assert sorted((row["score"], row["id"]) for row in scored) == sorted(expected)  # exact floats

    walked: list[tuple[float, int]] = []
    after = None
    while True:
        statement = (
            f"WITH {CANDIDATES}, scored AS ({ranking.SCORED_SQL}) {ranking.page_sql(after is not None)}"
        )
        values = {**ranking.rank_values(viewer, radius, NOW, size, after), "rows": rows}
        page = [(row["score"], row["id"]) for row in await _run(statement, values)]
        walked += page[:size]
        if len(page) <= size:
            break
        after = walked[-1]  # the cursor: (unrounded score, id) of the page's last item
    assert walked == expected
