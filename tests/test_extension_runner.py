"""The planned extension runner (schema/core/extension_runner.py) enters and leaves hooks exactly as strawberry's:
same order, same nesting, each kind of hook (generator, async generator, plain and coroutine function), results and
errors; and it looks at each class once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from schema.core import extension_runner
from schema.core.build import Schema


@strawberry.type
class Query:
    @strawberry.field
    def hello(self, name: str = "мир") -> str:
        return f"привет, {name}"

    @strawberry.field
    def broken(self) -> str:
        raise ValueError("сломано")


def recording(log: list[str]) -> list[type[SchemaExtension]]:
    class Generators(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            log.append("gen operation >")
            yield
            log.append("gen operation <")

        def on_parse(self) -> Iterator[None]:
            log.append("gen parse >")
            yield
            log.append("gen parse <")

    class AsyncGenerators(SchemaExtension):
        async def on_validate(self) -> AsyncIterator[None]:
            log.append("agen validate >")
            yield
            log.append("agen validate <")

        async def on_execute(self) -> AsyncIterator[None]:
            log.append("agen execute >")
            yield
            log.append("agen execute <")

        def get_results(self) -> dict[str, Any]:
            return {"seen": len(log)}

    class Plain(SchemaExtension):
        def on_execute(self) -> None:  # type: ignore[override]
            log.append("plain execute")

        async def on_operation(self) -> None:  # type: ignore[override]
            log.append("coroutine operation")

    return [Generators, AsyncGenerators, Plain]


@pytest.mark.parametrize(
    "query",
    ['{ hello(name: "ЛК") }', "{ broken }", "{ nope }", "{ hello(", "query A { hello } query B { hello }"],
)
async def test_hooks_run_as_under_strawberrys_runner(query: str) -> None:
    theirs: list[str] = []
    ours: list[str] = []
    reference = strawberry.Schema(query=Query, extensions=recording(theirs))
    planned = Schema(query=Query, extensions=recording(ours))

    expected = await reference.execute(query)
    got = await planned.execute(query)

    assert ours == theirs
    assert got.data == expected.data
    assert [str(error) for error in got.errors or []] == [str(error) for error in expected.errors or []]
    assert got.extensions == expected.extensions


async def test_an_error_in_a_hook_propagates_the_same_way() -> None:
    class Refusing(SchemaExtension):
        def on_execute(self) -> Iterator[None]:
            raise RuntimeError("нельзя")
            yield  # pragma: no cover

    reference = strawberry.Schema(query=Query, extensions=[Refusing])
    planned = Schema(query=Query, extensions=[Refusing])
    expected = await reference.execute("{ hello }")
    got = await planned.execute("{ hello }")
    assert [str(error) for error in got.errors or []] == [str(error) for error in expected.errors or []] == ["нельзя"]


async def test_each_class_is_looked_at_once_per_stage() -> None:
    log: list[str] = []
    extensions = recording(log)
    planned = Schema(query=Query, extensions=extensions)
    await planned.execute("{ hello }")
    planned_keys = {key for key in extension_runner._plans if key[0] in extensions}
    await planned.execute("{ hello }")
    assert {key for key in extension_runner._plans if key[0] in extensions} == planned_keys
    assert len(planned_keys) == len(extensions) * 4  # operation, parse, validate, execute: each class once
