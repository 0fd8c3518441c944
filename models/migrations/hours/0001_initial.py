import functools
from json import dumps, loads

from tortoise import fields, migrations
from tortoise.fields.base import OnDelete
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("restaurants", "0001_initial")]

    initial = True

    operations = [
        ops.CreateModel(
            name="OpeningHours",
            fields=[
                ("id", fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ("restaurant", fields.OneToOneField("restaurants.Restaurant", source_field="restaurant_id", db_constraint=True, to_field="id", related_name="opening_hours", on_delete=OnDelete.CASCADE)),  # noqa: E501
                ("weekly", fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads)),  # noqa: E501
                ("specials", fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(",", ":")), decoder=loads)),  # noqa: E501
                ("updated_at", fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={"table": "opening_hours", "app": "hours", "pk_attr": "id"},
            bases=["Model"],
        ),
    ]
