from tortoise import migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('hours', '0001_initial'), ('restaurants', '0001_initial')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='OpeningHours',
            options={'table': 'opening_hours', 'app': 'hours', 'pk_attr': 'id', 'table_description': "One row per restaurant. Times are wall-clock minutes in the restaurant's zone."},
        ),
    ]
