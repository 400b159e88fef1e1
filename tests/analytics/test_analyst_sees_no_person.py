"""No direct identifier of a person reaches an analyst, anywhere in the graph: the test walks the schema from the
analyst's own introspection (every root field, `node(id)` for every Node type, and the subscriptions), selects every
field it can reach and checks every string that comes back against the people stored in the database.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from models.enums import Role
from services.cabinet.masking import mask_free_text
from services.events.relay import relay_once
from services.identity.pseudonym import pseudonymous_key
from services.platform.database import TransactionalDatabase, run
from services.platform.runtime import Runtime
from tests.support.appeals import appeal_gid, conversation_people, open_appeal, reply
from tests.support.factories import create_customer
from tests.support.graphql import GraphQLClient
from tests.support.identity import token_for
from tests.support.objects import global_id
from tests.support.schema_walk import INTROSPECTION, Walker, largest, strings

DEPTH = 5
SECRET_TEXT = "Позвоните мне: +7 (921) 555-12-34 или пишите petrova.secret@example.ru, скан: https://disk.example/abc"
HOUSE = re.compile(r"\b(?:д|дом|кв|корп|стр|уч)\.?\s*\d", re.IGNORECASE)


@dataclass
class People:
    """What identifies the people in the database (the analyst's own details excluded)."""

    names: set[str]
    exact: set[str]  # values that must never appear whole: phones, emails, addresses, INNs, file names
    own: set[str]  # the analyst's own phone and email: theirs to read

    def leaks(self, text: str) -> list[str]:
        if text in self.own:
            return []
        found = [f"name {name!r}" for name in self.names if name in text]
        found += [f"value {value!r}" for value in self.exact if value in text]
        if mask_free_text(text) != text:
            found.append("a phone, email or link")
        if HOUSE.search(text):
            found.append("a house or flat number")
        return found


async def _people(db: TransactionalDatabase, analyst_id: int) -> People:
    async with db.session() as session:

        async def column(sql: str) -> set[str]:
            return {str(value) for (value,) in (await run(session, sa.text(sql), {"me": analyst_id})).all() if value}

        names = await column("SELECT full_name FROM customer WHERE id <> :me")
        names |= await column("SELECT holder_name FROM contract WHERE holder_kind = 'INDIVIDUAL_ENTREPRENEUR'")
        exact = await column("SELECT phone FROM customer WHERE id <> :me")
        exact |= await column("SELECT email FROM customer WHERE id <> :me")
        exact |= await column("SELECT receipt_email FROM account_link")
        exact |= await column("SELECT address FROM personal_account")
        exact |= await column("SELECT address FROM delivery_point")
        exact |= await column("SELECT address FROM tech_connection")
        exact |= await column("SELECT applicant_phone FROM tech_connection")
        exact |= await column("SELECT inn FROM contract WHERE length(inn) = 12")
        exact |= await column("SELECT filename FROM stored_file")
        own = await column("SELECT phone FROM customer WHERE id = :me")
        own |= await column("SELECT email FROM customer WHERE id = :me")
    return People(names=names, exact={value for value in exact if len(value) > 4}, own=own)


async def _sample_ids(db: TransactionalDatabase, walker: Walker) -> list[str]:
    """A few global ids of every Node type whose table exists (its name in snake case)."""
    ids = []
    async with db.session() as session:
        for type_name in walker.node_types():
            table = re.sub(r"(?<!^)(?=[A-Z])", "_", type_name).lower()
            exists = (await run(session, sa.text("SELECT to_regclass(:table)"), {"table": table})).scalar()
            if exists is None:
                continue
            rows = (await run(session, sa.text(f"SELECT id FROM {table} ORDER BY id DESC LIMIT 3"))).all()
            ids += [global_id(type_name, row_id) for (row_id,) in rows]
    return ids


@pytest.fixture
async def analyst(runtime: Runtime, gql: GraphQLClient) -> tuple[GraphQLClient, int]:
    # A conversation whose texts carry a phone, an email and a link, so that free text is part of the walk.
    people = await conversation_people(runtime)
    posted = await open_appeal(runtime, people.customer, people.account, SECRET_TEXT)
    await reply(runtime, people.operator, posted.appeal.id or 0, f"Ответ для {SECRET_TEXT}")
    member = await create_customer(runtime.db, now=runtime.clock.now(), role=Role.ANALYST)
    assert member.id is not None
    return gql.as_token(await token_for(runtime, member)), member.id


async def test_no_root_field_or_node_gives_an_analyst_a_persons_identifier(
    db: TransactionalDatabase, analyst: tuple[GraphQLClient, int], runtime: Runtime
) -> None:
    # given: the whole graph walked at one frozen moment, far beyond an analyst's budget of a minute
    runtime.settings = runtime.settings.model_copy(update={"cost_budget": False})
    client, analyst_id = analyst
    walker = Walker(await client.execute(INTROSPECTION))
    people = await _people(db, analyst_id)
    queries = [
        largest(lambda depth, field=field: walker.root_query(field, depth), DEPTH)  # type: ignore[misc]
        for _, field in walker.root_fields(walker.query)
    ]
    ids = await _sample_ids(db, walker)

    def node_query(type_name: str, depth: int) -> str:
        inner = " ".join(walker.fields(type_name, depth, frozenset({type_name})))
        return f"query ($id: ID!) {{ node(id: $id) {{ __typename ... on {type_name} {{ {inner} }} }} }}"

    # when
    answers = [await client.post(query) for query in queries]
    for id_ in ids:
        type_name = base64.b64decode(id_).decode().split(":")[0]
        document = largest(lambda depth, of=type_name: node_query(of, depth), DEPTH)  # type: ignore[misc]
        answers.append(await client.post(document, {"id": id_}))

    # then: the walk reached the people's data (appeals, accounts, customers, messages) and none of it leaked
    reached = {value for answer in answers for value in strings(answer.get("data"))}
    assert any("Позвоните мне" in value for value in reached)  # the message text itself was read
    assert any(value.startswith("+7") and "***" in value for value in reached)  # a masked phone was read
    assert len(ids) > 20
    leaks = {value: people.leaks(value) for value in reached if people.leaks(value)}
    assert leaks == {}
    errors = [error for answer in answers for error in answer.get("errors", [])]
    assert all(error.get("extensions", {}).get("code") != "INTERNAL_SERVER_ERROR" for error in errors), errors


async def test_subscriptions_give_an_analyst_no_persons_identifier(
    runtime: Runtime, gql: GraphQLClient, db: TransactionalDatabase
) -> None:
    # given: an analyst subscribed to every subscription they may take, with everything selected
    people = await conversation_people(runtime)
    posted = await open_appeal(runtime, people.customer, people.account, "Вопрос")
    await relay_once(runtime)
    member = await create_customer(runtime.db, now=runtime.clock.now(), role=Role.ANALYST)
    assert member.id is not None
    token = await token_for(runtime, member)
    walker = Walker(await gql.as_token(token).execute(INTROSPECTION))
    assert walker.subscription is not None
    known = await _people(db, member.id)

    # when: the customer writes a phone, an email and a link; the operator answers with them
    pushed: list[Any] = []
    async with gql.websocket(token=token) as socket:
        message_added = dict(walker.root_fields(walker.subscription))["appealMessageAdded"]
        await socket.subscribe("subscription " + largest(lambda depth: walker.root_query(message_added, depth), DEPTH))
        await socket.expect_silence(seconds=0.2)
        await reply(runtime, people.operator, posted.appeal.id or 0, SECRET_TEXT)
        await relay_once(runtime)
        pushed.append(await socket.next_data(timeout=2))

    # then
    reached = set(strings(pushed))
    assert any("Позвоните мне" in value for value in reached)
    assert {value: known.leaks(value) for value in reached if known.leaks(value)} == {}
    assert appeal_gid(posted.appeal.id) in reached


async def test_the_pseudonymous_key_is_stable_and_tells_customers_apart(
    runtime: Runtime, analyst: tuple[GraphQLClient, int]
) -> None:
    client, _ = analyst
    query = "{ appealInbox(first: 10) { edges { node { customer { id pseudonymousKey fullName phone } } } } }"

    first, second = await client.execute(query), await client.execute(query)

    customers = [edge["node"]["customer"] for edge in first["appealInbox"]["edges"]]
    assert first == second
    assert customers
    assert all(customer["fullName"] is None for customer in customers)
    by_key = {customer["pseudonymousKey"]: customer["id"] for customer in customers}
    assert len(by_key) == len({customer["id"] for customer in customers})
    assert pseudonymous_key(secret=runtime.settings.secret_key, customer_id=1) != pseudonymous_key(
        secret=runtime.settings.secret_key, customer_id=2
    )


# The customer's own name in several forms, another person's full name, an address to the flat, a link and contacts.
NAMED_TEXT = (
    "Я, Коновалова Светлана Александровна, прошу проверить счёт. Звонила Светлана Коновалова, подпись: "
    "Коновалова С. А., копию передала С.А. Коноваловой. Мастер Пётр Ильич Сидоров приходил по адресу "
    "ул. Ленина, д. 5, кв. 12 (дом 7а, квартира 33). Фото: https://photos.example/ab12, "
    "тел. 8 921 555-12-34, почта sveta.k@example.ru. Счётчик 007791062066340 не работает."
)
NAMED_PARTS = (
    "Коновалов",
    "Светлан",
    "Александровн",
    "С. А.",
    "С.А.",
    "Сидоров",
    "Пётр",
    "Ильич",
    "д. 5",
    "кв. 12",
    "дом 7а",
    "квартира 33",
    "photos.example",
    "555-12-34",
    "sveta.k@example.ru",
)


async def test_names_addresses_and_links_in_free_text_are_hidden_from_analysts_only(
    runtime: Runtime, gql: GraphQLClient, db: TransactionalDatabase
) -> None:
    # given: a customer with a stored name writes an appeal naming herself, a fitter and her flat
    people = await conversation_people(runtime)
    async with db.session() as session:
        await run(
            session,
            sa.text("UPDATE customer SET full_name = 'Коновалова Светлана Александровна' WHERE id = :id"),
            {"id": people.customer.id},
        )
        await session.commit()
    posted = await open_appeal(runtime, people.customer, people.account, NAMED_TEXT)
    member = await create_customer(runtime.db, now=runtime.clock.now(), role=Role.ANALYST)
    query = "query ($id: ID!) { node(id: $id) { ... on Appeal { messages(first: 10) { edges { node { text } } } } } }"

    async def texts(token: str) -> list[str]:
        data = await gql.as_token(token).execute(query, {"id": appeal_gid(posted.appeal.id)})
        return [edge["node"]["text"] for edge in data["node"]["messages"]["edges"]]

    # when
    as_analyst = await texts(await token_for(runtime, member))
    as_customer = await texts(people.customer_token)
    as_operator = await texts(people.operator_token)

    # then: the analyst reads the substance without any of it; the customer and the operator read the text as written
    assert as_customer == as_operator == [NAMED_TEXT]
    [masked] = as_analyst
    assert "прошу проверить счёт" in masked
    assert "007791062066340" in masked
    assert [part for part in NAMED_PARTS if part.lower() in masked.lower()] == []


def test_free_text_mask_finds_names_in_any_case_and_initials() -> None:
    names = ["Коновалова Светлана Александровна"]
    forms = "Светланой Коноваловой; Коноваловой С. А.; С. А. Коновалова; коновалова светлана; Светлане Александровне"

    assert mask_free_text(forms, names=names).replace("***", "").strip("; ") == ""
    # a vowel that drops in the other cases: Павел → Павла, Лев → Льву
    assert mask_free_text("Передайте Павлу; у Павла; Льву Орлову", names=["Орлов Павел", "Орлов Лев"]) == (
        "Передайте ***; у ***; *** ***"
    )
    assert mask_free_text("Прошу передать Ивану Петровичу Смирнову", names=[]) == "Прошу передать ***"
    assert mask_free_text("Смирнов И. И. и И.И. Смирнова придут", names=[]) == "*** и *** придут"
    assert mask_free_text("г. Тверь, ул. Ленина, д. 5, кв. 12", names=[]) == "г. Тверь, ул. Ленина, ***, ***"
    # what analysis needs stays: numbers of meters and accounts, amounts, dates, abbreviations
    kept = "Счётчик CE 101 R5 145 № 007791062066340, счёт 123456789, 1520 кВт·ч к 15 числу, ЛК ИСУ"
    assert mask_free_text(kept, names=names) == kept
