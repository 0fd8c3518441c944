"""A suspended diner's reviews leave the dish and restaurant counters (resolvers/reviews/withdrawal.py).

`counts_withdrawn` says they are out. Diners suspended before this migration are withdrawn by
the `settle-suspensions` job on its first run (it finds every suspension not yet withdrawn and
every withdrawal whose suspension has ended), through the same code as a moderator's decision.
The two partial indexes keep that job's lookups off a scan of every diner.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_device_sessions")]

    operations = [
        ops.AddField("User", "counts_withdrawn", fields.BooleanField(default=False)),
        ops.RunSQL(
            "CREATE INDEX users_suspended ON users (suspended_until) WHERE suspended_until IS NOT NULL",
            reverse_sql="DROP INDEX users_suspended",
        ),
        ops.RunSQL(
            "CREATE INDEX users_counts_withdrawn ON users (id) WHERE counts_withdrawn",
            reverse_sql="DROP INDEX users_counts_withdrawn",
        ),
    ]
