"""Gateways that actually send: a JSON-lines file in development, an HTTP SMS gateway and SMTP in production."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib
import httpx
import orjson
import structlog

from services.platform.settings import EmailGateway as EmailGatewayKind
from services.platform.settings import Settings
from services.platform.settings import SmsGateway as SmsGatewayKind

log = structlog.get_logger("messaging")


class DeliveryError(Exception):
    """The gateway did not take the message; delivery is retried later."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    id: int
    to: str
    sender: str
    text: str
    kind: str
    at: datetime
    subject: str | None = None


class SmsGateway(Protocol):
    async def send_sms(self, message: Outgoing) -> None: ...


class EmailSender(Protocol):
    async def send_email(self, message: Outgoing) -> None: ...


_file_lock = asyncio.Lock()


async def append_json_line(path: Path, record: dict[str, object]) -> None:
    line = orjson.dumps(record) + b"\n"

    def write() -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as file:
            file.write(line)

    async with _file_lock:
        await asyncio.to_thread(write)


class FileSmsGateway:
    """Development: each SMS is a JSON line {id, to, sender, text, kind, at} in the SMS outbox file, and a log line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send_sms(self, message: Outgoing) -> None:
        record: dict[str, object] = {
            "id": message.id,
            "to": message.to,
            "sender": message.sender,
            "text": message.text,
            "kind": message.kind,
            "at": message.at.isoformat(),
        }
        await append_json_line(self.path, record)
        log.info("sms", to=message.to, sender=message.sender, kind=message.kind, text=message.text)


class HttpSmsGateway:
    """An HTTP SMS gateway: POST JSON with a bearer token; any 2xx means accepted."""

    def __init__(self, url: str, token: str | None, *, client: httpx.AsyncClient | None = None) -> None:
        self.url = url
        self.token = token
        self.client = client or httpx.AsyncClient(timeout=10)

    async def send_sms(self, message: Outgoing) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"id": str(message.id), "to": message.to, "from": message.sender, "text": message.text}
        try:
            response = await self.client.post(self.url, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(f"SMS gateway unreachable: {type(error).__name__}: {error}") from error
        if not response.is_success:
            raise DeliveryError(f"SMS gateway answered {response.status_code}: {response.text[:200]}")


class SmtpEmailGateway:
    """Email over SMTP (aiosmtplib); with `mirror` set (development) each message is also a line in the email outbox."""

    def __init__(self, settings: Settings, *, mirror: Path | None, smtp: bool) -> None:
        self.settings = settings
        self.mirror = mirror
        self.smtp = smtp

    async def send_email(self, message: Outgoing) -> None:
        if self.smtp:
            email = EmailMessage()
            email["From"] = message.sender
            email["To"] = message.to
            email["Subject"] = message.subject or ""
            email.set_content(message.text)
            try:
                await aiosmtplib.send(
                    email,
                    hostname=self.settings.smtp_host,
                    port=self.settings.smtp_port,
                    username=self.settings.smtp_username,
                    password=self.settings.smtp_password,
                    use_tls=self.settings.smtp_use_tls,
                    timeout=10,
                )
            except (aiosmtplib.SMTPException, OSError) as error:
                raise DeliveryError(f"SMTP: {type(error).__name__}: {error}") from error
        if self.mirror is not None:
            record: dict[str, object] = {
                "id": message.id,
                "to": message.to,
                "sender": message.sender,
                "subject": message.subject,
                "text": message.text,
                "kind": message.kind,
                "at": message.at.isoformat(),
            }
            await append_json_line(self.mirror, record)
        log.info("email", to=message.to, kind=message.kind, subject=message.subject)


def make_sms_gateway(settings: Settings) -> SmsGateway:
    """The configured SMS gateway (`Runtime.sms_gateway`)."""
    if settings.sms_gateway is SmsGatewayKind.HTTP and settings.sms_gateway_url:
        return HttpSmsGateway(settings.sms_gateway_url, settings.sms_gateway_token)
    return FileSmsGateway(settings.sms_outbox_file)


def make_email_gateway(settings: Settings) -> EmailSender:
    """The configured email sender (`Runtime.email_gateway`); development also mirrors to the file outbox."""
    development = settings.environment.value == "development"
    return SmtpEmailGateway(
        settings,
        mirror=settings.email_outbox_file if development else None,
        smtp=settings.email_gateway is EmailGatewayKind.SMTP,
    )
