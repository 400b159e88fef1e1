"""Billing as the cabinet shows it: statements («Расчёты»), their charges, payments («Оплаты») and the debt."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Self

import strawberry

from loaders.billing import (
    ChargeById,
    ChargesByStatement,
    PaymentById,
    PaymentsInMonth,
    PenaltyExplanationByAccount,
    PenaltyExplanationByStatement,
    PointPaymentsInMonth,
    StatementById,
)
from loaders.pages import table_of
from models import AccountDebt as DebtModel
from models import Charge as ChargeModel
from models import Payment as PaymentModel
from models import Statement as StatementModel
from models.enums import ChargeKind as ChargeKindEnum
from models.enums import PaymentStatus as PaymentStatusEnum
from schema.billing.penalty import PenaltyExplanation
from schema.core.access import viewer_is_analyst
from schema.core.compiled.prefetched import NOT_PREFETCHED, read_when_prefetched
from schema.core.compiled.sql_tree import Leaf, Relation, declare
from schema.core.context import Info
from schema.core.enums import ChargeBasis, ChargeKind, PaymentMethod, PaymentStatus, TariffZone
from schema.core.nodes import RowNode
from schema.core.scalars import KilowattHours, Kopecks
from schema.core.selection import selects
from services.files.signing import LinkKind, signed_url
from services.platform.clock import LOCAL_TZ

if TYPE_CHECKING:
    from schema.cabinet.account import PersonalAccount
    from schema.objects.delivery_point import DeliveryPoint


async def _account(info: Info, account_id: int) -> PersonalAccount | None:
    from loaders.objects import AccountById
    from schema.cabinet.account import PersonalAccount

    model = await info.context.loaders.get(AccountById).load(account_id)
    return PersonalAccount.from_row(model) if model is not None else None


async def _point(info: Info, point_id: int) -> DeliveryPoint | None:
    from loaders.supply import DeliveryPointById
    from schema.objects.delivery_point import DeliveryPoint

    row = await info.context.loaders.get(DeliveryPointById).load(point_id)
    return DeliveryPoint.from_row(row) if row is not None else None


@strawberry.type(
    name="Charge",
    description="A charge (начисление): volume × rate for one zone of a month, or a recalculation of an earlier month.",
)
class Charge(RowNode):
    node_loader = ChargeById
    period: date = strawberry.field(description="The billing month of the statement carrying it (its first day).")
    zone: TariffZone
    kind: ChargeKind
    basis: ChargeBasis
    volume: KilowattHours
    rate: Kopecks = strawberry.field(description="Kopecks per kWh.")
    amount: Kopecks = strawberry.field(
        description="volume × rate; negative for a recalculation in the customer's favour."
    )
    recalculated_period: date | None = strawberry.field(description="For a recalculation: the month it corrects.")

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            row_id=row.id,
            period=row.period,
            zone=row.zone,
            kind=row.kind,
            basis=row.basis,
            volume=row.volume_kwh,
            rate=row.rate_kopecks,
            amount=row.amount,
            recalculated_period=row.recalculated_period,
        )


@strawberry.type(name="Payment", description="A payment (оплата) split into electricity, penalty and state duty.")
class Payment(RowNode):
    node_loader = PaymentById
    account_id: strawberry.Private[int | None]
    delivery_point_id: strawberry.Private[int | None]
    amount: Kopecks = strawberry.field(description="electricity + penalty + stateDuty.")
    electricity: Kopecks
    penalty: Kopecks = strawberry.field(description="Penalty (пени).")
    state_duty: Kopecks = strawberry.field(description="State duty (госпошлина).")
    method: PaymentMethod
    status: PaymentStatus
    created_at: datetime = strawberry.field(description="When the payment was made or started.")
    paid_at: datetime | None = strawberry.field(description="When the provider confirmed it.")
    confirmation_url: str | None = strawberry.field(
        default=None,
        description="While PENDING: where it is paid (the SBP link, also rendered as the QR code, or the card "
        "payment page); null otherwise.",
    )

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            row_id=row.id,
            account_id=row.account_id,
            delivery_point_id=row.delivery_point_id,
            confirmation_url=row.confirmation_url if row.status == "PENDING" else None,
            amount=row.amount,
            electricity=row.electricity,
            penalty=row.penalty,
            state_duty=row.state_duty,
            method=row.method,
            status=row.status,
            created_at=row.created_at,
            paid_at=row.paid_at,
        )

    @strawberry.field(description="The personal account paid for; null for a contract's delivery point.")
    async def account(self, info: Info) -> Annotated[PersonalAccount, strawberry.lazy("schema.cabinet.account")] | None:
        return None if self.account_id is None else await _account(info, self.account_id)

    @strawberry.field(description="The contract's delivery point paid for; null for a personal account.")
    async def delivery_point(
        self, info: Info
    ) -> Annotated[DeliveryPoint, strawberry.lazy("schema.objects.delivery_point")] | None:
        return None if self.delivery_point_id is None else await _point(info, self.delivery_point_id)


@strawberry.type(
    name="Statement",
    description="The payment document of an account for one month (платёжный документ). "
    "closingBalance = openingBalance + charged + recalculated + penalty − paid; a positive balance is a debt.",
)
class Statement(RowNode):
    node_loader = StatementById
    account_id: strawberry.Private[int | None]
    delivery_point_id: strawberry.Private[int | None]
    period: date = strawberry.field(description="The billing month (its first day).")
    opening_balance: Kopecks
    charged: Kopecks
    recalculated: Kopecks
    paid: Kopecks
    penalty: Kopecks = strawberry.field(description="Penalty (пени) accrued in the month.")
    closing_balance: Kopecks
    issued_on: date
    due_on: date = strawberry.field(description="Pay by this day.")
    pdf_available: bool = strawberry.field(
        description="Whether its PDF can be produced: always, it is rendered from the statement when downloaded."
    )
    # Filled by `with_lines` for every statement of a page at once (the fields below read them synchronously).
    # None: not fetched, the field then falls back to its loader (an awaitable for this statement alone).
    line_rows: strawberry.Private[list[Any] | None] = None
    payment_rows: strawberry.Private[list[Any] | None] = None

    @classmethod
    async def with_lines(cls, info: Info, statements: list[Self], *, under: tuple[str, ...] = ()) -> list[Self]:
        """Fetch the charges and payments the client selected for all `statements` (one statement each).

        All loads are made before any is awaited: they go out in the same round trip
        (services/platform/statement_batches.py), not one after the other."""
        loaders = info.context.loaders
        lines = None
        if selects(info, *under, "charges") or selects(info, *under, "recalculations"):
            lines = loaders.get(ChargesByStatement).load_many([s.row_id for s in statements])
        paid_by_households = paid_by_points = None
        households = [s for s in statements if s.account_id is not None]
        points = [s for s in statements if s.delivery_point_id is not None]
        if selects(info, *under, "payments"):
            paid_by_households = loaders.get(PaymentsInMonth).load_many([s.payment_key for s in households])
            paid_by_points = loaders.get(PointPaymentsInMonth).load_many([s.payment_key for s in points])
        loaded = await asyncio.gather(*(load for load in (lines, paid_by_households, paid_by_points) if load))
        if lines is not None:
            for statement, rows in zip(statements, loaded.pop(0), strict=True):
                statement.line_rows = rows
        if loaded:
            paid = [*loaded[0], *loaded[1]]
            for statement, rows in zip(households + points, paid, strict=True):
                statement.payment_rows = rows
        return statements

    @classmethod
    def from_row(cls, row: Any) -> Self:
        return cls(
            row_id=row.id,
            account_id=row.account_id,
            delivery_point_id=row.delivery_point_id,
            period=row.period,
            opening_balance=row.opening_balance,
            charged=row.charged,
            recalculated=row.recalculated,
            paid=row.paid,
            penalty=row.penalty,
            closing_balance=row.closing_balance,
            issued_on=row.issued_on,
            due_on=row.due_on,
            pdf_available=True,
        )

    # Sync resolvers: a prefetched value costs no task (and the compiled path reads it without calling them:
    # schema/core/compiled/prefetched.py); otherwise they hand graphql-core the loader's awaitable.
    @strawberry.field(description="Consumption charges of the month, one per zone.")
    @read_when_prefetched(lambda statement: statement._prefetched_lines(ChargeKindEnum.CONSUMPTION))
    def charges(self, info: Info) -> list[Charge]:
        return self._lines(info, ChargeKindEnum.CONSUMPTION)

    @strawberry.field(description="Recalculations of earlier months (перерасчёты) carried by this statement.")
    @read_when_prefetched(lambda statement: statement._prefetched_lines(ChargeKindEnum.RECALCULATION))
    def recalculations(self, info: Info) -> list[Charge]:
        return self._lines(info, ChargeKindEnum.RECALCULATION)

    @strawberry.field(description="The succeeded payments credited in the month (local time), as `paid` counts them.")
    @read_when_prefetched(lambda statement: statement._prefetched_payments())
    def payments(self, info: Info) -> list[Payment]:
        prefetched = self._prefetched_payments()
        if prefetched is not NOT_PREFETCHED:
            return prefetched  # type: ignore[no-any-return]

        async def load() -> list[Payment]:
            loader = PaymentsInMonth if self.account_id is not None else PointPaymentsInMonth
            rows = await info.context.loaders.get(loader).load(self.payment_key)
            return [Payment.from_row(row) for row in rows]

        return load()  # type: ignore[return-value]

    @property
    def payment_key(self) -> tuple[int, date]:
        owner = self.account_id if self.account_id is not None else self.delivery_point_id
        assert owner is not None, "a statement belongs to an account or a delivery point (check one_payer)"
        return owner, self.period

    def _prefetched_payments(self) -> list[Payment] | Any:
        if self.payment_rows is None:
            return NOT_PREFETCHED
        return [Payment.from_row(row) for row in self.payment_rows]

    def _prefetched_lines(self, kind: ChargeKindEnum) -> list[Charge] | Any:
        if self.line_rows is None:
            return NOT_PREFETCHED
        return [Charge.from_row(row) for row in self.line_rows if row.kind is kind]

    def _lines(self, info: Info, kind: ChargeKindEnum) -> list[Charge]:
        prefetched = self._prefetched_lines(kind)
        if prefetched is not NOT_PREFETCHED:
            return prefetched  # type: ignore[no-any-return]

        async def load() -> list[Charge]:
            rows = await info.context.loaders.get(ChargesByStatement).load(self.row_id)
            return [Charge.from_row(row) for row in rows if row.kind is kind]

        return load()  # type: ignore[return-value]

    @strawberry.field(description="The personal account billed; null for a contract's delivery point.")
    async def account(self, info: Info) -> Annotated[PersonalAccount, strawberry.lazy("schema.cabinet.account")] | None:
        return None if self.account_id is None else await _account(info, self.account_id)

    @strawberry.field(description="The contract's delivery point billed; null for a personal account.")
    async def delivery_point(
        self, info: Info
    ) -> Annotated[DeliveryPoint, strawberry.lazy("schema.objects.delivery_point")] | None:
        return None if self.delivery_point_id is None else await _point(info, self.delivery_point_id)

    @strawberry.field(
        description=(
            "A link to the payment document (платёжный документ) as a PDF with the GOST R 56042-2014 payment QR "
            "code, valid for 5 minutes and for the viewer who asked for it only: the download must carry the same "
            "viewer's `Authorization: Bearer` token. Null for analysts: the document holds personal data."
        )
    )
    def pdf_url(self, info: Info) -> str | None:
        viewer = info.context.viewer
        if viewer is None or viewer_is_analyst(info):
            return None
        settings = info.context.runtime.settings
        return signed_url(
            kind=LinkKind.STATEMENT_PDF,
            secret=settings.secret_key,
            public_url=settings.public_url,
            object_id=self.row_id,
            viewer_id=viewer.customer_id,
            now=info.context.runtime.clock.now(),
        )

    @classmethod
    async def prefetch(cls, info: Info, nodes: list[Self]) -> list[Self]:
        return await cls.with_lines(info, nodes)

    @strawberry.field(
        description="The month's penalty (пени) per overdue amount and interval, adding up to `penalty` to the "
        "kopeck; null for a statement imported from another billing system (its penalty was reckoned there)."
    )
    async def penalty_explanation(self, info: Info) -> PenaltyExplanation | None:
        explained = await info.context.loaders.get(PenaltyExplanationByStatement).load(self.row_id)
        return None if explained is None else PenaltyExplanation.of_statement(explained)


@strawberry.type(
    name="Debt", description="What an account owes now (задолженность), split as the payment form splits it."
)
class Debt:
    account_id: strawberry.Private[int | None]
    electricity: Kopecks
    penalty: Kopecks = strawberry.field(description="Penalty (пени).")
    state_duty: Kopecks = strawberry.field(description="State duty (госпошлина).")
    total: Kopecks
    updated_at: datetime | None = strawberry.field(description="When billing last updated it; null: never billed.")

    @classmethod
    def from_row(cls, row: Any | None, *, account_id: int | None = None) -> Self:
        if row is None:
            return cls(
                account_id=account_id,
                electricity=Kopecks(0),
                penalty=Kopecks(0),
                state_duty=Kopecks(0),
                total=Kopecks(0),
                updated_at=None,
            )
        return cls(
            account_id=row.account_id,
            electricity=row.electricity,
            penalty=row.penalty,
            state_duty=row.state_duty,
            total=row.electricity + row.penalty + row.state_duty,
            updated_at=row.updated_at,
        )

    @classmethod
    def of_contract(cls, row: Any | None) -> Self:
        """A contract's debt: the sum over its delivery points (they have no debt row; organisations owe no duty)."""
        if row is None:
            return cls.from_row(None)
        return cls(
            account_id=None,
            electricity=Kopecks(row.total - row.penalty),
            penalty=Kopecks(row.penalty),
            state_duty=Kopecks(0),
            total=Kopecks(row.total),
            updated_at=row.updated_at,
        )

    @strawberry.field(
        description="The penalty of every statement billed by this server, per overdue amount and interval, less "
        "what payments paid of it; null for a contract (see its statements)."
    )
    async def penalty_explanation(self, info: Info) -> PenaltyExplanation | None:
        if self.account_id is None:
            return None
        explained = await info.context.loaders.get(PenaltyExplanationByAccount).load(self.account_id)
        return PenaltyExplanation.of_debt(explained)


