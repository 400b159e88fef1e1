"""The penalty explained (`Statement.penaltyExplanation`, `Debt.penaltyExplanation`): per overdue amount."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Self

import strawberry

from loaders.billing import ExplainedDebt, ExplainedStatement
from schema.core.scalars import Kopecks
from services.billing.penalty import PenaltyInterval as IntervalRow
from services.billing.penalty import PenaltyLine


def _percent(bp: int) -> Decimal:
    return (Decimal(bp) / 100).quantize(Decimal("0.01"))


@strawberry.type(
    name="PenaltyInterval",
    description="Days of one overdue amount at one share of one key rate (ЖК РФ ст. 155 ч. 14; ФЗ-35 ст. 37 п. 2).",
)
class PenaltyInterval:
    from_: date = strawberry.field(name="from", description="The first day (included).")
    to: date = strawberry.field(description="The last day (included).")
    days: int
    share: str = strawberry.field(description="The share of the key rate a day: 1/300 or 1/130.")
    key_rate: Decimal = strawberry.field(
        description="The key rate the law points to, % (the payment day's, or the calculation day's if unpaid)."
    )
    applied_rate: Decimal = strawberry.field(description="The rate applied, %: the key rate or the moratorium cap.")
    moratorium_capped: bool = strawberry.field(
        description="Whether the moratorium (ПП РФ № 474 as amended by ПП РФ № 329) capped the rate at 9.5 %."
    )
    amount: Kopecks = strawberry.field(description="base × applied rate × share × days, rounded to the kopeck.")

    @classmethod
    def of(cls, row: IntervalRow) -> Self:
        return cls(
            from_=row.start,
            to=row.end,
            days=row.days,
            share=f"1/{row.share}",
            key_rate=_percent(row.key_rate_bp),
            applied_rate=_percent(row.applied_rate_bp),
            moratorium_capped=row.capped,
            amount=Kopecks(row.amount),
        )


@strawberry.type(name="OverduePenalty", description="The penalty one overdue amount accrued in one statement's month.")
class OverduePenalty:
    accrued_in: date = strawberry.field(description="The month of the statement that billed this penalty.")
    period: date = strawberry.field(description="The month whose electricity is overdue.")
    due_on: date = strawberry.field(description="When that amount fell due.")
    base: Kopecks = strawberry.field(description="The overdue kopecks.")
    paid_on: date | None = strawberry.field(description="The day it was paid; null: unpaid at the month's end.")
    amount: Kopecks = strawberry.field(description="The sum of its intervals.")
    intervals: list[PenaltyInterval]

    @classmethod
    def of(cls, line: PenaltyLine, accrued_in: date) -> Self:
        return cls(
            accrued_in=accrued_in,
            period=line.period,
            due_on=line.due_on,
            base=Kopecks(line.base),
            paid_on=line.paid_on,
            amount=Kopecks(line.amount),
            intervals=[PenaltyInterval.of(item) for item in line.intervals],
        )


@strawberry.type(
    name="PenaltyExplanation",
    description="How a penalty was reckoned: accrued = the sum of the overdue amounts' penalties; "
    "total = accrued − paid (a statement: its penalty; a debt: the penalty owed).",
)
class PenaltyExplanation:
    accrued: Kopecks
    paid: Kopecks = strawberry.field(description="Penalty already paid (0 for a statement).")
    total: Kopecks
    overdue_amounts: list[OverduePenalty]

    @classmethod
    def of_statement(cls, explained: ExplainedStatement) -> Self:
        lines = [OverduePenalty.of(line, explained.period) for line in explained.lines]
        return cls(
            accrued=Kopecks(explained.penalty), paid=Kopecks(0), total=Kopecks(explained.penalty), overdue_amounts=lines
        )

    @classmethod
    def of_debt(cls, explained: ExplainedDebt) -> Self:
        lines = [OverduePenalty.of(line, item.period) for item in explained.statements for line in item.lines]
        return cls(
            accrued=Kopecks(explained.accrued),
            paid=Kopecks(explained.paid),
            total=Kopecks(explained.accrued - explained.paid),
            overdue_amounts=lines,
        )
