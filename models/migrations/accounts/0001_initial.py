from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.accounts import Role
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='User',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('email', fields.CharField(unique=True, max_length=254)),
                ('password_hash', fields.CharField(max_length=255)),
                ('display_name', fields.CharField(max_length=64)),
                ('role', fields.CharEnumField(default=Role.DINER, description='DINER: diner\nRESTAURANT: restaurant\nMODERATOR: moderator\nADMIN: admin', enum_type=Role, max_length=16)),
                ('bio', fields.CharField(default='', max_length=500)),
                ('cuisines', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('dietary', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('spice_level', fields.SmallIntField(null=True)),
                ('budget_level', fields.SmallIntField(null=True)),
                ('lat', fields.FloatField(null=True)),
                ('lng', fields.FloatField(null=True)),
                ('location_updated_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('discoverable', fields.BooleanField(default=True)),
                ('timezone', fields.CharField(default='Asia/Shanghai', max_length=64)),
                ('suspended_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('token_version', fields.IntField(default=0)),
                ('last_active_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'users', 'app': 'accounts', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
