from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.restaurants import Visibility
from models.reviews import PhotoStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial'), ('restaurants', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Photo',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('owner', fields.ForeignKeyField('accounts.User', source_field='owner_id', db_constraint=True, to_field='id', related_name='photos', on_delete=OnDelete.CASCADE)),
                ('upload_key', fields.CharField(unique=True, max_length=200)),
                ('content_type', fields.CharField(max_length=32)),
                ('declared_bytes', fields.IntField()),
                ('status', fields.CharEnumField(default=PhotoStatus.PENDING, description='PENDING: pending\nREADY: ready', enum_type=PhotoStatus, max_length=16)),
                ('key', fields.CharField(null=True, max_length=200)),
                ('thumbnail_key', fields.CharField(null=True, max_length=200)),
                ('width', fields.IntField(null=True)),
                ('height', fields.IntField(null=True)),
                ('visibility', fields.CharEnumField(default=Visibility.VISIBLE, description='VISIBLE: visible\nHIDDEN: hidden\nREMOVED: removed', enum_type=Visibility, max_length=16)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'photos', 'app': 'reviews', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Review',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('author', fields.ForeignKeyField('accounts.User', source_field='author_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('dish', fields.ForeignKeyField('restaurants.Dish', source_field='dish_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='reviews', on_delete=OnDelete.CASCADE)),
                ('rating', fields.SmallIntField()),
                ('body', fields.TextField(default='', unique=False)),
                ('helpful_count', fields.IntField(default=0)),
                ('edit_count', fields.IntField(default=0)),
                ('visibility', fields.CharEnumField(default=Visibility.VISIBLE, description='VISIBLE: visible\nHIDDEN: hidden\nREMOVED: removed', enum_type=Visibility, max_length=16)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'reviews', 'app': 'reviews', 'unique_together': (('author', 'dish'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='HelpfulVote',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('review', fields.ForeignKeyField('reviews.Review', source_field='review_id', db_constraint=True, to_field='id', related_name='votes', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='helpful_votes', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'helpful_votes', 'app': 'reviews', 'unique_together': (('review', 'user'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewEdit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('review', fields.ForeignKeyField('reviews.Review', source_field='review_id', db_constraint=True, to_field='id', related_name='edits', on_delete=OnDelete.CASCADE)),
                ('rating', fields.SmallIntField()),
                ('body', fields.TextField(default='', unique=False)),
                ('photo_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'review_edits', 'app': 'reviews', 'pk_attr': 'id', 'table_description': 'The version a review had before an edit: the history diners and moderators can read.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewPhoto',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('review', fields.ForeignKeyField('reviews.Review', source_field='review_id', db_constraint=True, to_field='id', related_name='photo_links', on_delete=OnDelete.CASCADE)),
                ('photo', fields.OneToOneField('reviews.Photo', source_field='photo_id', db_constraint=True, to_field='id', related_name='review_link', on_delete=OnDelete.CASCADE)),
                ('position', fields.SmallIntField(default=0)),
            ],
            options={'table': 'review_photos', 'app': 'reviews', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
