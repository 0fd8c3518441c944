"""Indexes for the reverse halves of follows and blocks.

The unique indexes lead with the follower / blocker, so "who follows me" (followers counts and
lists) and "who blocked me" (every visibility check and the nearby spatial statement's
exclusion) scanned the whole table.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("foodies", "0001_initial")]

    operations = [
        ops.RunSQL(
            "CREATE INDEX IF NOT EXISTS blocks_blocked_id ON blocks (blocked_id)",
            reverse_sql="DROP INDEX IF EXISTS blocks_blocked_id",
        ),
        ops.RunSQL(
            "CREATE INDEX IF NOT EXISTS follows_followee_id ON follows (followee_id)",
            reverse_sql="DROP INDEX IF EXISTS follows_followee_id",
        ),
    ]
