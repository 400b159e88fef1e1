"""The compiled path of queries (schema/core/compiled/) answers exactly as graphql-core: data, errors, paths, locations.

A small schema with what the plan must get right: fragments, aliases, @skip/@include from variables, arguments from
literals and variables, non-null errors nulling the right parent, a list with a failing item, permission classes,
dataloaders batching per level; and what must leave the plan for graphql-core (introspection, abstract types,
mutations, a resolve-hook extension). Each query runs through both execution contexts and must answer the same.
The whole suite compares its queries too (tests/support/graphql.py).
"""

from __future__ import annotations

import asyncio
import copy
import enum
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, NewType

import pytest
import strawberry
from aiodataloader import DataLoader
from graphql import MiddlewareManager, parse
from strawberry.extensions import SchemaExtension
from strawberry.permission import BasePermission
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types import Info
from strawberry.types.nodes import SelectedField

from models.enums import Role
from schema.core.analyst_masking import mask_strings_for_analysts
from schema.core.compiled import direct as direct_module
from schema.core.compiled.executor import CompiledExecutionContext
from schema.core.compiled.plan import plan_for
from schema.core.compiled.prefetched import NOT_PREFETCHED, read_when_prefetched
from schema.core.execution import EXECUTOR_SLOTS
from schema.core.fast_fields import read_basic_fields_directly
from services.auth_tokens import Viewer


class Refused(BasePermission):
    message = "Недостаточно прав"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return bool(info.context.get("staff"))


@strawberry.type
class Reading:
    value: int
    note: str | None

    @strawberry.field
    def strict(self) -> int:
        if self.value < 0:
            raise ValueError("negative reading")
        return self.value


class Zone(enum.Enum):
    DAY = "DAY"
    NIGHT = "NIGHT"


@strawberry.input
class Window:
    first: int
    zone: Zone | None = None


_resolved_values: list[int] = []  # row ids of the meters whose `values` resolver ran


def _prefetched_values(meter: Meter) -> Any:
    """Even meters carry their values (as if a parent prefetched them); the meter 91 cannot be read."""
    if meter.row_id == 91:
        raise ValueError("an unreadable meter")
    return NOT_PREFETCHED if meter.row_id % 2 else [meter.row_id, -meter.row_id]


@strawberry.type
class Meter:
    serial: str
    row_id: strawberry.Private[int]

    @strawberry.field
    @read_when_prefetched(_prefetched_values)
    def values(self, info: Info) -> list[int] | None:
        _resolved_values.append(self.row_id)
        prefetched = _prefetched_values(self)
        if prefetched is not NOT_PREFETCHED:
            return prefetched  # type: ignore[no-any-return]

        async def load() -> list[int]:
            return await info.context["loader"].load(self.row_id)  # type: ignore[no-any-return]

        return load()  # type: ignore[return-value]

    @strawberry.field
    def window(self, window: Window, tag: strawberry.relay.GlobalID | None = None) -> str | None:
        if window.first < 0:
            raise ValueError("a negative window")
        zone = window.zone.value if window.zone is not None else "-"
        return f"{self.serial}:{window.first}:{zone}:{tag.node_id if tag is not None else '-'}"

    @strawberry.field
    async def readings(self, info: Info, last: int = 2) -> list[Reading]:
        values = await info.context["loader"].load(self.row_id)
        return [Reading(value=value, note=None if value % 2 else f"n{value}") for value in values[-last:]]

    @strawberry.field
    def broken_list(self) -> list[Reading | None]:
        return [Reading(value=1, note="a"), None, Reading(value=-1, note="b")]

    @strawberry.field
    def strict_list(self) -> list[Reading] | None:
        return [Reading(value=2, note="a"), Reading(value=-3, note="b")]

    @strawberry.field
    def must(self) -> str:
        return None  # type: ignore[return-value]

    @strawberry.field(permission_classes=[Refused])  # type: ignore[untyped-decorator]
    def secret(self) -> str:
        return "secret"

    @strawberry.field
    def path(self, info: Info) -> str:
        return ".".join(map(str, info.path.as_list()))

    @strawberry.field
    async def first_reading(self, info: Info) -> Reading:
        values = await info.context["loader"].load(self.row_id)
        return Reading(value=-values[0], note=None)

    @strawberry.field
    def selected(self, info: Info) -> list[str]:
        return [field.name for field in info.selected_fields if isinstance(field, SelectedField)]


