"""Statements imported from an external billing system (`BILLING_MODE=external`, service token `billing:write`)."""

from __future__ import annotations

from datetime import date

import strawberry
from strawberry import relay

from schema.core.enums import ChargeBasis, ChargeKind, TariffZone
from schema.core.errors import UserError
from schema.core.scalars import KilowattHours, Kopecks
from schema.core.service_auth import HasServiceScope
from services.integrations.service_tokens import BILLING_WRITE


class CanImportStatements(HasServiceScope):
    scope = BILLING_WRITE


@strawberry.input(description="One line of an imported statement.")
class ImportChargeInput:
    zone: TariffZone  # type: ignore[valid-type]
    kind: ChargeKind  # type: ignore[valid-type]
    basis: ChargeBasis  # type: ignore[valid-type]
    volume: KilowattHours
    rate: Kopecks = strawberry.field(description="Kopecks per kWh.")
    amount: Kopecks = strawberry.field(description="volume × rate, in kopecks.")
    recalculated_period: date | None = strawberry.field(
        default=None, description="For a recalculation: the month it corrects (its first day)."
    )


@strawberry.input(
    description="One statement as the external billing system issued it. closingBalance = openingBalance + charged "
    "+ recalculated + vat + penalty − paid; the opening balance is the previous statement's closing balance."
)
class ImportStatementInput:
    external_id: str = strawberry.field(description="The sender's own id of the statement (1 to 64 characters).")
    account_number: str | None = strawberry.field(
        default=None, description="A household's personal account (лицевой счёт); or `deliveryPointId`."
    )
    delivery_point_id: relay.GlobalID | None = strawberry.field(
        default=None, description="An organisation's delivery point (точка поставки); or `accountNumber`."
    )
    period: date = strawberry.field(description="The billing month (its first day).")
    opening_balance: Kopecks
    charged: Kopecks
    recalculated: Kopecks
    vat: Kopecks = strawberry.field(default=Kopecks(0), description="VAT (organisations only).")
    paid: Kopecks
    penalty: Kopecks
    closing_balance: Kopecks
    issued_on: date
    due_on: date
    charges: list[ImportChargeInput]


@strawberry.input
class ImportStatementsInput:
    batch_id: str = strawberry.field(description="The sender's id of the batch: a batch sent again changes nothing.")
    statements: list[ImportStatementInput] = strawberry.field(description="All are stored or none.")


@strawberry.type
class ImportStatementsPayload:
    created: int = 0
    skipped: int = strawberry.field(default=0, description="Statements imported before (same sender and id).")
    repeated_batch: bool = strawberry.field(default=False, description="The batch was received before.")
    errors: list[UserError] = strawberry.field(default_factory=list)
