from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial'), ('accounts', '0002_device_sessions'), ('accounts', '0003_counts_withdrawn'), ('accounts', '0004_only_diners_are_foodies'), ('meals', '0006_event_waitlist'), ('notifications', '0001_initial')]

    initial = False

    operations = [
        ops.AlterModelOptions(
            name='NotificationPreference',
            options={'table': 'notification_preferences', 'app': 'notifications', 'unique_together': (('user', 'kind'),), 'pk_attr': 'id', 'table_description': 'One row per (user, kind) the user changed; no row means both channels on.'},
        ),
        ops.AlterModelOptions(
            name='PushDelivery',
            options={'table': 'push_outbox', 'app': 'notifications', 'indexes': [Index(fields=['status', 'next_attempt_at'])], 'pk_attr': 'id', 'table_description': 'One notification to one device: the outbox row, retried with back-off until sent or given up.'},
        ),
        ops.AlterModelOptions(
            name='PushDevice',
            options={'table': 'push_devices', 'app': 'notifications', 'unique_together': (('platform', 'token'),), 'pk_attr': 'id', 'table_description': "A phone's push token; a token belongs to one account at a time (the last to register it)."},
        ),
    ]
