"""BILLING_MODE=external: statements imported by an integration, checked, idempotent, with their events."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from models.enums import ChargeBasis, ChargeKind
from models.enums import TariffZone as Zone
from services.billing.imports import ImportedCharge, ImportedStatement, import_statements
from services.errors import DomainError, ErrorCode
from services.integrations.service_tokens import BILLING_WRITE, ServicePrincipal
from services.platform.clock import FrozenClock
from services.platform.runtime import Runtime
from tests.billing.test_close import rows
from tests.support.factories import create_account

ONE_C = ServicePrincipal(token_id=1, name="1c", scopes=frozenset({BILLING_WRITE}))


def statement(number: str, external_id: str, period: date, opening: int, kwh: int) -> ImportedStatement:
    amount = kwh * 700
    return ImportedStatement(
        external_id=external_id, account_number=number, period=period, opening_balance=opening, charged=amount,
        recalculated=0, paid=0, penalty=0, closing_balance=opening + amount, issued_on=date(2026, 12, 5),
        due_on=date(2026, 12, 15),
        charges=[ImportedCharge(Zone.SINGLE, ChargeKind.CONSUMPTION, ChargeBasis.READINGS, kwh, 700, amount)],
    )  # fmt: skip


async def counts(runtime: Runtime, account_id: int | None) -> tuple[int, int, int]:
    found = await rows(
        runtime.db,
        "SELECT (SELECT count(*) FROM statement WHERE account_id = :a), (SELECT count(*) FROM charge WHERE"
        " account_id = :a), (SELECT count(*) FROM outbox_event WHERE type = 'statement.issued'"
        " AND channels = ARRAY[:channel]::varchar[])",
        a=account_id,
        channel=f"account:{account_id}",
    )
    return found[0]


def codes(error: pytest.ExceptionInfo[DomainError]) -> list[ErrorCode]:
    return [problem.code for problem in error.value.problems]


async def test_import_is_refused_while_the_server_bills_itself(runtime: Runtime, clock: FrozenClock) -> None:
    account, _ = await create_account(runtime.db, now=clock.now())
    with pytest.raises(DomainError) as error:
        await import_statements(
            runtime,
            principal=ONE_C,
            batch_id="b1",
            statements=[statement(account.number, "s1", date(2026, 10, 1), 0, 100)],
        )
    assert codes(error) == [ErrorCode.BILLING_MODE_INTERNAL]
    assert await counts(runtime, account.id) == (0, 0, 0)


async def test_a_batch_is_stored_once_with_its_events(runtime: Runtime, clock: FrozenClock) -> None:
    runtime.settings.billing_mode = "external"
    account, _ = await create_account(runtime.db, now=clock.now())
    batch = [
        statement(account.number, "s-nov", date(2026, 11, 1), 70_000, 120),
        statement(account.number, "s-oct", date(2026, 10, 1), 0, 100),
    ]
    result = await import_statements(runtime, principal=ONE_C, batch_id="b1", statements=batch)
    assert (result.created, result.skipped, result.repeated_batch) == (2, 0, False)
    assert await counts(runtime, account.id) == (2, 2, 2)
    assert await rows(runtime.db, "SELECT electricity FROM account_debt WHERE account_id = :a", a=account.id) == [
        (154_000,)
    ]
    again = await import_statements(runtime, principal=ONE_C, batch_id="b1", statements=batch)
    assert again.repeated_batch
    resent = await import_statements(runtime, principal=ONE_C, batch_id="b2", statements=batch)
    assert (resent.created, resent.skipped) == (0, 2)
    assert await counts(runtime, account.id) == (2, 2, 2)


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"closing_balance": 70_001}, ErrorCode.BALANCE_MISMATCH),  # opening + charged ≠ closing
        ({"charged": 71_000, "closing_balance": 71_000}, ErrorCode.BALANCE_MISMATCH),  # lines ≠ charged
        ({"account_number": "000000000"}, ErrorCode.NOT_FOUND),
        ({"period": date(2026, 10, 2)}, ErrorCode.INVALID_INPUT),
        (
            {"charges": [ImportedCharge(Zone.DAY, ChargeKind.CONSUMPTION, ChargeBasis.READINGS, 100, 700, 70_000)]},
            ErrorCode.ZONES_MISMATCH,  # a one-zone meter has no DAY zone
        ),
        (
            {"charges": [ImportedCharge(Zone.SINGLE, ChargeKind.CONSUMPTION, ChargeBasis.READINGS, 100, 700, 69_999)],
             "charged": 69_999, "closing_balance": 69_999},
            ErrorCode.INVALID_AMOUNT,  # volume × rate ≠ amount
        ),
    ],
)  # fmt: skip
async def test_a_bad_statement_changes_nothing(
    runtime: Runtime, clock: FrozenClock, change: dict[str, object], code: ErrorCode
) -> None:
    runtime.settings.billing_mode = "external"
    account, _ = await create_account(runtime.db, now=clock.now())
    good = statement(account.number, "ok", date(2026, 9, 1), 0, 50)
    bad = replace(statement(account.number, "bad", date(2026, 10, 1), 0, 100), **change)  # type: ignore[arg-type]
    with pytest.raises(DomainError) as error:
        await import_statements(runtime, principal=ONE_C, batch_id="b1", statements=[good, bad])
    assert code in codes(error)
    assert await counts(runtime, account.id) == (0, 0, 0)
    assert await rows(runtime.db, "SELECT count(*) FROM import_batch WHERE sender = '1c'") == [(0,)]


async def test_the_opening_balance_must_continue_the_stored_chain(runtime: Runtime, clock: FrozenClock) -> None:
    runtime.settings.billing_mode = "external"
    account, _ = await create_account(runtime.db, now=clock.now())
    await import_statements(
        runtime,
        principal=ONE_C,
        batch_id="b1",
        statements=[statement(account.number, "oct", date(2026, 10, 1), 0, 100)],
    )
    with pytest.raises(DomainError) as error:
        await import_statements(
            runtime, principal=ONE_C, batch_id="b2",
            statements=[statement(account.number, "nov", date(2026, 11, 1), 69_000, 100)],
        )  # fmt: skip
    assert codes(error) == [ErrorCode.BALANCE_MISMATCH]
    with pytest.raises(DomainError) as error:
        await import_statements(
            runtime, principal=ONE_C, batch_id="b3",
            statements=[statement(account.number, "oct-2", date(2026, 10, 1), 0, 100)],
        )  # fmt: skip
    assert codes(error) == [ErrorCode.ALREADY_BILLED]
    assert await counts(runtime, account.id) == (1, 1, 1)


async def test_the_service_refuses_a_token_without_billing_write(runtime: Runtime, clock: FrozenClock) -> None:
    # given: a billing system whose token grants another scope
    runtime.settings.billing_mode = "external"
    account, _ = await create_account(runtime.db, now=clock.now())
    batch = [statement(account.number, "s-oct", date(2026, 10, 1), 0, 100)]
    other = ServicePrincipal(token_id=1, name="1c", scopes=frozenset({"payments:write"}))

    # when / then: refused by the service itself, nothing written (not even the batch id)
    with pytest.raises(DomainError) as error:
        await import_statements(runtime, principal=other, batch_id="b1", statements=batch)
    assert codes(error) == [ErrorCode.FORBIDDEN]
    assert await counts(runtime, account.id) == (0, 0, 0)
    assert await rows(runtime.db, "SELECT count(*) FROM import_batch WHERE sender = '1c'") == [(0,)]

    # and the same batch with the scope is stored
    result = await import_statements(runtime, principal=ONE_C, batch_id="b1", statements=batch)
    assert result.created == 1
    assert await counts(runtime, account.id) == (1, 1, 1)
