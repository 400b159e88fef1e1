"""`PersonalAccount` (лицевой счёт). The cabinet adds its tabs' fields here; objects adds its link settings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Self

import strawberry
from strawberry import relay

from loaders.metering import ReadingPagesByAccount, SubmissionPagesByAccount
from loaders.objects import AccountById
from models import PersonalAccount as AccountModel
from schema.billing.tariff import Tariff
from schema.billing.types import Charge, Debt, Payment, Statement
from schema.cabinet import account_fields
from schema.cabinet.utility_provider import UtilityProvider
from schema.core.access import viewer_is_analyst
from schema.core.context import Info
from schema.core.enums import ObjectKind, TariffCategory
from schema.core.nodes import RowNode
from schema.core.ownership import Owner
from schema.core.period import PeriodFilter
from schema.objects.receipts import ReceiptDelivery, receipt_delivery_of
from schema.readings.meter import Meter
from schema.readings.tabs import ReadingTabs
from services.cabinet.masking import mask_address


def _own_account(row: Any) -> Owner:
    return row.id, None


@strawberry.type(name="PersonalAccount", description="A personal account (лицевой счёт): a household's supply point.")
class PersonalAccount(ReadingTabs, RowNode):
    node_loader = AccountById
    node_owner = _own_account
    reading_pages = ReadingPagesByAccount
    submission_pages = SubmissionPagesByAccount
    full_address: strawberry.Private[str]
    utility_provider_id: strawberry.Private[int | None]
    number: str = strawberry.field(description="The account number (номер лицевого счёта), 9 digits.")

    def _address(self, info: Info) -> str:
        return mask_address(self.full_address) if viewer_is_analyst(info) else self.full_address

    # A masked field keeps its place among the plain ones (a resolver given here, not a decorated method).
    address: str = strawberry.field(
        resolver=_address, description="The address of the supplied premises; analysts see it up to the street."
    )

    # ---- the cabinet («Личный кабинет»): «Сведения»

    locality: str = strawberry.field(description="The locality (населённый пункт).")
    object_kind: ObjectKind = strawberry.field(
        description="What is supplied: a flat, a private or country house, non-residential premises."
    )
    tariff_category: TariffCategory = strawberry.field(
        description="The population tariff group the account is billed by."
    )
    residents: int = strawberry.field(description="Registered residents (зарегистрированные лица).")
    benefit_recipients: int = strawberry.field(description="Benefit recipients (получатели льгот).")
    area_m2: Decimal | None = strawberry.field(description="The area of the premises, m².")
    in_apartment_building: bool = strawberry.field(description="Whether the premises are in an apartment building.")
    opened_on: date
    closed_on: date | None = strawberry.field(description="Set when the account was closed.")

    @classmethod
    def from_row(cls, row: AccountModel) -> Self:
        assert row.id is not None
        return cls(
            row_id=row.id,
            full_address=row.address,
            utility_provider_id=row.utility_provider_id,
            number=row.number,
            locality=row.locality,
            object_kind=row.object_kind,
            tariff_category=row.tariff_category,
            residents=row.residents,
            benefit_recipients=row.benefit_recipients,
            area_m2=row.area_m2,
            in_apartment_building=row.in_apartment_building,
            opened_on=row.opened_on,
            closed_on=row.closed_on,
        )

    @strawberry.field(description="The utility provider (исполнитель коммунальных услуг), if there is one.")
    async def utility_provider(self, info: Info) -> UtilityProvider | None:
        return await account_fields.utility_provider(info, self.utility_provider_id)

    @strawberry.field(description="The meters in service on the account.")
    async def meters(self, info: Info) -> list[Meter]:
        return await account_fields.meters(info, self.row_id)

    @strawberry.field(description="The consumption charges of the latest billed month, one per zone («Начислено в …»).")
    async def last_charges(self, info: Info) -> list[Charge]:
        return await account_fields.last_charges(info, self.row_id)

    @strawberry.field(description="What the account owes now (задолженность).")
    async def debt(self, info: Info) -> Debt:
        return await account_fields.debt(info, self.row_id)

    @strawberry.field(description="The rates in force today for the zones of the account's meters («Тарифы»).")
    async def current_tariffs(self, info: Info) -> list[Tariff]:
        return await account_fields.current_tariffs(info, self.row_id, self.tariff_category)

    # ---- «Расчёты», «Оплаты», «Показания»: connections, the latest first

    @strawberry.field(description="Statements by month («Расчёты»), the latest first.")
    async def statements(
        self, info: Info, first: int | None = None, after: str | None = None, period: PeriodFilter | None = None
    ) -> relay.Connection[Statement]:
        return await account_fields.statements(info, self.row_id, first=first, after=after, period=period)

    @strawberry.field(description="Payments of every status («Оплаты»), the latest first.")
    async def payments(
        self, info: Info, first: int | None = None, after: str | None = None, period: PeriodFilter | None = None
    ) -> relay.Connection[Payment]:
        return await account_fields.payments(info, self.row_id, first=first, after=after, period=period)

    @strawberry.field(
        description="The viewer's own e-receipt setting for this account (each family member has their own); "
        "null for staff."
    )
    async def receipt_delivery(self, info: Info) -> ReceiptDelivery | None:
        return await receipt_delivery_of(info, self.row_id)
