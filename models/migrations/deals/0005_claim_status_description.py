from tortoise import migrations
from tortoise.migrations import operations as ops
from models.deals import ClaimStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial'), ('accounts', '0002_device_sessions'), ('accounts', '0003_counts_withdrawn'), ('accounts', '0004_only_diners_are_foodies'), ('deals', '0004_refund_retries'), ('restaurants', '0001_initial')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='Claim',
            name='status',
            field=fields.CharEnumField(description='PENDING_PAYMENT: pending_payment\nISSUED: issued\nREDEEMED: redeemed\nEXPIRED: expired\nREFUNDED: refunded\nCANCELLED: cancelled', enum_type=ClaimStatus, max_length=20),
        ),
    ]
