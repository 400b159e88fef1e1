"""The long-lived collaborators of one process, built once and handed to the app, the worker and the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from services.platform.clock import Clock
from services.platform.database import Database
from services.platform.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

    from services.events.broker import Broker
    from services.files.storage import FileStorage
    from services.identity.cost_ledger import CostLedger
    from services.identity.guard import SessionGuard
    from services.identity.limits import RateLimiter
    from services.integrations.service_tokens import ServiceTokenCache
    from services.messaging.delivery import EmailBucket
    from services.messaging.gateways import EmailSender, SmsGateway
    from services.payments.provider import PaymentProvider


class Runtime:
    """Settings, database and clock, and what the process builds from them once.

    Whatever is not handed in is built from the settings: Redis-backed broker and limiter when `redis` is given,
    in-process / PostgreSQL ones otherwise; the configured gateways and storage. Tests hand in (or assign) their own.
    """

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        clock: Clock,
        redis: Redis | None = None,
        broker: Broker | None = None,
        session_guard: SessionGuard | None = None,
        rate_limiter: RateLimiter | None = None,
        file_storage: FileStorage | None = None,
        sms_gateway: SmsGateway | None = None,
        email_gateway: EmailSender | None = None,
        payment_provider: PaymentProvider | None = None,
    ) -> None:
        # Imported here: each of these modules takes a Runtime in its own functions.
        from services.events.broker import make_broker
        from services.files.storage import LocalFileStorage
        from services.identity.cost_ledger import CostLedger
        from services.identity.guard import SessionGuard
        from services.identity.limits import make_rate_limiter
        from services.integrations.service_tokens import ServiceTokenCache
        from services.messaging.gateways import make_email_gateway, make_sms_gateway

        self.settings = settings
        self.db = db
        self.clock = clock
        self.redis = redis
        # Started and stopped with the process's background part (`services.events.setup`).
        self.broker: Broker = broker if broker is not None else make_broker(redis)
        self.session_guard: SessionGuard = session_guard if session_guard is not None else SessionGuard(db, clock)
        self.rate_limiter: RateLimiter = rate_limiter if rate_limiter is not None else make_rate_limiter(db, redis)
        # Queries' cost charges, sent to `rate_limiter` together while the process serves (cost_ledger.py).
        self.cost_ledger: CostLedger = CostLedger(self)
        self.file_storage: FileStorage = (
            file_storage if file_storage is not None else LocalFileStorage(settings.files_dir)
        )
        self.sms_gateway: SmsGateway = sms_gateway if sms_gateway is not None else make_sms_gateway(settings)
        self.email_gateway: EmailSender = email_gateway if email_gateway is not None else make_email_gateway(settings)
        self.service_tokens: ServiceTokenCache = ServiceTokenCache()
        # Built on first use from the settings (services.payments.provider.runtime_provider): ЮKassa's HTTP client.
        self.payment_provider: PaymentProvider | None = payment_provider
        # The email rate limit's tokens (services.messaging.delivery), on first delivery.
        self.email_bucket: EmailBucket | None = None
