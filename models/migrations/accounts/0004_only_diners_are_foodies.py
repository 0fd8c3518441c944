"""Only diners are foodies: accounts of restaurants and moderators leave nearbyFoodies.

`sync_diner_point` now indexes diners only. Accounts of other roles that set a location before
are made not discoverable, which takes them out of the candidates on both backends (the card
PostgreSQL ranks from follows `users` by trigger; SQLite reads `discoverable` with the rows).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_counts_withdrawn"), ("foodies", "0003_diner_cards")]

    operations = [
        ops.RunSQL(
            "UPDATE users SET discoverable = false WHERE role <> 'diner' AND discoverable",
            reverse_sql="SELECT 1",
        ),
    ]
