from tortoise import migrations
from tortoise.migrations import operations as ops
from models.tables import PollKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial'), ('accounts', '0002_device_sessions'), ('meals', '0003_f16_tables_enums'), ('restaurants', '0001_initial'), ('tables', '0003_seat_offers')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MealPoll',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meal', fields.ForeignKeyField('meals.SharedMeal', source_field='meal_id', db_constraint=True, to_field='id', related_name='polls', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='TIME: time\nRESTAURANT: restaurant\nDISH: dish', enum_type=PollKind, max_length=16)),
                ('question', fields.CharField(max_length=200)),
                ('closed', fields.BooleanField(default=False)),
                ('winner_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'meal_polls', 'app': 'tables', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PollOption',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('poll', fields.ForeignKeyField('tables.MealPoll', source_field='poll_id', db_constraint=True, to_field='id', related_name='options', on_delete=OnDelete.CASCADE)),
                ('label', fields.CharField(max_length=120)),
                ('starts_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', null=True, db_constraint=True, to_field='id', related_name='poll_options', on_delete=OnDelete.CASCADE)),
                ('dish', fields.ForeignKeyField('restaurants.Dish', source_field='dish_id', null=True, db_constraint=True, to_field='id', related_name='poll_options', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'poll_options', 'app': 'tables', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PollVote',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('poll', fields.ForeignKeyField('tables.MealPoll', source_field='poll_id', db_constraint=True, to_field='id', related_name='votes', on_delete=OnDelete.CASCADE)),
                ('option', fields.ForeignKeyField('tables.PollOption', source_field='option_id', db_constraint=True, to_field='id', related_name='votes', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='poll_votes', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'poll_votes', 'app': 'tables', 'unique_together': (('poll', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
