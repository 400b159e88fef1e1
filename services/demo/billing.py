"""Two years of money on one personal account: charges, statements, payments, penalty and the current debt.

Month by month: the payment made in the month (for the statement issued on its 5th), the penalty accrued on overdue
obligations, the charges for the month's consumption, and the statement, whose closing balance is always
opening + charged + recalculated + penalty - paid. State duty (госпошлина) is owed to the court order, not billed, so
it appears only in the debt and in the payment that settles it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from models.enums import ZONES_BY_COUNT, ChargeBasis, ChargeKind, PaymentMethod, PaymentStatus, TariffCategory
from services.billing.allocation import Obligation, allocate_payment
from services.billing.calendar import month_end
from services.billing.key_rates import KeyRateTable
from services.billing.penalty import PayerKind as PenaltyRule
from services.billing.penalty import accrue_penalty
from services.demo.bulk import IdCounters, Row, Rows
from services.demo.periods import ISSUE_DAY, DemoCalendar, add_months, due_date, issue_date, local_datetime
from services.demo.readings import MeterSeries
from services.demo.reference import KEY_RATES, TariffBook

STATE_DUTY_KOPECKS = 100_000  # for a court order (судебный приказ) on a small household debt
# The penalty is the billing engine's (services/billing/penalty.py) over the demo's key-rate table.
KEY_RATE_TABLE = KeyRateTable.of(KEY_RATES)
_PORTAL_METHODS = (PaymentMethod.SBP, PaymentMethod.CARD, PaymentMethod.BANK, PaymentMethod.CASH_DESK)
_PORTAL_WEIGHTS = (35, 60, 90, 100)
_OFFLINE_METHODS = (PaymentMethod.BANK, PaymentMethod.CASH_DESK)
_OFFLINE_WEIGHTS = (70, 100)
_PROVIDERS = {
    PaymentMethod.SBP: "sbp",
    PaymentMethod.CARD: "card",
    PaymentMethod.BANK: "bank",
    PaymentMethod.CASH_DESK: "cash_desk",
}
ZONE_VALUES = {count: tuple(zone.value for zone in zones) for count, zones in ZONES_BY_COUNT.items()}
_CONSUMPTION = ChargeKind.CONSUMPTION.value
_RECALCULATION = ChargeKind.RECALCULATION.value
_READINGS = ChargeBasis.READINGS.value
_SUCCEEDED = PaymentStatus.SUCCEEDED.value


class PayerKind(StrEnum):
    PUNCTUAL = "PUNCTUAL"  # pays the whole document before it is due
    LATE = "LATE"  # pays everything, penalty included, every third month
    PARTIAL = "PARTIAL"  # pays a part of the electricity every month
    STOPPED = "STOPPED"  # paid punctually, then stopped


_ON_TIME = (PayerKind.PUNCTUAL, PayerKind.STOPPED)


@dataclass(frozen=True, slots=True)
class Payer:
    """How an account's payer behaves, month by month (indexes into calendar.payment_months)."""

    kind: PayerKind = PayerKind.PUNCTUAL
    customer_id: int | None = None  # a linked customer, who may pay through the portal (SBP, card)
    stops_at: int = 10**6  # STOPPED: index in calendar.payment_months of the first month without a payment
    court_at: int = 10**6  # a court order adds the state duty at the end of this month
    resumes_at: int = 10**6  # pays off everything, the state duty included, in this month, then punctually
    share: float = 1.0  # PARTIAL: the part of the electricity debt paid each month

    def amounts(self, month_index: int, electricity: int, penalty: int, state_duty: int) -> tuple[int, int, int]:
        if month_index == self.resumes_at:
            return electricity, penalty, state_duty
        if self.stops_at <= month_index < self.resumes_at:
            return 0, 0, 0
        if self.kind is PayerKind.LATE and month_index % 3 != 2:
            return 0, 0, 0
        if self.kind is PayerKind.PARTIAL:
            return electricity * round(self.share * 100) // 100 // 10_000 * 10_000, 0, 0
        return electricity, penalty, 0


