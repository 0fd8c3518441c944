"""The foodie match score: one documented formula, computed only from what privacy allows.

score = 0.55 * taste + 0.30 * proximity + 0.15 * activity, each part in [0, 1]:
- taste = 0.5 * Jaccard(cuisines) + 0.2 * dietary compatibility
          + 0.15 * spice closeness + 0.15 * budget closeness (unknown values count 0.5)
- proximity = 1 - d / radius, with d measured to the candidate's obfuscated point
- activity = 1 for activity within a day, decaying linearly to 0 at 30 days
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

STRICT_DIETS = {"vegetarian", "vegan", "halal", "kosher"}
ACTIVITY_WINDOW_DAYS = 30.0


@dataclass(frozen=True)
class Taste:
    cuisines: frozenset[str]
    dietary: frozenset[str]
    spice_level: int | None
    budget_level: int | None


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


def dietary_compatibility(a: frozenset[str], b: frozenset[str]) -> float:
    """Strict diets (vegetarian, halal...) eat best with people who share them."""
    strict_a, strict_b = a & STRICT_DIETS, b & STRICT_DIETS
    if not strict_a and not strict_b:
        return 1.0
    if strict_a == strict_b:
        return 1.0
    return 0.5 if strict_a & strict_b else 0.0


def closeness(a: int | None, b: int | None, span: int) -> float:
    if a is None or b is None:
        return 0.5
    return 1.0 - abs(a - b) / span


def taste_similarity(a: Taste, b: Taste) -> float:
    return (
        0.5 * jaccard(a.cuisines, b.cuisines)
        + 0.2 * dietary_compatibility(a.dietary, b.dietary)
        + 0.15 * closeness(a.spice_level, b.spice_level, 5)
        + 0.15 * closeness(a.budget_level, b.budget_level, 3)
    )


def activity(last_active_at: datetime | None, now: datetime) -> float:
    if last_active_at is None:
        return 0.0
    days = max(0.0, (now - last_active_at).total_seconds() / 86400.0)
    if days <= 1:
        return 1.0
    return max(0.0, 1.0 - (days - 1) / (ACTIVITY_WINDOW_DAYS - 1))


def match_score(
    viewer: Taste,
    candidate: Taste,
    distance_km: float,
    radius_km: float,
    last_active: datetime | None,
    now: datetime,
) -> float:
    proximity = max(0.0, 1.0 - distance_km / radius_km) if radius_km > 0 else 0.0
    score = 0.55 * taste_similarity(viewer, candidate) + 0.30 * proximity + 0.15 * activity(last_active, now)
    return round(score, 6)
