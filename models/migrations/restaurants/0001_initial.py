from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.restaurants import StaffRole, Visibility
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Restaurant',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('accounts.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='owned_restaurants', on_delete=OnDelete.RESTRICT)),
                ('name', fields.CharField(max_length=120)),
                ('search_text', fields.TextField(default='', unique=False)),
                ('address', fields.CharField(default='', max_length=255)),
                ('lat', fields.FloatField()),
                ('lng', fields.FloatField()),
                ('cuisines', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('phone', fields.CharField(default='', max_length=32)),
                ('timezone', fields.CharField(default='Asia/Shanghai', max_length=64)),
                ('archived', fields.BooleanField(default=False)),
                ('visibility', fields.CharEnumField(default=Visibility.VISIBLE, description='VISIBLE: visible\nHIDDEN: hidden\nREMOVED: removed', enum_type=Visibility, max_length=16)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'restaurants', 'app': 'restaurants', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Dish',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='dishes', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=120)),
                ('description', fields.CharField(default='', max_length=500)),
                ('price_cents', fields.IntField()),
                ('currency', fields.CharField(default='CNY', max_length=3)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('archived', fields.BooleanField(default=False)),
                ('rating_sum', fields.IntField(default=0)),
                ('review_count', fields.IntField(default=0)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'dishes', 'app': 'restaurants', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RestaurantStaff',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='staff', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='staff_of', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(default=StaffRole.STAFF, description='OWNER: owner\nSTAFF: staff', enum_type=StaffRole, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'restaurant_staff', 'app': 'restaurants', 'unique_together': (('restaurant', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
