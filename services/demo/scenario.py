"""The demo data set: who is who, which accounts tell which story.

Everything is drawn from one `random.Random` in a fixed order, so the same `now` gives the same rows (ids included,
as the database is empty). The demo customer has the three kinds of households and sees every feature: readings sent
through the portal (one of them refused), a smart meter with ИСУ data, a debt with penalty, a recalculation, a
contract, tech connections and appeals in every status.
"""

from __future__ import annotations

import random

from services.demo.appeals import add_appeals
from services.demo.billing import BillingContext, bill_account
from services.demo.bulk import IdCounters, Rows
from services.demo.featured import demo_accounts, fit_smart_meters_and_a_wrap
from services.demo.households import account_series, add_account_rows, random_account
from services.demo.organisations import (
    Applicant,
    add_contracts,
    add_grid_companies,
    add_tech_connections,
    add_utility_providers,
)
from services.demo.people import add_demo_people, link_accounts
from services.demo.periods import DemoCalendar
from services.demo.readings import add_reading_rows
from services.demo.reference import TariffBook, consumption_norm_rows, key_rate_rows
from services.demo.stories import add_activation_codes, appeal_plans, payers, recalculations
from services.demo.submissions import Sender, add_demo_submissions

DEMO_SEED = 20_260_001
ACCOUNT_COUNT = 200


def build_demo(rows: Rows, ids: IdCounters, *, calendar: DemoCalendar, password_hashes: dict[str, str]) -> None:
    rng = random.Random(DEMO_SEED)
    now = calendar.now
    tariffs = TariffBook(calendar)
    tariff_rows = tariffs.rows(first_id=ids.take("tariff", len(tariffs.years) * 18))
    rows["tariff"].extend(tariff_rows)
    rows["key_rate"].extend(key_rate_rows())
    norms = consumption_norm_rows(first_id=ids.peek("consumption_norm"), valid_from=calendar.tariff_starts[0])
    ids.take("consumption_norm", len(norms))
    rows["consumption_norm"].extend(norms)
    provider_ids = add_utility_providers(rows, ids, rng)
    grid_company_ids = add_grid_companies(rows, ids, rng)

    people = add_demo_people(rows, ids, rng, calendar=calendar, password_hashes=password_hashes)
    demo, others = people.demo, people.others

    numbers = [str(number) for number in sorted(rng.sample(range(290_000_000, 300_000_000), ACCOUNT_COUNT))]
    demo_numbers = [numbers.pop(index) for index in (150, 90, 30)]
    flat, smart_flat, house = demo_accounts(rng, ids, calendar, demo_numbers, provider_ids)
    accounts = [flat, smart_flat, house]
    accounts += [
        random_account(rng, ids, number=number, calendar=calendar, provider_ids=provider_ids) for number in numbers
    ]
    fit_smart_meters_and_a_wrap(rng, accounts[3:], calendar)
    for spec in accounts:
        add_account_rows(rows, spec)

    linked = link_accounts(rows, ids, rng, now=now, people=people, accounts=accounts)
    add_activation_codes(rows, ids, rng, calendar=calendar, accounts=accounts, linked=linked)
    contract_ids = add_contracts(
        rows,
        ids,
        rng,
        calendar=calendar,
        holders={
            "15-000123": [demo.id],
            "15-004517": [others[6].id, others[7].id],
            "15-010288": [others[8].id],
        },
    )
    strangers = [Applicant(f"+7921{rng.randint(1_000_000, 9_999_999)}", None) for _ in range(3)]
    applicants = [Applicant(demo.phone, demo.id)] * 2 + [Applicant(p.phone, p.id) for p in others[3:6]] + strangers
    tech = add_tech_connections(
        rows, ids, rng, calendar=calendar, grid_company_ids=grid_company_ids, applicants=applicants
    )

    series = {spec.id: account_series(rows, ids, rng, spec, calendar) for spec in accounts}
    periods = calendar.reading_periods
    senders = [spec for spec in accounts[3:] if spec.id in linked and not spec.meters[0].is_smart][:3]
    add_demo_submissions(
        rows,
        ids,
        periods=periods,
        flat=Sender(series[flat.id][0], flat.id, demo.id),
        house=Sender(series[house.id][0], house.id, demo.id),
        others=[Sender(series[spec.id][0], spec.id, linked[spec.id]) for spec in senders],
        operator_id=people.operator.id,
    )
    for account_series_list in series.values():
        for meter_series in account_series_list:
            add_reading_rows(rows, ids, meter_series, periods)

    context = BillingContext.build(calendar, tariffs)
    account_payers = payers(
        rng, calendar, accounts, linked, demo_ids=(flat.id, smart_flat.id, house.id), demo_debtor_id=house.id
    )
    corrections = recalculations(rng, calendar, accounts, flat.id)
    for spec in accounts:
        bill_account(
            rows,
            ids,
            rng,
            context=context,
            account_id=spec.id,
            category=spec.category,
            meters=series[spec.id],
            payer=account_payers[spec.id],
            recalculations=corrections.get(spec.id, ()),
        )

    demo_tech = next((number_id, number) for number_id, number, customer in tech if customer == demo.id)
    plans = appeal_plans(
        rng,
        demo=demo,
        demo_accounts=accounts[:3],
        others=others,
        accounts=accounts,
        linked=linked,
        contract_number="15-000123",
        contract_id=contract_ids["15-000123"],
        tech_connection=demo_tech,
    )
    add_appeals(rows, ids, rng, now=now, operator_id=people.operator.id, plans=plans)
