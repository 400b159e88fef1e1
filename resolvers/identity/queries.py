"""`me`: the signed-in user."""

from __future__ import annotations

import strawberry

from loaders.access import LinkedAccountIds, LinkedContractIds
from loaders.identity import CustomerById
from schema.core.compiled.plan import load_ahead_in_sql
from schema.core.compiled.sql_tree import Relation, declare
from schema.core.context import Info
from schema.core.errors import UnauthenticatedError
from schema.core.permissions import IsAuthenticated, signed_in
from schema.core.selection import selects
from schema.identity.customer import Customer


@strawberry.type
class IdentityQuery:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The signed-in user. Anonymous requests get an UNAUTHENTICATED error.",
    )
    async def me(self, info: Info) -> Customer | None:
        customer_id = signed_in(info).customer_id
        loaders = info.context.loaders
        # The accounts answered in SQL: their statement goes now; else their rows, the same way.
        if selects(info, "personalAccounts") and not load_ahead_in_sql(info, "personalAccounts", customer_id):
            # Asked now, it goes in the customer's round trip; `personalAccounts` then finds it loaded (the session
            # check already found this customer, so the load is rarely wasted).
            loaders.get(LinkedAccountIds).prefetch([customer_id])
        if selects(info, "contracts"):
            loaders.get(LinkedContractIds).prefetch([customer_id])  # so do the contracts', the same way
        model = await loaders.get(CustomerById).load(customer_id)
        if model is None:
            raise UnauthenticatedError()
        return Customer.from_row(model)


# `me` in SQL with its subtree (schema/core/compiled/sql_tree.py) when all it selects is declared: the viewer's own
# customer row; with no viewer, or no row, this resolver answers (its permission's error, UNAUTHENTICATED). The
# resolver (and its loads ahead) runs only when something under `me` is not declared.
declare(IdentityQuery, None, me=Relation("one", "customer {t} WHERE {t}.id = {p}.id", parent_key=None))
