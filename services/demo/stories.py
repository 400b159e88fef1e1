"""Who pays how, whose bill was corrected, who holds which receipt code and who wrote which appeal."""

from __future__ import annotations

import random

from models.enums import AppealStatus, AppealTargetKind, ObjectKind
from services.demo.appeals import SCRIPTS, AppealPlan, AppealTarget
from services.demo.billing import Payer, PayerKind, Recalculation, random_payer
from services.demo.bulk import IdCounters, Rows
from services.demo.households import AccountSpec
from services.demo.people import Person, add_activation_code
from services.demo.periods import DemoCalendar, issue_date

RECALCULATED_ACCOUNTS = 4  # besides the demo customer's flat


def payers(
    rng: random.Random,
    calendar: DemoCalendar,
    accounts: list[AccountSpec],
    linked: dict[int, int],
    *,
    demo_ids: tuple[int, ...],
    demo_debtor_id: int,
) -> dict[int, Payer]:
    """Most pay every document on time; about 15 % carry a debt; two went to court over it (state duty)."""
    months = len(calendar.payment_months)
    result: dict[int, Payer] = {}
    for spec in accounts:
        customer_id = linked.get(spec.id)
        if spec.id == demo_debtor_id:  # the demo customer forgot the house for the last three months
            result[spec.id] = Payer(PayerKind.STOPPED, customer_id, stops_at=months - 3)
        elif spec.id in demo_ids:
            result[spec.id] = Payer(PayerKind.PUNCTUAL, customer_id)
        else:
            result[spec.id] = random_payer(rng, months=months, customer_id=customer_id)
    sued, settled = rng.sample([spec.id for spec in accounts if spec.id not in demo_ids], 2)
    result[sued] = Payer(PayerKind.STOPPED, linked.get(sued), stops_at=months - 14, court_at=months - 9)
    result[settled] = Payer(
        PayerKind.STOPPED, linked.get(settled), stops_at=months - 14, court_at=months - 9, resumes_at=months - 3
    )
    return result


def recalculations(
    rng: random.Random, calendar: DemoCalendar, accounts: list[AccountSpec], demo_flat_id: int
) -> dict[int, tuple[Recalculation, ...]]:
    """Corrections of an earlier month (a wrong reading found by a control inspection, say), in kWh of one zone."""
    billed = len(calendar.billed)
    result: dict[int, tuple[Recalculation, ...]] = {demo_flat_id: (Recalculation(billed - 4, billed - 5, 1, 0, -25),)}
    # Single-zone flats: a month's consumption there is well above the correction, so no balance turns negative.
    candidates = [
        spec
        for spec in accounts
        if spec.kind is ObjectKind.FLAT
        and spec.id != demo_flat_id
        and len(spec.meters) == 1
        and spec.meters[0].zone_count == 1
        and not spec.meters[0].is_smart
    ]
    for spec in rng.sample(candidates, RECALCULATED_ACCOUNTS):
        month = rng.randint(3, billed - 1)
        volume = rng.choice((-1, 1)) * rng.randint(10, 30)
        result[spec.id] = (Recalculation(month, month - rng.randint(1, 2), 1, 0, volume),)
    return result


def add_activation_codes(
    rows: Rows,
    ids: IdCounters,
    rng: random.Random,
    *,
    calendar: DemoCalendar,
    accounts: list[AccountSpec],
    linked: dict[int, int],
) -> None:
    """Every unlinked account has the code of its newest receipt, but one whose newest code the owner never used
    expired; most linked accounts also have one (current or long expired)."""
    newest = calendar.last_receipt_issued_on
    unlinked = [spec for spec in accounts if spec.id not in linked]
    expired = rng.choice(unlinked).id
    for spec in accounts:
        if spec.id == expired:
            issued_on = issue_date(calendar.billed[-6])
        elif spec.id not in linked:
            issued_on = newest
        elif rng.random() < 0.8:
            issued_on = newest if rng.random() < 0.5 else issue_date(calendar.billed[-rng.randint(5, 12)])
        else:
            continue
        add_activation_code(rows, ids, account_id=spec.id, number=spec.number, issued_on=issued_on)


_STATUS_CYCLE = (
    AppealStatus.ANSWERED,
    AppealStatus.CLOSED,
    AppealStatus.OPEN,
    AppealStatus.CLOSED,
    AppealStatus.ANSWERED,
    AppealStatus.AWAITING_OPERATOR,
)


def appeal_plans(
    rng: random.Random,
    *,
    demo: Person,
    demo_accounts: list[AccountSpec],
    others: list[Person],
    accounts: list[AccountSpec],
    linked: dict[int, int],
    contract_number: str,
    contract_id: int,
    tech_connection: tuple[int, str],
) -> list[AppealPlan]:
    """Six appeals of the demo customer, one per status and target kind, and 24 of other customers."""
    flat, smart_flat, house = (
        AppealTarget(AppealTargetKind.ACCOUNT, spec.number, account_id=spec.id) for spec in demo_accounts
    )
    plans = [
        AppealPlan(demo.id, flat, SCRIPTS[0], AppealStatus.ANSWERED, unread_answer=True),
        AppealPlan(demo.id, smart_flat, SCRIPTS[3], AppealStatus.AWAITING_OPERATOR),
        AppealPlan(demo.id, house, SCRIPTS[1], AppealStatus.CLOSED),
        AppealPlan(
            demo.id,
            AppealTarget(AppealTargetKind.CONTRACT, contract_number, contract_id=contract_id),
            SCRIPTS[6],
            AppealStatus.ANSWERED,
        ),
        AppealPlan(
            demo.id,
            AppealTarget(AppealTargetKind.TECH_CONNECTION, tech_connection[1], tech_connection_id=tech_connection[0]),
            SCRIPTS[9],
            AppealStatus.OPEN,
        ),
        AppealPlan(demo.id, AppealTarget(AppealTargetKind.OTHER, "291000517"), SCRIPTS[7], AppealStatus.CLOSED),
    ]
    by_customer: dict[int, list[AccountSpec]] = {}
    for spec in accounts:
        if spec.id in linked:
            by_customer.setdefault(linked[spec.id], []).append(spec)
    authors = [person for person in others if person.id in by_customer]
    follow_ups = [script for script in SCRIPTS if len(script.messages) >= 3]
    for index in range(24):
        author = rng.choice(authors)
        spec = rng.choice(by_customer[author.id])
        status = _STATUS_CYCLE[index % len(_STATUS_CYCLE)]
        script = rng.choice(follow_ups if status is AppealStatus.AWAITING_OPERATOR else SCRIPTS)
        target = AppealTarget(AppealTargetKind.ACCOUNT, spec.number, account_id=spec.id)
        plans.append(AppealPlan(author.id, target, script, status, unread_answer=rng.random() < 0.3))
    return plans
