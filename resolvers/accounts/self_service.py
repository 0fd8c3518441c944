"""The person's own rights through the API (PIPL): a copy of their data, and account deletion.

Both reuse resolvers/accounts/personal_data.py, so the API and the operators' CLI
(`app.py export-user`, `app.py delete-user`) give the same export and erase the same things.
"""

from __future__ import annotations

from typing import Any

from core.context import Context
from core.error_text import explained
from core.errors import ErrorCode, UserInputError
from models.accounts import User
from models.deals import Claim, ClaimStatus
from resolvers.accounts.accounts import password_hash_of, signed_out, write_limit
from resolvers.accounts.login_throttle import LoginThrottle, account_key
from resolvers.accounts.personal_data import delete_user, export_user


async def export_mine(ctx: Context) -> dict[str, Any]:
    viewer = await write_limit(ctx, "export")  # a heavy read: limited like a write
    return await export_user(await User.get(id=viewer.id))


async def delete_mine(ctx: Context, password: str) -> bool:
    """The password again (a stolen token alone can't delete); wrong guesses count like sign-ins."""
    viewer = await write_limit(ctx, "password", fail_closed=True)
    throttle = LoginThrottle(ctx, account_key(viewer.email))
    await throttle.admit()
    if not await ctx.services.passwords.verify(await password_hash_of(viewer.id), password):
        await throttle.failed()
        raise UserInputError(ErrorCode.INVALID_CREDENTIALS, "Wrong password", "password")
    await throttle.succeeded()
    await _refuse_with_paid_vouchers(viewer.id)
    await delete_user(ctx.services, viewer)
    signed_out(ctx)  # a later mutation of the same document must not write as the erased account
    return True


async def _refuse_with_paid_vouchers(user_id: int) -> None:
    """Money the diner paid must not vanish with the account: while a paid voucher is unused,
    deletion waits (as Meituan's 注销 does) until it is used, refunded or lapses (expired ones
    are refunded by the job). Operators' `delete-user` decides for itself."""
    unused = Claim.filter(user_id=user_id, status=ClaimStatus.ISSUED, paid=True, amount_cents__gt=0)
    refundable = await unused.values_list("deal__refund_anytime", flat=True)
    if not refundable:
        return
    held = len(refundable)
    if all(refundable):
        message = f"You still hold {held} paid voucher(s): use or refund them before deleting the account"
        raise UserInputError(ErrorCode.UNUSED_VOUCHERS, message, None)
    # 不可退 ones can't be refunded on request: telling the diner to refund them went in circles.
    english = (
        f"You still hold {held} paid voucher(s), some not refundable: use them or wait until they expire"
    )
    said = explained(english, "UNUSED_VOUCHERS.not_refundable")
    raise UserInputError(ErrorCode.UNUSED_VOUCHERS, said, None)
