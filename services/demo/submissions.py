"""Readings customers sent through the portal: processed ones behind accepted readings, and one refused."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from models.enums import ZONES_BY_COUNT, ReadingSource, SubmissionStatus
from services.demo.bulk import IdCounters, Rows
from services.demo.periods import local_datetime
from services.demo.readings import MeterSeries


class Sender(NamedTuple):
    series: MeterSeries
    account_id: int
    customer_id: int


def add_demo_submissions(
    rows: Rows,
    ids: IdCounters,
    *,
    periods: tuple[date, ...],
    flat: Sender,
    house: Sender,
    others: list[Sender],
    operator_id: int,
) -> None:
    """The demo customer sent the flat's last three readings (one attempt refused) and the house's last two; a few
    other customers sent their last one."""
    last = len(periods) - 1
    for index in (last - 2, last - 1, last):
        add_processed_submission(rows, ids, sender=flat, periods=periods, period_index=index)
    add_rejected_submission(rows, ids, sender=flat, periods=periods, period_index=last, operator_id=operator_id)
    for index in (last - 1, last):
        add_processed_submission(rows, ids, sender=house, periods=periods, period_index=index)
    for sender in others:
        add_processed_submission(rows, ids, sender=sender, periods=periods, period_index=last)


def add_processed_submission(
    rows: Rows,
    ids: IdCounters,
    *,
    sender: Sender,
    periods: tuple[date, ...],
    period_index: int,
) -> None:
    """The customer sent the reading through the portal; it was accepted the same evening (reading.created_at)."""
    series = sender.series
    period = periods[period_index]
    taken_on = series.taken_on[period_index]
    submission_id = ids.take("reading_submission")
    rows["reading_submission"].append(
        (
            submission_id,
            series.meter_id,
            sender.account_id,
            sender.customer_id,
            f"demo-{series.meter_id}-{period:%Y%m}",
            SubmissionStatus.PROCESSED.value,
            None,
            period,
            local_datetime(taken_on, 17, 58),
            local_datetime(taken_on, 18),
            None,
        )
    )
    for zone_index, zone in enumerate(ZONES_BY_COUNT[series.zone_count]):
        rows["submitted_value"].append(
            (
                ids.take("submitted_value"),
                submission_id,
                zone.value,
                series.values[zone_index][period_index],
                series.consumption(zone_index, period_index),
            )
        )
    series.sources[period_index] = ReadingSource.CUSTOMER
    series.submission_ids[period_index] = submission_id


def add_rejected_submission(
    rows: Rows,
    ids: IdCounters,
    *,
    sender: Sender,
    periods: tuple[date, ...],
    period_index: int,
    operator_id: int,
) -> None:
    """Earlier the same day the customer lost a digit (16360 → 1636); the operator refused it after review."""
    series = sender.series
    period = periods[period_index]
    taken_on = series.taken_on[period_index]
    previous = series.values[0][period_index - 1]
    typo = series.values[0][period_index] // 10
    submission_id = ids.take("reading_submission")
    reason = (
        f"Показание {typo} меньше предыдущего принятого ({previous}), а переход счётчика через ноль не "
        "подтверждён. Проверьте, что введены все цифры, и передайте показания повторно."
    )
    rows["reading_submission"].append(
        (
            submission_id,
            series.meter_id,
            sender.account_id,
            sender.customer_id,
            f"demo-{series.meter_id}-{period:%Y%m}-typo",
            SubmissionStatus.REJECTED.value,
            reason,
            period,
            local_datetime(taken_on, 9, 12),
            local_datetime(taken_on, 11, 40),
            operator_id,
        )
    )
    rows["submitted_value"].append(
        (
            ids.take("submitted_value"),
            submission_id,
            ZONES_BY_COUNT[series.zone_count][0].value,
            typo,
            (typo - previous) % series.modulus,
        )
    )
