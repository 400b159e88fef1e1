"""`Query.analytics`: the analysts' aggregates, for analysts and admins."""

from __future__ import annotations

import strawberry

from schema.analytics.types import Analytics
from schema.core.permissions import IsAnalyst


@strawberry.type
class AnalyticsQuery:
    @strawberry.field(
        permission_classes=[IsAnalyst],
        description="Analysts and admins: aggregates over all customers, computed in SQL (see `Analytics`).",
    )
    def analytics(self) -> Analytics:
        return Analytics()
