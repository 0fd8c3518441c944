"""What a restaurant's own people need to run their deals: the restaurants they work at, every
deal of theirs (paused and ended too), and a voucher checked at the till before it is taken.

Staff only (admins too), through `require_staff`; nothing here is visible to diners.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from core.context import Context
from core.errors import UserInputError
from core.pagination import Page, newest_first
from models.deals import Claim, Deal, DealStatus
from models.restaurants import Restaurant
from resolvers.accounts.accounts import write_limit
from resolvers.deals import deals, rollup
from resolvers.deals.conditions import Conditions, check_redeem
from resolvers.restaurants.access import require_staff


async def my_restaurants(ctx: Context, archived_too: bool) -> list[Restaurant]:
    """The restaurants the viewer works at (owner or staff), oldest first; closed ones too when
    asked (their records stay readable to their people)."""
    viewer = ctx.require_viewer()
    query = Restaurant.filter(staff__user_id=viewer.id)
    return await (query if archived_too else query.filter(archived=False)).order_by("id")


async def managed_deals(
    ctx: Context, restaurant_id: int, status: DealStatus | None, first: int | None, after: str | None
) -> Page[Deal]:
    """Every deal of the restaurant, newest first, whatever its status or moderation."""
    await require_staff(ctx.require_viewer(), restaurant_id, archived_too=True)
    query = Deal.filter(restaurant_id=restaurant_id)
    if status is not None:
        query = query.filter(status=status)
    return await newest_first(query, first, after)


@dataclass
class TillCheck:
    claim: Claim | None  # None when the code names no voucher of this restaurant
    problem: UserInputError | None  # why it can't be redeemed now; None: it can


async def check_voucher(ctx: Context, typed_code: str, party_size: int | None) -> TillCheck:
    """验券: what redeeming the code (with this party size) would answer now, conditions
    included, without taking it (same rate budget as redeeming: a till can't sweep codes)."""
    viewer = await write_limit(ctx, "redeem")
    if problem := deals.party_size_error(party_size):
        return TillCheck(None, problem)
    try:
        claim, deal = await deals.voucher_at_till(viewer, typed_code)
    except UserInputError as error:
        return TillCheck(None, error)
    now = datetime.now(UTC)
    problem = deals.till_refusal(claim, deal, now) or deals.own_voucher(viewer, claim)
    if problem is None:
        zone = await rollup.time_zone(deal.restaurant_id)
        try:
            await check_redeem(
                Conditions.from_json(deal.conditions), claim, deal.restaurant_id, zone, now, party_size
            )
        except UserInputError as error:
            problem = error
    return TillCheck(claim, problem)
