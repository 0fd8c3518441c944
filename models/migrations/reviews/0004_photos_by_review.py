"""Index review photos by their review.

Every review list and feed page reads its reviews' photos by `review_id IN (...)`; with only the
unique index on `photo_id`, PostgreSQL walked all visible photos and probed each one (4-7 ms
with 3 000 photos, a full scan per page at real sizes).
"""

from tortoise import migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("reviews", "0003_f15page_review_trust")]

    operations = [
        ops.RunSQL(
            "CREATE INDEX IF NOT EXISTS review_photos_review_id ON review_photos (review_id, position)",
            reverse_sql="DROP INDEX IF EXISTS review_photos_review_id",
        ),
    ]
