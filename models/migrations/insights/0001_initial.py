from tortoise import migrations
from tortoise.migrations import operations as ops
from models.deals import SourceType
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('restaurants', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='DealDailyStat',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='daily_stats', on_delete=OnDelete.CASCADE)),
                ('day', fields.DateField()),
                ('hour', fields.SmallIntField()),
                ('source_type', fields.CharEnumField(description='REVIEW: review\nSHARED_MEAL: shared_meal\nEVENT: event\nPROFILE: profile\nFEED: feed\nSHARE_LINK: share_link\nDIRECT: direct', enum_type=SourceType, max_length=16)),
                ('views', fields.IntField(default=0)),
                ('claims', fields.IntField(default=0)),
                ('redemptions', fields.IntField(default=0)),
                ('revenue_cents', fields.BigIntField(default=0)),
            ],
            options={'table': 'deal_daily_stats', 'app': 'insights', 'unique_together': (('restaurant', 'day', 'hour', 'source_type'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
