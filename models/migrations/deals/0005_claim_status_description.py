"""Claim.status's description gained CANCELLED: a change to the models' state only.

Tortoise's AlterField would rebuild the claims table on SQLite and lose its (user,
idempotency_key) unique constraint (same-key claims in parallel then made several vouchers; see
0003), so this one moves the migration state to the model and leaves the database as it is.
"""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops

from models.deals import ClaimStatus


class DescribeField(ops.AlterField):
    """AlterField for the migration state only: no statement is sent."""

    async def database_forward(self, *args: object, **kwargs: object) -> None:
        return None

    async def database_backward(self, *args: object, **kwargs: object) -> None:
        return None


class Migration(migrations.Migration):
    dependencies = [("deals", "0004_refund_retries")]

    initial = False

    operations = [
        DescribeField(
            model_name="Claim",
            name="status",
            field=fields.CharEnumField(
                description="PENDING_PAYMENT: pending_payment\nISSUED: issued\nREDEEMED: redeemed\n"
                "EXPIRED: expired\nREFUNDED: refunded\nCANCELLED: cancelled",
                enum_type=ClaimStatus,
                max_length=20,
            ),
        ),
    ]
