"""Issue 16: new enum values (reservation PROPOSED, meal COMPLETED, seat NO_SHOW and OFFERED); columns
unchanged, only their comments."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.meals import MealStatus, ReservationStatus, SeatStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('meals', '0002_f19notify_notification_subject')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='MealSeat',
            name='status',
            field=fields.CharEnumField(description='HOST: host\nJOINED: joined\nWAITLISTED: waitlisted\nPENDING: pending\nLEFT: left\nREMOVED: removed\nDECLINED: declined\nNO_SHOW: no_show\nOFFERED: offered', enum_type=SeatStatus, max_length=16),
        ),
        ops.AlterField(
            model_name='SharedMeal',
            name='reservation',
            field=fields.CharEnumField(default=ReservationStatus.NONE, description='NONE: none\nREQUESTED: requested\nCONFIRMED: confirmed\nDECLINED: declined\nPROPOSED: proposed', enum_type=ReservationStatus, max_length=16),
        ),
        ops.AlterField(
            model_name='SharedMeal',
            name='status',
            field=fields.CharEnumField(default=MealStatus.OPEN, description='OPEN: open\nCANCELLED: cancelled\nCOMPLETED: completed', enum_type=MealStatus, max_length=16),
        ),
    ]
