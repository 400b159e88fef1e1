"""Checks every request's document and variables pass before validation: one place for what no resolver should
have to think about (issue 13).

- Text PostgreSQL cannot store (NUL, and lone surrogates, which have no UTF-8 form) is refused as BAD_USER_INPUT
  naming the field, in variables (nested inputs, lists, idempotency keys, import rows) and in literals alike;
  nothing runs, so nothing is stored.
- A document with several operations names the one to run (`operationName`), as the GraphQL spec requires.
- At most `MAX_ALIASES` aliased fields (aliases multiply work the cost rule's `first` does not see) and one
  introspection field (`__schema` / `__type`) per document; introspection only where the settings allow it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from graphql import (
    ArgumentNode,
    DocumentNode,
    FieldNode,
    GraphQLError,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    OperationType,
    StringValueNode,
    ValueNode,
    visit,
)
from graphql.language import Visitor
from starlette.websockets import WebSocket
from strawberry.extensions import SchemaExtension

from schema.core.document_memo import DocumentMemo

MAX_ALIASES = 30
INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})
# NUL cannot be stored in PostgreSQL text; lone surrogates cannot be encoded as UTF-8 at all.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _bad_text(message_field: list[str]) -> GraphQLError:
    shown = ".".join(message_field)
    return GraphQLError(
        f"Поле {shown} содержит недопустимый символ (например, нулевой байт). Удалите его и повторите",
        extensions={"code": "BAD_USER_INPUT", "field": message_field},
    )


def unstorable_paths(value: Any, path: list[str]) -> Iterator[list[str]]:
    """The paths of every string in a JSON-like value that holds a character PostgreSQL cannot store."""
    if isinstance(value, str):
        if UNSTORABLE.search(value):
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from unstorable_paths(key, [*path, str(key)])
            yield from unstorable_paths(item, [*path, str(key)])
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from unstorable_paths(item, [*path, str(index)])


def _literal_paths(value: ValueNode, path: list[str]) -> Iterator[list[str]]:
    if isinstance(value, StringValueNode):
        if UNSTORABLE.search(value.value):
            yield path
    elif isinstance(value, ObjectValueNode):
        for field in value.fields:
            yield from _literal_paths(field.value, [*path, field.name.value])
    elif isinstance(value, ListValueNode):
        for index, item in enumerate(value.values):
            yield from _literal_paths(item, [*path, str(index)])


class _Census(Visitor):
    """Aliases, introspection fields and unstorable literals of a document, in one walk."""

    def __init__(self) -> None:
        super().__init__()
        self.aliases = 0
        self.introspection = 0
        self.bad_literals: list[list[str]] = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        if node.alias is not None:
            self.aliases += 1
        if node.name.value in INTROSPECTION_FIELDS:
            self.introspection += 1

    def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
        self.bad_literals.extend(_literal_paths(node.value, [node.name.value]))


@dataclass(frozen=True, slots=True)
class _Counted:
    """What `_Census` found in a document: the same for every request with that document."""

    aliases: int
    introspection: int
    bad_literals: tuple[tuple[str, ...], ...]


_CENSUSES: DocumentMemo[_Counted] = DocumentMemo()


def _counted(document: DocumentNode) -> _Counted:
    census = _Census()
    visit(document, census)
    return _Counted(census.aliases, census.introspection, tuple(tuple(path) for path in census.bad_literals))


def document_problems(
    document: DocumentNode, *, operation_name: str | None, variables: dict[str, Any] | None, introspection: bool
) -> list[GraphQLError]:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) > 1 and not operation_name:
        return [
            GraphQLError(
                "В документе несколько операций: укажите operationName",
                extensions={"code": "OPERATION_RESOLUTION_FAILURE"},
            )
        ]
    problems = [_bad_text(path) for path in unstorable_paths(variables or {}, [])]
    census = _CENSUSES.get((document,), None, lambda: _counted(document))  # walked once per document
    problems += [_bad_text(list(path)) for path in census.bad_literals]
    if census.aliases > MAX_ALIASES:
        problems.append(
            GraphQLError(
                f"Слишком много псевдонимов (alias) в запросе: {census.aliases} при пределе {MAX_ALIASES}",
                extensions={"code": "QUERY_TOO_COMPLEX"},
            )
        )
    if census.introspection and not introspection:
        problems.append(GraphQLError("Интроспекция схемы отключена", extensions={"code": "INTROSPECTION_DISABLED"}))
    elif census.introspection > 1:
        problems.append(
            GraphQLError(
                "Не больше одного поля __schema или __type в запросе", extensions={"code": "QUERY_TOO_COMPLEX"}
            )
        )
    return problems


def _subscription_over_http(document: DocumentNode, operation_name: str | None, context: Any) -> bool:
    """A subscription sent in an HTTP request: executed there, its root field would have no event to answer."""
    if isinstance(getattr(context, "request", None), WebSocket):
        return False
    return any(
        isinstance(d, OperationDefinitionNode)
        and d.operation is OperationType.SUBSCRIPTION
        and (operation_name is None or (d.name is not None and d.name.value == operation_name))
        for d in document.definitions
    )


class RequestGuards(SchemaExtension):
    """Runs `document_problems` after parsing; any problem answers instead of validation and execution."""

    def on_validate(self) -> Iterator[None]:
        execution = self.execution_context
        document = execution.graphql_document
        if document is not None:
            runtime = getattr(execution.context, "runtime", None)
            introspection = runtime.settings.introspection_enabled if runtime is not None else True
            problems = document_problems(
                document,
                operation_name=execution._provided_operation_name,  # what the client sent, not the guess
                variables=execution.variables,
                introspection=introspection,
            )
            if _subscription_over_http(document, execution._provided_operation_name, execution.context):
                problems.append(
                    GraphQLError(
                        "Подписки (subscription) работают только через websocket по протоколу graphql-transport-ws "
                        "на том же адресе /graphql",
                        extensions={"code": "SUBSCRIPTION_OVER_HTTP"},
                    )
                )
            if problems:
                execution.pre_execution_errors = problems  # validation sees them there and does not run
        yield
