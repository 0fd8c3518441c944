"""The foodie match score: one documented formula, computed only from what privacy allows.

score = 0.55 * taste + 0.30 * proximity + 0.15 * activity, each part in [0, 1]:
- taste = 0.5 * Jaccard(cuisines) + 0.2 * dietary compatibility
          + 0.15 * spice closeness + 0.15 * budget closeness (unknown values count 0.5)
- dietary compatibility: 1 when neither has a strict diet (vegetarian, halal...) or both have
  the same ones, 0.5 when they share some, else 0
- proximity = 1 - (distanceKm - 0.5) / radius: distanceKm is the candidate's distance band as
  shown (to their obfuscated point, rounded up to a whole km, at least 1: `geo.privacy.coarse_km`),
  taken at the band's middle; never the exact distance
- activity = 1 for activity within a day, decaying linearly to 0 at 30 days

The score is then quantised to 3 decimals (`quantise`): that one value is shown, ranked by (best
first, ties by user id) and carried in cursors. Nothing finer than the distance band goes in, so
a client moving its own position (or changing the radius) reads the same score all through a
band: the score, the order and the cursor say no more about where someone is than `distanceKm`
does (before, proximity used the exact distance, and the score gave it away to the metre).

The formula is written once, in `Scorer.raw`, with the weights below (the SQL form reads them
too, `ranking.SCORE_SQL`: the same float operations in the same order, so both backends get the
same value bit for bit, tests/test_ranking_sql.py; the band and the quantisation add only ceil,
floor and float8 operations, which Python and PostgreSQL do alike, unlike rounding to decimals).
A request scores up to 500 candidates against one viewer, so the viewer's side is worked out once
per request (`Scorer(viewer, radius, now)`), and each candidate is passed as plain values (no
objects built per candidate).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from geo.privacy import BAND_SLACK_KM

STRICT_DIETS = frozenset({"vegetarian", "vegan", "halal", "kosher"})
ACTIVITY_WINDOW_DAYS = 30.0
SPICE_SPAN = 5
BUDGET_SPAN = 3
SHOWN_DIGITS = 3
SCORE_SCALE = 10.0**SHOWN_DIGITS  # the score is a whole number of 1/1000ths
BAND_MIDDLE_KM = 0.5  # a band "N km" holds distances in (N - 1, N]: taken at N - 0.5
# Weights: of the score's parts, then of taste's; an unknown spice or budget counts UNKNOWN.
TASTE_W, PROXIMITY_W, ACTIVITY_W = 0.55, 0.30, 0.15
JACCARD_W, DIET_W, SPICE_W, BUDGET_W = 0.5, 0.2, 0.15, 0.15
UNKNOWN = 0.5
SHARED_DIET = 0.5


@dataclass(frozen=True)
class Taste:
    cuisines: frozenset[str]
    dietary: frozenset[str]
    spice_level: int | None
    budget_level: int | None


class Scorer:
    """The match score of candidates against one viewer, radius and moment."""

    __slots__ = ("budget", "cuisines", "now", "radius_km", "spice", "strict")

    def __init__(self, viewer: Taste, radius_km: float, now: datetime) -> None:
        self.cuisines = viewer.cuisines
        self.strict = viewer.dietary & STRICT_DIETS
        self.spice, self.budget = viewer.spice_level, viewer.budget_level
        self.radius_km, self.now = radius_km, now

    def raw(
        self,
        cuisines: frozenset[str],
        dietary: Iterable[str],
        spice_level: int | None,
        budget_level: int | None,
        distance_km: float,
        last_active: datetime | None,
    ) -> float:
        """The score as ranked, shown and put in cursors: from the distance band (never the exact
        distance), quantised (`quantise`). (`raw`: what the ranking compares, as it always was.)"""
        mine = self.cuisines
        jaccard = len(mine & cuisines) / len(mine | cuisines) if mine and cuisines else 0.0
        strict = STRICT_DIETS.intersection(dietary)
        if strict == self.strict:  # the same strict diets, or none on either side
            diet = 1.0
        else:
            diet = SHARED_DIET if strict & self.strict else 0.0
        spice = budget = UNKNOWN  # unknown on either side
        if self.spice is not None and spice_level is not None:
            spice = 1.0 - abs(self.spice - spice_level) / SPICE_SPAN
        if self.budget is not None and budget_level is not None:
            budget = 1.0 - abs(self.budget - budget_level) / BUDGET_SPAN
        taste = JACCARD_W * jaccard + DIET_W * diet + SPICE_W * spice + BUDGET_W * budget
        radius = self.radius_km
        # The band as `geo.privacy.coarse_km` shows it (whole km, rounded up, at least 1), at its middle.
        middle = max(1, math.ceil(distance_km - BAND_SLACK_KM)) - BAND_MIDDLE_KM
        proximity = max(0.0, 1.0 - middle / radius) if radius > 0 else 0.0
        if last_active is None:
            activity = 0.0
        else:
            days = max(0.0, float(idle_days(self.now, last_active)))
            activity = 1.0 if days <= 1 else max(0.0, 1.0 - (days - 1) / (ACTIVITY_WINDOW_DAYS - 1))
        return quantise(TASTE_W * taste + PROXIMITY_W * proximity + ACTIVITY_W * activity)


def idle_days(now: datetime, last_active: datetime) -> int:
    """Whole calendar days (UTC) since the diner was last active. Days, not hours: the score is
    shown to 1/1000 and every other input is public, so an exact idle time would tell anyone
    polling nearbyFoodies when a diner last opened the app (to within hours, and the moment a
    score drops would give the time of day); calendar days change for everyone at once."""
    return (now.astimezone(UTC).date() - last_active.astimezone(UTC).date()).days


def quantise(score: float) -> float:
    """A score to a whole number of 1/1000ths, half up: floor and exact steps only, so that
    PostgreSQL does it identically (`round()` there breaks ties as the platform likes)."""
    return math.floor(score * SCORE_SCALE + 0.5) / SCORE_SCALE


def match_score(
    viewer: Taste,
    candidate: Taste,
    distance_km: float,
    radius_km: float,
    last_active: datetime | None,
    now: datetime,
) -> float:
    """One candidate's score as shown (`Scorer` when scoring many against one viewer)."""
    scorer = Scorer(viewer, radius_km, now)
    c = candidate
    return scorer.raw(c.cuisines, c.dietary, c.spice_level, c.budget_level, distance_km, last_active)
