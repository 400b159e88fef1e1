"""A statement (платёжный документ) of one account (or delivery point) for one period, composed from what billing
knows about it.

ПП РФ от 06.05.2011 № 354 п. 69: the document shows the period, the volume and rate per service (per zone here), the
recalculations, the debt and the penalty. Balance rule:
closing = opening + charged + recalculated + vat + penalty − paid (a positive balance is a debt; vat is 0 for
households, whose tariffs include it); `paid` counts the electricity and penalty the payments of the period carried.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from models.enums import ZONES_BY_COUNT, ChargeBasis, ChargeKind, ObjectKind, TariffCategory, TariffZone
from services.billing.allocation import Obligation
from services.billing.calendar import due_date, issue_date, month_end, month_start
from services.billing.estimates import NORM_ZONE, NormTable, estimate_organisation_volumes, estimate_volumes
from services.billing.key_rates import KeyRateTable
from services.billing.penalty import PayerKind, PenaltyLine, accrue_penalty
from services.billing.recalculation import ChargeLine, EstimatedCharge, late_real_volume, reverse_estimates
from services.billing.schedule import final_payment_date
from services.billing.tariffs import TariffTable
from services.billing.vat import vat_on


@dataclass(frozen=True, slots=True)
class PaymentIn:
    """A succeeded payment credited in the period: its local day and its split."""

    day: date
    electricity: int
    penalty: int


@dataclass(frozen=True, slots=True)
class AccountPeriod:
    """Everything the statement of one account for one period depends on."""

    period: date
    category: TariffCategory
    object_kind: ObjectKind
    residents: int
    zone_count: int | None  # the zone scheme of the account's meters; None: no meter
    # A reading newer than the last billed one: its period (≤ `period`) and the kWh per zone since the last billed one.
    reading_period: date | None = None
    real_volumes: Mapping[TariffZone, int] = field(default_factory=dict)
    unreconciled: Sequence[EstimatedCharge] = ()  # estimates no reading has replaced yet
    history_months: int = 0  # metered periods among the last 12
    history_volumes: Mapping[TariffZone, int] = field(default_factory=dict)  # their kWh per zone
    opening_balance: int = 0
    obligations: Sequence[Obligation] = ()  # unpaid electricity at the period's start, oldest first
    payments: Sequence[PaymentIn] = ()
    payer: PayerKind = PayerKind.HOUSEHOLD
    max_capacity_kw: Decimal | None = None  # organisations: the delivery point's maximum capacity


@dataclass(frozen=True, slots=True)
class StatementDraft:
    period: date
    opening_balance: int
    charged: int
    recalculated: int
    vat: int
    paid: int
    penalty: int
    closing_balance: int
    issued_on: date
    due_on: date
    lines: tuple[ChargeLine, ...]
    penalty_lines: tuple[PenaltyLine, ...]


def _consumption(
    volumes: Mapping[TariffZone, int], basis: ChargeBasis, rate_of: dict[TariffZone, int]
) -> list[ChargeLine]:
    return [
        ChargeLine(zone, ChargeKind.CONSUMPTION, basis, kwh, rate_of[zone], kwh * rate_of[zone])
        for zone, kwh in sorted(volumes.items(), key=lambda item: _zone_order(item[0]))
    ]


_ZONE_ORDER = {zone: index for index, zone in enumerate(TariffZone)}


def _zone_order(zone: TariffZone) -> int:
    return _ZONE_ORDER[zone]


def compose_statement(
    *, account: AccountPeriod, tariffs: TariffTable, norms: NormTable, key_rates: KeyRateTable
) -> StatementDraft:
    period = month_start(account.period)

    def rates(on: date, zone_count: int, zones: object) -> dict[TariffZone, int]:
        return {
            zone: tariffs.rate_in_force(category=account.category, zone_count=zone_count, zone=zone, period=on)
            for zone in ZONES_BY_COUNT[zone_count]
        }

    lines: list[ChargeLine] = []
    unreconciled = list(account.unreconciled)
    metered_now = account.reading_period == period
    if account.reading_period is not None and account.zone_count is not None:
        lines += reverse_estimates(estimates=unreconciled, through=account.reading_period)
        unreconciled = [item for item in unreconciled if item.period > account.reading_period]
        if not metered_now:
            reading_rates = rates(account.reading_period, account.zone_count, None)
            lines += [
                late_real_volume(
                    zone=zone, volume_kwh=kwh, rate_kopecks=reading_rates[zone], reading_period=account.reading_period
                )
                for zone, kwh in sorted(account.real_volumes.items(), key=lambda item: _zone_order(item[0]))
            ]
    if metered_now and account.zone_count is not None:
        lines += _consumption(account.real_volumes, ChargeBasis.READINGS, rates(period, account.zone_count, None))
    else:
        in_a_row = len({item.period for item in unreconciled})
        history_months = account.history_months if account.zone_count is not None else 0
        if account.payer is PayerKind.ORGANISATION:
            estimate = estimate_organisation_volumes(
                estimated_in_a_row=in_a_row,
                history_months=history_months,
                history_volumes=account.history_volumes,
                max_capacity_kw=account.max_capacity_kw,
                hours=(month_end(period) - period).days * 24 + 24,
            )
        else:
            estimate = estimate_volumes(
                estimated_in_a_row=in_a_row,
                history_months=history_months,
                history_volumes=account.history_volumes,
                norms=norms,
                object_kind=account.object_kind,
                residents=account.residents,
            )
        if estimate.basis in (ChargeBasis.NORM, ChargeBasis.CAPACITY):
            rate_of = {NORM_ZONE: rates(period, 1, None)[NORM_ZONE]}
        else:
            assert account.zone_count is not None
            rate_of = rates(period, account.zone_count, None)
        lines += _consumption(estimate.volumes, estimate.basis, rate_of)

    charged = sum(line.amount for line in lines if line.kind is ChargeKind.CONSUMPTION)
    recalculated = sum(line.amount for line in lines if line.kind is ChargeKind.RECALCULATION)
    organisation = account.payer is PayerKind.ORGANISATION
    vat = 0
    if organisation:
        # Each line's VAT at the rate of the period it bills (a recalculation keeps its original period's rate).
        by_period: dict[date, int] = {}
        for line in lines:
            billed = line.recalculated_period or period
            by_period[billed] = by_period.get(billed, 0) + line.amount
        vat = sum(vat_on(net=net, period=billed) for billed, net in sorted(by_period.items()))
    accrual = accrue_penalty(
        obligations=account.obligations,
        payments=[(payment.day, payment.electricity) for payment in account.payments if payment.electricity > 0],
        start=period,
        end=month_end(period),
        key_rates=key_rates,
        payer=account.payer,
    )
    paid = sum(payment.electricity + payment.penalty for payment in account.payments)
    closing = account.opening_balance + charged + recalculated + vat + accrual.amount - paid
    return StatementDraft(
        period=period,
        opening_balance=account.opening_balance,
        charged=charged,
        recalculated=recalculated,
        vat=vat,
        paid=paid,
        penalty=accrual.amount,
        closing_balance=closing,
        issued_on=issue_date(period=period),
        due_on=final_payment_date(period=period) if organisation else due_date(period=period),
        lines=tuple(lines),
        penalty_lines=accrual.lines,
    )
