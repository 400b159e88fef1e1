"""Runtime settings, read from environment variables (and `.env` when present)."""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT_SECRET = "development-secret-do-not-use-in-production-0000000000"
DEVELOPMENT_PAYMENT_CALLBACK_SECRET = "development-payment-callback-secret-000000000000000"
# Vite's dev server (the frontend's usual one), by both names of the local host.
DEVELOPMENT_ORIGINS = ("http://localhost:5173", "http://127.0.0.1:5173")
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
    # How long uvicorn waits for a worker to answer its health check (and to become ready) before killing it: a
    # worker imports the whole schema first, which takes many seconds on a loaded machine (uvicorn's own 5 s killed
    # workers over and over there).
    worker_healthcheck_timeout: int = Field(default=60, ge=1)
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
    # Browser origins allowed to call the API (comma-separated); unset: the local frontend dev servers in development,
    # none in production.
    cors_allowed_origins: str | None = None
    public_url: str = ""  # unset: http://HOST:PORT, the address the server listens on

    # dev: a development provider that takes no money; yookassa: ЮKassa (API v3); disabled: no payments.
    payment_provider: Literal["dev", "disabled", "yookassa"] = "dev"
    payment_callback_secret: str = DEVELOPMENT_PAYMENT_CALLBACK_SECRET
    yookassa_shop_id: str | None = None
    yookassa_secret_key: str | None = None
    yookassa_api_url: str = "https://api.yookassa.ru/v3"
    # A payment still PENDING this long after it was created is read back from the provider and settled (ЮKassa
    # cancels an unpaid SBP or card payment after an hour; the margin covers its own delay).
    payment_pending_timeout_minutes: int = Field(default=75, ge=1)
    # How long the pay link of an e-receipt stays valid after the statement's due date.
    pay_link_days_after_due: int = Field(default=60, ge=1)
    # E-receipts and other email leave at most this many per second per process (the SMTP relay's limit).
    email_rate_per_second: float = Field(default=10.0, gt=0)

    # internal: this server closes every month; external: another billing system imports the statements.
    billing_mode: Literal["internal", "external"] = "internal"
    # The scheduled close runs on the 1st of the month from this Moscow time ("HH:MM") for the month just ended.
    billing_close_time: str = Field(default="03:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")

    @model_validator(mode="after")
    def _public_url_follows_the_listening_address(self) -> Settings:
        # The links the API hands out (files, templates, payments) point where this server actually listens.
        if not self.public_url:
            host = "127.0.0.1" if self.host in ("0.0.0.0", "::", "") else self.host
            self.public_url = f"http://{f'[{host}]' if ':' in host else host}:{self.port}"
        return self

    @property
    def cors_origins(self) -> list[str]:
        if self.cors_allowed_origins is None:
            return list(DEVELOPMENT_ORIGINS) if self.environment is Environment.DEVELOPMENT else []
        return [origin.strip().rstrip("/") for origin in self.cors_allowed_origins.split(",") if origin.strip()]

    # The cost budget per viewer per minute (services/identity/cost_budget.py); COST_BUDGET=off only for tests that
    # walk the whole graph at one frozen moment.
    cost_budget: bool = True
    # GraphQL introspection: on in development; in production only with INTROSPECTION=on (analysts' GraphiQL).
    introspection: Literal["auto", "on", "off"] = "auto"
    # Persisted documents (schema/core/persisted.py): `required` answers customers' and anonymous callers' documents
    # only when they are in the trusted manifest; staff (GraphiQL) and integrations may still send any document.
    persisted_documents: Literal["optional", "required"] = "optional"
    # The first-party frontend's trusted documents: a JSON object sha256 → document (or Apollo's manifest format).
    persisted_documents_manifest: Path | None = None

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

    def production_problems(self) -> list[str]:
        """Every reason this configuration must not serve production traffic (none outside production)."""
        if self.environment is not Environment.PRODUCTION:
            return []
        problems = []
        if self.secret_key == DEVELOPMENT_SECRET or len(self.secret_key) < 32:
            problems.append("SECRET_KEY is the development secret or shorter than 32 characters")
        if self.sms_gateway is SmsGateway.FILE:
            problems.append("SMS_GATEWAY=file is a development gateway; set SMS_GATEWAY=http")
        if self.sms_gateway is SmsGateway.HTTP and not self.sms_gateway_url:
            problems.append("SMS_GATEWAY=http needs SMS_GATEWAY_URL")
        if self.email_gateway is EmailGateway.FILE:
            problems.append("EMAIL_GATEWAY=file is a development gateway; set EMAIL_GATEWAY=smtp")
        if self.payment_provider == "dev":
            problems.append(
                "PAYMENT_PROVIDER=dev is a development provider that takes no money; "
                "set PAYMENT_PROVIDER=yookassa or disabled"
            )
        if self.payment_provider == "yookassa" and not (self.yookassa_shop_id and self.yookassa_secret_key):
            problems.append("PAYMENT_PROVIDER=yookassa needs YOOKASSA_SHOP_ID and YOOKASSA_SECRET_KEY")
        if self.payment_provider == "yookassa" and not self.yookassa_api_url.startswith("https://"):
            problems.append("YOOKASSA_API_URL must be an https:// URL in production")
        if not self.database_url:
            problems.append("DATABASE_URL is required in production (the embedded PostgreSQL is for development)")
        if self.persisted_documents == "required" and self.persisted_documents_manifest is None:
            problems.append("PERSISTED_DOCUMENTS=required needs PERSISTED_DOCUMENTS_MANIFEST (frontend documents)")
        return problems


@lru_cache
def get_settings() -> Settings:
    return Settings()
