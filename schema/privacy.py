"""The person's rights over their data (PIPL): location consent, export, account deletion."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.scalars import JSON

from resolvers.accounts import location_consent, self_service
from schema.accounts import UserNode
from schema.context import Info
from schema.payloads import Payload, payload_mutation


@strawberry.type
class LocationNotice:
    version: str = strawberry.field(description="Consent to this version before updateLocation.")


@strawberry.type
class LocationConsent:
    notice_version: str
    granted_at: datetime


@strawberry.type
class LocationConsentPayload(Payload):
    consent: LocationConsent | None = None
    user: UserNode | None = None


@strawberry.type
class DeleteAccountPayload(Payload):
    deleted: bool = False


def _consent(row: object | None) -> LocationConsent | None:
    if row is None:
        return None
    return LocationConsent(notice_version=row.notice_version, granted_at=row.granted_at)  # type: ignore[attr-defined]


@strawberry.type
class Query:
    @strawberry.field(description="The location notice in force (its text ships with the app).")
    def location_notice(self, info: Info) -> LocationNotice:
        return LocationNotice(version=info.context.settings.location_notice_version)

    @strawberry.field(description="Your consent to the location notice in force, if given.")
    async def my_location_consent(self, info: Info) -> LocationConsent | None:
        return _consent(await location_consent.current(info.context, info.context.require_viewer().id))

    @strawberry.field(description="A copy of your data, as JSON (what `app.py export-user` gives).")
    async def export_my_data(self, info: Info) -> JSON:
        return await self_service.export_mine(info.context)


@strawberry.type
class Mutation:
    @payload_mutation(description="Agree to the location notice (its version from locationNotice).")
    async def grant_location_consent(self, info: Info, notice_version: str) -> LocationConsentPayload:
        return LocationConsentPayload(
            consent=_consent(await location_consent.grant(info.context, notice_version))
        )

    @payload_mutation(
        description="Withdraw location consent: your point is erased and leaves nearby at once."
    )
    async def withdraw_location_consent(self, info: Info) -> LocationConsentPayload:
        return LocationConsentPayload(user=UserNode.from_model(await location_consent.withdraw(info.context)))

    @payload_mutation(description="Delete your account: personal data erased, every device signed out.")
    async def delete_my_account(self, info: Info, password: str) -> DeleteAccountPayload:
        return DeleteAccountPayload(deleted=await self_service.delete_mine(info.context, password))
