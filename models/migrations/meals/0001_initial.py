from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.meals import Audience, MealStatus, ReservationStatus, SeatStatus
from models.restaurants import Visibility
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial'), ('restaurants', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='RestaurantEvent',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='events', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('accounts.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='created_events', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=120)),
                ('description', fields.TextField(default='', unique=False)),
                ('starts_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('capacity', fields.IntField()),
                ('seats_taken', fields.IntField(default=0)),
                ('price_cents', fields.IntField(default=0)),
                ('currency', fields.CharField(default='CNY', max_length=3)),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('cancelled', fields.BooleanField(default=False)),
                ('visibility', fields.CharEnumField(default=Visibility.VISIBLE, description='VISIBLE: visible\nHIDDEN: hidden\nREMOVED: removed', enum_type=Visibility, max_length=16)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'restaurant_events', 'app': 'meals', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='EventRsvp',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event', fields.ForeignKeyField('meals.RestaurantEvent', source_field='event_id', db_constraint=True, to_field='id', related_name='rsvps', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='event_rsvps', on_delete=OnDelete.CASCADE)),
                ('going', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'event_rsvps', 'app': 'meals', 'unique_together': (('event', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='SharedMeal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('host', fields.ForeignKeyField('accounts.User', source_field='host_id', db_constraint=True, to_field='id', related_name='hosted_meals', on_delete=OnDelete.CASCADE)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='shared_meals', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=120)),
                ('description', fields.TextField(default='', unique=False)),
                ('starts_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('capacity', fields.SmallIntField()),
                ('seats_taken', fields.SmallIntField(default=1)),
                ('approval_required', fields.BooleanField(default=False)),
                ('audience', fields.CharEnumField(default=Audience.PUBLIC, description='PUBLIC: public\nFOLLOWERS: followers', enum_type=Audience, max_length=16)),
                ('status', fields.CharEnumField(default=MealStatus.OPEN, description='OPEN: open\nCANCELLED: cancelled', enum_type=MealStatus, max_length=16)),
                ('reservation', fields.CharEnumField(default=ReservationStatus.NONE, description='NONE: none\nREQUESTED: requested\nCONFIRMED: confirmed\nDECLINED: declined', enum_type=ReservationStatus, max_length=16)),
                ('reservation_note', fields.CharField(default='', max_length=200)),
                ('visibility', fields.CharEnumField(default=Visibility.VISIBLE, description='VISIBLE: visible\nHIDDEN: hidden\nREMOVED: removed', enum_type=Visibility, max_length=16)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'shared_meals', 'app': 'meals', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MealSeat',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meal', fields.ForeignKeyField('meals.SharedMeal', source_field='meal_id', db_constraint=True, to_field='id', related_name='seats', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='meal_seats', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(description='HOST: host\nJOINED: joined\nWAITLISTED: waitlisted\nPENDING: pending\nLEFT: left\nREMOVED: removed\nDECLINED: declined', enum_type=SeatStatus, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'meal_seats', 'app': 'meals', 'unique_together': (('meal', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Notification',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(max_length=32)),
                ('message', fields.CharField(max_length=300)),
                ('meal', fields.ForeignKeyField('meals.SharedMeal', source_field='meal_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('event', fields.ForeignKeyField('meals.RestaurantEvent', source_field='event_id', null=True, db_constraint=True, to_field='id', related_name='notifications', on_delete=OnDelete.CASCADE)),
                ('read_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'notifications', 'app': 'meals', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
