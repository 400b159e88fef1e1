"""`me`: the signed-in user."""

from __future__ import annotations

import strawberry

from loaders.identity import CustomerById
from schema.core.compiled.sql_tree import Relation, declare
from schema.core.context import Info
from schema.core.errors import UnauthenticatedError
from schema.core.permissions import IsAuthenticated, signed_in
from schema.identity.customer import Customer


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The signed-in user. Anonymous requests get an UNAUTHENTICATED error.",
    )
    async def me(self, info: Info) -> Customer | None:
        customer_id = signed_in(info).customer_id
        # `personalAccounts` under it is one statement of its own (schema/core/compiled/sql_tree.py).
        model = await info.context.loaders.get(CustomerById).load(customer_id)
        if model is None:
            raise UnauthenticatedError()
        return Customer.from_row(model)


# `me` in SQL with its subtree (schema/core/compiled/sql_tree.py) when all it selects is declared: the viewer's own
# customer row; with no viewer, or no row, this resolver answers (its permission's error, UNAUTHENTICATED).
declare(IdentityQuery, None, me=Relation("one", "customer {t} WHERE {t}.id = {p}.id", parent_key=None))
