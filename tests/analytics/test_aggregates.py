"""Each analysts' aggregate equals the hand computation over the small town of tests/analytics/fixture.py."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from models.enums import (
    AppealStatus,
    AppealTopic,
    ObjectKind,
    PaymentMethod,
    ReadingSource,
    TariffCategory,
    TariffZone,
)
from services.analytics.aggregates import (
    AppealsRow,
    ChargesRow,
    ConsumptionRow,
    DayType,
    DebtAge,
    DebtRow,
    LoadCurveRow,
    PaymentsRow,
    ReadingSourceRow,
    Season,
    SubmittingRow,
    appeals_by_topic_and_status,
    charges_by_month,
    consumption_by_month_and_zone,
    customers_submitting_by_month,
    debt_by_age_and_locality,
    load_curves,
    payments_by_month_and_method,
    reading_sources_by_month,
)
from services.analytics.filters import Filters
from services.analytics.rollups import refresh_rollups
from services.errors import DomainError
from services.platform.clock import FrozenClock
from services.platform.database import TransactionalDatabase
from tests.analytics.fixture import NOV, OCT, SEP, Town, build_town


@pytest.fixture
async def town(db: TransactionalDatabase, clock: FrozenClock) -> Town:
    town = await build_town(db, now=clock.now())
    await refresh_rollups(db=db, concurrently=False)
    return town


def _months(town: Town, **account_filters: object) -> Filters:
    return Filters(period_from=SEP, period_to=NOV, locality=town.locality, **account_filters)  # type: ignore[arg-type]


async def test_consumption_by_month_and_zone(db: TransactionalDatabase, town: Town) -> None:
    rows = await consumption_by_month_and_zone(db=db, filters=_months(town))

    assert rows == [
        ConsumptionRow(SEP, TariffZone.DAY, 1, 150),
        ConsumptionRow(SEP, TariffZone.NIGHT, 1, 50),
        ConsumptionRow(SEP, TariffZone.SINGLE, 2, 400),
        ConsumptionRow(OCT, TariffZone.DAY, 1, 160),
        ConsumptionRow(OCT, TariffZone.NIGHT, 1, 40),
        ConsumptionRow(OCT, TariffZone.SINGLE, 1, 120),
    ]


async def test_consumption_filtered_by_object_kind_and_tariff_category(db: TransactionalDatabase, town: Town) -> None:
    houses = await consumption_by_month_and_zone(db=db, filters=_months(town, object_kind=ObjectKind.PRIVATE_HOUSE))
    gas_stoves = await consumption_by_month_and_zone(
        db=db, filters=_months(town, tariff_category=TariffCategory.URBAN_GAS_STOVE)
    )
    one_month = await consumption_by_month_and_zone(
        db=db, filters=Filters(period_from=OCT, period_to=NOV, locality=town.locality)
    )

    assert houses == [ConsumptionRow(SEP, TariffZone.SINGLE, 1, 300)]
    assert gas_stoves == [
        ConsumptionRow(SEP, TariffZone.SINGLE, 1, 100),
        ConsumptionRow(OCT, TariffZone.SINGLE, 1, 120),
    ]
    assert [row.period for row in one_month] == [OCT, OCT, OCT]


async def test_charges_by_month(db: TransactionalDatabase, town: Town) -> None:
    rows = await charges_by_month(db=db, filters=_months(town))

    assert rows == [ChargesRow(SEP, 3, 210_000, 0), ChargesRow(OCT, 2, 132_000, -5_000)]


async def test_payments_by_month_and_method_count_succeeded_ones_in_the_local_month(
    db: TransactionalDatabase, town: Town
) -> None:
    rows = await payments_by_month_and_method(db=db, filters=_months(town))

    assert rows == [
        PaymentsRow(SEP, PaymentMethod.BANK, 1, 40_000),
        PaymentsRow(OCT, PaymentMethod.CARD, 1, 20_000),
        PaymentsRow(OCT, PaymentMethod.SBP, 2, 40_000),
    ]


async def test_debt_by_age_lays_debt_over_the_newest_statements_with_the_penalty_law_edges(
    db: TransactionalDatabase, town: Town, clock: FrozenClock
) -> None:
    rows = await debt_by_age_and_locality(db=db, clock=clock, filters=_months(town))

    assert rows == [
        DebtRow(town.locality, DebtAge.DAYS_0_30, 3, 55_000 + 30_000 + 1_004),
        DebtRow(town.locality, DebtAge.DAYS_31_90, 3, 25_000 + 90_000 + 1_002 + 1_003),
        DebtRow(town.locality, DebtAge.DAYS_91_PLUS, 2, 110_000 + 1_001),
        DebtRow(town.locality, DebtAge.NOT_YET_DUE, 1, 1_005),
    ]
    assert sum(row.debt_kopecks for row in rows) == 80_000 + 30_000 + 200_000 + 5_015


async def test_reading_sources_by_month(db: TransactionalDatabase, town: Town) -> None:
    rows = await reading_sources_by_month(db=db, filters=_months(town))

    assert rows == [
        ReadingSourceRow(SEP, ReadingSource.CONTROL_INSPECTION, 1, 1),
        ReadingSourceRow(SEP, ReadingSource.CUSTOMER, 3, 2),
        ReadingSourceRow(OCT, ReadingSource.CUSTOMER, 1, 1),
        ReadingSourceRow(OCT, ReadingSource.UTILITY_PROVIDER, 2, 1),
    ]


async def test_share_of_customers_submitting_per_month(db: TransactionalDatabase, town: Town) -> None:
    rows = await customers_submitting_by_month(db=db, filters=_months(town))

    assert rows == [
        SubmittingRow(SEP, customers=2, submitting=1, share=Decimal("0.5000")),
        SubmittingRow(OCT, customers=3, submitting=1, share=Decimal("0.3333")),
    ]


async def test_appeals_by_topic_and_status_with_first_reply_percentiles(db: TransactionalDatabase, town: Town) -> None:
    rows = await appeals_by_topic_and_status(db=db, filters=_months(town))

    assert rows == [
        AppealsRow(AppealTopic.ISU_QUESTION, AppealStatus.OPEN, 1, 0, None, None),
        AppealsRow(AppealTopic.LK_QUESTION, AppealStatus.ANSWERED, 4, 4, 25 * 60, 37 * 60),
    ]


async def test_load_curves_average_hours_by_season_day_type_and_local_hour(
    db: TransactionalDatabase, town: Town
) -> None:
    rows = await load_curves(db=db, filters=_months(town))

    assert rows == [
        LoadCurveRow(Season.AUTUMN, DayType.WEEKDAY, 8, 3, Decimal("500.0")),
        LoadCurveRow(Season.AUTUMN, DayType.WEEKDAY, 9, 1, Decimal("100.0")),
        LoadCurveRow(Season.AUTUMN, DayType.WEEKEND, 8, 1, Decimal("900.0")),
    ]


@pytest.mark.parametrize(
    ("period_from", "period_to"),
    [(date(2026, 9, 2), NOV), (NOV, SEP), (SEP, SEP), (date(2023, 1, 1), date(2026, 1, 2)), (date(2023, 1, 1), NOV)],
)
def test_a_period_not_of_whole_months_or_too_long_is_refused(period_from: date, period_to: date) -> None:
    with pytest.raises(DomainError) as raised:
        Filters(period_from=period_from, period_to=period_to)

    assert raised.value.problems[0].field == ("filters", "period")


async def test_share_of_customers_submitting_counts_customers_of_the_filtered_accounts_only(
    db: TransactionalDatabase, town: Town
) -> None:
    flats = await customers_submitting_by_month(db=db, filters=_months(town, object_kind=ObjectKind.FLAT))

    assert flats == [
        SubmittingRow(SEP, customers=2, submitting=1, share=Decimal("0.5000")),
        SubmittingRow(OCT, customers=2, submitting=0, share=Decimal("0.0000")),
    ]
