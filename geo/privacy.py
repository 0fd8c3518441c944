"""Location privacy: others only see distances to a stable obfuscated point, in whole-km bands.

A diner's indexed point is the centre of the H3 cell (resolution 7, ~5 km^2) holding their
true position, moved by a stable per-person offset (up to 0.8 km, independent of where in the
cell they are). It is stable (querying again gives the same point, so averaging many answers
does not converge on the true position), and on median ~1 km from the true position.

What is shown about another person is a function of their distance band only (`coarse_km`:
rounded up to a whole km, at least 1): `distanceKm`, and in nearbyFoodies the score, the order,
the cursor and the radius filter too (the radius is rounded up to whole km, so "within the
radius" is "band <= radius"; resolvers/foodies/matching.py). Moving one's own position by a few
metres, or nudging the radius, changes none of them until the band changes. (One exception:
where more than 500 diners are in the radius, which 500 nearest are scored follows the exact
distances; that tells where someone ranks among the crowd, not how far they are.)

What this does not promise: band edges are still exact. A client free to set its own position
anywhere (updateLocation) can search for the places where someone's band flips, each such place
lying exactly N km from their obfuscated point, and with enough of them fit that point; a single
answer says only "in (N - 1, N] km", but hundreds of moves can recover the point. The offset is
what protects the true position (the attack ends at the offset point, ~1 km off on median,
tests/test_privacy.py); the bands only make each answer coarse and that search slow (every
probe is a location update, under the per-minute write limit). Knowing the point exactly would also
name the privacy cell (the point lies within 0.8 km of its cell's centre), which holds the
true position somewhere in its ~5 km^2.

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
# A distance within this of a whole km counts as that km (float noise), here and in the score's
# band (resolvers/foodies/matching.py and its SQL form, which must compute the band alike).
BAND_SLACK_KM = 1e-9


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
    """Distance as shown about another person (its band): rounded up to a whole km, at least 1 km.

    Also the radius nearbyFoodies searches (`radiusKm` rounded up the same way), so that whether
    someone is listed depends on their band only."""
    return float(max(1, math.ceil(distance_km - BAND_SLACK_KM)))
