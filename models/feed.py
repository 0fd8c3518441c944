"""Feed entries: one row per published piece of content, read by followers and neighbours.

Domains publish an entry when content appears; the feed query reads entries of followed actors
or of restaurants near the viewer, newest first. Moderation flips `visible`.
"""

from __future__ import annotations

from tortoise import fields

from models.base import Model


class FeedEntry(Model):
    id = fields.BigIntField(primary_key=True)
    kind = fields.CharField(max_length=16)  # review | meal | event
    object_id = fields.BigIntField()
    actor = fields.ForeignKeyField(
        "accounts.User", related_name="feed_entries", null=True, on_delete=fields.CASCADE
    )
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="feed_entries", null=True, on_delete=fields.CASCADE
    )
    # "public" or "followers": followers-only content reaches only the actor's followers.
    audience = fields.CharField(max_length=16, default="public")
    visible = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "feed_entries"
        unique_together = (("kind", "object_id"),)
