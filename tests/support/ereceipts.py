"""E-receipts for tests: statements issued as the period's close issues them (the row and its `statement.issued`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import orjson
import sqlalchemy as sa

from models import AccountDebt, AccountLink, Customer, PersonalAccount, Statement
from services.events.broker import InProcessBroker
from services.events.outbox import account_channel
from services.events.relay import relay_once
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.factories import create_account, create_customer

PERIOD = date(2026, 10, 1)


@dataclass
class Household:
    account: PersonalAccount
    customers: list[Customer]


async def household(runtime: Runtime, *emails: str | None) -> Household:
    """An account linked by one customer per entry of `emails`: an address turns e-receipts on, None leaves them off."""
    now = runtime.clock.now()
    customers = [await create_customer(runtime.db, now=now) for _ in emails]
    account, _ = await create_account(runtime.db, now=now)
    async with runtime.db.session() as session:
        for customer, email in zip(customers, emails, strict=True):
            assert customer.id is not None
            assert account.id is not None
            session.add(
                AccountLink(
                    customer_id=customer.id,
                    account_id=account.id,
                    linked_at=now,
                    receipt_electronic=email is not None,
                    receipt_email=email,
                )
            )
        await session.commit()
    return Household(account=account, customers=customers)


async def issue_statement(runtime: Runtime, account: PersonalAccount, *, closing: int = 184_250) -> Statement:
    """A statement of PERIOD and its `statement.issued` event, in one transaction, with the payload billing writes."""
    assert account.id is not None
    now = runtime.clock.now()
    async with runtime.db.session() as session:
        statement = Statement(
            account_id=account.id,
            period=PERIOD,
            opening_balance=0,
            charged=closing,
            recalculated=0,
            paid=0,
            penalty=0,
            closing_balance=closing,
            issued_on=date(2026, 11, 3),
            due_on=date(2026, 11, 15),
            created_at=now,
        )
        session.add(statement)
        session.add(AccountDebt(account_id=account.id, electricity=closing, penalty=0, state_duty=0, updated_at=now))
        await session.flush()
        assert statement.id is not None
        await write_issued_event(session, statement)
        await session.commit()
    return statement


async def write_issued_event(session: object, statement: Statement) -> None:
    payload = {
        "statement_id": statement.id,
        "account_id": statement.account_id,
        "delivery_point_id": None,
        "contract_id": None,
        "period": statement.period.isoformat(),
        "closing_balance": statement.closing_balance,
        "issued_on": statement.issued_on.isoformat(),
        "due_on": statement.due_on.isoformat(),
    }
    assert statement.account_id is not None
    await run(
        session,  # type: ignore[arg-type]
        sa.text(
            "INSERT INTO outbox_event (type, channels, payload, created_at)"
            " VALUES ('statement.issued', :channels, CAST(:payload AS jsonb), :now)"
        ),
        {
            "channels": [account_channel(statement.account_id)],
            "payload": orjson.dumps(payload).decode(),
            "now": statement.created_at,
        },
    )


async def publish_events(runtime: Runtime) -> None:
    """What the relay of a running server does: number the committed events (the handler reads them in that order)."""
    while await relay_once(runtime, InProcessBroker()):
        pass
