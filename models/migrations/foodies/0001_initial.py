from tortoise import migrations
from tortoise.migrations import operations as ops
from models.foodies import MatchStatus
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Block',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('blocker', fields.ForeignKeyField('accounts.User', source_field='blocker_id', db_constraint=True, to_field='id', related_name='blocks_made', on_delete=OnDelete.CASCADE)),
                ('blocked', fields.ForeignKeyField('accounts.User', source_field='blocked_id', db_constraint=True, to_field='id', related_name='blocks_received', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'blocks', 'app': 'foodies', 'unique_together': (('blocker', 'blocked'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Follow',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('follower', fields.ForeignKeyField('accounts.User', source_field='follower_id', db_constraint=True, to_field='id', related_name='following_links', on_delete=OnDelete.CASCADE)),
                ('followee', fields.ForeignKeyField('accounts.User', source_field='followee_id', db_constraint=True, to_field='id', related_name='follower_links', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'follows', 'app': 'foodies', 'unique_together': (('follower', 'followee'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='MatchRequest',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sender', fields.ForeignKeyField('accounts.User', source_field='sender_id', db_constraint=True, to_field='id', related_name='match_requests_sent', on_delete=OnDelete.CASCADE)),
                ('recipient', fields.ForeignKeyField('accounts.User', source_field='recipient_id', db_constraint=True, to_field='id', related_name='match_requests_received', on_delete=OnDelete.CASCADE)),
                ('pair', fields.CharField(unique=True, max_length=48)),
                ('message', fields.CharField(default='', max_length=300)),
                ('status', fields.CharEnumField(default=MatchStatus.PENDING, description='PENDING: pending\nACCEPTED: accepted\nDECLINED: declined', enum_type=MatchStatus, max_length=16)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
                ('responded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'match_requests', 'app': 'foodies', 'pk_attr': 'id'},
            bases=['Model'],
        ),
    ]
