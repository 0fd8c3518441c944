from tortoise import migrations
from tortoise.migrations import operations as ops
from models.deals import ClaimStatus, DealStatus, SourceType
from models.restaurants import Visibility
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('accounts', '0001_initial'), ('restaurants', '0001_initial')]

    initial = True

    operations = [
        ops.CreateModel(
            name='Deal',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('restaurant', fields.ForeignKeyField('restaurants.Restaurant', source_field='restaurant_id', db_constraint=True, to_field='id', related_name='deals', on_delete=OnDelete.CASCADE)),
                ('created_by', fields.ForeignKeyField('accounts.User', source_field='created_by_id', db_constraint=True, to_field='id', related_name='created_deals', on_delete=OnDelete.CASCADE)),
                ('title', fields.CharField(max_length=120)),
                ('terms', fields.TextField(default='', unique=False)),
                ('price_cents', fields.IntField()),
                ('original_price_cents', fields.IntField()),
                ('currency', fields.CharField(default='CNY', max_length=3)),
                ('quantity', fields.IntField()),
                ('claimed_count', fields.IntField(default=0)),
                ('per_user_limit', fields.IntField(default=1)),
                ('starts_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('ends_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=DealStatus.ACTIVE, description='ACTIVE: active\nPAUSED: paused\nENDED: ended', enum_type=DealStatus, max_length=16)),
                ('visibility', fields.CharEnumField(default=Visibility.VISIBLE, description='VISIBLE: visible\nHIDDEN: hidden\nREMOVED: removed', enum_type=Visibility, max_length=16)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'deals', 'app': 'deals', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='Claim',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('deal', fields.ForeignKeyField('deals.Deal', source_field='deal_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='claims', on_delete=OnDelete.CASCADE)),
                ('idempotency_key', fields.CharField(max_length=64)),
                ('code', fields.CharField(unique=True, max_length=16)),
                ('status', fields.CharEnumField(description='PENDING_PAYMENT: pending_payment\nISSUED: issued\nREDEEMED: redeemed\nEXPIRED: expired\nREFUNDED: refunded', enum_type=ClaimStatus, max_length=20)),
                ('source_type', fields.CharEnumField(default=SourceType.DIRECT, description='REVIEW: review\nSHARED_MEAL: shared_meal\nEVENT: event\nPROFILE: profile\nFEED: feed\nSHARE_LINK: share_link\nDIRECT: direct', enum_type=SourceType, max_length=16)),
                ('source_id', fields.BigIntField(null=True)),
                ('referrer', fields.ForeignKeyField('accounts.User', source_field='referrer_id', null=True, db_constraint=True, to_field='id', related_name='referred_claims', on_delete=OnDelete.SET_NULL)),
                ('amount_cents', fields.IntField(default=0)),
                ('payment_intent', fields.CharField(null=True, unique=True, max_length=64)),
                ('pay_by', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('valid_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('bill_cents', fields.IntField(null=True)),
                ('redeemed_at', fields.DatetimeField(null=True, db_index=True, auto_now=False, auto_now_add=False)),
                ('redeemed_by', fields.ForeignKeyField('accounts.User', source_field='redeemed_by_id', null=True, db_constraint=True, to_field='id', related_name='redeemed_claims', on_delete=OnDelete.SET_NULL)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'claims', 'app': 'deals', 'unique_together': (('user', 'idempotency_key'),), 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='DealView',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('deal', fields.ForeignKeyField('deals.Deal', source_field='deal_id', db_constraint=True, to_field='id', related_name='views', on_delete=OnDelete.CASCADE)),
                ('viewer', fields.ForeignKeyField('accounts.User', source_field='viewer_id', null=True, db_constraint=True, to_field='id', related_name='deal_views', on_delete=OnDelete.SET_NULL)),
                ('source_type', fields.CharEnumField(default=SourceType.DIRECT, description='REVIEW: review\nSHARED_MEAL: shared_meal\nEVENT: event\nPROFILE: profile\nFEED: feed\nSHARE_LINK: share_link\nDIRECT: direct', enum_type=SourceType, max_length=16)),
                ('source_id', fields.BigIntField(null=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'deal_views', 'app': 'deals', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ReferralCredit',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='referral_credits', on_delete=OnDelete.CASCADE)),
                ('claim', fields.OneToOneField('deals.Claim', source_field='claim_id', db_constraint=True, to_field='id', related_name='referral_credit', on_delete=OnDelete.CASCADE)),
                ('amount_cents', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'referral_credits', 'app': 'deals', 'pk_attr': 'id', 'table_description': 'Ledger of referral credit: one entry per redeemed claim (unique), never per review text.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='UserDealCount',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('deal', fields.ForeignKeyField('deals.Deal', source_field='deal_id', db_constraint=True, to_field='id', related_name='user_counts', on_delete=OnDelete.CASCADE)),
                ('user', fields.ForeignKeyField('accounts.User', source_field='user_id', db_constraint=True, to_field='id', related_name='deal_counts', on_delete=OnDelete.CASCADE)),
                ('held', fields.IntField(default=0)),
            ],
            options={'table': 'user_deal_counts', 'app': 'deals', 'unique_together': (('deal', 'user'),), 'pk_attr': 'id', 'table_description': 'Claims one user holds on one deal: the row the per-user limit is enforced on.'},
            bases=['Model'],
        ),
    ]
