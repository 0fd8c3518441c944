"""A restaurant's people: the owner invites, the invitee accepts, anyone leaves.

Being staff gives the till, insights and bookings, and takes away reviewing, voting on and buying
at the restaurant (OWN_CONTENT): so an owner's `addRestaurantStaff` is an invitation the person
accepts (`acceptStaffInvitation`) or declines; until then they are not staff of anything (a
merchant could otherwise silence a critic by "hiring" them).
"""

from __future__ import annotations

from collections.abc import Sequence

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from core.context import Context
from core.errors import ErrorCode, UserInputError
from core.loaders import group_by_key
from models.restaurants import Restaurant, RestaurantStaff, StaffInvitation, StaffRole
from resolvers.accounts.accounts import user_by_email, write_limit
from resolvers.meals import notifications
from resolvers.restaurants.access import require_staff


async def invite_staff(ctx: Context, restaurant_id: int, email: str) -> StaffInvitation:
    """Owner only. The invitee is told (staff_invitation) and becomes staff only by accepting."""
    viewer = await write_limit(ctx, "restaurant")
    restaurant = await require_staff(viewer, restaurant_id, owner=True)
    user = await user_by_email(email)
    if user is None:
        raise UserInputError(ErrorCode.NOT_FOUND, "No account with this email", "email")
    if await RestaurantStaff.exists(restaurant_id=restaurant_id, user_id=user.id):
        raise UserInputError(ErrorCode.DUPLICATE, "Already staff of this restaurant", "email")
    try:
        async with in_transaction("default"):
            invitation = await StaffInvitation.create(restaurant_id=restaurant_id, user_id=user.id)
            text = f"「{restaurant.name}」邀请你成为店员：接受后可核销券码、查看经营数据，但不能再点评这家店"
            about = ("Restaurant", restaurant_id)
            kind = "staff_invitation"
            await notifications.notify(ctx, [user.id], kind, text, actor_id=viewer.id, subject=about)
    except IntegrityError:
        waiting = "Already invited: waiting for them to accept"
        raise UserInputError(ErrorCode.DUPLICATE, waiting, "email") from None
    await notifications.announce(ctx, [user.id])
    return invitation


async def accept_invitation(ctx: Context, restaurant_id: int) -> RestaurantStaff:
    """The invitee takes the rights: the invitation goes in the statement that checks it exists,
    so accepting twice (or in parallel) makes one staff row."""
    viewer = await write_limit(ctx, "restaurant")
    async with in_transaction("default"):
        taken = await StaffInvitation.filter(restaurant_id=restaurant_id, user_id=viewer.id).delete()
        if not taken:
            raise UserInputError(ErrorCode.NOT_FOUND, "No invitation from this restaurant", "restaurantId")
        if not await Restaurant.exists(id=restaurant_id, archived=False):
            raise UserInputError(ErrorCode.NOT_FOUND, "No such restaurant", "restaurantId")
        return await RestaurantStaff.create(
            restaurant_id=restaurant_id, user_id=viewer.id, role=StaffRole.STAFF
        )


async def decline_invitation(ctx: Context, restaurant_id: int) -> None:
    viewer = await write_limit(ctx, "restaurant")
    if not await StaffInvitation.filter(restaurant_id=restaurant_id, user_id=viewer.id).delete():
        raise UserInputError(ErrorCode.NOT_FOUND, "No invitation from this restaurant", "restaurantId")


async def remove_staff(ctx: Context, restaurant_id: int, user_id: int) -> None:
    """The owner removes anyone, or withdraws an invitation; staff may leave themselves."""
    viewer = await write_limit(ctx, "restaurant")
    await require_staff(viewer, restaurant_id, owner=user_id != viewer.id)
    removed = await RestaurantStaff.filter(
        restaurant_id=restaurant_id, user_id=user_id, role=StaffRole.STAFF
    ).delete()
    withdrawn = await StaffInvitation.filter(restaurant_id=restaurant_id, user_id=user_id).delete()
    if not removed and not withdrawn:
        raise UserInputError(ErrorCode.NOT_FOUND, "Not staff of this restaurant (owners stay)", "userId")


async def my_invitations(ctx: Context) -> list[StaffInvitation]:
    """The viewer's pending invitations, newest first (closed restaurants' left out)."""
    viewer = ctx.require_viewer()
    return await StaffInvitation.filter(user_id=viewer.id, restaurant__archived=False).order_by("-id")


async def load_invitations(keys: Sequence[int]) -> list[list[StaffInvitation]]:
    """Each restaurant's pending invitations, oldest first (the staff list's loader's twin)."""
    rows = await StaffInvitation.filter(restaurant_id__in=list(keys)).order_by("id")
    return group_by_key(rows, keys, "restaurant_id")
