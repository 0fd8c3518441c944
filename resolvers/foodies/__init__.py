"""Foodies: profiles, follows, blocks, matching, tastes.

Nothing is re-exported here: callers import the module of this package they use."""