@strawberry.type
class Owner:
    name: str
    meters: list[Meter]

    @strawberry.field
    def strict_meter(self) -> Meter:
        return self.meters[0]


class _Later:
    """An awaitable stored on an object, read by a plain getter: graphql-core awaits it."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __await__(self) -> Any:
        return self._value().__await__()

    async def _value(self) -> Any:
        return self.value


Money = NewType("Money", int)


@strawberry.type
class Leaves:
    """Plain leaves of every kind the generated functions read inline, and values they must leave to completion."""

    text: str
    maybe_text: str | None
    number: int
    maybe_number: int | None
    flag: bool
    maybe_flag: bool | None
    zone: Zone
    maybe_zone: Zone | None
    money: Money
    day: date | None
    ident: strawberry.ID


def _leaves(kind: str) -> Leaves:
    class Text(str):
        pass

    values: dict[str, dict[str, Any]] = {
        "clean": {},
        "nulls": {"maybe_text": None, "maybe_number": None, "maybe_flag": None, "maybe_zone": None, "day": None},
        "coerced": {"text": 7, "number": True, "flag": 0, "maybe_text": Text("sub"), "ident": 12, "money": 2**40},
        "wrong": {"number": 2**31, "maybe_number": "x", "maybe_zone": "DAY", "maybe_flag": "yes"},
        "null in non-null": {"zone": None},
    }
    clean: dict[str, Any] = {
        "text": "t",
        "maybe_text": "m",
        "number": 2**31 - 1,
        "maybe_number": -(2**31),
        "flag": False,
        "maybe_flag": True,
        "zone": Zone.NIGHT,
        "maybe_zone": Zone.DAY,
        "money": 5,
        "day": date(2026, 1, 31),
        "ident": "id-1",
    }
    return Leaves(**{**clean, **values[kind]})


@strawberry.interface
class Named:
    name: str


@strawberry.type
class Person(Named):
    age: int


@strawberry.type
class Robot(Named):
    serial: str


@strawberry.type
class Query:
    @strawberry.field
    def owners(self, first: int = 10) -> list[Owner]:
        return [
            Owner(name=f"owner {index}", meters=[Meter(serial=f"{index}-{n}", row_id=index * 10 + n) for n in range(2)])
            for index in range(first)
        ]

    @strawberry.field
    def owner(self) -> Owner | None:
        return Owner(name="single", meters=[Meter(serial="s", row_id=1)])

    @strawberry.field
    def later(self) -> Owner:
        return Owner(name=_Later("later"), meters=_Later([Meter(serial=_Later("s"), row_id=1)]))  # type: ignore[arg-type]

    @strawberry.field
    def echo(self, text: str, times: int = 1) -> str:
        return text * times

    @strawberry.field
    def named(self) -> Named:
        return Person(name="p", age=3)

    @strawberry.field
    def people(self) -> list[Person | None]:
        """Persons as is_type_of sees them: accepted, then one of the same class cast to another type, then a robot."""
        cast = strawberry.cast(Robot, Person(name="cast", age=2))
        return [Person(name="a", age=1), cast, Person(name="c", age=3), Robot(name="r", serial="x")]  # type: ignore[list-item]

    @strawberry.field
    def person(self, cast: bool) -> Person | None:
        person = Person(name="p", age=4)
        return strawberry.cast(Robot, person) if cast else person

    @strawberry.field
    def leaves(self, kind: str) -> list[Leaves | None]:
        return [_leaves(kind), _leaves("clean")]


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self) -> int:
        return 1


def _schema(context: type[Any], extensions: tuple[Any, ...] = ()) -> strawberry.Schema:
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        types=[Person],
        execution_context_class=context,
        extensions=list(extensions),
        config=StrawberryConfig(scalar_map={Money: strawberry.scalar(name="Money", serialize=int, parse_value=int)}),
    )
    read_basic_fields_directly(schema)
    return schema


def _loader(batches: list[list[int]]) -> DataLoader[int, list[int]]:
    async def load(keys: list[int]) -> list[list[int]]:
        batches.append(list(keys))
        await asyncio.sleep(0)
        return [[key, key + 1, key + 2] for key in keys]

    return DataLoader(load)


def _answer(schema: strawberry.Schema, query: str, variables: dict[str, Any] | None = None, **context: Any) -> Any:
    batches: list[list[int]] = []

    async def run() -> Any:
        return await schema.execute(
            query, variable_values=variables, context_value={"loader": _loader(batches), **context}
        )

    result = asyncio.run(run())
    errors = [
        (error.message, error.path, [(loc.line, loc.column) for loc in error.locations or []], error.extensions)
        for error in result.errors or []
    ]
    return result.data, errors, batches


COMPILED = _schema(CompiledExecutionContext)
CORE = _schema(StrawberryGraphQLCoreExecutionContext)


def _same(query: str, variables: dict[str, Any] | None = None, *, planned: bool = True, **context: Any) -> Any:
    """The answer of both paths, which must be equal; `planned`: the compiled path ran it (no fallback)."""
    if planned:
        assert _compiled_plan(COMPILED, query, raw_variable_values=variables) is not None
    compiled = _answer(COMPILED, query, variables, **context)
    assert compiled == _answer(CORE, query, variables, **context)
    return compiled


def test_fragments_inline_fragments_aliases_and_typename() -> None:
    data, errors, _ = _same(
        """
        query Q { owners(first: 2) { ...O m: meters { s: serial ... on Meter { serial __typename } } } __typename }
        fragment O on Owner { name meters { serial } n: name }
        """
    )
    assert not errors
    assert list(data) == ["owners", "__typename"]
    assert list(data["owners"][0]) == ["name", "meters", "n", "m"]
    assert data["owners"][1]["m"][0] == {"s": "1-0", "serial": "1-0", "__typename": "Meter"}


@pytest.mark.parametrize("skip", [True, False])
def test_skip_and_include_follow_the_variables_of_each_request(skip: bool) -> None:
    query = """
        query Q($skip: Boolean!, $include: Boolean!) {
          owner { name @skip(if: $skip) meters @include(if: $include) { serial } ... @skip(if: $include) { n: name } }
        }
    """
    data, errors, _ = _same(query, {"skip": skip, "include": not skip})
    assert not errors
    if skip:
        assert data == {"owner": {"n": "single"}}
    else:
        assert data == {"owner": {"name": "single", "meters": [{"serial": "s"}]}}


def test_each_combination_of_directive_variables_has_a_plan_of_its_own() -> None:
    query = "query Q($s: Boolean!) { owner { name @skip(if: $s) } }"
    for skip in (True, False, True):
        data, _, _ = _same(query, {"s": skip})
        assert data == {"owner": {}} if skip else {"owner": {"name": "single"}}


def test_arguments_from_literals_and_from_variables() -> None:
    data, errors, _ = _same(
        'query Q($t: String!, $n: Int) { a: echo(text: "ab", times: 2) b: echo(text: $t, times: $n) '
        "c: echo(text: $t) }",
        {"t": "x", "n": 3},
    )
    assert not errors
    assert data == {"a": "abab", "b": "xxx", "c": "x"}


def test_is_type_of_refuses_a_cast_instance_of_a_class_it_accepted_before() -> None:
    data, errors, _ = _same("{ people { name age } a: person(cast: false) { name } b: person(cast: true) { name } }")
    assert data == {
        "people": [{"name": "a", "age": 1}, None, {"name": "c", "age": 3}, None],
        "a": {"name": "p"},
        "b": None,
    }
    # The robot passes as a Person (strawberry accepts an instance of the interface), then has no age.
    assert [error[1] for error in errors] == [["people", 1], ["people", 3, "age"], ["b"]]


def test_a_prefetched_value_is_read_off_its_source_and_the_others_resolved() -> None:
    _resolved_values.clear()
    data, errors, batches = _same("{ owners(first: 10) { meters { serial values } } }")
    assert data["owners"][0]["meters"] == [{"serial": "0-0", "values": [0, 0]}, {"serial": "0-1", "values": [1, 2, 3]}]
    assert data["owners"][9]["meters"][1] == {"serial": "9-1", "values": None}  # meter 91: the read's error
    assert [error[1] for error in errors] == [["owners", 9, "meters", 1, "values"]]
    assert batches == [[1, 11, 21, 31, 41, 51, 61, 71, 81]]  # the odd ones, loaded together
    _resolved_values.clear()
    _answer(COMPILED, "{ owners(first: 2) { meters { values } } }")
    assert _resolved_values == [1, 11]  # the compiled path calls the resolver of the others only


def test_a_bad_variable_is_refused_before_anything_runs() -> None:
    data, errors, _ = _same('query Q($n: Int) { echo(text: "a", times: $n) }', {"n": "many"}, planned=False)
    assert data is None
    assert len(errors) == 1


def test_a_null_non_null_field_nulls_its_nearest_nullable_parent_with_the_field_path() -> None:
    data, errors, _ = _same("{ owner { name strictMeter { serial must } } }")
    assert data == {"owner": None}  # strictMeter is non-null too: the null goes up to owner
    assert errors == [
        ("Cannot return null for non-nullable field Meter.must.", ["owner", "strictMeter", "must"], [(1, 37)], {})
    ]


def test_a_null_reaching_the_root_nulls_the_data() -> None:
    data, errors, _ = _same("{ owners(first: 1) { meters { must } } }")
    assert data is None
    assert [error[1] for error in errors] == [["owners", 0, "meters", 0, "must"]]


def test_a_list_of_objects_with_a_failing_item() -> None:
    data, errors, _ = _same("{ owner { meters { brokenList { value strict } strictList { value strict } } } }")
    meter = data["owner"]["meters"][0]
    assert meter["brokenList"] == [{"value": 1, "strict": 1}, None, None]
    assert meter["strictList"] is None  # a non-null item failed: the whole nullable list is null
    assert [error[1] for error in errors] == [
        ["owner", "meters", 0, "brokenList", 2, "strict"],
        ["owner", "meters", 0, "strictList", 1, "strict"],
    ]


def test_a_field_whose_permission_is_refused_and_granted() -> None:
    data, errors, _ = _same("{ owner { meters { serial secret } } }")
    assert data == {"owner": None}  # secret is non-null
    assert errors[0][0] == "Недостаточно прав"
    assert errors[0][1] == ["owner", "meters", 0, "secret"]

    data, errors, _ = _same("{ owner { meters { secret } } }", staff=True)
    assert not errors
    assert data == {"owner": {"meters": [{"secret": "secret"}]}}


def test_awaitables_read_by_plain_getters_are_awaited() -> None:
    data, errors, _ = _same("{ later { name meters { serial } } }")
    assert not errors
    assert data == {"later": {"name": "later", "meters": [{"serial": "s"}]}}


def test_resolvers_read_their_path_and_selection() -> None:
    data, errors, _ = _same("{ owners(first: 2) { meters { path selected } } }")
    assert not errors
    assert data["owners"][1]["meters"][1] == {"path": "owners.1.meters.1.path", "selected": ["selected"]}


def test_dataloaders_batch_a_whole_level_as_under_graphql_core() -> None:
    data, errors, batches = _same("{ owners(first: 3) { meters { readings(last: 2) { value note } } } }")
    assert not errors
    assert batches == [[0, 1, 10, 11, 20, 21]]  # one load for the six meters of the level
    assert data["owners"][2]["meters"][1]["readings"] == [{"value": 22, "note": "n22"}, {"value": 23, "note": None}]


class _ResolveHook(SchemaExtension):
    def resolve(self, _next: Callable[..., Any], root: Any, info: Any, *args: Any, **kwargs: Any) -> Any:
        return _next(root, info, *args, **kwargs)


def _compiled_plan(schema: strawberry.Schema, query: str, **arguments: Any) -> Any:
    executor = CompiledExecutionContext.build(schema._schema, parse(query), **arguments)
    assert isinstance(executor, CompiledExecutionContext)
    return executor._compiled_plan()


@pytest.mark.parametrize(
    "query",
    [
        "{ __schema { queryType { name } } }",
        '{ __type(name: "Owner") { name } }',
        "{ named { name ... on Person { age } } }",
        "mutation { touch }",
    ],
)
def test_what_the_plan_does_not_support_goes_through_graphql_core(query: str) -> None:
    assert _compiled_plan(COMPILED, query) is None
    data, errors, _ = _same(query, planned=False)
    assert data is not None
    assert not errors


def test_a_plain_query_is_planned_once() -> None:
    query = "{ owner { name } }"
    document = parse(query)
    first = CompiledExecutionContext.build(COMPILED._schema, document)
    second = CompiledExecutionContext.build(COMPILED._schema, document)
    assert isinstance(first, CompiledExecutionContext)
    assert isinstance(second, CompiledExecutionContext)
    assert plan_for(first) is not None
    assert plan_for(first) is plan_for(second)


def test_a_resolve_hook_extension_sees_every_field_through_graphql_core() -> None:
    hooked = _schema(CompiledExecutionContext, (_ResolveHook,))

    assert _compiled_plan(hooked, "{ owner { name } }", middleware=MiddlewareManager(_ResolveHook())) is None
    assert _answer(hooked, "{ owner { meters { serial } } }") == _answer(CORE, "{ owner { meters { serial } } }")


LEAVES = (
    "query Q($kind: String!) { leaves(kind: $kind) { text maybeText number maybeNumber flag maybeFlag zone "
    "maybeZone money day ident __typename } }"
)


@pytest.mark.parametrize("kind", ["clean", "nulls", "coerced", "wrong", "null in non-null"])
def test_plain_leaves_read_inline_answer_as_graphql_core(kind: str) -> None:
    data, errors, _ = _same(LEAVES, {"kind": kind})

    assert data["leaves"][1]["zone"] == "NIGHT"
    if kind == "clean":
        assert not errors
        assert data["leaves"][0] == data["leaves"][1]
    if kind == "coerced":
        assert not errors
        assert data["leaves"][0]["number"] == 1
        assert data["leaves"][0]["money"] == 2**40
        assert data["leaves"][0]["ident"] == "12"
    if kind == "wrong":
        assert [error[1] for error in errors] == [
            ["leaves", 0, "number"],  # non-null: the item is nulled, the rest of its fields are not completed
        ]
        assert data["leaves"][0] is None
    if kind == "null in non-null":
        assert data["leaves"][0] is None
        assert errors[0][0] == "Cannot return null for non-nullable field Leaves.zone."


def test_aliases_and_repeated_fields_of_plain_leaves() -> None:
    data, errors, _ = _same(
        '{ leaves(kind: "clean") { a: text b: text text n: maybeNumber ... on Leaves { text zone z: zone } } }'
    )
    assert not errors
    assert list(data["leaves"][0]) == ["a", "b", "text", "n", "zone", "z"]


@strawberry.type
class Note:
    text: str
    customer_id: strawberry.Private[int | None] = None


@strawberry.type
class NotesQuery:
    @strawberry.field
    def notes(self) -> list[Note]:
        return [Note(text="call +7 921 000-00-04"), Note(text="no phone")]  # no Cyrillic: no names are read


@dataclass
class _Context:
    viewer: Viewer | None


def _masked_schema(context: type[Any]) -> strawberry.Schema:
    schema = strawberry.Schema(query=NotesQuery, execution_context_class=context)
    read_basic_fields_directly(schema)
    mask_strings_for_analysts(schema._schema)
    return schema


@pytest.mark.parametrize("role", [Role.ANALYST, Role.CUSTOMER, None])
def test_strings_are_masked_for_analysts_only_and_plain_for_everyone_else(role: Role | None) -> None:
    viewer = (
        None
        if role is None
        else Viewer(customer_id=1, role=role, session_id=uuid.uuid4(), expires_at=datetime(2030, 1, 1, tzinfo=UTC))
    )

    async def answer(context: type[Any]) -> Any:
        result = await _masked_schema(context).execute("{ notes { text } }", context_value=_Context(viewer))
        return result.data, result.errors

    compiled = asyncio.run(answer(CompiledExecutionContext))

    assert compiled == asyncio.run(answer(StrawberryGraphQLCoreExecutionContext))
    texts = [note["text"] for note in compiled[0]["notes"]]
    assert ("+7 921 000-00-04" in texts[0]) is (role is not Role.ANALYST)
    assert texts[1] == "no phone"


def test_resolvers_with_nothing_for_strawberrys_wrapper_to_do_are_called_directly() -> None:
    plan = _compiled_plan(COMPILED, "{ owner { meters { strict: strictList { strict } secret readings { value } } } }")
    meter = plan.fields[0].value.object.fields[0].value.item.object
    direct = {field.name: field.direct is not None for field in meter.fields}

    assert direct == {"strictList": True, "secret": False, "readings": True}  # a permission class


def test_arguments_of_direct_resolvers_are_converted_once_per_request_and_field(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    conversions: list[dict[str, Any]] = []
    from strawberry.types.arguments import convert_arguments as convert

    def counted(coerced: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        conversions.append(dict(coerced))
        return convert(coerced, *args, **kwargs)

    monkeypatch.setattr(direct_module, "convert_arguments", counted)
    query = """
        query Q($w: Window!, $tag: ID) {
          owners(first: 3) { meters {
            a: window(window: $w, tag: $tag) b: window(window: {first: 2}) c: window(window: {first: 2, zone: NIGHT})
            readings(last: 1) { value }
          } }
        }
    """
    variables = {"w": {"first": 1, "zone": "DAY"}, "tag": "TWV0ZXI6Nw=="}  # Meter:7

    data, errors, _ = _same(query, variables)
    compiled_conversions = len(conversions)
    conversions.clear()
    _answer(COMPILED, query, {"w": {"first": 5}, "tag": None})

    assert not errors
    assert data["owners"][2]["meters"][1] == {"a": "2-1:1:DAY:7", "b": "2-1:2:-:-", "c": "2-1:2:NIGHT:-",
                                              "readings": [{"value": 23}]}  # fmt: skip
    assert compiled_conversions == 5  # owners; a, b, c and readings once each for the 6 meters
    assert {"window": {"first": 5, "zone": None}, "tag": None} in conversions  # the next request's own variables


@pytest.mark.parametrize("tag", ["not a global id", "TWV0ZXI6Nw=="])
def test_a_direct_resolvers_argument_or_resolver_error_is_the_fields_at_each_parent(tag: str) -> None:
    data, errors, _ = _same(
        "query Q($tag: ID) { owners(first: 2) { name meters { serial w: window(window: {first: -1}, tag: $tag) } } }",
        {"tag": tag},
    )

    assert [error[1] for error in errors] == [["owners", o, "meters", m, "w"] for o in range(2) for m in range(2)]
    assert data["owners"][1] == {
        "name": "owner 1",
        "meters": [{"serial": "1-0", "w": None}, {"serial": "1-1", "w": None}],
    }


def test_an_async_resolver_called_directly_fails_with_its_path() -> None:
    data, errors, batches = _same("{ owners(first: 2) { meters { firstReading { value strict } } } }")

    assert data is None  # non-null all the way up
    assert errors[0][1] == ["owners", 0, "meters", 1, "firstReading", "strict"]
    assert batches == [[0, 1, 10, 11]]


def test_an_executor_keeps_its_attributes_in_slots_and_its_copies_share_them() -> None:
    """A subscription keeps its executor for its socket's life: no dictionary of its own (issue 15); graphql-core's
    per-event executors and sub-executors are shallow copies."""
    executor = CompiledExecutionContext.build(COMPILED._schema, parse("{ owners(first: 1) { name } }"))
    assert isinstance(executor, CompiledExecutionContext)

    copied = copy.copy(executor)

    assert vars(executor) == {}  # a newer graphql-core's attribute would be here: add it to EXECUTOR_SLOTS
    assert vars(copied) == {}
    for name in EXECUTOR_SLOTS:
        assert getattr(copied, name) is getattr(executor, name)
    per_event = executor.build_per_event_executor({"owners": []})
    assert per_event.root_value == {"owners": []}
    assert executor.root_value is None
    assert per_event.collected_errors is not executor.collected_errors
    assert per_event.background_futures is executor.background_futures  # shared execution state, as before
