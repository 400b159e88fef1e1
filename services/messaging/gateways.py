"""Gateways that actually send: a JSON-lines file in development, an HTTP SMS gateway and SMTP in production."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import orjson
import structlog

from services.platform.settings import EmailGateway as EmailGatewayKind
from services.platform.settings import Settings
from services.platform.settings import SmsGateway as SmsGatewayKind

if TYPE_CHECKING:
    import httpx

log = structlog.get_logger("messaging")


class DeliveryError(Exception):
    """The gateway did not take the message; delivery is retried later."""


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str  # e.g. application/pdf
    data: bytes


@dataclass(frozen=True, slots=True)
class Outgoing:
    id: int
    to: str
    sender: str
    text: str
    kind: str
    at: datetime
    subject: str | None = None
    html: str | None = None  # email: an HTML alternative of `text`
    attachments: tuple[Attachment, ...] = ()


def email_message(message: Outgoing) -> EmailMessage:
    """multipart/mixed (when attached) of multipart/alternative (text, HTML) and the attachments.

    The Message-ID is made from our message id, so a resend after a lost answer from the SMTP server is recognisable
    as the same letter by the receiving side.
    """
    email = EmailMessage()
    email["From"] = message.sender
    email["To"] = message.to
    email["Subject"] = message.subject or ""
    email["Date"] = format_datetime(message.at)
    email["Message-ID"] = f"<lk-{message.id}@{message.sender.rpartition('@')[2] or 'localhost'}>"
    email.set_content(message.text)
    if message.html is not None:
        email.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.content_type.partition("/")
        email.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename)
    return email


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
        if client is None:
            import httpx  # on first use: httpx (and the click it loads) is not needed to start the server

            client = httpx.AsyncClient(timeout=10)
        self.client = client

    async def send_sms(self, message: Outgoing) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"id": str(message.id), "to": message.to, "from": message.sender, "text": message.text}
        import httpx

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
            import aiosmtplib  # on first use: only a production email gateway needs it

            email = email_message(message)
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
            if message.html is not None:
                record["html"] = message.html
            if message.attachments:
                record["attachments"] = [
                    {"filename": item.filename, "content_type": item.content_type, "size": len(item.data)}
                    for item in message.attachments
                ]
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