# An account's debt in SQL (schema/core/compiled/sql_tree.py), read through a LEFT JOIN from one row: with no debt
# row yet, zeros and no update time, as `Debt.from_row(None)`.
declare(
    Debt,
    table_of(DebtModel),
    electricity=Leaf(sql="coalesce({t}.electricity, 0)", nullable=False),
    penalty=Leaf(sql="coalesce({t}.penalty, 0)", nullable=False),
    state_duty=Leaf(sql="coalesce({t}.state_duty, 0)", nullable=False),
    # numeric: Python's sum has no bigint bound (Kopecks may exceed 32 bits, and so may their sum 64)
    total=Leaf(sql="coalesce({t}.electricity::numeric + {t}.penalty + {t}.state_duty, 0)", nullable=False),
    updated_at=Leaf("updated_at"),
)


_PENDING = PaymentStatusEnum.PENDING.value

# Statements, their lines and payments in SQL (schema/core/compiled/sql_tree.py), as `from_row`, `with_lines` and the
# loaders read them.
declare(
    Charge,
    table_of(ChargeModel),
    id=Leaf(global_id=True),
    period=Leaf("period"),
    zone=Leaf("zone"),
    kind=Leaf("kind"),
    basis=Leaf("basis"),
    volume=Leaf("volume_kwh"),
    rate=Leaf("rate_kopecks"),
    amount=Leaf("amount"),
    recalculated_period=Leaf("recalculated_period"),
)
declare(
    Payment,
    table_of(PaymentModel),
    id=Leaf(global_id=True),
    amount=Leaf("amount"),
    electricity=Leaf("electricity"),
    penalty=Leaf("penalty"),
    state_duty=Leaf("state_duty"),
    method=Leaf("method"),
    status=Leaf("status"),
    created_at=Leaf("created_at"),
    paid_at=Leaf("paid_at"),
    confirmation_url=Leaf(
        sql=f"CASE WHEN {{t}}.status = '{PaymentStatusEnum.PENDING.value}' THEN {{t}}.confirmation_url END"
    ),
)
# The month of a statement in local time: the instants a payment's `paid_at` is credited to it (PaymentsInMonth).
_MONTH_STARTS = f"({{p}}.period::timestamp AT TIME ZONE '{LOCAL_TZ.key}')"
_MONTH_ENDS = f"(({{p}}.period + interval '1 month')::timestamp AT TIME ZONE '{LOCAL_TZ.key}')"
declare(
    Statement,
    table_of(StatementModel),
    id=Leaf(global_id=True),
    period=Leaf("period"),
    opening_balance=Leaf("opening_balance"),
    charged=Leaf("charged"),
    recalculated=Leaf("recalculated"),
    paid=Leaf("paid"),
    penalty=Leaf("penalty"),
    closing_balance=Leaf("closing_balance"),
    issued_on=Leaf("issued_on"),
    due_on=Leaf("due_on"),
    pdf_available=Leaf(sql="true", nullable=False),
    charges=Relation(
        "many",
        f"charge {{t}} WHERE {{t}}.statement_id = {{p}}.id AND {{t}}.kind = '{ChargeKindEnum.CONSUMPTION.value}'",
        order="{t}.id",
    ),
    recalculations=Relation(
        "many",
        f"charge {{t}} WHERE {{t}}.statement_id = {{p}}.id AND {{t}}.kind = '{ChargeKindEnum.RECALCULATION.value}'",
        order="{t}.id",
    ),
    payments=Relation(  # the payer's (an account's or a delivery point's) succeeded payments credited in the month
        "many",
        "payment {t} WHERE ({t}.account_id = {p}.account_id OR {t}.delivery_point_id = {p}.delivery_point_id) "
        f"AND {{t}}.status = '{PaymentStatusEnum.SUCCEEDED.value}' "
        f"AND {{t}}.paid_at >= {_MONTH_STARTS} AND {{t}}.paid_at < {_MONTH_ENDS} "
        # a period not on a month's first day (none is written so) is no month's: PaymentsInMonth finds nothing
        "AND {p}.period = date_trunc('month', {p}.period)::date",
        order="{t}.paid_at, {t}.id",
    ),
)
