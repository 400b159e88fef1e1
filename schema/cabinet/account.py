"""`PersonalAccount` (лицевой счёт). The cabinet adds its tabs' fields here; objects adds its link settings."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Self

import strawberry
from strawberry import relay

from loaders.metering import ReadingPagesByAccount, SubmissionPagesByAccount
from loaders.objects import AccountById
from models import PersonalAccount as AccountModel
from schema.billing.tariff import Tariff
from schema.billing.types import Charge, Debt, Payment, Statement
from schema.cabinet import account_fields
from schema.cabinet.utility_provider import UtilityProvider
from schema.core.access import viewer_is_analyst, visible_account_ids
from schema.core.context import Info
from schema.core.enums import ObjectKind, TariffCategory
from schema.core.nodes import ModelNode
from schema.core.ownership import parse_id
from schema.core.period import PeriodFilter
from schema.objects.receipts import ReceiptDelivery, receipt_delivery_of
from schema.readings.meter import Meter
from schema.readings.tabs import ReadingTabs
from services.cabinet.masking import mask_address


@strawberry.type(name="PersonalAccount", description="A personal account (лицевой счёт): a household's supply point.")
class PersonalAccount(ReadingTabs, ModelNode):
    reading_pages = ReadingPagesByAccount
    submission_pages = SubmissionPagesByAccount
    model: strawberry.Private[AccountModel]

    @strawberry.field(description="The account number (номер лицевого счёта), 9 digits.")
    def number(self) -> str:
        return self.model.number

    @strawberry.field(description="The address of the supplied premises; analysts see it up to the street.")
    def address(self, info: Info) -> str:
        return mask_address(self.model.address) if viewer_is_analyst(info) else self.model.address

    # ---- the cabinet («Личный кабинет»): «Сведения»

    @strawberry.field(description="The locality (населённый пункт).")
    def locality(self) -> str:
        return self.model.locality

    @strawberry.field(description="What is supplied: a flat, a private or country house, non-residential premises.")
    def object_kind(self) -> ObjectKind:
        return self.model.object_kind

    @strawberry.field(description="The population tariff group the account is billed by.")
    def tariff_category(self) -> TariffCategory:
        return self.model.tariff_category

    @strawberry.field(description="Registered residents (зарегистрированные лица).")
    def residents(self) -> int:
        return self.model.residents

    @strawberry.field(description="Benefit recipients (получатели льгот).")
    def benefit_recipients(self) -> int:
        return self.model.benefit_recipients

    @strawberry.field(description="The area of the premises, m².")
    def area_m2(self) -> Decimal | None:
        return self.model.area_m2

    @strawberry.field(description="Whether the premises are in an apartment building.")
    def in_apartment_building(self) -> bool:
        return self.model.in_apartment_building

    @strawberry.field
    def opened_on(self) -> date:
        return self.model.opened_on

    @strawberry.field(description="Set when the account was closed.")
    def closed_on(self) -> date | None:
        return self.model.closed_on

    @strawberry.field(description="The utility provider (исполнитель коммунальных услуг), if there is one.")
    async def utility_provider(self, info: Info) -> UtilityProvider | None:
        return await account_fields.utility_provider(info, self.model)

    @strawberry.field(description="The meters in service on the account.")
    async def meters(self, info: Info) -> list[Meter]:
        return await account_fields.meters(info, self.pk)

    @strawberry.field(description="The consumption charges of the latest billed month, one per zone («Начислено в …»).")
    async def last_charges(self, info: Info) -> list[Charge]:
        return await account_fields.last_charges(info, self.pk)

    @strawberry.field(description="What the account owes now (задолженность).")
    async def debt(self, info: Info) -> Debt:
        return await account_fields.debt(info, self.pk)

    @strawberry.field(description="The rates in force today for the zones of the account's meters («Тарифы»).")
    async def current_tariffs(self, info: Info) -> list[Tariff]:
        return await account_fields.current_tariffs(info, self.model)

    # ---- «Расчёты», «Оплаты», «Показания»: connections, the latest first

    @strawberry.field(description="Statements by month («Расчёты»), the latest first.")
    async def statements(
        self, info: Info, first: int | None = None, after: str | None = None, period: PeriodFilter | None = None
    ) -> relay.Connection[Statement]:
        return await account_fields.statements(info, self.pk, first=first, after=after, period=period)

    @strawberry.field(description="Payments of every status («Оплаты»), the latest first.")
    async def payments(
        self, info: Info, first: int | None = None, after: str | None = None, period: PeriodFilter | None = None
    ) -> relay.Connection[Payment]:
        return await account_fields.payments(info, self.pk, first=first, after=after, period=period)

    @strawberry.field(
        description="The viewer's own e-receipt setting for this account (each family member has their own); "
        "null for staff."
    )
    async def receipt_delivery(self, info: Info) -> ReceiptDelivery | None:
        return await receipt_delivery_of(info, self.model.id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        node_ids = list(node_ids)
        ids = [i for i in map(parse_id, node_ids) if i is not None]
        visible = await visible_account_ids(info, ids)
        models = await info.context.loaders.get(AccountById).load_many([i for i in ids if i in visible])
        found = {model.id: cls.from_model(model) for model in models if model is not None}
        return [found.get(parse_id(node_id)) for node_id in node_ids]
