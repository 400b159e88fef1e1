"""The guard in front of the GraphQL endpoint refuses oversized bodies before reading them."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from schema.core.http_guard import MAX_BODY_BYTES, guarded


async def test_a_body_declared_larger_than_the_cap_is_refused_unread() -> None:
    # given
    sent: list[MutableMapping[str, Any]] = []
    reached: list[bool] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        reached.append(True)

    async def receive() -> dict[str, Any]:
        raise AssertionError("the body must not be read")

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "headers": [(b"content-type", b"application/json"), (b"content-length", str(MAX_BODY_BYTES + 1).encode())],
    }

    # when
    await guarded(app, scope, receive, send)

    # then
    assert reached == []
    assert sent[0]["status"] == 413


async def test_a_streamed_body_past_the_cap_is_cut_off() -> None:
    # given: no content length, chunks of 1 MB
    sent: list[MutableMapping[str, Any]] = []
    chunk = b"x" * (1024 * 1024)

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive())["more_body"]:
            pass

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "method": "POST", "headers": [(b"content-type", b"application/json")]}

    # when
    await guarded(app, scope, receive, send)

    # then
    assert sent[0]["status"] == 413
