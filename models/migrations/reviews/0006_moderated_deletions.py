"""Reviews their authors deleted while moderation had them hidden or removed: a repost of the
same dish starts hidden and goes to a moderator."""

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

from models.restaurants import Visibility


class Migration(migrations.Migration):
    dependencies = [('accounts', '0004_only_diners_are_foodies'), ('restaurants', '0001_initial'), ('reviews', '0005_photo_free_since')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ModeratedDeletion',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('author', fields.ForeignKeyField('accounts.User', source_field='author_id', db_constraint=True, to_field='id', related_name='moderated_deletions', on_delete=OnDelete.CASCADE)),
                ('dish', fields.ForeignKeyField('restaurants.Dish', source_field='dish_id', db_constraint=True, to_field='id', related_name='moderated_deletions', on_delete=OnDelete.CASCADE)),
                ('visibility', fields.CharEnumField(description='VISIBLE: visible\nHIDDEN: hidden\nREMOVED: removed', enum_type=Visibility, max_length=16)),
                ('deleted_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'moderated_deletions', 'app': 'reviews', 'indexes': [Index(fields=['author_id', 'dish_id'])], 'pk_attr': 'id', 'table_description': 'An author deleted their review while it was hidden or removed by moderation: a new review'},
            bases=['Model'],
        ),
    ]
