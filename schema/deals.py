"""Deals, vouchers (claims), attribution of views and claims, restaurant insights."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry import relay

from core.errors import AuthError, ErrorCode, UserInputError
from core.loaders import rows_of
from models.accounts import Role
from models.deals import Claim, ClaimStatus, Deal, DealStatus, SourceType
from models.restaurants import Visibility
from resolvers import visibility
from resolvers.deals import attribution, deal_edits, deals, insights, merchant, rollup, vouchers
from resolvers.deals.conditions import Conditions, fine_print, refund_terms
from resolvers.restaurants import restaurants
from schema.context import Info
from schema.errors import UserError, user_errors
from schema.ids import decode, decode_any
from schema.nodes import ModelNode
from schema.pagination import Connection, to_connection
from schema.payloads import Payload, payload_mutation
from schema.restaurants import RestaurantNode

if TYPE_CHECKING:
    from schema.vouchers import DealConditions, DealConditionsInput, FinePrintLine

DealStatusEnum = strawberry.enum(DealStatus, name="DealStatus")
ClaimStatusEnum = strawberry.enum(ClaimStatus, name="ClaimStatus")
ModerationState = strawberry.enum(
    Visibility,
    name="ModerationState",
    description="What moderation left of a piece of content: VISIBLE (untouched or restored), "
    "HIDDEN or REMOVED (off every public list).",
)


@strawberry.enum
class AttributionType(Enum):
    REVIEW = "review"
    SHARED_MEAL = "shared_meal"
    EVENT = "event"
    PROFILE = "profile"
    FEED = "feed"
    SHARE_LINK = "share_link"


@strawberry.enum
class AttributionSource(Enum):
    """Where a view or claim came from; DIRECT when the app gave no source."""

    REVIEW = "review"
    SHARED_MEAL = "shared_meal"
    EVENT = "event"
    PROFILE = "profile"
    FEED = "feed"
    SHARE_LINK = "share_link"
    DIRECT = "direct"


@strawberry.input
class AttributionInput:
    type: AttributionType
    id: strawberry.ID = strawberry.field(
        description="Global ID of the review, meal, event, user (PROFILE) or content (FEED); "
        "for SHARE_LINK the token from shareDeal."
    )


@strawberry.type(name="Deal")
class DealNode(ModelNode, kind=Deal):
    id: relay.NodeID[int]
    title: str
    terms: str
    price_cents: int
    original_price_cents: int
    currency: str
    quantity: int
    per_user_limit: int
    starts_at: datetime
    ends_at: datetime
    status: DealStatusEnum  # type: ignore[valid-type]
    created_at: datetime
    use_starts_at: datetime = strawberry.field(description="Vouchers usable from (default: startsAt).")
    use_ends_at: datetime = strawberry.field(description="Vouchers usable until (default: endsAt).")
    refund_anytime: bool = strawberry.field(description="随时退: unused vouchers refundable on request.")
    refund_on_expiry: bool = strawberry.field(description="过期自动退: refunded when the use window ends.")
    distance_km: float | None = None
    model: strawberry.Private[Deal]

    derive = {
        "use_starts_at": lambda row: deals.use_window(row)[0],
        "use_ends_at": lambda row: deals.use_window(row)[1],
    }

    @strawberry.field
    def conditions(self) -> Annotated[DealConditions, strawberry.lazy("schema.vouchers")]:
        from schema.vouchers import DealConditions

        return DealConditions.of(Conditions.from_json(self.model.conditions))

    @strawberry.field(description="The conditions as lines to show, in the restaurant's time zone.")
    async def fine_print(self) -> list[Annotated[FinePrintLine, strawberry.lazy("schema.vouchers")]]:
        from schema.vouchers import FinePrintLine

        start, end = deals.use_window(self.model)
        zone = await rollup.time_zone(self.model.restaurant_id)
        lines = fine_print(Conditions.from_json(self.model.conditions), start, end, zone)
        deal = self.model
        refund = refund_terms(deal.price_cents, deal.refund_anytime, deal.refund_on_expiry)
        lines += [refund] if refund else []
        return [FinePrintLine(code=line.code, text=line.text, text_en=line.text_en) for line in lines]

    @strawberry.field(
        description="Claimable now: ACTIVE, within its sale window, not taken down by "
        "moderation and not sold out (a deal past endsAt stays ACTIVE in `status` until its "
        "owner ends it; a sold-out one is still listed, with soldOut true)."
    )
    def on_sale(self) -> bool:
        deal, now = self.model, datetime.now(UTC)
        return (
            deal.status == DealStatus.ACTIVE
            and deal.visibility == Visibility.VISIBLE
            and deal.starts_at <= now < deal.ends_at
            and deal.claimed_count < deal.quantity
        )

    @strawberry.field(
        description="Staff of its restaurant (and admins) only, null for everyone else: HIDDEN or "
        "REMOVED when a moderator took the deal down (then nobody else sees or claims it)."
    )
    async def moderation(self, info: Info) -> ModerationState | None:  # type: ignore[valid-type]
        viewer = info.context.viewer
        if viewer is None:
            return None
        if viewer.role != Role.ADMIN:
            roles = info.context.loaders.get(restaurants.load_staff_roles, viewer.id)
            if await roles.load(self.model.restaurant_id) is None:
                return None
        return self.model.visibility

    @strawberry.field(
        description="Vouchers left to claim: unpaid claims hold theirs until paid or released."
    )
    def remaining(self) -> int:
        return max(0, self.model.quantity - self.model.claimed_count)

    @strawberry.field(
        description="已抢光: nothing left to claim now (unpaid claims released later bring stock back)."
    )
    def sold_out(self) -> bool:
        return self.model.claimed_count >= self.model.quantity

    @strawberry.field(description="Closed ones too (archived: 已停业): a diner's record keeps its shop.")
    async def restaurant(self, info: Info) -> RestaurantNode | None:
        row = await visibility.fetch_recorded_restaurant(info.context, self.model.restaurant_id)
        return RestaurantNode.from_model(row) if row else None


@strawberry.type
class PaymentInfo:
    intent_id: str
    client_secret: str = strawberry.field(description="Hand to the payment SDK; never logged.")
    amount_cents: int
    pay_by: datetime | None


def _shows_code(claim: Claim) -> bool:
    return claim.status in vouchers.CODE_SHOWN


@strawberry.type(name="Claim")
class ClaimNode(ModelNode, kind=Claim, private_to="user_id"):
    """A claimed voucher. Private: its owner (and the restaurant's staff when redeeming)."""

    id: relay.NodeID[int]
    status: ClaimStatusEnum  # type: ignore[valid-type]
    source: AttributionSource
    amount_cents: int
    valid_until: datetime
    redeemed_at: datetime | None
    bill_cents: int | None
    created_at: datetime
    model: strawberry.Private[Claim]

    derive = {
        "source": lambda row: AttributionSource(row.source_type.value),
    }

    @strawberry.field(
        description="The voucher code, XXXX-XXXX-XXXX (forgiving when typed back); only while the "
        "voucher is usable or once used (ISSUED, REDEEMED), null otherwise (unpaid, cancelled, "
        "refunded, expired): a screenshot never looks like a voucher the till would refuse."
    )
    def code(self) -> str | None:
        return vouchers.display(self.model.code) if _shows_code(self.model) else None

    @strawberry.field(description="What the voucher's QR code encodes; null when `code` is.")
    def qr_payload(self) -> str | None:
        return vouchers.qr_payload(self.model.code) if _shows_code(self.model) else None

    @strawberry.field(
        description="What it is for; shown to whoever sees the voucher (its holder, the till) even "
        "once the deal or its restaurant left the shelf."
    )
    async def deal(self, info: Info) -> DealNode | None:
        row = await info.context.loaders.get(rows_of(Deal)).load(self.model.deal_id)
        return DealNode.from_model(row) if row else None

    @strawberry.field(
        description="Present while the claim awaits payment (to its holder): what the payment SDK "
        "needs, read again as often as asked (去支付 from the order list), from any server."
    )
    async def payment(self, info: Info) -> PaymentInfo | None:
        viewer = info.context.viewer
        if (
            viewer is None
            or viewer.id != self.model.user_id
            or self.model.status != ClaimStatus.PENDING_PAYMENT
        ):
            return None
        deal = await info.context.loaders.get(rows_of(Deal)).load(self.model.deal_id)
        intent = await deals.payment_intent(info.context, self.model, deal.currency if deal else "CNY")
        return PaymentInfo(
            intent_id=self.model.payment_intent or "",
            client_secret=intent.client_secret if intent else "",
            amount_cents=self.model.amount_cents,
            pay_by=self.model.pay_by,
        )


@strawberry.type
class VoucherCheck:
    usable: bool = strawberry.field(description="redeemVoucher would take it now.")
    problem: UserError | None = strawberry.field(description="Why not: the code redeemVoucher would answer.")
    claim: ClaimNode | None = strawberry.field(description="The voucher, when it is this restaurant's.")


@strawberry.type
class SourceFunnel:
    type: AttributionSource
    views: int
    claims: int
    redemptions: int
    refunds: int = strawberry.field(description="退款: vouchers of this source returned within the range.")


@strawberry.type
class Funnel:
    views: int
    claims: int = strawberry.field(description="Vouchers sold within the range and not returned.")
    redemptions: int
    refunds: int = strawberry.field(
        description="退款: vouchers returned within the range, whenever bought (they leave claims)."
    )
    refunded_cents: int = strawberry.field(description="What those refunds paid back, in fen (CNY cents).")


@strawberry.type
class RestaurantInsights:
    funnel: Funnel
    by_source: list[SourceFunnel]
    average_ticket_cents: int | None
    repeat_customer_rate: float
    visits_per_customer_per_week: float
    customers: int
    new_customers: int
    returning_customers: int
    currency: str = "CNY"


@strawberry.input
class DealInput:
    restaurant_id: strawberry.ID
    title: str
    price_cents: int
    original_price_cents: int
    quantity: int
    per_user_limit: int = 1
    starts_at: datetime
    ends_at: datetime
    terms: str = ""
    conditions: Annotated[DealConditionsInput, strawberry.lazy("schema.vouchers")] | None = None
    use_starts_at: datetime | None = None
    use_ends_at: datetime | None = None
    refund_anytime: bool = True
    refund_on_expiry: bool = False


@strawberry.input(
    description="What staff may change once a deal is on offer; a field left out stays. The price, "
    "conditions and refund terms stay as sold (a new deal for those)."
)
class DealUpdateInput:
    title: str | None = None
    terms: str | None = None
    quantity: int | None = strawberry.field(
        default=None, description="More or less stock, never below what is already claimed."
    )
    per_user_limit: int | None = None
    ends_at: datetime | None = strawberry.field(
        default=None, description="When the sale ends: later or sooner, still in the future."
    )
    use_ends_at: datetime | None = strawberry.field(
        default=None, description="Usable until: only later (vouchers sold keep their window)."
    )


@strawberry.type
class DealPayload(Payload):
    deal: DealNode | None = None


@strawberry.type
class ClaimPayload(Payload):
    claim: ClaimNode | None = None


@strawberry.type
class RedeemPayload(Payload):
    claim: ClaimNode | None = None


@strawberry.type
class ShareDealPayload(Payload):
    token: str | None = None
    url: str | None = None


async def _attribution(info: Info, deal_id: int, source: AttributionInput | None) -> attribution.Attribution:
    if source is None:
        return attribution.DIRECT
    deal = await deals.get_deal_for_attribution(info.context, deal_id)
    kind = SourceType(source.type.value)
    node = None if kind == SourceType.SHARE_LINK else decode_any(source.id, "source")
    return await attribution.resolve(info.context, deal, kind, node, str(source.id))


@strawberry.type
class Query:
    @strawberry.field
    async def deal(self, info: Info, id: strawberry.ID) -> DealNode | None:
        row = await visibility.fetch(info.context, Deal, decode(id, "Deal", "id"))
        return DealNode.from_model(row) if row else None

    @strawberry.field(description="Deals on offer now at restaurants within the radius, nearest first.")
    async def deals_nearby(
        self,
        info: Info,
        lat: float,
        lng: float,
        radius_km: float | None = 5,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[DealNode]:
        page = await deals.deals_nearby(
            info.context, lat, lng, radius_km if radius_km is not None else 5, first, after
        )
        return to_connection(page, DealNode.from_hit)

    @strawberry.field(
        description="Your vouchers, newest first; `status` keeps those in the given states (the "
        "app's tabs: [PENDING_PAYMENT] 待付款, [ISSUED] 待使用, [REFUNDED] 退款); none or empty: all."
    )
    async def my_claims(
        self,
        info: Info,
        first: int | None = 20,
        after: str | None = None,
        status: list[ClaimStatusEnum] | None = None,  # type: ignore[valid-type]
    ) -> Connection[ClaimNode]:
        page = await deals.my_claims(info.context, first, after, status)
        return to_connection(page, ClaimNode.from_model)

    @strawberry.field(
        description="The restaurants you work at (owner or staff), oldest first; closed ones too "
        "with includeArchived (their deals, insights and trends stay readable)."
    )
    async def my_restaurants(self, info: Info, include_archived: bool = False) -> list[RestaurantNode]:
        rows = await merchant.my_restaurants(info.context, include_archived)
        return [RestaurantNode.from_model(r) for r in rows]

    @strawberry.field(
        description="Owner/staff only: every deal of the restaurant (paused, ended and moderated "
        "too), newest first, optionally one status."
    )
    async def managed_deals(
        self,
        info: Info,
        restaurant_id: strawberry.ID,
        status: DealStatusEnum | None = None,  # type: ignore[valid-type]
        first: int | None = 20,
        after: str | None = None,
    ) -> Connection[DealNode]:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        try:
            page = await merchant.managed_deals(info.context, pk, status, first, after)
        except UserInputError as error:
            raise AuthError("FORBIDDEN", error.errors[0][2]) from None
        return to_connection(page, DealNode.from_model)

    @strawberry.field(
        description="验券, staff of the voucher's restaurant: what redeeming this code (with this "
        "party size) would answer now, conditions included, without taking it (the voucher when "
        "it is this restaurant's)."
    )
    async def voucher_check(self, info: Info, code: str, party_size: int | None = None) -> VoucherCheck:
        found = await merchant.check_voucher(info.context, code, party_size)
        return VoucherCheck(
            usable=found.problem is None,
            problem=user_errors(found.problem)[0] if found.problem else None,
            claim=ClaimNode.from_model(found.claim) if found.claim else None,
        )

    @strawberry.field(description="Owner/staff only: funnel by source and visit economics over [from, to).")
    async def restaurant_insights(
        self,
        info: Info,
        restaurant_id: strawberry.ID,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
    ) -> RestaurantInsights:
        pk = decode(restaurant_id, "Restaurant", "restaurantId")
        result = await insights.restaurant_insights(info.context, pk, from_, to)
        return RestaurantInsights(
            funnel=Funnel(
                views=result.views,
                claims=result.claims,
                redemptions=result.redemptions,
                refunds=result.refunds,
                refunded_cents=result.refunded_cents,
            ),
            by_source=[
                SourceFunnel(
                    type=AttributionSource(s.type.value),
                    views=s.views,
                    claims=s.claims,
                    redemptions=s.redemptions,
                    refunds=s.refunds,
                )
                for s in result.by_source
            ],
            average_ticket_cents=result.average_ticket_cents,
            repeat_customer_rate=result.repeat_customer_rate,
            visits_per_customer_per_week=result.visits_per_customer_per_week,
            customers=result.customers,
            new_customers=result.new_customers,
            returning_customers=result.returning_customers,
        )


def _deal_id(value: strawberry.ID) -> int:
    return decode(value, "Deal", "dealId")


@strawberry.type
class Mutation:
    @payload_mutation(description="Restaurant staff only.")
    async def create_deal(self, info: Info, input: DealInput) -> DealPayload:
        fields = deals.DealFields(
            restaurant_id=decode(input.restaurant_id, "Restaurant", "restaurantId"),
            title=input.title,
            price_cents=input.price_cents,
            original_price_cents=input.original_price_cents,
            quantity=input.quantity,
            per_user_limit=input.per_user_limit,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            terms=input.terms,
            conditions=input.conditions.to_rules() if input.conditions else Conditions(),
            use_starts_at=input.use_starts_at,
            use_ends_at=input.use_ends_at,
            refund_anytime=input.refund_anytime,
            refund_on_expiry=input.refund_on_expiry,
        )
        return DealPayload(
            deal=DealNode.from_model(await deals.create_deal(info.context, fields))
        )

    @payload_mutation(
        description="Restaurant staff only: add stock, extend (or shorten) the sale, extend the use "
        "window, fix the title or terms of a deal not ENDED (DEAL_INACTIVE)."
    )
    async def update_deal(self, info: Info, deal_id: strawberry.ID, input: DealUpdateInput) -> DealPayload:
        changes = deal_edits.DealChanges(
            title=input.title,
            terms=input.terms,
            quantity=input.quantity,
            per_user_limit=input.per_user_limit,
            ends_at=input.ends_at,
            use_ends_at=input.use_ends_at,
        )
        row = await deal_edits.update_deal(info.context, _deal_id(deal_id), changes)
        return DealPayload(deal=DealNode.from_model(row))

    @payload_mutation(
        description="Restaurant staff only: ACTIVE (not once endsAt has passed: DEAL_EXPIRED), PAUSED "
        "or ENDED (final: DEAL_INACTIVE after)."
    )
    async def set_deal_status(
        self, info: Info, deal_id: strawberry.ID, status: DealStatusEnum
    ) -> DealPayload:  # type: ignore[valid-type]
        row = await deals.set_status(info.context, _deal_id(deal_id), DealStatus(status.value))
        return DealPayload(deal=DealNode.from_model(row))

    @payload_mutation(description="Same idempotencyKey, same claim. Paid deals await payment.")
    async def claim_deal(
        self, info: Info, deal_id: strawberry.ID, idempotency_key: str, source: AttributionInput | None = None
    ) -> ClaimPayload:
        pk = _deal_id(deal_id)
        # The source is checked once the claim is known to be a new one (a retry with the same
        # key gets its claim back even if the source was moderated meanwhile); a malformed ID is
        # still refused here, before anything is asked.
        origin = None
        if source is not None:
            kind = SourceType(source.type.value)
            node = None if kind == SourceType.SHARE_LINK else decode_any(source.id, "source")
            origin = attribution.Named(kind, node, str(source.id))
        claim = await deals.claim_deal(info.context, pk, idempotency_key, origin)
        return ClaimPayload(claim=ClaimNode.from_model(claim))

    @payload_mutation(description="Return an unused voucher: refund and stock back.")
    async def refund_claim(self, info: Info, claim_id: strawberry.ID) -> ClaimPayload:
        claim = await deals.refund_claim(info.context, decode(claim_id, "Claim", "claimId"))
        return ClaimPayload(claim=ClaimNode.from_model(claim))

    @payload_mutation(description="Staff of the deal's restaurant only: once, within validity.")
    async def redeem_voucher(
        self, info: Info, code: str, bill_cents: int | None = None, party_size: int | None = None
    ) -> RedeemPayload:
        claim = await deals.redeem(info.context, code, bill_cents, party_size)
        return RedeemPayload(claim=ClaimNode.from_model(claim))

    @strawberry.mutation(description="Count a view of the deal, with where it was seen.")
    async def record_deal_view(
        self, info: Info, deal_id: strawberry.ID, source: AttributionInput | None = None
    ) -> bool:
        pk = _deal_id(deal_id)
        try:  # the source is checked as claimDeal checks it: a bad one is BAD_USER_INPUT, not DIRECT
            origin = await _attribution(info, pk, source)
        except UserInputError as error:
            if error.errors[0][1] == ErrorCode.NOT_FOUND:  # no such deal for this viewer
                return False
            raise
        return await deals.record_view(info.context, pk, origin)

    @payload_mutation(description="A share link for the deal that credits you when it brings a visit.")
    async def share_deal(self, info: Info, deal_id: strawberry.ID) -> ShareDealPayload:
        deal = await deals.get_deal_for_attribution(info.context, _deal_id(deal_id))
        token = deals.share_token(info.context, deal)
        # A deep link the app opens; the app passes the token back as a SHARE_LINK source.
        url = f"tablemates://deal/{deal_id}?share={token}"
        return ShareDealPayload(token=token, url=url)


async def upcoming_deals(info: Info, restaurant_id: int) -> list[DealNode]:
    rows = await info.context.loaders.get(deals.load_upcoming_deals_by_restaurant).load(restaurant_id)
    return [DealNode.from_model(r) for r in rows]


async def live_deals(info: Info, restaurant_id: int) -> list[DealNode]:
    """Deals in their sale window at a restaurant (sold-out ones last, with soldOut true): what
    the restaurant page, reviews, meals and events link to, as dealsNearby lists them."""
    rows = await info.context.loaders.get(deals.load_live_deals_by_restaurant).load(restaurant_id)
    return [DealNode.from_model(r) for r in rows]
