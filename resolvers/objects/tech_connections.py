"""Grid companies push tech connections («Техприс») with a service token."""

from __future__ import annotations

import strawberry

from resolvers.mutation import mutation
from schema.core.context import Info
from schema.core.service_auth import CanWriteTechConnections
from schema.objects.inputs import UpsertTechConnectionsInput, UpsertTechConnectionsPayload
from services.objects.tech_connections import TechConnectionItem, upsert_tech_connections


@strawberry.type
class TechConnectionMutation:
    @mutation(
        permission_classes=[CanWriteTechConnections],
        description="Integrations (service token with `tech_connections:write`): create or update tech connections "
        "by the grid company's own ids; sending a record again is harmless. All records or none are stored.",
    )
    async def upsert_tech_connections(
        self, info: Info, input: UpsertTechConnectionsInput
    ) -> UpsertTechConnectionsPayload:
        items = [
            TechConnectionItem(
                external_id=item.external_id,
                request_number=item.request_number,
                applicant_phone=item.applicant_phone,
                address=item.address,
                capacity_kw=item.capacity_kw,
                status=item.status,
                connected_on=item.connected_on,
            )
            for item in input.items
        ]
        service = info.context.service
        assert service is not None, "guarded by CanWriteTechConnections"
        result = await upsert_tech_connections(
            info.context.runtime, principal=service, grid_company_inn=input.grid_company_inn, items=items
        )
        return UpsertTechConnectionsPayload(created=result.created, updated=result.updated)
