"""Who may act for a restaurant: its owner and staff (and admins)."""

from __future__ import annotations

from core.error_text import explained
from core.errors import ErrorCode, UserInputError
from models.accounts import Role, User
from models.restaurants import Restaurant, RestaurantStaff, StaffRole


async def staff_role(user: User, restaurant_id: int) -> StaffRole | None:
    link = await RestaurantStaff.get_or_none(restaurant_id=restaurant_id, user_id=user.id)
    return link.role if link else None


async def require_staff(
    user: User,
    restaurant_id: int,
    *,
    owner: bool = False,
    field: str = "restaurantId",
    archived_too: bool = False,
) -> Restaurant:
    """The restaurant, if `user` is its staff (its owner when owner=True); else a UserError.

    Unknown and not-yours answer alike (NOT_FOUND vs FORBIDDEN would leak nothing here, but
    FORBIDDEN tells honest staff what is wrong). `archived_too`: reads of a closed restaurant's
    records (its deals, insights, trends, vouchers at the till) that its people keep.
    """
    open_only = {} if archived_too else {"archived": False}
    restaurant = await Restaurant.get_or_none(id=restaurant_id, **open_only)
    if restaurant is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No such restaurant", field)
    if user.role == Role.ADMIN:
        return restaurant
    role = await staff_role(user, restaurant_id)
    if role is None:
        raise UserInputError(ErrorCode.FORBIDDEN, "You are not staff of this restaurant", field)
    if owner and role != StaffRole.OWNER:
        only = explained("Only the restaurant's owner can do this", "FORBIDDEN.owner_only")
        raise UserInputError(ErrorCode.FORBIDDEN, only, field)
    return restaurant
