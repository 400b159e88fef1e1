"""`PersonalAccount` (лицевой счёт). The cabinet adds its tabs' fields here; objects adds its link settings."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Self

import strawberry
from strawberry import relay

from loaders.billing import (
    DebtByAccount,
    LastChargesByAccount,
    MonthInputsByAccount,
    PaymentPagesByAccount,
    StatementPagesByAccount,
)
from loaders.customer_objects import AccountLinkOf
from loaders.metering import (
    LastReadingsByMeter,
    MetersByAccount,
    ReadingPagesByAccount,
    SubmissionPagesByAccount,
    TariffsInForce,
)
from loaders.objects import AccountById
from loaders.pages import PageArgs, table_of
from loaders.supply import UtilityProviderById
from models import PersonalAccount as AccountModel
from models.enums import ChargeKind, ReadingStatus, Role, TariffZone
from schema.billing.month_to_date import MonthToDate
from schema.billing.tariff import Tariff
from schema.billing.types import Charge, Debt, Payment, Statement
from schema.cabinet.utility_provider import UtilityProvider
from schema.core.access import viewer_is_analyst
from schema.core.compiled.plan import load_ahead_in_sql
from schema.core.compiled.sql_tree import Leaf, Paged, Relation, declare, keyset_cursor
from schema.core.context import Info
from schema.core.enums import ObjectKind, TariffCategory
from schema.core.nodes import RowNode
from schema.core.ownership import Owner
from schema.core.pages import DATE_ID, TIME_ID, load_page, page_args
from schema.core.period import PeriodFilter
from schema.core.selection import selects
from schema.objects.receipts import ReceiptDelivery
from schema.readings.meter import Meter
from schema.readings.pages import READING_CURSOR, reading_pages
from schema.readings.tabs import ReadingTabs
from services.billing.calendar import local_midnight
from services.billing.month_to_date import month_to_date, zone_of_hour
from services.cabinet.masking import mask_address
from services.platform.clock import LOCAL_TZ


def _own_account(row: Any) -> Owner:
    return row.id, None


def _statement_cursor(row: Any) -> tuple[date, int]:
    return row.period, row.id


def _payment_cursor(row: Any) -> tuple[datetime, int]:
    return row.created_at, row.id


# The pages' arguments, read the same way by the resolvers and by their statements in SQL (the `declare` below).
def _statement_pages(
    first: int | None = None, after: str | None = None, period: PeriodFilter | None = None
) -> PageArgs:
    return page_args(first=first, after=after, cursor=DATE_ID, period=period)


def _payment_pages(first: int | None = None, after: str | None = None, period: PeriodFilter | None = None) -> PageArgs:
    return page_args(first=first, after=after, cursor=TIME_ID, period=period)


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
        if self.utility_provider_id is None:
            return None
        row = await info.context.loaders.get(UtilityProviderById).load(self.utility_provider_id)
        return UtilityProvider.from_row(row) if row is not None else None

    @strawberry.field(description="The meters in service on the account.")
    async def meters(self, info: Info) -> list[Meter]:
        loaders = info.context.loaders
        rows = await loaders.get(MetersByAccount).load(self.row_id)
        # Asked now, each meter's `lastReadings` go in the round trip of this level's other loads (tariffs, a page's
        # charges …), not in one of their own after it: their statement in SQL when they are answered so, else rows.
        if selects(info, "lastReadings") and not all([load_ahead_in_sql(info, "lastReadings", row.id) for row in rows]):
            loaders.get(LastReadingsByMeter).prefetch(row.id for row in rows)
        return [Meter.from_row(row) for row in rows]

    @strawberry.field(description="The consumption charges of the latest billed month, one per zone («Начислено в …»).")
    async def last_charges(self, info: Info) -> list[Charge]:
        rows = await info.context.loaders.get(LastChargesByAccount).load(self.row_id)
        return [Charge.from_row(row) for row in rows]

    @strawberry.field(description="What the account owes now (задолженность).")
    async def debt(self, info: Info) -> Debt:
        return Debt.from_row(await info.context.loaders.get(DebtByAccount).load(self.row_id), account_id=self.row_id)

    @strawberry.field(description="The rates in force today for the zones of the account's meters («Тарифы»).")
    async def current_tariffs(self, info: Info) -> list[Tariff]:
        """The rates in force today for the account's tariff group and the zone schemes of its meters."""
        meter_rows = await info.context.loaders.get(MetersByAccount).load(self.row_id)
        today = info.context.clock.now().astimezone(LOCAL_TZ).date()
        zone_counts = sorted({meter.zone_count for meter in meter_rows})
        keys = [(self.tariff_category, zone_count, today) for zone_count in zone_counts]
        found = await info.context.loaders.get(TariffsInForce).load_many(keys)
        return Tariff.in_zone_order(row for rows in found for row in rows)

    @strawberry.field(
        description="The current month so far: consumption and cost, and the end-of-month forecast of both, with "
        "what they rest on (smart-meter hours, the last reading, or the average); null with none of them."
    )
    async def current_month(self, info: Info) -> MonthToDate | None:
        loaders = info.context.loaders
        now = info.context.clock.now()
        today = now.astimezone(LOCAL_TZ).date()
        month = today.replace(day=1)
        meters = await loaders.get(MetersByAccount).load(self.row_id)
        if not meters:
            return None
        zone_count = min(meter.zone_count for meter in meters)
        inputs = await loaders.get(MonthInputsByAccount).load((self.row_id, month))
        tariffs = await loaders.get(TariffsInForce).load((self.tariff_category, zone_count, today))
        smart_wh: dict[TariffZone, int] | None = None
        if inputs.smart_wh_by_hour:
            smart_wh = {}
            for hour, wh in inputs.smart_wh_by_hour.items():
                zone = zone_of_hour(zone_count=zone_count, hour=hour)
                smart_wh[zone] = smart_wh.get(zone, 0) + wh
        result = month_to_date(
            today=today,
            hours_elapsed=int((now - local_midnight(month)).total_seconds() // 3600),
            rates={row.zone: row.rate_kopecks for row in tariffs},
            smart_wh=smart_wh,
            reading=inputs.reading,
            history_months=inputs.history_months,
            history_volumes=inputs.history_volumes,
        )
        return None if result is None else MonthToDate.of(result)

    # ---- «Расчёты», «Оплаты», «Показания»: connections, the latest first

    @strawberry.field(description="Statements by month («Расчёты»), the latest first.")
    async def statements(
        self, info: Info, first: int | None = None, after: str | None = None, period: PeriodFilter | None = None
    ) -> relay.Connection[Statement]:
        return await load_page(
            info,
            StatementPagesByAccount,
            self.row_id,
            _statement_pages(first=first, after=after, period=period),
            to_node=Statement.from_row,
            cursor_of=_statement_cursor,
            prefetch=lambda page: Statement.with_lines(info, page, under=("edges", "node")),
        )

    @strawberry.field(description="Payments of every status («Оплаты»), the latest first.")
    async def payments(
        self, info: Info, first: int | None = None, after: str | None = None, period: PeriodFilter | None = None
    ) -> relay.Connection[Payment]:
        return await load_page(
            info,
            PaymentPagesByAccount,
            self.row_id,
            _payment_pages(first=first, after=after, period=period),
            to_node=Payment.from_row,
            cursor_of=_payment_cursor,
        )

    @strawberry.field(
        description="The viewer's own e-receipt setting for this account (each family member has their own); "
        "null for staff."
    )
    async def receipt_delivery(self, info: Info) -> ReceiptDelivery | None:
        """The viewer's own setting; None for staff and for accounts not linked to the viewer."""
        viewer = info.context.viewer
        if viewer is None or viewer.role is not Role.CUSTOMER:
            return None
        link = await info.context.loaders.get(AccountLinkOf).load((viewer.customer_id, self.row_id))
        return ReceiptDelivery.from_link(link) if link is not None else None


# How the account's plain fields and relations read in SQL, for subtrees PostgreSQL answers as JSON
# (schema/core/compiled/sql_tree.py); fields not named here keep their resolvers.
declare(
    PersonalAccount,
    table_of(AccountModel),
    id=Leaf(global_id=True),
    number=Leaf("number"),
    address=Leaf("address"),  # analysts' plans are never answered in SQL: their address is masked
    locality=Leaf("locality"),
    object_kind=Leaf("object_kind"),
    tariff_category=Leaf("tariff_category"),
    residents=Leaf("residents"),
    benefit_recipients=Leaf("benefit_recipients"),
    area_m2=Leaf("area_m2"),
    in_apartment_building=Leaf("in_apartment_building"),
    opened_on=Leaf("opened_on"),
    closed_on=Leaf("closed_on"),
    utility_provider=Relation("one", "utility_provider {t} WHERE {t}.id = {p}.utility_provider_id"),
    # No debt row yet: zeros and no update time (Debt.from_row(None)).
    debt=Relation("one", "(SELECT 1) AS {t}_one LEFT JOIN account_debt {t} ON {t}.account_id = {p}.id", always=True),
    # As LastChargesByAccount: the consumption lines of the account's latest statement's month.
    last_charges=Relation(
        "many",
        f"charge {{t}} WHERE {{t}}.account_id = {{p}}.id AND {{t}}.kind = '{ChargeKind.CONSUMPTION.value}' "
        "AND {t}.period = (SELECT max(s.period) FROM statement s WHERE s.account_id = {p}.id)",
        order="{t}.id",
    ),
    meters=Relation(  # as MetersByAccount: in service, in installation order
        "many", "meter {t} WHERE {t}.account_id = {p}.id AND {t}.removed_on IS NULL", order="{t}.installed_on, {t}.id"
    ),
    # As StatementPagesByAccount and PaymentPagesByAccount, the latest first; cursors are orjson's text of
    # (period, id) and (created_at, id).
    statements=Relation(
        "page",
        "statement {t} WHERE {t}.account_id = {p}.id",
        order="{t}.period DESC, {t}.id DESC",
        paged=Paged(
            args=_statement_pages,
            cursor=keyset_cursor("{t}.period"),
            months=("{t}.period", "between", "date"),
        ),
    ),
    payments=Relation(
        "page",
        "payment {t} WHERE {t}.account_id = {p}.id",
        order="{t}.created_at DESC, {t}.id DESC",
        paged=Paged(
            args=_payment_pages,
            cursor=keyset_cursor("{t}.created_at", instant=True),
            months=("{t}.created_at", "range", "timestamptz"),
        ),
    ),
    # As ReadingPagesByAccount: the accepted readings of the account's meters (removed ones too), the latest first.
    readings=Relation(
        "page",
        f"reading {{t}} JOIN meter {{t}}_meter ON {{t}}_meter.id = {{t}}.meter_id "
        f"WHERE {{t}}_meter.account_id = {{p}}.id AND {{t}}.status = '{ReadingStatus.ACCEPTED.value}'",
        order="{t}.taken_on DESC, {t}.id DESC",
        paged=Paged(
            args=reading_pages,
            cursor=READING_CURSOR,
            months=("{t}.period", "between", "date"),
        ),
    ),
)
