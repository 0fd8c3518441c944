"""Deals (group-buy vouchers), claims with their voucher codes, views, referral credit ledger."""

from __future__ import annotations

from enum import StrEnum

from tortoise import fields

from models.base import Model
from models.restaurants import Visibility


class DealStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ENDED = "ended"


class ClaimStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"  # holds stock until paid or expired
    ISSUED = "issued"
    REDEEMED = "redeemed"
    EXPIRED = "expired"  # unpaid in time: stock returned
    REFUNDED = "refunded"  # stock returned
    CANCELLED = "cancelled"  # never paid in time: stock returned (issue 21)


class SourceType(StrEnum):
    REVIEW = "review"
    SHARED_MEAL = "shared_meal"
    EVENT = "event"
    PROFILE = "profile"
    FEED = "feed"
    SHARE_LINK = "share_link"
    DIRECT = "direct"


class Deal(Model):
    id = fields.BigIntField(primary_key=True)
    restaurant = fields.ForeignKeyField(
        "restaurants.Restaurant", related_name="deals", on_delete=fields.CASCADE
    )
    created_by = fields.ForeignKeyField(
        "accounts.User", related_name="created_deals", on_delete=fields.CASCADE
    )
    title = fields.CharField(max_length=120)
    terms = fields.TextField(default="")
    price_cents = fields.IntField()
    original_price_cents = fields.IntField()
    currency = fields.CharField(max_length=3, default="CNY")
    quantity = fields.IntField()
    # Stock held (issued, redeemed, awaiting payment); only conditional updates change it.
    claimed_count = fields.IntField(default=0)
    per_user_limit = fields.IntField(default=1)
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField(db_index=True)
    status = fields.CharEnumField(DealStatus, max_length=16, default=DealStatus.ACTIVE)
    visibility = fields.CharEnumField(Visibility, max_length=16, default=Visibility.VISIBLE)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # Issue 21: structured fine print (resolvers/deals/conditions.py), a use window apart from
    # the sale window (null: the sale window), refund options 随时退 / 过期自动退.
    conditions = fields.JSONField(default=dict)
    use_starts_at = fields.DatetimeField(null=True)
    use_ends_at = fields.DatetimeField(null=True)
    refund_anytime = fields.BooleanField(default=True)
    refund_on_expiry = fields.BooleanField(default=False)

    class Meta:
        table = "deals"


class UserDealCount(Model):
    """Claims one user holds on one deal: the row the per-user limit is enforced on."""

    id = fields.BigIntField(primary_key=True)
    deal = fields.ForeignKeyField("deals.Deal", related_name="user_counts", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("accounts.User", related_name="deal_counts", on_delete=fields.CASCADE)
    held = fields.IntField(default=0)

    class Meta:
        table = "user_deal_counts"
        unique_together = (("deal", "user"),)


class Claim(Model):
    id = fields.BigIntField(primary_key=True)
    deal = fields.ForeignKeyField("deals.Deal", related_name="claims", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("accounts.User", related_name="claims", on_delete=fields.CASCADE)
    idempotency_key = fields.CharField(max_length=64)
    code = fields.CharField(max_length=16, unique=True)
    status = fields.CharEnumField(ClaimStatus, max_length=20)
    source_type = fields.CharEnumField(SourceType, max_length=16, default=SourceType.DIRECT)
    source_id = fields.BigIntField(null=True)
    referrer = fields.ForeignKeyField(
        "accounts.User", related_name="referred_claims", null=True, on_delete=fields.SET_NULL
    )
    amount_cents = fields.IntField(default=0)
    payment_intent = fields.CharField(max_length=64, null=True, unique=True)
    # The provider confirmed the money arrived (set once, by the first webhook): whoever ends
    # the claim later (refund, expiry) refunds exactly when this is true.
    paid = fields.BooleanField(default=False)
    pay_by = fields.DatetimeField(null=True)
    valid_until = fields.DatetimeField()
    bill_cents = fields.IntField(null=True)
    redeemed_at = fields.DatetimeField(null=True, db_index=True)
    redeemed_by = fields.ForeignKeyField(
        "accounts.User", related_name="redeemed_claims", null=True, on_delete=fields.SET_NULL
    )
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)
    # Set once by the reminder job's conditional update: one reminder per voucher.
    reminded_at = fields.DatetimeField(null=True)
    ended_at = fields.DatetimeField(null=True)  # when it became EXPIRED/CANCELLED/REFUNDED

    class Meta:
        table = "claims"
        unique_together = (("user", "idempotency_key"),)


class DealView(Model):
    id = fields.BigIntField(primary_key=True)
    deal = fields.ForeignKeyField("deals.Deal", related_name="views", on_delete=fields.CASCADE)
    viewer = fields.ForeignKeyField(
        "accounts.User", related_name="deal_views", null=True, on_delete=fields.SET_NULL
    )
    source_type = fields.CharEnumField(SourceType, max_length=16, default=SourceType.DIRECT)
    source_id = fields.BigIntField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True, db_index=True)

    class Meta:
        table = "deal_views"


class ReferralCredit(Model):
    """Ledger of referral credit: one entry per redeemed claim (unique), never per review text."""

    id = fields.BigIntField(primary_key=True)
    user = fields.ForeignKeyField("accounts.User", related_name="referral_credits", on_delete=fields.CASCADE)
    claim = fields.OneToOneField("deals.Claim", related_name="referral_credit", on_delete=fields.CASCADE)
    amount_cents = fields.IntField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "referral_credits"


class RefundRetry(Model):
    """A refund owed to a diner: asked of the provider until it goes through, then deleted.

    Written in the transaction that ends the claim (REFUNDED in our books), deleted once the
    provider takes the refund; while the provider is down, times out or refuses, the
    `retry-refunds` job asks again with back-off. Providers deduplicate by the refund number
    derived from the intent, so a retry after a lost answer is still one refund."""

    id = fields.BigIntField(primary_key=True)
    claim = fields.OneToOneField("deals.Claim", related_name="refund_retry", on_delete=fields.CASCADE)
    payment_intent = fields.CharField(max_length=64)
    amount_cents = fields.IntField()
    attempts = fields.IntField(default=0)
    next_attempt_at = fields.DatetimeField(db_index=True)
    last_error = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "refund_retries"
