"""`Contract` (договор) of an organisation or ИП. The cabinet adds delivery points and tabs' fields."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Self

import strawberry
from strawberry import relay

from loaders.billing import DebtByContract, LastChargesByContract, PaymentPagesByContract, StatementPagesByContract
from loaders.customer_objects import ContractLinkOf
from loaders.metering import MetersByDeliveryPoint, ReadingPagesByContract, SubmissionPagesByContract, TariffsInForce
from loaders.objects import ContractById
from loaders.supply import DeliveryPointsByContract
from models import Contract as ContractModel
from models.enums import Role, TariffCategory
from schema.billing.tariff import Tariff
from schema.billing.types import Charge, Debt, Payment, Statement
from schema.core.context import Info
from schema.core.enums import ContractHolderKind
from schema.core.nodes import RowNode
from schema.core.ownership import Owner
from schema.core.pages import DATE_ID, TIME_ID, load_page, page_args
from schema.core.period import PeriodFilter
from schema.objects.delivery_point import DeliveryPoint
from schema.objects.receipts import ReceiptDelivery
from schema.readings.tabs import ReadingTabs
from services.platform.clock import LOCAL_TZ


def _own_contract(row: Any) -> Owner:
    return None, row.id


def _statement_cursor(row: Any) -> tuple[date, int]:
    return row.period, row.id


def _payment_cursor(row: Any) -> tuple[datetime, int]:
    return row.created_at, row.id


@strawberry.type(
    name="Contract", description="A supply contract (договор) of an organisation or individual entrepreneur (ИП)."
)
class Contract(ReadingTabs, RowNode):
    node_loader = ContractById
    node_owner = _own_contract
    reading_pages = ReadingPagesByContract
    submission_pages = SubmissionPagesByContract
    number: str = strawberry.field(description="The contract number, e.g. 15-000123.")
    inn: str = strawberry.field(description="The holder's INN (ИНН): 10 digits for organisations, 12 for individuals.")
    holder_name: str = strawberry.field(description="The holder's name.")

    # ---- the cabinet («Личный кабинет»)

    holder_kind: ContractHolderKind = strawberry.field(description="An organisation or an individual entrepreneur.")
    signed_on: date
    terminated_on: date | None = strawberry.field(description="Set when the contract was terminated.")

    @classmethod
    def from_row(cls, row: ContractModel) -> Self:
        assert row.id is not None
        return cls(
            row_id=row.id,
            number=row.number,
            inn=row.inn,
            holder_name=row.holder_name,
            holder_kind=row.holder_kind,
            signed_on=row.signed_on,
            terminated_on=row.terminated_on,
        )

    @strawberry.field(description="The delivery points (точки поставки) with their meters.")
    async def delivery_points(self, info: Info) -> list[DeliveryPoint]:
        rows = await info.context.loaders.get(DeliveryPointsByContract).load(self.row_id)
        return [DeliveryPoint.from_row(row) for row in rows]

    # ---- «Расчёты», «Оплаты», «Задолженность», «Тарифы»: organisations are billed per delivery point, so a
    # contract's tabs are the sum (debt) or the union (statements, charges, payments) of its delivery points'.

    @strawberry.field(description="What the contract owes now: the sum over its delivery points.")
    async def debt(self, info: Info) -> Debt:
        return Debt.of_contract(await info.context.loaders.get(DebtByContract).load(self.row_id))

    @strawberry.field(description="The consumption charges of each delivery point's latest billed month.")
    async def last_charges(self, info: Info) -> list[Charge]:
        rows = await info.context.loaders.get(LastChargesByContract).load(self.row_id)
        return [Charge.from_row(row) for row in rows]

    @strawberry.field(description="The statements of all its delivery points («Расчёты»), the latest first.")
    async def statements(
        self, info: Info, first: int | None = None, after: str | None = None, period: PeriodFilter | None = None
    ) -> relay.Connection[Statement]:
        return await load_page(
            info,
            StatementPagesByContract,
            self.row_id,
            page_args(first=first, after=after, cursor=DATE_ID, period=period),
            to_node=Statement.from_row,
            cursor_of=_statement_cursor,
            prefetch=lambda page: Statement.with_lines(info, page, under=("edges", "node")),
        )

    @strawberry.field(description="The payments of all its delivery points, every status («Оплаты»), the latest first.")
    async def payments(
        self, info: Info, first: int | None = None, after: str | None = None, period: PeriodFilter | None = None
    ) -> relay.Connection[Payment]:
        return await load_page(
            info,
            PaymentPagesByContract,
            self.row_id,
            page_args(first=first, after=after, cursor=TIME_ID, period=period),
            to_node=Payment.from_row,
            cursor_of=_payment_cursor,
        )

    @strawberry.field(
        description="The rates in force today for organisations (the supplier's unregulated price) in the zone "
        "schemes of its delivery points' meters («Тарифы»)."
    )
    async def current_tariffs(self, info: Info) -> list[Tariff]:
        loaders = info.context.loaders
        points = await loaders.get(DeliveryPointsByContract).load(self.row_id)
        meters = await loaders.get(MetersByDeliveryPoint).load_many([point.id for point in points])
        today = info.context.clock.now().astimezone(LOCAL_TZ).date()
        zone_counts = sorted({meter.zone_count for rows in meters for meter in rows})
        keys = [(TariffCategory.NON_HOUSEHOLD, zone_count, today) for zone_count in zone_counts]
        found = await loaders.get(TariffsInForce).load_many(keys)
        return Tariff.in_zone_order(row for rows in found for row in rows)

    @strawberry.field(
        description="The viewer's own e-receipt setting for this contract (each representative has their own); "
        "null for staff."
    )
    async def receipt_delivery(self, info: Info) -> ReceiptDelivery | None:
        viewer = info.context.viewer
        if viewer is None or viewer.role is not Role.CUSTOMER:
            return None
        link = await info.context.loaders.get(ContractLinkOf).load((viewer.customer_id, self.row_id))
        return ReceiptDelivery.from_link(link) if link is not None else None
