"""Linking limits hold against parallel requests (on a committed database: only real connections run in parallel)."""

from __future__ import annotations

import asyncio
from collections import Counter

from services.errors import DomainError
from services.objects.accounts import MAX_FAILURES_PER_CUSTOMER, link_personal_account
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from services.platform.settings import Settings
from tests.support.factories import create_customer
from tests.support.processes import committed_database


async def test_parallel_wrong_codes_on_many_numbers_stop_at_the_customers_limit(
    server_url: str, settings: Settings, clock: FrozenClock
) -> None:
    async with committed_database(server_url) as db:
        # given: a customer trying many made-up numbers at once
        runtime = Runtime(settings=settings, db=db, clock=clock)
        customer = await create_customer(db, now=clock.now())
        assert customer.id is not None
        tries = MAX_FAILURES_PER_CUSTOMER + 5

        async def attempt(n: int) -> str:
            try:
                await link_personal_account(
                    runtime, customer_id=customer.id or 0, number=f"{700000000 + n}", activation_code="WRONG123"
                )
            except DomainError as error:
                return error.problems[0].code.value
            return "LINKED"

        # when
        answers = Counter(await asyncio.gather(*(attempt(n) for n in range(tries))))

    # then: exactly the allowed number of codes was checked; the rest were refused
    assert answers == Counter({"ACCOUNT_OR_CODE_INVALID": MAX_FAILURES_PER_CUSTOMER, "TOO_MANY_ATTEMPTS": 5})
