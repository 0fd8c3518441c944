from tortoise import migrations
from tortoise.migrations import operations as ops
from models.favourites import FavouriteKind
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0002_device_sessions'), ('meals', '0003_f16_tables_enums'), ('restaurants', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='FavouriteList',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('accounts.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='favourite_lists', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=80)),
                ('is_default', fields.BooleanField(default=False)),
                ('default_owner', fields.BigIntField(null=True, unique=True)),
                ('share_token_hash', fields.CharField(null=True, unique=True, max_length=64)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'favourite_lists', 'app': 'favourites', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='FavouriteItem',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('list', fields.ForeignKeyField('favourites.FavouriteList', source_field='list_id', db_constraint=True, to_field='id', related_name='items', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharEnumField(description='RESTAURANT: restaurant\nDISH: dish\nSHARED_MEAL: shared_meal', enum_type=FavouriteKind, max_length=16)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', null=True, db_constraint=True, to_field='id', related_name='favourite_items', on_delete=OnDelete.CASCADE)),
                ('dish', fields.ForeignKeyField('restaurants.Dish', source_field='dish_id', null=True, db_constraint=True, to_field='id', related_name='favourite_items', on_delete=OnDelete.CASCADE)),
                ('meal', fields.ForeignKeyField('meals.SharedMeal', source_field='meal_id', null=True, db_constraint=True, to_field='id', related_name='favourite_items', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'favourite_items', 'app': 'favourites', 'unique_together': (('list', 'restaurant'), ('list', 'dish'), ('list', 'meal')), 'pk_attr': 'id', 'table_description': 'One saved target: exactly one of restaurant, dish, meal is set (as `kind` says).'},
            bases=['Model'],
        ),
    ]
