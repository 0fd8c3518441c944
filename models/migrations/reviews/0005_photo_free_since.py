"""Photos no review shows (photos.free_since): the orphan clean-up deletes them and their files
once they have been free for a while. Photos free today count as free since they were made."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [("reviews", "0004_photos_by_review")]

    initial = False

    operations = [
        ops.AddField(model_name="Photo", name="free_since", field=fields.DatetimeField(null=True)),
        ops.RunSQL(
            "UPDATE photos SET free_since = created_at WHERE status = 'ready' "
            "AND NOT EXISTS (SELECT 1 FROM review_photos WHERE review_photos.photo_id = photos.id)",
            reverse_sql="SELECT 1",
        ),
        ops.RunSQL(
            "CREATE INDEX IF NOT EXISTS photos_free_since ON photos (free_since) WHERE free_since IS NOT NULL",
            reverse_sql="DROP INDEX IF EXISTS photos_free_since",
        ),
    ]
