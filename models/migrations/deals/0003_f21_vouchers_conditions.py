"""Issue 21: deal conditions, use window and refund options; voucher reminders; CANCELLED.

No AlterField for the new CANCELLED status: the column is a VARCHAR(20) either way, and on
SQLite Tortoise's AlterField rebuilds the table without its (user, idempotency_key) unique
constraint (that broke same-key claims); makemigrations proposes it, leave it out.

Unpaid claims that expired before this migration were never paid: they become CANCELLED.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops



class Migration(migrations.Migration):
    dependencies = [("deals", "0002_claim_paid")]

    operations = [
        ops.AddField("Deal", "conditions", fields.JSONField(default=dict)),
        ops.AddField("Deal", "use_starts_at", fields.DatetimeField(null=True)),
        ops.AddField("Deal", "use_ends_at", fields.DatetimeField(null=True)),
        ops.AddField("Deal", "refund_anytime", fields.BooleanField(default=True)),
        ops.AddField("Deal", "refund_on_expiry", fields.BooleanField(default=False)),
        ops.AddField("Claim", "reminded_at", fields.DatetimeField(null=True)),
        ops.AddField("Claim", "ended_at", fields.DatetimeField(null=True)),
        ops.RunSQL(
            "UPDATE claims SET status = 'cancelled' WHERE status = 'expired' AND NOT paid "
            "AND redeemed_at IS NULL AND pay_by IS NOT NULL",
            reverse_sql="SELECT 1",
        ),
    ]
