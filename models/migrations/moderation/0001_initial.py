from tortoise import migrations
from tortoise.migrations import operations as ops
from models.moderation import ReportReason, ReportStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Report',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('reporter', fields.ForeignKeyField('accounts.User', source_field='reporter_id', null=True, db_constraint=True, to_field='id', related_name='reports_made', on_delete=OnDelete.SET_NULL)),
                ('target_type', fields.CharField(max_length=24)),
                ('target_id', fields.BigIntField()),
                ('reason', fields.CharEnumField(description='SPAM: spam\nHARASSMENT: harassment\nHATE: hate\nSEXUAL: sexual\nVIOLENCE: violence\nFAKE_REVIEW: fake_review\nSCAM: scam\nPRIVACY: privacy\nOTHER: other', enum_type=ReportReason, max_length=16)),
                ('note', fields.CharField(default='', max_length=500)),
                ('status', fields.CharEnumField(default=ReportStatus.OPEN, db_index=True, description='OPEN: open\nACTIONED: actioned\nDISMISSED: dismissed', enum_type=ReportStatus, max_length=16)),
                ('open_marker', fields.SmallIntField(null=True, default=1)),
                ('automatic', fields.BooleanField(default=False)),
                ('resolved_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'reports', 'app': 'moderation', 'unique_together': (('reporter', 'target_type', 'target_id', 'open_marker'),), 'indexes': [Index(fields=['target_type', 'target_id', 'status'])], 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='AuditEntry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('moderator', fields.ForeignKeyField('accounts.User', source_field='moderator_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('action', fields.CharField(max_length=24)),
                ('target_type', fields.CharField(max_length=24)),
                ('target_id', fields.BigIntField()),
                ('report', fields.ForeignKeyField('moderation.Report', source_field='report_id', null=True, db_constraint=True, to_field='id', related_name='audit_entries', on_delete=OnDelete.SET_NULL)),
                ('note', fields.CharField(default='', max_length=1000)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'audit_log', 'app': 'moderation', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
