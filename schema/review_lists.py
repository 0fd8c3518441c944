"""Arguments of review lists and signature dishes (no node imports: restaurants and dishes use
them directly, without lazy references)."""

from __future__ import annotations

import strawberry

from resolvers.restaurants import page
from resolvers.reviews import listing

ReviewSort = strawberry.enum(listing.ReviewSort, name="ReviewSort")
SignatureDishSort = strawberry.enum(page.SignatureSort, name="SignatureDishSort")


@strawberry.input
class ReviewFilter:
    with_photos: bool = False
    verified_only: bool = strawberry.field(default=False, description="Only verified visits.")
    rating: int | None = strawberry.field(default=None, description="Only reviews of this many stars.")

    def domain(self) -> listing.ReviewFilter:
        return listing.ReviewFilter(self.with_photos, self.verified_only, self.rating)
