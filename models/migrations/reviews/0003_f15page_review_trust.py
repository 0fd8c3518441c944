from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0002_device_sessions'), ('restaurants', '0001_initial'), ('reviews', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Review',
            name='spend_cents',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Review',
            name='verified',
            field=fields.BooleanField(default=False),
        ),
        ops.AddField(
            model_name='Review',
            name='verified_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
    ]
