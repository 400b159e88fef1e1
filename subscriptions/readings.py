"""Submitted readings' status changes pushed live to the customers of the meter's account (or contract).

Read from the outbox stream, so a client that resubscribes with the last `eventId` it saw gets what it missed.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from graphql import GraphQLError
from strawberry import relay

from loaders.access import LinkedAccountIds, LinkedContractIds
from loaders.objects import AccountById
from models.enums import SubmissionStatus
from schema.core.access import can_see_account, viewer_is_staff_reader
from schema.core.context import Info
from schema.core.errors import BadUserInputError
from schema.core.ids import node_pk
from schema.core.permissions import IsAuthenticated, signed_in
from schema.readings.inputs import ReadingStatusChange
from schema.readings.reading import ReadingSubmission
from services.outbox import account_channel, contract_channel
from services.readings.events import STATUS_CHANGED
from subscriptions.resume import resume_position
from subscriptions.stream import event_stream


class AccountNotFoundError(GraphQLError):
    def __init__(self) -> None:
        super().__init__("Лицевой счёт не найден", extensions={"code": "NOT_FOUND"})


async def _channels(info: Info, account_id: relay.GlobalID | None) -> list[str]:
    viewer = signed_in(info)
    if account_id is not None:
        pk = node_pk(account_id, "PersonalAccount")
        # Another customer's account answers exactly like a missing one.
        if pk is None or not await can_see_account(info, pk):
            raise AccountNotFoundError()
        if await info.context.loaders.get(AccountById).load(pk) is None:
            raise AccountNotFoundError()
        return [account_channel(pk)]
    if viewer_is_staff_reader(info):
        raise BadUserInputError("Укажите лицевой счёт: сотрудники подписываются на один счёт")
    accounts = await info.context.loaders.get(LinkedAccountIds).load(viewer.customer_id)
    contracts = await info.context.loaders.get(LinkedContractIds).load(viewer.customer_id)
    return [account_channel(pk) for pk in sorted(accounts)] + [contract_channel(pk) for pk in sorted(contracts)]


@strawberry.type
class ReadingSubscription:
    @strawberry.subscription(
        permission_classes=[IsAuthenticated],
        description="Status changes of submitted readings of one personal account, or (omitted) of all the "
        "customer's accounts and contracts: RECEIVED or UNDER_REVIEW when sent, then PROCESSED or REJECTED. Pass the "
        "last `eventId` as `after` to receive what was missed.",
    )
    async def reading_status_changed(
        self, info: Info, account_id: relay.GlobalID | None = None, after: str | None = None
    ) -> AsyncGenerator[ReadingStatusChange]:
        position = resume_position(after)
        channels = await _channels(info, account_id)
        if not channels:
            # Nothing linked yet: the stream stays open and silent (a new link needs a new subscription).
            channels = [f"nobody:{signed_in(info).customer_id}"]
        async for event in event_stream(info.context.runtime, channels=channels, after=position):
            if event.type != STATUS_CHANGED:
                continue
            # Fresh loaders per event: the submission as it is now, and whether the viewer may still see it.
            info.context.reset_loaders()
            payload = event.payload
            found = await ReadingSubmission.resolve_nodes(info=info, node_ids=[str(payload["submission_id"])])
            submission = found[0]
            if submission is None:
                continue
            yield ReadingStatusChange(
                event_id=str(event.position),
                submission=submission,
                old_status=SubmissionStatus(payload["old"]) if payload["old"] else None,
                new_status=SubmissionStatus(payload["new"]),
                at=datetime.fromisoformat(payload["at"]),
                reason=payload["reason"],
            )
