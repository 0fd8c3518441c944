"""Issue 16: new enum values (reservation PROPOSED); the column is unchanged, only its comment."""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.meals import ReservationStatus
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('meals', '0001_initial')]

    initial = False

    operations = [
        ops.AlterField(
            model_name='SharedMeal',
            name='reservation',
            field=fields.CharEnumField(default=ReservationStatus.NONE, description='NONE: none\nREQUESTED: requested\nCONFIRMED: confirmed\nDECLINED: declined\nPROPOSED: proposed', enum_type=ReservationStatus, max_length=16),
        ),
    ]
