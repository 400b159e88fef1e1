"""Outbound messages: queued in the business transaction, delivered by the job, retried while a gateway is down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import orjson
import pytest
import sqlalchemy as sa

from models.enums import DeliveryStatus
from models.infra import OutboundMessage
from services.messaging.delivery import MAX_ATTEMPTS, deliver_pending
from services.messaging.gateways import DeliveryError, HttpSmsGateway, Outgoing
from services.messaging.outbound import queue_sms
from services.platform.clock import FrozenClock
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.identity import sms_messages


class DownGateway:
    def __init__(self) -> None:
        self.tries = 0

    async def send_sms(self, message: Outgoing) -> None:
        self.tries += 1
        raise DeliveryError("gateway unreachable")


async def queue_one(runtime: Runtime, *, text: str = "Лицевой счёт добавлен") -> int:
    async with runtime.db.session() as session:
        message = queue_sms(
            session, to="+79990000001", text=text, kind="ACCOUNT_LINKED", sender="EnergoSbyt", now=runtime.clock.now()
        )
        await session.commit()
    assert message.id is not None
    return message.id


async def status_of(runtime: Runtime, message_id: int) -> OutboundMessage:
    async with runtime.db.session() as session:
        message = (await run(session, sa.select(OutboundMessage).where(OutboundMessage.id == message_id))).scalar_one()  # type: ignore[arg-type]
    assert isinstance(message, OutboundMessage)
    return message


async def test_a_queued_sms_is_written_to_the_outbox_file_once(runtime: Runtime) -> None:
    message_id = await queue_one(runtime)

    first = await deliver_pending(runtime)
    second = await deliver_pending(runtime)

    assert (first, second) == (1, 0)
    assert sms_messages(runtime) == [
        {
            "id": message_id,
            "to": "+79990000001",
            "sender": "EnergoSbyt",
            "text": "Лицевой счёт добавлен",
            "kind": "ACCOUNT_LINKED",
            "at": runtime.clock.now().isoformat(),
        }
    ]
    assert (await status_of(runtime, message_id)).status is DeliveryStatus.SENT


async def test_a_gateway_that_is_down_costs_retries_not_messages(runtime: Runtime, clock: FrozenClock) -> None:
    # given
    gateway = DownGateway()
    runtime.sms_gateway = gateway
    message_id = await queue_one(runtime)

    # when: tried, then not again before the pause ends
    await deliver_pending(runtime)
    await deliver_pending(runtime)
    pending = await status_of(runtime, message_id)

    # then
    assert gateway.tries == 1
    assert pending.status is DeliveryStatus.PENDING
    assert pending.last_error == "gateway unreachable"
    for _ in range(MAX_ATTEMPTS - 1):
        clock.advance(timedelta(hours=1))
        await deliver_pending(runtime)
    failed = await status_of(runtime, message_id)
    assert failed.status is DeliveryStatus.FAILED
    assert failed.attempts == MAX_ATTEMPTS


async def test_a_message_waiting_for_retry_goes_out_once_the_gateway_is_back(
    runtime: Runtime, clock: FrozenClock
) -> None:
    healthy = runtime.sms_gateway
    runtime.sms_gateway = DownGateway()
    message_id = await queue_one(runtime)
    await deliver_pending(runtime)

    runtime.sms_gateway = healthy
    clock.advance(timedelta(minutes=1))
    await deliver_pending(runtime)

    assert (await status_of(runtime, message_id)).status is DeliveryStatus.SENT


async def test_the_http_gateway_posts_with_a_bearer_token() -> None:
    received: list[httpx.Request] = []

    def gateway(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(202 if len(received) == 1 else 503, text="busy")

    client = httpx.AsyncClient(transport=httpx.MockTransport(gateway))
    sms = HttpSmsGateway("https://sms.example/send", "secret-token", client=client)
    outgoing = Outgoing(
        id=7,
        to="+79990000001",
        sender="EnergoSbyt",
        text="Код: 123456",
        kind="X",
        at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
    )

    await sms.send_sms(outgoing)
    with pytest.raises(DeliveryError) as refused:
        await sms.send_sms(outgoing)
    await client.aclose()

    assert received[0].headers["authorization"] == "Bearer secret-token"
    assert orjson.loads(received[0].content) == {
        "id": "7",
        "to": "+79990000001",
        "from": "EnergoSbyt",
        "text": "Код: 123456",
    }
    assert str(refused.value) == "SMS gateway answered 503: busy"


class PickyGateway:
    """Sends everything but messages containing "bad", on which it fails in an unforeseen way."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    async def send_sms(self, message: Outgoing) -> None:
        if "bad" in message.text:
            raise ValueError("unexpected gateway answer")
        self.sent.append(message.text)


async def test_one_message_failing_unexpectedly_neither_blocks_nor_resends_the_others(
    runtime: Runtime, clock: FrozenClock
) -> None:
    # given: a message the gateway chokes on, queued between two good ones
    gateway = PickyGateway()
    runtime.sms_gateway = gateway
    first = await queue_one(runtime, text="good 1")
    broken = await queue_one(runtime, text="bad")
    last = await queue_one(runtime, text="good 2")

    # when: the job runs three times
    for _ in range(3):
        await deliver_pending(runtime)
        clock.advance(timedelta(hours=1))

    # then: each good message went out once; the broken one counted its attempts
    assert gateway.sent == ["good 1", "good 2"]
    assert (await status_of(runtime, first)).status is DeliveryStatus.SENT
    assert (await status_of(runtime, last)).status is DeliveryStatus.SENT
    failing = await status_of(runtime, broken)
    assert (failing.status, failing.attempts, failing.last_error) == (
        DeliveryStatus.PENDING,
        3,
        "unexpected gateway answer",
    )
