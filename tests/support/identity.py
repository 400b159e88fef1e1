"""Identity helpers for tests: signed-in tokens, codes read from the real outbox, a local SMTP server."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from typing import Any

import orjson
from aiosmtpd.controller import Controller

from models.identity import Customer
from services.identity.contacts import normalize_phone
from services.identity.sessions import ClientInfo, IssuedSession, start_session
from services.messaging.delivery import deliver_pending
from services.platform.database import run
from services.platform.runtime import Runtime

_CODE = re.compile(r"\b(\d{6})\b")


async def sign_in_as(runtime: Runtime, customer: Customer) -> IssuedSession:
    """A real session (family + refresh token) for `customer`, as `signIn` would create: `.access_token` for `gql`."""
    async with runtime.db.session() as session:
        issued = await start_session(
            session, runtime, customer=customer, client=ClientInfo(ip="127.0.0.1"), now=runtime.clock.now()
        )
        await session.commit()
    return issued


async def token_for(runtime: Runtime, customer: Customer) -> str:
    return (await sign_in_as(runtime, customer)).access_token


def sms_messages(runtime: Runtime) -> list[dict[str, Any]]:
    path = runtime.settings.sms_outbox_file
    if not path.exists():
        return []
    return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]


async def deliver(runtime: Runtime) -> int:
    """Run the delivery job until nothing is due."""
    total = 0
    while handled := await deliver_pending(runtime):
        total += handled
    return total


async def last_sms_to(runtime: Runtime, phone: str) -> dict[str, Any]:
    """Deliver what is queued, then the last SMS the gateway wrote for `phone`."""
    await deliver(runtime)
    to = normalize_phone(phone) or phone
    sent = [message for message in sms_messages(runtime) if message["to"] == to]
    assert sent, f"no SMS to {phone}"
    return sent[-1]


async def sms_code_for(runtime: Runtime, phone: str) -> str:
    """The code of the last SMS to `phone`, as the file gateway wrote it after one delivery run."""
    match = _CODE.search((await last_sms_to(runtime, phone))["text"])
    assert match, "the last SMS carries no code"
    return match.group(1)


def code_in(text: str) -> str:
    match = _CODE.search(text)
    assert match, f"no code in {text!r}"
    return match.group(1)


@dataclass
class SmtpInbox:
    """What the local SMTP server received."""

    host: str
    port: int
    messages: list[Message] = field(default_factory=list)
    refusing: bool = False  # answer every message with a temporary failure (451), as a busy relay does
    refused: int = 0

    def last_to(self, address: str) -> Message:
        found = [message for message in self.messages if message["To"] == address]
        assert found, f"no email to {address}"
        return found[-1]

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusing:
            self.refused += 1
            return "451 4.3.0 Try again later"
        self.messages.append(message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def local_smtp_server() -> Iterator[SmtpInbox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 and a free port, in a thread of its own."""
    inbox = SmtpInbox(host="127.0.0.1", port=_free_port())
    controller = Controller(inbox, hostname=inbox.host, port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


# ---------------------------------------------------------------- GraphQL documents shared by the identity tests

SESSION_FIELDS = "session { accessToken refreshToken accessTokenExpiresAt customer { id phone role } }"
ERRORS = "errors { field code message }"

START_REGISTRATION = f"""
mutation($input: StartRegistrationInput!) {{
  startRegistration(input: $input) {{ challenge {{ id expiresAt resendAvailableAt }} {ERRORS} }}
}}"""

CONFIRM_REGISTRATION = f"""
mutation($input: ConfirmRegistrationInput!) {{ confirmRegistration(input: $input) {{ {SESSION_FIELDS} {ERRORS} }} }}"""

SIGN_IN = f"""
mutation($input: SignInInput!) {{ signIn(input: $input) {{ {SESSION_FIELDS} {ERRORS} }} }}"""

ME = "{ me { id phone email emailVerified role createdAt fullName } }"


def error_codes_of(payload: dict[str, Any]) -> list[str]:
    return [error["code"] for error in payload["errors"]]


async def count_rows(runtime: Runtime, table: str) -> int:
    import sqlalchemy as sa

    async with runtime.db.session() as session:
        statement = sa.text(f"SELECT count(*) FROM {table}")
        return int((await run(session, statement)).scalar_one())  # type: ignore[call-overload]


async def register(gql: Any, runtime: Runtime, *, phone: str, password: str = "Secret2026pass") -> dict[str, Any]:
    """The whole registration journey; the `session` of `confirmRegistration`."""
    started = await gql.execute(
        START_REGISTRATION,
        {
            "input": {
                "phone": phone,
                "password": password,
                "passwordConfirmation": password,
                "privacyPolicyAccepted": True,
            }
        },
    )
    challenge = started["startRegistration"]["challenge"]
    assert challenge, started
    code = await sms_code_for(runtime, phone)
    confirmed = await gql.execute(CONFIRM_REGISTRATION, {"input": {"challengeId": challenge["id"], "code": code}})
    session: dict[str, Any] = confirmed["confirmRegistration"]["session"]
    assert session, confirmed
    return session
