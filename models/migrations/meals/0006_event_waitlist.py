"""候补: a full restaurant event's waitlist (event_rsvps.waitlisted_at), first in line first served."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("meals", "0005_event_reminders")]

    initial = False

    operations = [
        ops.AddField(model_name="EventRsvp", name="waitlisted_at", field=fields.DatetimeField(null=True)),
    ]
