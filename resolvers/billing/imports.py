"""importStatements (integrations, `billing:write`): an external billing system sends its statements."""

from __future__ import annotations

import strawberry

from resolvers.mutation import mutation
from schema.billing.imports import CanImportStatements, ImportStatementsInput, ImportStatementsPayload
from schema.core.context import Info
from schema.core.ids import node_pk
from services.billing.imports import ImportedCharge, ImportedStatement, import_statements


@strawberry.type
class BillingImportMutation:
    @mutation(
        permission_classes=[CanImportStatements],
        description="Integrations (service token with `billing:write`), BILLING_MODE=external only: statements with "
        "their charges, checked (balances chain, zones exist, money in kopecks) and stored all or none; each writes "
        "`statement.issued`. A statement or batch sent again by the same integration changes nothing.",
    )
    async def import_statements(self, info: Info, input: ImportStatementsInput) -> ImportStatementsPayload:
        service = info.context.service
        assert service is not None, "guarded by CanImportStatements"
        statements = [
            ImportedStatement(
                external_id=item.external_id,
                account_number=item.account_number,
                # An id of another type or a malformed one names no delivery point: the service reports it not found.
                delivery_point_id=None
                if item.delivery_point_id is None
                else node_pk(item.delivery_point_id, "DeliveryPoint") or 0,
                period=item.period,
                opening_balance=item.opening_balance,
                charged=item.charged,
                recalculated=item.recalculated,
                vat=item.vat,
                paid=item.paid,
                penalty=item.penalty,
                closing_balance=item.closing_balance,
                issued_on=item.issued_on,
                due_on=item.due_on,
                charges=[
                    ImportedCharge(
                        zone=line.zone,
                        kind=line.kind,
                        basis=line.basis,
                        volume_kwh=line.volume,
                        rate_kopecks=line.rate,
                        amount=line.amount,
                        recalculated_period=line.recalculated_period,
                    )
                    for line in item.charges
                ],
            )
            for item in input.statements
        ]
        result = await import_statements(
            info.context.runtime, principal=service, batch_id=input.batch_id, statements=statements
        )
        return ImportStatementsPayload(
            created=result.created, skipped=result.skipped, repeated_batch=result.repeated_batch
        )
