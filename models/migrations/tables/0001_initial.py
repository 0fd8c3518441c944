from tortoise import migrations
from tortoise.migrations import operations as ops
from models.tables import BookingStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0002_device_sessions'), ('meals', '0001_initial'), ('restaurants', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='BookingPolicy',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('restaurant', fields.OneToOneField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='booking_policy', on_delete=OnDelete.CASCADE)),
                ('cancel_cutoff_minutes', fields.IntField(default=120)),
                ('max_party_size', fields.SmallIntField(default=10)),
                ('no_show_limit', fields.SmallIntField(default=2)),
            ],
            options={'table': 'booking_policies', 'app': 'tables', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BookingSlot',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='booking_slots', on_delete=OnDelete.CASCADE)),
                ('starts_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('seats', fields.IntField()),
                ('seats_booked', fields.IntField(default=0)),
            ],
            options={'table': 'booking_slots', 'app': 'tables', 'unique_together': (('restaurant', 'starts_at'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Booking',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.CASCADE)),
                ('slot', fields.ForeignKeyField('tables.BookingSlot', source_field='slot_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='bookings', on_delete=OnDelete.CASCADE)),
                ('party_size', fields.SmallIntField()),
                ('starts_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('note', fields.CharField(default='', max_length=200)),
                ('status', fields.CharEnumField(description='REQUESTED: requested\nCONFIRMED: confirmed\nPROPOSED: proposed\nDECLINED: declined\nCANCELLED: cancelled\nNO_SHOW: no_show', enum_type=BookingStatus, max_length=16)),
                ('decline_reason', fields.CharField(default='', max_length=200)),
                ('proposed_slot', fields.ForeignKeyField('tables.BookingSlot', source_field='proposed_slot_id', null=True, db_constraint=True, to_field='id', related_name='proposals', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'bookings', 'app': 'tables', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MealReservationAnswer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meal', fields.OneToOneField('meals.SharedMeal', source_field='meal_id', db_constraint=True, to_field='id', related_name='reservation_answer', on_delete=OnDelete.CASCADE)),
                ('decline_reason', fields.CharField(default='', max_length=200)),
                ('proposed_starts_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'meal_reservation_answers', 'app': 'tables', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
