from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0002_device_sessions'), ('meals', '0001_initial'), ('restaurants', '0001_initial')]

    initial = False

    operations = [
        ops.AddField(
            model_name='Notification',
            name='actor',
            field=fields.ForeignKeyField('accounts.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='notifications_caused', on_delete=OnDelete.SET_NULL),
        ),
        ops.AddField(
            model_name='Notification',
            name='dedupe_key',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        ops.AddField(
            model_name='Notification',
            name='subject_id',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Notification',
            name='subject_type',
            field=fields.CharField(null=True, max_length=24),
        ),
    ]
