"""Claims remember whether the provider confirmed payment (refund decisions read it).

Claims already issued or redeemed with a payment intent were paid through the webhook.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]

    operations = [
        ops.AddField("Claim", "paid", fields.BooleanField(default=False)),
        ops.RunSQL(
            "UPDATE claims SET paid = TRUE WHERE payment_intent IS NOT NULL "
            "AND status IN ('issued', 'redeemed')",
            reverse_sql="SELECT 1",
        ),
    ]