def random_payer(rng: random.Random, *, months: int, customer_id: int | None, debtors: float = 0.15) -> Payer:
    """Most pay on time; the debtors split evenly between the ones who stopped, pay in part or pay late."""
    draw = rng.random()
    if draw >= debtors:
        return Payer(PayerKind.PUNCTUAL, customer_id)
    if draw < debtors / 3:
        return Payer(PayerKind.STOPPED, customer_id, stops_at=months - rng.randint(2, 10))
    if draw < debtors * 2 / 3:
        return Payer(PayerKind.PARTIAL, customer_id, share=rng.uniform(0.4, 0.8))
    return Payer(PayerKind.LATE, customer_id)


@dataclass(frozen=True, slots=True)
class Recalculation:
    """A correction charged in billed month `month_index` for the earlier billed month `corrects`."""

    month_index: int
    corrects: int
    zone_count: int
    zone_index: int
    volume_kwh: int


@dataclass(frozen=True, slots=True)
class BillingContext:
    """What is the same for every account at one moment: the calendar, and per billed month its rates and dates."""

    calendar: DemoCalendar
    rates: list[dict[tuple[TariffCategory, int, str], int]]
    next_months: list[date]
    issued: list[date]
    due: list[date]
    documents_created: list[datetime]
    paying_for_due: list[date]  # per payment month: the due date of the document paid in it

    @classmethod
    def build(cls, calendar: DemoCalendar, tariffs: TariffBook) -> BillingContext:
        rates = [
            {(category, zone_count, zone.value): rate for (category, zone_count, zone), rate in year_rates.items()}
            for year_rates in (tariffs.rates_on(period) for period in calendar.billed)
        ]
        issued = [issue_date(period) for period in calendar.billed]
        due = [due_date(period) for period in calendar.billed]
        baseline_due = due_date(add_months(calendar.billed[0], -1))
        return cls(
            calendar=calendar,
            rates=rates,
            next_months=[add_months(period, 1) for period in calendar.billed],
            issued=issued,
            due=due,
            # The nightly billing run makes the documents at the very start of the 5th, so they exist all that day.
            documents_created=[local_datetime(day) for day in issued],
            paying_for_due=[
                baseline_due if index == 0 else due[min(index - 1, len(due) - 1)]
                for index in range(len(calendar.payment_months))
            ],
        )


def _consumption_charges(
    context: BillingContext, category: TariffCategory, meters: list[MeterSeries], month_index: int
) -> list[tuple[str, int, int]]:
    """(zone, kWh, rate) for the month; the meters of one account share a zone scheme, so their kWh add up."""
    rates = context.rates[month_index]
    volumes: dict[str, int] = {}
    zone_counts: dict[str, int] = {}
    for meter in meters:
        for zone_index, zone in enumerate(ZONE_VALUES[meter.zone_count]):
            volumes[zone] = volumes.get(zone, 0) + meter.consumption(zone_index, month_index + 1)
            zone_counts[zone] = meter.zone_count
    return [(zone, kwh, rates[(category, zone_counts[zone], zone)]) for zone, kwh in volumes.items()]


def _payment_row(
    rng: random.Random,
    payment_id: int,
    account_id: int,
    *,
    payer: Payer,
    paid_at: datetime,
    split: tuple[int, int, int],
) -> Row:
    if payer.customer_id is not None:
        method = rng.choices(_PORTAL_METHODS, cum_weights=_PORTAL_WEIGHTS)[0]
    else:
        method = rng.choices(_OFFLINE_METHODS, cum_weights=_OFFLINE_WEIGHTS)[0]
    online = method in (PaymentMethod.SBP, PaymentMethod.CARD)
    provider = _PROVIDERS[method]
    electricity, penalty, state_duty = split
    return (
        payment_id,
        account_id,
        payer.customer_id if online else None,
        electricity + penalty + state_duty,
        electricity,
        penalty,
        state_duty,
        method.value,
        _SUCCEEDED,
        provider,
        f"{provider}-{payment_id:010d}",
        paid_at - timedelta(minutes=2) if online else paid_at,  # a portal payment waits for the provider
        paid_at,
    )


