from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial'), ('accounts', '0002_device_sessions'), ('deals', '0003_f21_vouchers_conditions'), ('restaurants', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='RefundRetry',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('claim', fields.OneToOneField('deals.Claim', source_field='claim_id', db_constraint=True, to_field='id', related_name='refund_retry', on_delete=OnDelete.CASCADE)),
                ('payment_intent', fields.CharField(max_length=64)),
                ('amount_cents', fields.IntField()),
                ('attempts', fields.IntField(default=0)),
                ('next_attempt_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('last_error', fields.CharField(default='', max_length=200)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'refund_retries', 'app': 'deals', 'pk_attr': 'id', 'table_description': 'A refund owed to a diner: asked of the provider until it goes through, then deleted.'},
            bases=['Model'],
        ),
    ]
