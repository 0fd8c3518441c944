from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial'), ('restaurants', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='FeedEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=16)),
                ('object_id', fields.BigIntField()),
                ('actor', fields.ForeignKeyField('accounts.User', source_field='actor_id', null=True, db_constraint=True, to_field='id', related_name='feed_entries', on_delete=OnDelete.CASCADE)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', null=True, db_constraint=True, to_field='id', related_name='feed_entries', on_delete=OnDelete.CASCADE)),
                ('audience', fields.CharField(default='public', max_length=16)),
                ('visible', fields.BooleanField(default=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'feed_entries', 'app': 'feed', 'unique_together': (('kind', 'object_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
