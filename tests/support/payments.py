"""Payments for tests: an account with a debt, the startPayment mutation, signed provider callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson
import sqlalchemy as sa

from models import AccountDebt, Customer, PersonalAccount
from services.payments.callback import sign
from services.platform.database import run
from services.platform.runtime import Runtime
from tests.support.factories import create_account
from tests.support.objects import global_id

START = """
mutation ($input: StartPaymentInput!) {
  startPayment(input: $input) {
    payment { id amount electricity penalty stateDuty method status confirmationUrl paidAt }
    confirmationUrl
    errors { field code message }
  }
}"""

DEBT = {"electricity": 184_250, "penalty": 1_250, "state_duty": 30_000}


@dataclass(frozen=True, slots=True)
class Snapshot:
    payments: int
    callbacks: int
    events: int
    debt: tuple[int, int, int] | None


async def create_indebted_account(runtime: Runtime, *, owner: Customer | None) -> PersonalAccount:
    """An account owing 1842,50 ₽ for electricity, 12,50 ₽ penalty and 300 ₽ state duty."""
    now = runtime.clock.now()
    account, _ = await create_account(runtime.db, now=now, owner=owner)
    assert account.id is not None
    async with runtime.db.session() as session:
        session.add(AccountDebt(account_id=account.id, updated_at=now, **DEBT))
        await session.commit()
    return account


def start_input(
    account: PersonalAccount | int,
    *,
    electricity: Any = 184_250,
    penalty: Any = 1_250,
    state_duty: Any = 0,
    method: str = "SBP",
    key: str = "pay-1",
) -> dict[str, Any]:
    return {
        "input": {
            "accountId": global_id("PersonalAccount", account.id if isinstance(account, PersonalAccount) else account),
            "electricity": electricity,
            "penalty": penalty,
            "stateDuty": state_duty,
            "method": method,
            "idempotencyKey": key,
        }
    }


async def snapshot(runtime: Runtime, account_id: int | None) -> Snapshot:
    async with runtime.db.session() as session:

        async def count(table: str) -> int:
            return int((await run(session, sa.text(f"SELECT count(*) FROM {table}"))).scalar_one())

        debt = (
            await run(
                session,
                sa.text("SELECT electricity, penalty, state_duty FROM account_debt WHERE account_id = :id"),
                {"id": account_id},
            )
        ).first()
        return Snapshot(
            payments=await count("payment"),
            callbacks=await count("payment_callback"),
            events=int(
                (
                    await run(
                        session,
                        sa.text("SELECT count(*) FROM outbox_event WHERE type = 'payment.status_changed'"),
                    )
                ).scalar_one()
            ),
            debt=tuple(debt) if debt is not None else None,  # type: ignore[arg-type]
        )


async def send_callback(
    client: httpx.AsyncClient,
    runtime: Runtime,
    body: Any,
    *,
    provider: str = "dev",
    secret: str | None = None,
) -> httpx.Response:
    raw = orjson.dumps(body)
    signature = sign(secret or runtime.settings.payment_callback_secret, raw)
    return await client.post(
        f"/payments/callback/{provider}",
        content=raw,
        headers={"X-Signature": signature, "Content-Type": "application/json"},
    )
