from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial'), ('accounts', '0002_device_sessions'), ('meals', '0001_initial'), ('restaurants', '0001_initial'), ('tables', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='MealCheckIn',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meal', fields.ForeignKeyField('meals.SharedMeal', source_field='meal_id', db_constraint=True, to_field='id', related_name='check_ins', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='meal_check_ins', on_delete=OnDelete.CASCADE)),
                ('by_voucher', fields.BooleanField(default=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'meal_check_ins', 'app': 'tables', 'unique_together': (('meal', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MealRating',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('meal', fields.ForeignKeyField('meals.SharedMeal', source_field='meal_id', db_constraint=True, to_field='id', related_name='ratings', on_delete=OnDelete.CASCADE)),
                ('rater', fields.ForeignKeyField('accounts.User', source_field='rater_id', db_constraint=True, to_field='id', related_name='meal_ratings_given', on_delete=OnDelete.CASCADE)),
                ('target', fields.ForeignKeyField('accounts.User', source_field='target_id', null=True, db_constraint=True, to_field='id', related_name='meal_ratings_received', on_delete=OnDelete.CASCADE)),
                ('thumbs_up', fields.BooleanField()),
                ('tags', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'meal_ratings', 'app': 'tables', 'unique_together': (('meal', 'rater', 'target'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