def bill_account(
    rows: Rows,
    ids: IdCounters,
    rng: random.Random,
    *,
    context: BillingContext,
    account_id: int,
    category: TariffCategory,
    meters: list[MeterSeries],
    payer: Payer,
    recalculations: tuple[Recalculation, ...] = (),
) -> None:
    calendar = context.calendar
    billed_count = len(calendar.billed)
    today = calendar.today
    charges = [_consumption_charges(context, category, meters, index) for index in range(billed_count)]
    first_bill = sum(kwh * rate for _, kwh, rate in charges[0])
    electricity = first_bill * rng.randint(85, 115) // 100  # the month before the history, paid in its first month
    penalty_owed = state_duty = 0
    opening = electricity
    obligations: list[Obligation] = [
        Obligation(add_months(calendar.billed[0], -1), context.paying_for_due[0], electricity)
    ]
    statements, charge_rows, payments = rows["statement"], rows["charge"], rows["payment"]

    for month_index, month in enumerate(calendar.payment_months):
        paid = 0
        paid_electricity: list[tuple[date, int]] = []
        split = payer.amounts(month_index, electricity, penalty_owed, state_duty)
        if sum(split):
            on_time = payer.kind in _ON_TIME and not payer.stops_at <= month_index <= payer.resumes_at
            last_day = context.paying_for_due[month_index].day - 1 if on_time else 28
            day = month.replace(day=rng.randint(ISSUE_DAY + 1, last_day))
            if day < today:
                paid_at = local_datetime(day, rng.randint(8, 21), rng.randint(0, 59))
                payments.append(
                    _payment_row(rng, ids.take("payment"), account_id, payer=payer, paid_at=paid_at, split=split)
                )
                electricity -= split[0]
                penalty_owed -= split[1]
                state_duty -= split[2]
                paid = split[0] + split[1]
                if split[0] > 0:
                    paid_electricity.append((day, split[0]))
        if month_index == payer.court_at:
            state_duty += STATE_DUTY_KOPECKS
        if month_index >= billed_count:
            for _, amount in paid_electricity:
                obligations = list(allocate_payment(obligations=obligations, amount=amount).remaining)
            continue

        # The month's penalty as the engine reckons it, payments settling the oldest periods on their days.
        accrual = accrue_penalty(
            obligations=obligations,
            payments=paid_electricity,
            start=month,
            end=month_end(month),
            key_rates=KEY_RATE_TABLE,
            payer=PenaltyRule.HOUSEHOLD,
        )
        obligations = list(accrual.remaining)
        accrued = accrual.amount
        penalty_owed += accrued
        statement_id = ids.take("statement")
        charged = 0
        for zone, kwh, rate in charges[month_index]:
            charged += kwh * rate
            charge_rows.append(
                (
                    ids.take("charge"),
                    account_id,
                    statement_id,
                    month,
                    zone,
                    _CONSUMPTION,
                    _READINGS,
                    kwh,
                    rate,
                    kwh * rate,
                    None,
                )
            )
        recalculated = 0
        for correction in recalculations:
            if correction.month_index == month_index:
                corrected = calendar.billed[correction.corrects]
                zone = ZONE_VALUES[correction.zone_count][correction.zone_index]
                rate = context.rates[correction.corrects][(category, correction.zone_count, zone)]
                amount = correction.volume_kwh * rate
                recalculated += amount
                charge_rows.append(
                    (
                        ids.take("charge"),
                        account_id,
                        statement_id,
                        month,
                        zone,
                        _RECALCULATION,
                        _READINGS,
                        correction.volume_kwh,
                        rate,
                        amount,
                        corrected,
                    )
                )
        electricity += charged + recalculated
        due = context.due[month_index]
        if charged + recalculated > 0:
            obligations.append(Obligation(month, due, charged + recalculated))
        closing = opening + charged + recalculated + accrued - paid
        statements.append(
            (
                statement_id,
                account_id,
                month,
                opening,
                charged,
                recalculated,
                paid,
                accrued,
                closing,
                context.issued[month_index],
                due,
                context.documents_created[month_index],
            )
        )
        opening = closing

    rows["account_debt"].append((account_id, electricity, penalty_owed, state_duty, calendar.now))
