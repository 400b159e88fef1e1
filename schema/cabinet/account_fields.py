"""The cabinet's fields of a personal account: «Сведения», «Расчёты», «Оплаты» (readings: `readings.py`)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from strawberry import relay

from loaders.billing import (
    DebtByAccount,
    LastChargesByAccount,
    PaymentPagesByAccount,
    StatementPagesByAccount,
)
from loaders.metering import MetersByAccount, TariffsInForce
from loaders.supply import UtilityProviderById
from models import PersonalAccount as AccountModel
from schema.billing.tariff import Tariff
from schema.billing.types import Charge, Debt, Payment, Statement
from schema.cabinet.utility_provider import UtilityProvider
from schema.core.context import Info
from schema.core.pages import DATE_ID, TIME_ID, load_page, page_args
from schema.core.period import PeriodFilter
from schema.readings.meter import Meter
from services.platform.clock import LOCAL_TZ


async def utility_provider(info: Info, account: AccountModel) -> UtilityProvider | None:
    if account.utility_provider_id is None:
        return None
    row = await info.context.loaders.get(UtilityProviderById).load(account.utility_provider_id)
    return UtilityProvider.from_row(row) if row is not None else None


async def meters(info: Info, account_id: int) -> list[Meter]:
    return [Meter.from_row(row) for row in await info.context.loaders.get(MetersByAccount).load(account_id)]


async def last_charges(info: Info, account_id: int) -> list[Charge]:
    return [Charge.from_row(row) for row in await info.context.loaders.get(LastChargesByAccount).load(account_id)]


async def debt(info: Info, account_id: int) -> Debt:
    return Debt.from_row(await info.context.loaders.get(DebtByAccount).load(account_id))


async def current_tariffs(info: Info, account: AccountModel) -> list[Tariff]:
    """The rates in force today for the account's tariff group and the zone schemes of its meters."""
    assert account.id is not None
    meter_rows = await info.context.loaders.get(MetersByAccount).load(account.id)
    today = info.context.clock.now().astimezone(LOCAL_TZ).date()
    keys = [(account.tariff_category, zone_count, today) for zone_count in sorted({m.zone_count for m in meter_rows})]
    found = await info.context.loaders.get(TariffsInForce).load_many(keys)
    return Tariff.in_zone_order(row for rows in found for row in rows)


def _statement_cursor(row: Any) -> tuple[date, int]:
    return row.period, row.id


def _payment_cursor(row: Any) -> tuple[datetime, int]:
    return row.created_at, row.id


async def statements(
    info: Info, account_id: int, *, first: int | None, after: str | None, period: PeriodFilter | None
) -> relay.Connection[Statement]:
    args = page_args(first=first, after=after, cursor=DATE_ID, period=period)
    return await load_page(
        info,
        StatementPagesByAccount,
        account_id,
        args,
        to_node=Statement.from_row,
        cursor_of=_statement_cursor,
        prefetch=lambda page: Statement.with_lines(info, page, under=("edges", "node")),
    )


async def payments(
    info: Info, account_id: int, *, first: int | None, after: str | None, period: PeriodFilter | None
) -> relay.Connection[Payment]:
    args = page_args(first=first, after=after, cursor=TIME_ID, period=period)
    return await load_page(
        info, PaymentPagesByAccount, account_id, args, to_node=Payment.from_row, cursor_of=_payment_cursor
    )
