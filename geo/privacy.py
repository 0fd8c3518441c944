"""Location privacy: others only ever see a stable, coarse point and whole-km distances.

A diner's indexed point is the centre of the H3 cell (resolution 7, ~5 km^2) holding their
true position. It is stable (querying again reveals nothing new) and trilateration against it
ends at the cell centre, on median ~0.7 km from the true position. Distances are rounded up to a
whole km, so answers also leak nothing finer than the cell.
"""

from __future__ import annotations

import math

import h3

PRIVACY_RESOLUTION = 7


def obfuscate(lat: float, lng: float) -> tuple[float, float]:
    cell = h3.latlng_to_cell(lat, lng, PRIVACY_RESOLUTION)
    return h3.cell_to_latlng(cell)


def coarse_km(distance_km: float) -> float:
    """Distance as shown about another person: rounded up to a whole km, at least 1 km."""
    return float(max(1, math.ceil(distance_km - 1e-9)))
