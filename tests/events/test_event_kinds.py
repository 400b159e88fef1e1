"""The event contract: every kind is a dataclass whose stored payload has its field names as keys (snake_case) and
reads back as the same event; rows stored in the old convention read after the migration; a row that does not fit
its kind is skipped by the stream, not fatal to it; a malformed `after` is the client's error.
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import re
from datetime import UTC, datetime
from types import ModuleType

import orjson
import pytest
import sqlalchemy as sa

from models import OutboxEvent
from models.enums import AppealStatus, ContractAccessStatus, PaymentStatus, Role, SubmissionStatus
from services.appeals.events import AppealChanged, AppealMessageAdded, InboxChange
from services.events.broker import InProcessBroker
from services.events.kinds import DomainEvent, UnreadablePayload
from services.events.outbox import record_event
from services.events.relay import relay_once
from services.events.stream import follow, latest_position
from services.objects.contracts import request_contract_access
from services.objects.events import ContractAccessRequestChanged, ContractAccessRequested
from services.payments.events import PaymentStatusChanged
from services.platform.database import TransactionalDatabase, run
from services.platform.runtime import Runtime
from services.platform.settings import PROJECT_ROOT
from services.readings.events import ReadingStatusChanged
from tests.support.appeals import conversation_people, open_appeal
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import pdf_document, unique_contract_number, valid_inn
from tests.support.readings import STATUS_CHANGED, subscription_error

AT = datetime(2026, 11, 26, 9, 0, 30, 123456, tzinfo=UTC)

EXAMPLES: list[DomainEvent] = [
    ReadingStatusChanged(
        submission_id=7, account_id=3, contract_id=None, old=None, new=SubmissionStatus.RECEIVED, at=AT, reason=None
    ),
    ReadingStatusChanged(
        submission_id=7,
        account_id=None,
        contract_id=4,
        old=SubmissionStatus.RECEIVED,
        new=SubmissionStatus.REJECTED,
        at=AT,
        reason="Показание меньше предыдущего",
    ),
    AppealMessageAdded(
        appeal_id=5,
        customer_id=9,
        status=AppealStatus.AWAITING_OPERATOR,
        change=InboxChange.CUSTOMER_MESSAGE,
        message_id=11,
        author_role=Role.CUSTOMER,
    ),
    AppealChanged(appeal_id=5, customer_id=9, status=AppealStatus.CLOSED, change=InboxChange.CLOSED),
    PaymentStatusChanged(
        payment_id=2,
        account_id=3,
        old=PaymentStatus.PENDING,
        new=PaymentStatus.SUCCEEDED,
        at=AT,
        amount=150_000,
        paid_at=AT,
    ),
    ContractAccessRequested(request_id=8, customer_id=9, status=ContractAccessStatus.SUBMITTED),
    ContractAccessRequestChanged(request_id=8, customer_id=9, status=ContractAccessStatus.REJECTED),
]


@pytest.mark.parametrize("event", EXAMPLES, ids=lambda event: type(event).__name__)
def test_every_kind_reads_back_from_its_stored_payload(event: DomainEvent) -> None:
    stored = orjson.loads(orjson.dumps(event.to_payload()))  # as JSONB gives it back

    assert type(event).from_payload(stored) == event
    assert list(stored) == [field.name for field in dataclasses.fields(event)]
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", key) for key in stored)
    assert re.fullmatch(r"[a-z_]+\.[a-z_]+", event.type)
    assert event.channels()


def test_kinds_are_told_apart_by_type() -> None:
    kinds = [type(event) for event in EXAMPLES]
    named = {kind.type: kind for kind in kinds}

    assert len(named) == len(set(kinds))


@pytest.mark.parametrize(
    "payload",
    [
        {"appeal_id": 5, "customer_id": 9, "status": "CLOSED"},  # no change
        {"appeal_id": "5", "customer_id": 9, "status": "CLOSED", "change": "CLOSED"},  # a string for an id
        {"appeal_id": 5, "customer_id": 9, "status": "SHUT", "change": "CLOSED"},  # not a status
        {"appealId": 5, "status": "CLOSED", "change": "CLOSED"},  # the old convention, not migrated
        {"appeal_id": 5, "customer_id": None, "status": "CLOSED", "change": "CLOSED"},  # None where none is allowed
        {"appeal_id": True, "customer_id": 9, "status": "CLOSED", "change": "CLOSED"},  # a boolean is not an id
    ],
)
def test_a_payload_that_does_not_fit_its_kind_is_refused(payload: dict[str, object]) -> None:
    with pytest.raises(UnreadablePayload):
        AppealChanged.from_payload(payload)


def test_a_time_must_be_a_time() -> None:
    payload = {**EXAMPLES[4].to_payload(), "at": "yesterday"}

    with pytest.raises(UnreadablePayload):
        PaymentStatusChanged.from_payload(payload)


def _payload_migration() -> ModuleType:
    path = PROJECT_ROOT / "migrations" / "versions" / "events_0002_payload_keys.py"
    spec = importlib.util.spec_from_file_location("events_0002_payload_keys", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class Upload:
    def __init__(self, data: bytes) -> None:
        self.filename: str | None = "zayavlenie.pdf"
        self._data = data

    async def read(self, size: int = -1) -> bytes:
        data, self._data = self._data, b""
        return data


async def test_events_stored_in_the_old_convention_read_after_the_migration(runtime: Runtime) -> None:
    # given: an appeal with a message, and a contract-access request, whose events were stored the old way
    people = await conversation_people(runtime)
    posted = await open_appeal(runtime, people.customer, people.account)
    assert people.customer.id is not None
    request = await request_contract_access(
        runtime,
        customer_id=people.customer.id,
        inn=valid_inn(),
        contract_number=unique_contract_number(),
        application=Upload(pdf_document()),
    )
    appeal_id, message_id, request_id = posted.appeal.id, posted.message.id, request.id
    assert appeal_id is not None
    assert message_id is not None
    assert request_id is not None
    old_rows = [
        (
            "appeal.message_added",
            {
                "appealId": posted.appeal.id,
                "messageId": posted.message.id,
                "authorRole": "CUSTOMER",
                "status": "OPEN",
                "change": "NEW_APPEAL",
            },
        ),
        ("appeal.changed", {"appealId": posted.appeal.id, "status": "CLOSED", "change": "CLOSED"}),
        ("CONTRACT_ACCESS_REQUESTED", {"requestId": request.id, "status": "SUBMITTED"}),
        ("CONTRACT_ACCESS_REQUEST_CHANGED", {"requestId": request.id, "status": "UNDER_REVIEW"}),
    ]
    async with runtime.db.session() as session:
        stored = [
            OutboxEvent(type=type_, channels=["test:old"], payload=payload, created_at=runtime.clock.now())
            for type_, payload in old_rows
        ]
        session.add_all(stored)
        await session.flush()
        ids = [row.id for row in stored]
        await session.commit()

    # when: the migration's statements run
    async with runtime.db.session() as session:
        for statement in _payload_migration().UPGRADE:
            await run(session, sa.text(statement))
        await session.commit()
    async with runtime.db.session() as session:
        select = sa.text("SELECT type, payload FROM outbox_event WHERE id = ANY(:ids) ORDER BY id")
        rows = (await run(session, select, {"ids": ids})).all()

    # then: each reads as its kind, naming the customer it is addressed to
    kinds: dict[str, type[DomainEvent]] = {
        kind.type: kind
        for kind in (AppealMessageAdded, AppealChanged, ContractAccessRequested, ContractAccessRequestChanged)
    }
    assert [kinds[row.type].from_payload(row.payload) for row in rows] == [
        AppealMessageAdded(
            appeal_id=appeal_id,
            customer_id=people.customer.id,
            status=AppealStatus.OPEN,
            change=InboxChange.NEW_APPEAL,
            message_id=message_id,
            author_role=Role.CUSTOMER,
        ),
        AppealChanged(
            appeal_id=appeal_id,
            customer_id=people.customer.id,
            status=AppealStatus.CLOSED,
            change=InboxChange.CLOSED,
        ),
        ContractAccessRequested(
            request_id=request_id, customer_id=people.customer.id, status=ContractAccessStatus.SUBMITTED
        ),
        ContractAccessRequestChanged(
            request_id=request_id, customer_id=people.customer.id, status=ContractAccessStatus.UNDER_REVIEW
        ),
    ]


async def test_a_stored_event_that_does_not_fit_its_kind_is_skipped_and_the_stream_goes_on(
    db: TransactionalDatabase, runtime: Runtime
) -> None:
    # given: a subscriber of reading status changes on one account
    runtime.broker = InProcessBroker()
    channel = "account:987654"
    start = await latest_position(runtime.db)
    good = ReadingStatusChanged(
        submission_id=1,
        account_id=987654,
        contract_id=None,
        old=None,
        new=SubmissionStatus.RECEIVED,
        at=AT,
        reason=None,
    )

    # when: a row of that kind that does not fit it is stored, then a good one
    async with db.session() as session:
        session.add(
            OutboxEvent(
                type=ReadingStatusChanged.type,
                channels=[channel],
                payload={"submissionId": 1},
                created_at=runtime.clock.now(),
            )
        )
        await session.commit()
    async with db.session() as session:
        record_event(session, good, now=runtime.clock.now())
        await session.commit()
    await relay_once(runtime)
    stream = follow(runtime, channels=[channel], after=start, kinds=[ReadingStatusChanged])

    # then: the subscriber gets the good one
    delivered = await asyncio.wait_for(anext(stream), timeout=5)
    assert delivered.event == good
    assert int(delivered.event_id) > start + 1
    await stream.aclose()


@pytest.mark.parametrize("after", ["12a", "-1", "1.0", "", "1" * 19, "١٢"])
async def test_a_malformed_after_is_the_clients_error(runtime: Runtime, gql: GraphQLClient, after: str) -> None:
    customer = await create_customer(runtime.db, now=runtime.clock.now())

    async with gql.websocket(token=await token_for(runtime, customer)) as socket:
        await socket.subscribe(STATUS_CHANGED, {"after": after})
        error = await subscription_error(socket)

    assert error == {"message": "Неверный eventId: передайте последний полученный", "code": "BAD_USER_INPUT"}
