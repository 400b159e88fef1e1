"""`Contract` (договор) of an organisation or ИП. The cabinet adds delivery points and tabs' fields."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Self

import strawberry

from loaders.metering import ReadingPagesByContract, SubmissionPagesByContract
from loaders.objects import ContractById
from loaders.supply import DeliveryPointsByContract
from models import Contract as ContractModel
from schema.core.access import visible_contract_ids
from schema.core.context import Info
from schema.core.enums import ContractHolderKind
from schema.core.nodes import ModelNode
from schema.core.ownership import parse_id
from schema.objects.delivery_point import DeliveryPoint
from schema.readings.tabs import ReadingTabs


@strawberry.type(
    name="Contract", description="A supply contract (договор) of an organisation or individual entrepreneur (ИП)."
)
class Contract(ReadingTabs, ModelNode):
    reading_pages = ReadingPagesByContract
    submission_pages = SubmissionPagesByContract
    model: strawberry.Private[ContractModel]

    @strawberry.field(description="The contract number, e.g. 15-000123.")
    def number(self) -> str:
        return self.model.number

    @strawberry.field(description="The holder's INN (ИНН): 10 digits for organisations, 12 for individuals.")
    def inn(self) -> str:
        return self.model.inn

    @strawberry.field(description="The holder's name.")
    def holder_name(self) -> str:
        return self.model.holder_name

    # ---- the cabinet («Личный кабинет»)

    @strawberry.field(description="An organisation or an individual entrepreneur.")
    def holder_kind(self) -> ContractHolderKind:
        return self.model.holder_kind

    @strawberry.field
    def signed_on(self) -> date:
        return self.model.signed_on

    @strawberry.field(description="Set when the contract was terminated.")
    def terminated_on(self) -> date | None:
        return self.model.terminated_on

    @strawberry.field(description="The delivery points (точки поставки) with their meters.")
    async def delivery_points(self, info: Info) -> list[DeliveryPoint]:
        rows = await info.context.loaders.get(DeliveryPointsByContract).load(self.pk)
        return [DeliveryPoint.from_row(row) for row in rows]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Self | None]:
        node_ids = list(node_ids)
        ids = [i for i in map(parse_id, node_ids) if i is not None]
        visible = await visible_contract_ids(info, ids)
        models = await info.context.loaders.get(ContractById).load_many([i for i in ids if i in visible])
        found = {model.id: cls.from_model(model) for model in models if model is not None}
        return [found.get(parse_id(node_id)) for node_id in node_ids]
