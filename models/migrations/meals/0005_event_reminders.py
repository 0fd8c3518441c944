"""活动提醒: when a restaurant event's attendees were reminded of it (resolvers/meals/reminders.py)."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("meals", "0004_meal_reminders")]

    initial = False

    operations = [
        ops.AddField(model_name="RestaurantEvent", name="reminded_at", field=fields.DatetimeField(null=True)),
    ]
