from tortoise import migrations
from tortoise.migrations import operations as ops
from models.tables import OfferStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial'), ('accounts', '0002_device_sessions'), ('meals', '0001_initial'), ('restaurants', '0001_initial'), ('tables', '0002_meal_life')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SeatOffer',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meal', fields.ForeignKeyField('meals.SharedMeal', source_field='meal_id', db_constraint=True, to_field='id', related_name='seat_offers', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='seat_offers', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=OfferStatus.OPEN, description='OPEN: open\nACCEPTED: accepted\nDECLINED: declined\nLAPSED: lapsed', enum_type=OfferStatus, max_length=16)),
                ('expires_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'seat_offers', 'app': 'tables', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
