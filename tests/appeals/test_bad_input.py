"""Refused messages and appeals: a stable code, a Russian message, and nothing stored (no row, no file, no event)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.appeals.drafts import MAX_ATTACHMENTS
from services.files.uploads import MAX_FILE_BYTES
from services.platform.runtime import Runtime
from tests.support.appeals import (
    CLOSE_APPEAL,
    CREATE_APPEAL,
    POST_MESSAGE,
    Conversation,
    appeal_gid,
    conversation_people,
    open_appeal,
    pdf_file,
    post_files,
)
from tests.support.factories import create_account, create_customer
from tests.support.graphql import GraphQLClient
from tests.support.objects import count_where, file_count, global_id


async def state(runtime: Runtime) -> tuple[int, int, int, int, int]:
    return (
        await count_where(runtime, "appeal"),
        await count_where(runtime, "appeal_message"),
        await count_where(runtime, "appeal_attachment"),
        await count_where(runtime, "outbox_event"),
        await file_count(runtime),
    )


def codes(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


@pytest.fixture
async def people(runtime: Runtime) -> Conversation:
    return await conversation_people(runtime)


TOO_LARGE = ("big.pdf", b"%PDF-1.4\n" + b"0" * MAX_FILE_BYTES, "application/pdf")
NOT_A_DOCUMENT = ("script.pdf", b"#!/bin/sh\necho hi\n", "application/pdf")


BIG_BUT_ALLOWED = ("b.pdf", b"%PDF-" + b"1" * (MAX_FILE_BYTES - 10), "application/pdf")


@pytest.mark.parametrize(
    "case",
    [
        ("   ", [], [("EMPTY_MESSAGE", ["input", "text"])]),
        ("x" * 4001, [], [("INVALID_INPUT", ["input", "text"])]),
        ("Файлы", [pdf_file()] * (MAX_ATTACHMENTS + 1), [("TOO_MANY_ATTACHMENTS", ["input", "attachments"])]),
        ("Файл", [pdf_file(), TOO_LARGE], [("FILE_TOO_LARGE", ["input", "attachments", "1"])]),
        ("Файл", [NOT_A_DOCUMENT], [("UNSUPPORTED_FILE_TYPE", ["input", "attachments", "0"])]),
        ("Файлы", [pdf_file(), BIG_BUT_ALLOWED] * 2 + [pdf_file()], [("FILE_TOO_LARGE", ["input", "attachments"])]),
    ],
    ids=["empty", "too-long", "too-many-files", "file-too-large", "unsupported-file", "files-too-large-together"],
)  # fmt: skip
async def test_a_bad_message_is_refused_and_nothing_is_stored(
    runtime: Runtime,
    gql: GraphQLClient,
    people: Conversation,
    case: tuple[str, list[tuple[str, bytes, str]], list[tuple[str, list[str]]]],
) -> None:
    text, files, expected = case
    posted = await open_appeal(runtime, people.customer, people.account)
    variables = {"input": {"appealId": appeal_gid(posted.appeal.id), "text": text}}
    before = await state(runtime)

    if files:
        body = await post_files(
            gql.http, query=POST_MESSAGE, variables=variables, files=files, token=people.customer_token
        )
        payload = body["data"]["postAppealMessage"]
    else:
        payload = (await gql.as_token(people.customer_token).execute(POST_MESSAGE, variables))["postAppealMessage"]

    assert codes(payload) == expected
    assert payload["message"] is None
    assert await state(runtime) == before


async def test_a_closed_appeal_takes_no_messages(
    runtime: Runtime, app_client: httpx.AsyncClient, gql: GraphQLClient, people: Conversation
) -> None:
    posted = await open_appeal(runtime, people.customer, people.account)
    appeal_id = appeal_gid(posted.appeal.id)
    await gql.as_token(people.customer_token).execute(CLOSE_APPEAL, {"input": {"appealId": appeal_id}})
    before = await state(runtime)

    from_customer = await post_files(
        app_client, query=POST_MESSAGE, variables={"input": {"appealId": appeal_id, "text": "Ещё вопрос"}},
        files=[pdf_file()], token=people.customer_token,
    )  # fmt: skip
    from_operator = await gql.as_token(people.operator_token).execute(
        POST_MESSAGE, {"input": {"appealId": appeal_id, "text": "Ответ"}}
    )
    closing_again = await gql.as_token(people.customer_token).execute(CLOSE_APPEAL, {"input": {"appealId": appeal_id}})

    assert codes(from_customer["data"]["postAppealMessage"]) == [("APPEAL_CLOSED", ["input", "appealId"])]
    assert codes(from_operator["postAppealMessage"]) == [("APPEAL_CLOSED", ["input", "appealId"])]
    assert codes(closing_again["closeAppeal"]) == [("APPEAL_CLOSED", ["input", "appealId"])]
    assert await state(runtime) == before


async def test_an_appeal_about_someone_elses_account_is_refused_like_a_missing_one(
    runtime: Runtime, app_client: httpx.AsyncClient, people: Conversation
) -> None:
    now = runtime.clock.now()
    neighbour = await create_customer(runtime.db, now=now)
    their_account, _ = await create_account(runtime.db, now=now, owner=neighbour)
    before = await state(runtime)

    results = []
    for target in (
        {"objectId": global_id("PersonalAccount", their_account.id)},
        {"objectId": global_id("PersonalAccount", 999_999_999)},
        {"objectId": global_id("Contract", 999_999_999)},
        {"objectId": global_id("TechConnection", 999_999_999)},
        {"objectId": global_id("Meter", 1)},
    ):
        body = await post_files(
            app_client,
            query=CREATE_APPEAL,
            variables={"input": {"target": target, "topic": "OTHER", "text": "Вопрос"}},
            files=[pdf_file()],
            token=people.customer_token,
        )
        results.append(body["data"]["createAppeal"])

    assert [codes(result) for result in results] == [[("NOT_FOUND", ["input", "target"])]] * 5
    assert len({result["errors"][0]["message"] for result in results}) == 1
    assert await state(runtime) == before


@pytest.mark.parametrize("number", ["", "   ", "12 34; DROP", "1" * 33, "№123"])
async def test_a_malformed_typed_number_is_refused(
    runtime: Runtime, gql: GraphQLClient, people: Conversation, number: str
) -> None:
    before = await state(runtime)

    result = await gql.as_token(people.customer_token).execute(
        CREATE_APPEAL, {"input": {"target": {"otherNumber": number}, "topic": "OTHER", "text": "Вопрос"}}
    )

    assert codes(result["createAppeal"]) == [("INVALID_INPUT", ["input", "target"])]
    assert await state(runtime) == before


async def test_a_target_needs_exactly_one_of_an_object_and_a_number(
    runtime: Runtime, gql: GraphQLClient, people: Conversation
) -> None:
    before = await state(runtime)
    both = {"objectId": global_id("PersonalAccount", people.account.id), "otherNumber": "1"}

    bodies = [
        await gql.as_token(people.customer_token).post(
            CREATE_APPEAL, {"input": {"target": target, "topic": "OTHER", "text": "Вопрос"}}
        )
        for target in (both, {})
    ]

    assert [body["data"] for body in bodies] == [None, None]
    assert all("exactly one key" in body["errors"][0]["message"] for body in bodies)
    assert await state(runtime) == before


async def test_messages_to_a_missing_appeal_are_refused(
    runtime: Runtime, gql: GraphQLClient, people: Conversation
) -> None:
    before = await state(runtime)

    for appeal_id in (appeal_gid(999_999_999), global_id("PersonalAccount", people.account.id)):
        result = await gql.as_token(people.customer_token).execute(
            POST_MESSAGE, {"input": {"appealId": appeal_id, "text": "Вопрос"}}
        )
        assert codes(result["postAppealMessage"]) == [("NOT_FOUND", ["input", "appealId"])]
    assert await state(runtime) == before
