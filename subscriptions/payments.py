"""Payment status changes of one personal account pushed live: the page waiting for the bank learns the result."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from functools import partial

import strawberry
from strawberry import relay

from schema.billing.types import Payment
from schema.core.context import Info
from schema.core.live import live
from schema.core.permissions import IsAuthenticated
from schema.payments.inputs import PaymentStatusChange
from services.events.outbox import account_channel
from services.payments.events import PaymentStatusChanged
from subscriptions.readings import visible_account


async def _channels(info: Info, account_id: relay.GlobalID) -> list[str]:
    return [account_channel(await visible_account(info, account_id))]


async def _status_change(info: Info, event: PaymentStatusChanged, event_id: str) -> PaymentStatusChange | None:
    payment = (await Payment.resolve_nodes(info=info, node_ids=[str(event.payment_id)]))[0]
    if payment is None:
        return None
    return PaymentStatusChange(
        event_id=event_id, payment=payment, old_status=event.old, new_status=event.new, at=event.at
    )


@strawberry.type
class PaymentSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Status changes of the payments of one personal account: SUCCEEDED or FAILED when the "
        "provider confirms. Pass the last `eventId` as `after` to receive what was missed.",
    )
    async def payment_status_changed(
        self, info: Info, account_id: relay.GlobalID, after: str | None = None
    ) -> AsyncGenerator[PaymentStatusChange]:
        changes = live(
            info,
            after=after,
            channels=partial(_channels, info, account_id),
            kinds=[PaymentStatusChanged],
            build=partial(_status_change, info),
        )
        async for change in changes:
            yield change
