"""Submitted readings' status changes pushed live to the customers of the meter's account (or contract)."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from functools import partial

import strawberry
from graphql import GraphQLError
from strawberry import relay

from loaders.access import LinkedAccountIds, LinkedContractIds
from loaders.objects import AccountById
from schema.core.access import can_see_account, viewer_is_staff_reader
from schema.core.context import Info
from schema.core.errors import BadUserInputError
from schema.core.ids import pk_of
from schema.core.live import live
from schema.core.permissions import IsAuthenticated, signed_in
from schema.readings.inputs import ReadingStatusChange
from schema.readings.reading import ReadingSubmission
from services.events.outbox import account_channel, contract_channel
from services.readings.events import ReadingStatusChanged


class AccountNotFoundError(GraphQLError):
    def __init__(self) -> None:
        super().__init__("Лицевой счёт не найден", extensions={"code": "NOT_FOUND"})


async def visible_account(info: Info, account_id: relay.GlobalID) -> int:
    """The account's key; another customer's account answers exactly like a missing one."""
    pk = pk_of(account_id, "PersonalAccount", AccountNotFoundError)
    if not await can_see_account(info, pk):
        raise AccountNotFoundError()
    if await info.context.loaders.get(AccountById).load(pk) is None:
        raise AccountNotFoundError()
    return pk


async def _channels(info: Info, account_id: relay.GlobalID | None) -> list[str]:
    viewer = signed_in(info)
    if account_id is not None:
        return [account_channel(await visible_account(info, account_id))]
    if viewer_is_staff_reader(info):
        raise BadUserInputError("Укажите лицевой счёт: сотрудники подписываются на один счёт")
    accounts = await info.context.loaders.get(LinkedAccountIds).load(viewer.customer_id)
    contracts = await info.context.loaders.get(LinkedContractIds).load(viewer.customer_id)
    channels = [account_channel(pk) for pk in sorted(accounts)] + [contract_channel(pk) for pk in sorted(contracts)]
    # Nothing linked yet: the stream stays open and silent (a new link needs a new subscription).
    return channels or [f"nobody:{viewer.customer_id}"]


async def _status_change(info: Info, event: ReadingStatusChanged, event_id: str) -> ReadingStatusChange | None:
    submission = (await ReadingSubmission.resolve_nodes(info=info, node_ids=[str(event.submission_id)]))[0]
    if submission is None:
        return None
    return ReadingStatusChange(
        event_id=event_id,
        submission=submission,
        old_status=event.old,
        new_status=event.new,
        at=event.at,
        reason=event.reason,
    )


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
        changes = live(
            info,
            after=after,
            channels=partial(_channels, info, account_id),
            kinds=[ReadingStatusChanged],
            build=partial(_status_change, info),
        )
        async for change in changes:
            yield change
