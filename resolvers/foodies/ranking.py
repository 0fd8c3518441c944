"""nearbyFoodies ranked by PostgreSQL: the page, its users and the count in the spatial statement.

geo/ gives the CANDIDATE_CAP nearest diners' points with their cards (the CTE `candidates`,
blocks and the viewer left out inside its KNN; a card holds the scoring columns of the diner's
row, kept beside the point by triggers, so no row is looked up per candidate); the statement
here scores them, keeps the discoverable and unsuspended ones, orders them by (score desc, id)
(the quantised score, computed from the distance band: `matching`), applies the keyset cursor
and returns the page's users' full rows, their score and distance, and how many candidates were
kept (totalCount). 20 rows leave PostgreSQL instead of 500, and no second read.

`SCORE_SQL` is `matching.Scorer.raw` written as SQL: the same float8 operations in the same
order with the same constants, the distance band (ceil) and the quantisation (floor) included,
so the value is bit for bit Python's (tests/test_ranking_sql.py); Python stays the reference
(and SQLite's path). Per row it costs no set-returning subquery: the
tag arithmetic uses jsonb operators against the viewer's few tags passed as parameters. That
needs tag lists without repeats, which every write guarantees (`accounts._check_tags`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cache
from typing import Any

from geo.privacy import BAND_SLACK_KM
from resolvers.foodies import matching as m
from resolvers.foodies.matching import Taste


def _f(value: float) -> str:
    """A float constant as PostgreSQL reads it back exactly (repr is the shortest round trip)."""
    return f"float8 '{float(value)!r}'"


# Per candidate: n = its cuisines, d = its cuisines the viewer lacks (`jsonb - text[]` drops
# every element in the array), so |mine ∩ theirs| = n - d and |mine ∪ theirs| = :k + d.
# The candidates' columns from their cards (geo's `candidates`: object_id, distance_m, card; a
# diner's card is `diner_card(users)`, models/migrations/foodies/0003): timestamps and levels
# are read back exactly as the row holds them. No card (no user row) or not discoverable: out.
CARDS_SQL = """
SELECT c.object_id AS id, c.distance_m, c.card -> 'cuisines' AS cuisines, c.card -> 'dietary' AS dietary,
       CAST(c.card ->> 'spice_level' AS int) AS spice_level,
       CAST(c.card ->> 'budget_level' AS int) AS budget_level,
       CAST(c.card ->> 'last_active_at' AS timestamptz) AS last_active_at,
       CAST(c.card ->> 'suspended_until' AS timestamptz) AS suspended_until
FROM candidates AS c
WHERE CAST(c.card ->> 'discoverable' AS boolean)
"""

PARTS_SQL = f"""
SELECT c.id, c.distance_m, c.dietary, c.spice_level, c.budget_level,
       jsonb_array_length(c.cuisines) AS n,
       jsonb_array_length(c.cuisines - CAST(:cuisines AS text[])) AS d,
       ((CAST(:now AS timestamptz) AT TIME ZONE 'UTC')::date
        - (c.last_active_at AT TIME ZONE 'UTC')::date)::float8 AS idle_days
