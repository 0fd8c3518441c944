from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('accounts', '0002_device_sessions')]

    initial = True

    operations = [
        ops.CreateModel(
            name='LocationConsent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='location_consents', on_delete=OnDelete.CASCADE)),
                ('notice_version', fields.CharField(max_length=32)),
                ('granted_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('withdrawn_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'location_consents', 'app': 'privacy', 'indexes': [Index(fields=['user_id', 'withdrawn_at'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
