"""Properties of the match score (resolvers/foodies/matching.py, the one place it is written)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from resolvers.foodies.matching import STRICT_DIETS, Scorer, Taste, match_score
from resolvers.foodies.tastes import CUISINES, DIETARY

NOW = datetime(2026, 12, 4, 12, tzinfo=UTC)
tastes = st.builds(
    Taste,
    st.frozensets(st.sampled_from(sorted(CUISINES)), max_size=5),
    st.frozensets(st.sampled_from(sorted(DIETARY)), max_size=3),
    st.none() | st.integers(0, 5),
    st.none() | st.integers(1, 4),
)
radii = st.floats(0.1, 50)
moments = st.none() | st.floats(-1, 60).map(lambda days: NOW - timedelta(days=days))


@given(tastes, tastes, st.floats(0, 60), radii, moments)
def test_a_score_is_within_0_and_1_and_symmetric_in_taste(a, b, distance, radius, last):
    score = match_score(a, b, distance, radius, last, NOW)
    assert 0.0 <= score <= 1.0
    assert score == match_score(b, a, distance, radius, last, NOW)


@given(tastes, tastes, st.floats(0, 50), st.floats(0, 50), radii, moments)
def test_nearer_never_scores_lower(a, b, d1, d2, radius, last):
    near, far = sorted((d1, d2))
    assert match_score(a, b, near, radius, last, NOW) >= match_score(a, b, far, radius, last, NOW)


@given(tastes, tastes, st.floats(0, 50), radii, moments)
def test_a_twin_scores_at_least_anyone_else_at_the_same_place_and_time(a, b, distance, radius, last):
    twin = match_score(a, a, distance, radius, last, NOW)
    assert twin >= match_score(a, b, distance, radius, last, NOW)


@given(tastes, tastes, st.floats(0, 50), radii, moments)
def test_the_scorer_takes_a_candidate_as_plain_values(a, b, distance, radius, last):
    """As nearbyFoodies passes rows: dietary tags as a list, in any order, with repeats."""
    scored = Scorer(a, radius, NOW).raw(
        b.cuisines, [*sorted(b.dietary), *b.dietary], b.spice_level, b.budget_level, distance, last
    )
    assert scored == match_score(a, b, distance, radius, last, NOW)


def test_strict_diets_eat_best_together():
    vegan = Taste(frozenset({"sichuan"}), frozenset({"vegan"}), 3, 2)
    halal = Taste(frozenset({"sichuan"}), frozenset({"halal"}), 3, 2)
    anyone = Taste(frozenset({"sichuan"}), frozenset(), 3, 2)
    assert "vegan" in STRICT_DIETS
    scores = [match_score(vegan, other, 1, 5, NOW, NOW) for other in (vegan, anyone, halal)]
    assert scores[0] > scores[1] == scores[2]


@given(
    tastes,
    tastes,
    st.floats(0, 50),
    radii,
    st.integers(0, 60),
    st.floats(0, 1),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_a_score_never_tells_the_hour_a_diner_was_last_active(a, b, distance, radius, days, one, two, hour):
    """Anyone polling nearbyFoodies sees the score to 1/1000: two activity times on the same UTC
    day score the same, whenever during a day the score is read (it changes at midnight UTC)."""
    midnight = datetime(2026, 12, 4, tzinfo=UTC) - timedelta(days=days)
    early, late = midnight + timedelta(days=one * 0.999), midnight + timedelta(days=two * 0.999)
    now = datetime(2026, 12, 4, tzinfo=UTC) + timedelta(days=hour * 0.999)
    assert match_score(a, b, distance, radius, early, now) == match_score(a, b, distance, radius, late, now)
    assert match_score(a, b, distance, radius, early, now) == match_score(
        a, b, distance, radius, early, datetime(2026, 12, 4, tzinfo=UTC)
    )
