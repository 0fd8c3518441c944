"""Which kind of account may do what a diner does.

A restaurant's account and a moderator's are work accounts (Dianping's 商家 and 运营 accounts):
they review no dish, lift no review, buy no voucher and sit at no shared meal. Their people do
those from a personal diner account, where the rules on their own restaurant (OWN_CONTENT) apply.
"""

from __future__ import annotations

from core.error_text import explained
from core.errors import ErrorCode, UserInputError
from models.accounts import Role, User


def require_diner(viewer: User, field: str, english: str) -> None:
    """FORBIDDEN (仅限个人食客账号使用) unless the viewer is a diner's account."""
    if viewer.role != Role.DINER:
        raise UserInputError(ErrorCode.FORBIDDEN, explained(english, "FORBIDDEN.diners_only"), field)
