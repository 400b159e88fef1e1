"""The pay link of a statement: public, signed, for that one statement, expiring after its due date."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from models import Statement
from services.files.signing import LinkKind, public_query, signed_public_url
from services.platform.clock import LOCAL_TZ
from services.platform.settings import Settings

RESULT_SUFFIX = "/result"


def pay_link_expires_at(statement: Statement, settings: Settings) -> datetime:
    """The end of the due day (Moscow) plus PAY_LINK_DAYS_AFTER_DUE: one link per statement, whenever it is sent."""
    end_of_due_day = datetime.combine(statement.due_on + timedelta(days=1), time(0), tzinfo=LOCAL_TZ)
    return (end_of_due_day + timedelta(days=settings.pay_link_days_after_due)).astimezone(UTC)


def pay_link(statement: Statement, settings: Settings) -> str:
    assert statement.id is not None
    return signed_public_url(
        kind=LinkKind.STATEMENT_PAY,
        secret=settings.secret_key,
        public_url=settings.public_url,
        object_id=statement.id,
        expires_at=pay_link_expires_at(statement, settings),
    )


def result_link(statement_id: int, settings: Settings, *, expires_at: datetime) -> str:
    """The page a payer returns to from the card page; signed like the pay link."""
    query = public_query(
        kind=LinkKind.STATEMENT_PAY, secret=settings.secret_key, object_id=statement_id, expires_at=expires_at
    )
    return f"{settings.public_url.rstrip('/')}/pay/statement/{statement_id}{RESULT_SUFFIX}?{query}"
