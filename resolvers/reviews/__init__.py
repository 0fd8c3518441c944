"""Reviews: reviews, helpful votes, photos.

Nothing is re-exported here: callers import the module of this package they use."""
