"""Domain errors: expected failures carry a code, a message and the input field at fault.

Resolvers raise them; schema/ turns UserInputError into payload `errors` and AuthError into a
GraphQL error with `extensions.code`.
"""

from __future__ import annotations

from enum import Enum


class ErrorCode(Enum):
    INVALID = "INVALID"
    INVALID_ID = "INVALID_ID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHENTICATED = "UNAUTHENTICATED"
    RATE_LIMITED = "RATE_LIMITED"
    UNAVAILABLE = "UNAVAILABLE"
    # accounts
    INVALID_EMAIL = "INVALID_EMAIL"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
    ACCOUNT_SUSPENDED = "ACCOUNT_SUSPENDED"
    TOO_LONG = "TOO_LONG"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    UNKNOWN_TAG = "UNKNOWN_TAG"
    # social
    SELF_ACTION = "SELF_ACTION"
    BLOCKED = "BLOCKED"
    DUPLICATE = "DUPLICATE"
    ALREADY_ANSWERED = "ALREADY_ANSWERED"
    # media and content
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    FILE_TOO_LARGE = "FILE_TOO_LARGE"
    UPLOAD_MISSING = "UPLOAD_MISSING"
    NOT_AN_IMAGE = "NOT_AN_IMAGE"
    IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
    ALREADY_REVIEWED = "ALREADY_REVIEWED"
    OWN_CONTENT = "OWN_CONTENT"
    ALREADY_VOTED = "ALREADY_VOTED"
    # meals and events
    IN_THE_PAST = "IN_THE_PAST"
    INVALID_TIME_RANGE = "INVALID_TIME_RANGE"
    MEAL_FULL = "MEAL_FULL"
    EVENT_FULL = "EVENT_FULL"
    ALREADY_JOINED = "ALREADY_JOINED"
    NOT_JOINED = "NOT_JOINED"
    CANCELLED = "CANCELLED"
    # deals
    SOLD_OUT = "SOLD_OUT"
    DEAL_NOT_STARTED = "DEAL_NOT_STARTED"
    DEAL_EXPIRED = "DEAL_EXPIRED"
    DEAL_INACTIVE = "DEAL_INACTIVE"
    LIMIT_REACHED = "LIMIT_REACHED"
    ALREADY_REDEEMED = "ALREADY_REDEEMED"
    VOUCHER_EXPIRED = "VOUCHER_EXPIRED"
    WRONG_RESTAURANT = "WRONG_RESTAURANT"
    PAYMENT_REQUIRED = "PAYMENT_REQUIRED"
    # vouchers (issue 21)
    NOT_USABLE_NOW = "NOT_USABLE_NOW"
    NEW_CUSTOMERS_ONLY = "NEW_CUSTOMERS_ONLY"
    PARTY_SIZE = "PARTY_SIZE"
    NOT_STACKABLE = "NOT_STACKABLE"
    REFUND_NOT_ALLOWED = "REFUND_NOT_ALLOWED"
    VOUCHER_NOT_YET_VALID = "VOUCHER_NOT_YET_VALID"
    # moderation
    ALREADY_REPORTED = "ALREADY_REPORTED"
    # tables (issue 16)
    SLOT_FULL = "SLOT_FULL"
    TOO_LATE = "TOO_LATE"
    TOO_EARLY = "TOO_EARLY"
    POLL_CLOSED = "POLL_CLOSED"
    OFFER_LAPSED = "OFFER_LAPSED"
    RESTAURANT_CLOSED = "RESTAURANT_CLOSED"
    # notifications and self-service
    UNKNOWN_KIND = "UNKNOWN_KIND"
    INVALID_DEVICE_TOKEN = "INVALID_DEVICE_TOKEN"
    LOCATION_CONSENT_REQUIRED = "LOCATION_CONSENT_REQUIRED"
    UNUSED_VOUCHERS = "UNUSED_VOUCHERS"


class UserInputError(Exception):
    """One or more expected failures, shown to the client in the payload's `errors`."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.errors: list[tuple[str | None, ErrorCode, str]] = [(field, code, message)]

    @classmethod
    def many(cls, errors: list[tuple[str | None, ErrorCode, str]]) -> UserInputError:
        error = cls(errors[0][1], errors[0][2], errors[0][0])
        error.errors = list(errors)
        return error


class AuthError(Exception):
    """Not signed in (UNAUTHENTICATED) or not allowed at all (FORBIDDEN): a GraphQL error."""

    def __init__(
        self, code: str = "UNAUTHENTICATED", message: str | None = None, reason: str | None = None
    ) -> None:
        super().__init__(message or ("Sign in first" if code == "UNAUTHENTICATED" else "Forbidden"))
        self.code = code
        self.reason = reason  # why, when the app should say more than "sign in" (ACCOUNT_SUSPENDED)


class BadRequestError(Exception):
    """Malformed arguments to a query (bad cursor, page too large): a GraphQL error."""

    code = "BAD_USER_INPUT"


class Collector:
    """Collects validation failures so one response lists all of them."""

    def __init__(self) -> None:
        self.errors: list[tuple[str | None, ErrorCode, str]] = []

    def add(self, field: str | None, code: ErrorCode, message: str) -> None:
        self.errors.append((field, code, message))

    def has(self, field: str) -> bool:
        """Whether the field already has a reason: one reason per field reads better than two."""
        return any(name == field for name, _, _ in self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise UserInputError.many(self.errors)
