"""Payment status changes of one personal account pushed live: the page waiting for the bank learns the result.

Read from the outbox stream, so a client that resubscribes with the last `eventId` it saw gets what it missed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from strawberry import relay

from loaders.objects import AccountById
from models.enums import PaymentStatus
from schema.billing.types import Payment
from schema.core.access import can_see_account
from schema.core.context import Info
from schema.core.ids import node_pk
from schema.core.permissions import IsAuthenticated
from schema.payments.inputs import PaymentStatusChange
from services.outbox import account_channel
from services.payments.callback import STATUS_CHANGED
from subscriptions.readings import AccountNotFoundError
from subscriptions.resume import resume_position
from subscriptions.stream import event_stream


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
        position = resume_position(after)
        pk = node_pk(account_id, "PersonalAccount")
        # Another customer's account answers exactly like a missing one.
        if pk is None or not await can_see_account(info, pk):
            raise AccountNotFoundError()
        if await info.context.loaders.get(AccountById).load(pk) is None:
            raise AccountNotFoundError()
        async for event in event_stream(info.context.runtime, channels=[account_channel(pk)], after=position):
            if event.type != STATUS_CHANGED:
                continue
            # Fresh loaders per event: the payment as it is now, and whether the viewer may still see it.
            info.context.reset_loaders()
            payload = event.payload
            payment = (await Payment.resolve_nodes(info=info, node_ids=[str(payload["payment_id"])]))[0]
            if payment is None:
                continue
            yield PaymentStatusChange(
                event_id=str(event.position),
                payment=payment,
                old_status=PaymentStatus(payload["old"]),
                new_status=PaymentStatus(payload["new"]),
                at=datetime.fromisoformat(payload["at"]),
            )