FROM ({CARDS_SQL}) AS c
WHERE c.suspended_until IS NULL OR c.suspended_until <= CAST(:now AS timestamptz)
"""

JACCARD = (
    f"CASE WHEN CAST(:k AS int) > 0 AND n > 0 THEN (n - d)::float8 / (CAST(:k AS int) + d)::float8 "
    f"ELSE {_f(0)} END"
)
DIET = (
    "CASE WHEN dietary ?& CAST(:strict AS text[]) AND NOT (dietary ?| CAST(:not_strict AS text[])) "
    f"THEN {_f(1)} WHEN dietary ?| CAST(:strict AS text[]) THEN {_f(m.SHARED_DIET)} ELSE {_f(0)} END"
)


def _closeness(mine: str, theirs: str, span: int) -> str:
    return (
        f"CASE WHEN CAST(:{mine} AS int) IS NULL OR {theirs} IS NULL THEN {_f(m.UNKNOWN)} "
        f"ELSE {_f(1)} - abs(CAST(:{mine} AS int) - {theirs})::float8 / {_f(span)} END"
    )


# The distance band as shown (`geo.privacy.coarse_km`), at its middle: never the exact distance.
BAND = f"GREATEST({_f(1)}, ceil(distance_m / {_f(1000.0)} - {_f(BAND_SLACK_KM)})) - {_f(m.BAND_MIDDLE_KM)}"
PROXIMITY = (
    f"CASE WHEN CAST(:radius AS float8) > 0 THEN GREATEST({_f(0)}, "
    f"{_f(1)} - ({BAND}) / CAST(:radius AS float8)) ELSE {_f(0)} END"
)
DAYS = f"GREATEST({_f(0)}, idle_days)"
ACTIVITY = (
    f"CASE WHEN idle_days IS NULL THEN {_f(0)} WHEN {DAYS} <= {_f(1)} THEN {_f(1)} "
    f"ELSE GREATEST({_f(0)}, {_f(1)} - ({DAYS} - {_f(1)}) / {_f(m.ACTIVITY_WINDOW_DAYS - 1)}) END"
)
TASTE = (
    f"{_f(m.JACCARD_W)} * ({JACCARD}) + {_f(m.DIET_W)} * ({DIET}) "
    f"+ {_f(m.SPICE_W)} * ({_closeness('spice', 'spice_level', m.SPICE_SPAN)}) "
    f"+ {_f(m.BUDGET_W)} * ({_closeness('budget', 'budget_level', m.BUDGET_SPAN)})"
)
UNQUANTISED = (
    f"{_f(m.TASTE_W)} * ({TASTE}) + {_f(m.PROXIMITY_W)} * ({PROXIMITY}) + {_f(m.ACTIVITY_W)} * ({ACTIVITY})"
)
# `matching.quantise`: floor(x * 1000 + 0.5) / 1000, not round() (its ties are platform-defined).
SCORE_SQL = f"floor(({UNQUANTISED}) * {_f(m.SCORE_SCALE)} + {_f(0.5)}) / {_f(m.SCORE_SCALE)}"

# OFFSET 0 keeps `parts` a subquery of its own, so each part is computed once per row (flattened
# into the score, PostgreSQL would compute n, d and idle_days again at every mention: 1.0 ms per
# 500 candidates instead of 0.7).
SCORED_SQL = f"SELECT id, distance_m, {SCORE_SQL} AS score FROM ({PARTS_SQL} OFFSET 0) AS parts"
KEYSET = (
    "WHERE score < CAST(:after_score AS float8) "
    "OR (score = CAST(:after_score AS float8) AND id > CAST(:after_id AS bigint))"
)


def page_sql(has_after: bool) -> str:
    """The page over `scored`: best first, ties by id, after the cursor, and one more row if a
    next page exists."""
    keyset = KEYSET if has_after else ""
    return (
        f"SELECT id, distance_m, score FROM scored {keyset} "
        "ORDER BY score DESC, id LIMIT CAST(:size AS int) + 1"
    )


@cache
def rank_sql(has_after: bool) -> str:
    """The statement over geo's `candidates`: one row per page item, plus one if a next page
    exists (the user's columns, then `match_score`, `match_distance_m`, `match_kept`), or one
    row of NULLs and the count when the page is empty. `scored` is read twice (page and count),
    so PostgreSQL computes it once."""
    return f"""
WITH scored AS ({SCORED_SQL})
SELECT u.*, page.score AS match_score, page.distance_m AS match_distance_m, kept.n AS match_kept
FROM (SELECT count(*) AS n FROM scored) AS kept
LEFT JOIN ({page_sql(has_after)}) AS page ON true
LEFT JOIN users AS u ON u.id = page.id
ORDER BY page.score DESC, page.id
"""


def rank_values(
    viewer: Taste, radius_km: float, now: datetime, size: int, after: tuple[float, int] | None
) -> dict[str, Any]:
    """The statement's parameters: the viewer's side of the score, the window and the cursor."""
    strict = viewer.dietary & m.STRICT_DIETS
    return {
        "cuisines": sorted(viewer.cuisines),
        "k": len(viewer.cuisines),
        "strict": sorted(strict),
        "not_strict": sorted(m.STRICT_DIETS - strict),
        "spice": viewer.spice_level,
        "budget": viewer.budget_level,
        "radius": float(radius_km),
        "now": now,
        "size": size,
        "after_score": after[0] if after else None,
        "after_id": after[1] if after else None,
    }


def page_rows(rows: list[Mapping[str, Any]]) -> tuple[list[Mapping[str, Any]], int]:
    """The page's rows (users with their score) and the count of kept candidates."""
    return [row for row in rows if row["id"] is not None], rows[0]["match_kept"] if rows else 0
