"""Great-circle distance on the sphere PostGIS uses for geography with use_spheroid=false."""

from __future__ import annotations

import math
from dataclasses import dataclass

EARTH_RADIUS_M = 6371008.7714  # PostGIS's mean sphere radius


def distance_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Haversine distance in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp = p2 - p1
    dl = math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h))) / 1000.0


@dataclass(frozen=True)
class Box:
    min_lat: float
    max_lat: float
    min_lng: float
    max_lng: float


def bounding_boxes(lat: float, lng: float, radius_km: float) -> list[Box]:
    """Lat/lng boxes that together contain the circle; split at the antimeridian, widened at poles."""
    angular = radius_km * 1000.0 / EARTH_RADIUS_M
    dlat = math.degrees(angular)
    min_lat, max_lat = lat - dlat, lat + dlat
    if min_lat <= -90 or max_lat >= 90 or angular >= math.pi / 2:
        return [Box(max(min_lat, -90.0), min(max_lat, 90.0), -180.0, 180.0)]
    ratio = math.sin(angular) / math.cos(math.radians(lat))
    if ratio >= 1:
        return [Box(min_lat, max_lat, -180.0, 180.0)]
    dlng = math.degrees(math.asin(ratio))
    lo, hi = lng - dlng, lng + dlng
    if lo < -180:
        return [Box(min_lat, max_lat, lo + 360, 180.0), Box(min_lat, max_lat, -180.0, hi)]
    if hi > 180:
        return [Box(min_lat, max_lat, lo, 180.0), Box(min_lat, max_lat, -180.0, hi - 360)]
    return [Box(min_lat, max_lat, lo, hi)]
