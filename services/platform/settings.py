"""Runtime settings, read from environment variables (and `.env` when present)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-secret-do-not-use-in-production-0000000000"
DEVELOPMENT_PAYMENT_CALLBACK_SECRET = "development-payment-callback-secret-000000000000000"
PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Environment(StrEnum):
    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SmsGateway(StrEnum):
    FILE = "file"  # development: JSON lines under the data directory
    HTTP = "http"  # production: an HTTP SMS gateway


class EmailGateway(StrEnum):
    FILE = "file"  # development: JSON lines only
    SMTP = "smtp"  # real SMTP (development also mirrors to the file outbox)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    database_url: str | None = None
    redis_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    secret_key: str = DEVELOPMENT_SECRET
    data_dir: Path = PROJECT_ROOT / ".data"
    log_level: str = "INFO"
    log_format: str = Field(default="console", description="console or json")

    sms_gateway: SmsGateway = SmsGateway.FILE
    sms_gateway_url: str | None = None
    sms_gateway_token: str | None = None
    sms_sender: str = "EnergoSbyt"
    sms_outbox_path: Path | None = None

    email_gateway: EmailGateway = EmailGateway.FILE
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_use_tls: bool = False
    email_sender: str = "lk@tgc2-energo.ru"
    email_outbox_path: Path | None = None

    readings_window_start_day: int = 15
    readings_window_end_day: int = 25
    public_url: str = "http://127.0.0.1:8000"

    # dev: a development provider that takes no money; disabled: the portal takes no payments (until a real
    # provider's adapter exists, production runs with this).
    payment_provider: Literal["dev", "disabled"] = "dev"
    payment_callback_secret: str = DEVELOPMENT_PAYMENT_CALLBACK_SECRET

    # GraphQL introspection: on in development; in production only with INTROSPECTION=on (analysts' GraphiQL).
    introspection: Literal["auto", "on", "off"] = "auto"

    @property
    def introspection_enabled(self) -> bool:
        if self.introspection == "auto":
            return self.environment is not Environment.PRODUCTION
        return self.introspection == "on"

    @property
    def sms_outbox_file(self) -> Path:
        return self.sms_outbox_path or self.data_dir / "outbox" / "sms.jsonl"

    @property
    def email_outbox_file(self) -> Path:
        return self.email_outbox_path or self.data_dir / "outbox" / "email.jsonl"

    @property
    def files_dir(self) -> Path:
        return self.data_dir / "files"

    def production_problem(self) -> str | None:
        """Why this configuration must not serve production traffic, or None."""
        if self.environment is not Environment.PRODUCTION:
            return None
        if self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32:
            return "SECRET_KEY is the development secret or shorter than 32 characters"
        if self.sms_gateway is SmsGateway.FILE:
            return "SMS_GATEWAY=file is a development gateway; set SMS_GATEWAY=http"
        if self.sms_gateway is SmsGateway.HTTP and not self.sms_gateway_url:
            return "SMS_GATEWAY=http needs SMS_GATEWAY_URL"
        if self.email_gateway is EmailGateway.FILE:
            return "EMAIL_GATEWAY=file is a development gateway; set EMAIL_GATEWAY=smtp"
        if self.payment_provider == "dev":
            return "PAYMENT_PROVIDER=dev is a development provider that takes no money; set PAYMENT_PROVIDER=disabled"
        callback_secret = self.payment_callback_secret
        if self.payment_provider != "disabled" and (
            callback_secret == DEVELOPMENT_PAYMENT_CALLBACK_SECRET or len(callback_secret) < 32
        ):
            return "PAYMENT_CALLBACK_SECRET is the development secret or shorter than 32 characters"
        if not self.database_url:
            return "DATABASE_URL is required in production (the embedded PostgreSQL is for development)"
        return None


@lru_cache
def get_settings() -> Settings:
    return Settings()
