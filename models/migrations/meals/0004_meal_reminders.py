"""开饭提醒: when a shared meal's guests were reminded of it (resolvers/meals/reminders.py)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("meals", "0003_f16_tables_enums")]

    initial = False

    operations = [
        ops.AddField(model_name="SharedMeal", name="reminded_at", field=fields.DatetimeField(null=True)),
    ]
