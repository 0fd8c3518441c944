from tortoise import migrations
from tortoise.migrations import operations as ops
from models.restaurants import Visibility
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0002_device_sessions'), ('restaurants', '0001_initial'), ('reviews', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='RestaurantRating',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('restaurant', fields.OneToOneField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='rating', on_delete=OnDelete.CASCADE)),
                ('review_count', fields.IntField(default=0)),
                ('rating_sum', fields.IntField(default=0)),
                ('weighted_sum', fields.IntField(default=0)),
                ('weight_total', fields.IntField(default=0)),
                ('verified_count', fields.IntField(default=0)),
                ('stars_1', fields.IntField(default=0)),
                ('stars_2', fields.IntField(default=0)),
                ('stars_3', fields.IntField(default=0)),
                ('stars_4', fields.IntField(default=0)),
                ('stars_5', fields.IntField(default=0)),
                ('review_spend_sum', fields.BigIntField(default=0)),
                ('review_spend_count', fields.IntField(default=0)),
                ('bill_sum', fields.BigIntField(default=0)),
                ('bill_count', fields.IntField(default=0)),
            ],
            options={'table': 'restaurant_ratings', 'app': 'trust', 'pk_attr': 'id', 'table_description': "Counters over a restaurant's visible dish reviews, moved only by atomic increments in the"},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReviewReply',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('review', fields.OneToOneField('reviews.Review', source_field='review_id', db_constraint=True, to_field='id', related_name='reply', on_delete=OnDelete.CASCADE)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='review_replies', on_delete=OnDelete.CASCADE)),
                ('author', fields.ForeignKeyField('accounts.User', source_field='author_id', db_constraint=True, to_field='id', related_name='review_replies', on_delete=OnDelete.CASCADE)),
                ('body', fields.TextField(unique=False)),
                ('visibility', fields.CharEnumField(default=Visibility.VISIBLE, description='VISIBLE: visible\nHIDDEN: hidden\nREMOVED: removed', enum_type=Visibility, max_length=16)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'review_replies', 'app': 'trust', 'pk_attr': 'id', 'table_description': "The restaurant's one public answer to a review."},
            bases=['Model'],
        ),
        ops.RunSQL(
            # Existing databases: counters from the visible reviews already there (none verified).
            "INSERT INTO restaurant_ratings (restaurant_id, review_count, rating_sum, weighted_sum, "
            "weight_total, verified_count, stars_1, stars_2, stars_3, stars_4, stars_5, "
            "review_spend_sum, review_spend_count, bill_sum, bill_count) "
            "SELECT restaurant_id, COUNT(*), SUM(rating), SUM(rating), COUNT(*), 0, "
            "SUM(CASE WHEN rating = 1 THEN 1 ELSE 0 END), SUM(CASE WHEN rating = 2 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN rating = 3 THEN 1 ELSE 0 END), SUM(CASE WHEN rating = 4 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN rating = 5 THEN 1 ELSE 0 END), 0, 0, 0, 0 "
            "FROM reviews WHERE visibility = 'visible' GROUP BY restaurant_id",
            reverse_sql="SELECT 1",
        ),
    ]
