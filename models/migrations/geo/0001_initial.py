from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    initial = True

    operations = [
        ops.CreateModel(
            name='GeoPoint',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=32)),
                ('object_id', fields.BigIntField()),
                ('lat', fields.FloatField()),
                ('lng', fields.FloatField()),
            ],
            options={'table': 'geo_points', 'app': 'geo', 'unique_together': (('kind', 'object_id'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
