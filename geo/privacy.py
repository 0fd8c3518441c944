"""Location privacy: others only ever see a stable, coarse point and whole-km distances.

A diner's indexed point is the centre of the H3 cell (resolution 7, ~5 km^2) holding their
true position, moved by a stable per-person offset (up to 0.8 km, independent of where in the
cell they are). It is stable (querying again reveals nothing new) and trilateration against it
ends at that point, on median ~1 km from the true position. Distances are rounded up to a whole
km, so answers leak nothing finer either.

The offset is an HMAC of (cell, person id) under a key derived from the server's SECRET_KEY:
derived from public data alone, anyone who trilaterated the offset point could compute the offset
of every nearby cell for that person id and so recover the privacy cell itself.

The offset also keeps the thousands of diners of one dense cell from sharing one exact point,
which would make "nearest first, ties by id" scan every one of them (see geo/postgis_backend).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from functools import lru_cache

import h3

PRIVACY_RESOLUTION = 7


MAX_OFFSET_KM = 0.8
KM_PER_DEGREE = 111.2


@lru_cache(maxsize=4)
def _offset_key(secret: str) -> bytes:
    """A key for this one purpose, so the offsets reveal nothing about keys used elsewhere."""
    return hmac.new(secret.encode(), b"tablemates/geo-privacy-offset/v1", hashlib.sha256).digest()


def obfuscate(lat: float, lng: float, person: int, *, secret: str) -> tuple[float, float]:
    """The point others see: cell centre plus the secret-keyed stable offset of (cell, person)."""
    cell = h3.latlng_to_cell(lat, lng, PRIVACY_RESOLUTION)
    centre_lat, centre_lng = h3.cell_to_latlng(cell)
    digest = hmac.new(_offset_key(secret), f"{cell}:{person}".encode(), hashlib.sha256).digest()
    bearing = int.from_bytes(digest[:4], "big") / 2**32 * 2 * math.pi
    distance = MAX_OFFSET_KM * math.sqrt(int.from_bytes(digest[4:8], "big") / 2**32)  # uniform in a disc
    new_lat = max(-89.9, min(89.9, centre_lat + distance * math.cos(bearing) / KM_PER_DEGREE))
    scale = KM_PER_DEGREE * max(math.cos(math.radians(centre_lat)), 0.01)
    new_lng = (centre_lng + distance * math.sin(bearing) / scale + 180) % 360 - 180
    return new_lat, new_lng


def coarse_km(distance_km: float) -> float:
    """Distance as shown about another person: rounded up to a whole km, at least 1 km."""
    return float(max(1, math.ceil(distance_km - 1e-9)))
