"""Runs a query's plan with graphql-core's answer: data, errors, paths, locations, null propagation, field order.

What is at hand is completed at once, depth first, as graphql-core does (so errors come in its order): plain fields
are read by their getter (no info, no awaitable check, no completion dispatch), resolvers get the very
`GraphQLResolveInfo` graphql-core would build (path included: strawberry's wrapper, permission classes and
`info.selected_fields` work unchanged). An awaitable holds its key's place and waits for the round: all the
awaitables found are gathered together, then their values are completed the same way, and so on; a level's
dataloader loads therefore batch as they do under graphql-core.

Each object and list of the answer is a `_Node`: where it sits (container[key]), whether that place may be null, its
path. An error at a non-null position nulls the nearest nullable node above and is recorded there in graphql-core's
own `CollectedErrors`, which also drops later errors under a nulled position, as graphql-core does.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError, located_error
from graphql.execution.collect_fields import FieldDetails
from graphql.execution.executor import Executor, invalid_return_type_error
from graphql.pyutils import Path, Undefined, is_iterable
from strawberry.types.cast import TYPE_CAST_ATTRIBUTE

from loaders.sql_trees import RESOLVE, SqlTrees
from schema.core.compiled.awaiting import gather
from schema.core.compiled.generated import SETTLED, settle
from schema.core.compiled.plan import LEAF, OBJECT, FieldPlan, ObjectPlan, ValuePlan, arguments_of
from schema.core.compiled.prefetched import NOT_PREFETCHED
from schema.core.compiled.sql_tree import SqlTree


class _Answered:
    """A subtree PostgreSQL built (sql_tree.py): already the answer, put in place as it is."""

    __slots__ = ("data",)

    def __init__(self, data: Any) -> None:
        self.data = data


class _Node:
    """An object or a list of the answer."""

    __slots__ = ("container", "key", "nullable", "parent", "path")

    def __init__(self, parent: _Node | None, container: Any, key: Any, nullable: bool, path: Path | None) -> None:
        self.parent = parent
        self.container = container
        self.key = key
        self.nullable = nullable
        self.path = path


_Pending = tuple[ValuePlan, Any, Any, Any, _Node, Path]  # (value plan, awaitable, container, key, owner, path)


_REFUSED = object()  # a tree whose arguments its statement cannot take: the field's resolver answers


class Run:
    __slots__ = (
        "arguments",
        "bound",
        "converted",
        "data_nulled",
        "errors",
        "executor",
        "is_awaitable",
        "nulled",
        "pending",
    )

    def __init__(self, executor: Executor[Any]) -> None:
        self.executor = executor
        self.errors = executor.collected_errors
        self.is_awaitable = executor.is_awaitable
        self.pending: list[_Pending] = []
        self.arguments: dict[int, dict[str, Any]] = {}  # arguments read from variables, coerced once per request
        self.converted: dict[int, dict[str, Any]] = {}  # arguments as Python values, for direct resolvers (direct.py)
        self.bound: dict[int, Any] = {}  # SQL trees with this request's arguments as parameters, once per tree
        self.nulled = False  # some position was nulled: pending values are checked before they complete
        self.data_nulled = False

    async def execute(self, plan: ObjectPlan, root_value: Any) -> dict[str, Any] | None:
        data: dict[str, Any] = {}
        plan.execute(self, root_value, _Node(None, None, None, False, None), data)
        while self.pending:
            await self.settle()
        return None if self.data_nulled else data

    async def settle(self) -> None:
        """Await this round's values together, then complete them (which may find the next round's)."""
        pending, self.pending = self.pending, []
        results = await gather([item[1] for item in pending])
        errors = self.errors
        for (plan, _, container, key, owner, path), result in zip(pending, results, strict=True):
            if isinstance(result, BaseException) and not isinstance(result, Exception):
                raise result  # cancellation
            if self.nulled and errors.has_nulled_position(owner.path):
                continue  # graphql-core cancels what runs under a nulled position
            self.complete(plan, result, container, key, owner, path.prev, path.key, path.typename, path)

    def field(self, field: FieldPlan, source: Any, node: _Node, result: dict[str, Any]) -> _Node | None:
        """One field of an object into `result`: the node a non-null error nulled (this one or above), else None."""
        key = field.response_name
        typename = field.parent_type.name
        getter = field.getter
        path: Path | None = None
        if getter is not None:
            try:
                value = getter(source)
            except Exception as error:  # noqa: BLE001 - the field's error, as graphql-core reports it
                return self.fail(field.value, error, result, key, node, Path(node.path, key, typename))
        elif field.typename is not None:
            result[key] = typename
            return None
        else:
            prefetched = field.prefetched
            if prefetched is not None:  # a resolver whose value its source may carry already (prefetched.py)
                try:
                    value = prefetched(source)
                except Exception as error:  # noqa: BLE001 - the field's error, as the resolver would raise it
                    return self.fail(field.value, error, result, key, node, Path(node.path, key, typename))
                if value is not NOT_PREFETCHED:
                    return self.complete(field.value, value, result, key, node, node.path, key, typename, None)
            path = Path(node.path, key, typename)
            sql = field.sql
            if sql is not None:
                if sql.parent_key is not None:
                    parent = getattr(source, sql.parent_key, None)
                else:  # the viewer's own customer (`me`); anonymous: the resolver refuses
                    viewer = getattr(self.executor.context_value, "viewer", None)
                    parent = viewer.customer_id if viewer is not None else None
                if sql.producers:
                    sql = self.bind(sql)
                if parent.__class__ is int and sql is not None:
                    result[key] = None  # holds the key's place in the selection's order
                    self.pending.append(
                        (field.value, self.answer(sql, parent, field, source, path), result, key, node, path)
                    )
                    return None
            try:
                value = self.resolve(field, source, path)
            except Exception as error:  # noqa: BLE001 - the field's error, as graphql-core reports it
                return self.fail(field.value, error, result, key, node, path)
            if self.is_awaitable(value):
                result[key] = None  # holds the key's place in the selection's order
                self.pending.append((field.value, value, result, key, node, path))
                return None
        return self.complete(field.value, value, result, key, node, node.path, key, typename, path)

    def bind(self, sql: SqlTree) -> SqlTree | None:
        """The tree with this request's arguments (once per request); None when its resolver must answer them."""
        bound = self.bound.get(id(sql), _REFUSED)
        if bound is _REFUSED:
            try:
                bound = sql.bound(self.executor)
            except Exception:  # noqa: BLE001 - arguments the resolver refuses (its error) or reads itself (`after`)
                bound = None
            self.bound[id(sql)] = bound
        return bound  # type: ignore[no-any-return]

    async def answer(self, sql: SqlTree, parent: int, field: FieldPlan, source: Any, path: Path) -> Any:
        """The field's subtree from its statement; resolved the ordinary way when the statement could not answer."""
        data = await self.executor.context_value.loaders.get(SqlTrees).load((sql, parent))
        if data is not RESOLVE:
            return _Answered(data)
        value = self.resolve(field, source, path)
        return (await value) if self.is_awaitable(value) else value

    def resolve(self, field: FieldPlan, source: Any, path: Path) -> Any:
        executor = self.executor
        arguments = field.arguments
        if arguments.__class__ is not dict:
            cached = self.arguments.get(id(field))
            if cached is None:
                cached = self.arguments[id(field)] = arguments_of(field, executor)
            arguments = cached
        info = executor.build_resolve_info(field.field_def, field.nodes, field.parent_type, path)
        direct = field.direct
        if direct is not None:  # strawberry's wrapper would only convert the arguments and call it (direct.py)
            convert = direct.convert
            if convert is None:
                return direct.call(source, info, None)
            converted = self.converted.get(id(field))
            if converted is None:  # once per request and field; an error is the field's, at every call
                converted = self.converted[id(field)] = convert(arguments)
            return direct.call(source, info, converted)
        resolve = field.resolve or executor.field_resolver
        return resolve(source, info, **arguments)

    def complete(  # noqa: PLR0917 - positional: called for every value of the answer
        self,
        plan: ValuePlan,
        value: Any,
        container: Any,
        key: Any,
        owner: _Node,
        prev: Path | None,
        path_key: Any,
        typename: str | None,
        path: Path | None,
    ) -> _Node | None:
        """Put the completed value at container[key]; the node a non-null error nulled (owner or above), else None.

        The path is built only when needed (`prev`, `path_key`, `typename` make it)."""
        if value is None or value is Undefined:
            if plan.non_null:
                error = TypeError(plan.null_message)
                return self.fail(plan, error, container, key, owner, path or Path(prev, path_key, typename))
            container[key] = None
            return None
        cls = value.__class__
        if cls not in SETTLED:
            if cls is _Answered:
                container[key] = value.data
                return None
            if isinstance(value, Exception):
                return self.fail(plan, value, container, key, owner, path or Path(prev, path_key, typename))
            if self.is_awaitable(value):  # read by a plain getter (resolvers' awaitables were put aside already)
                self.wait(plan, value, container, key, owner, path or Path(prev, path_key, typename))
                return None
            settle(cls)
        kind = plan.kind
        if kind == LEAF:
            try:
                coerced = plan.coerce(value)  # type: ignore[misc]
                if coerced is None or coerced is Undefined:
                    Executor.complete_leaf_value(plan.type, value)  # raises graphql-core's own error
            except Exception as error:  # noqa: BLE001 - the field's error, as graphql-core reports it
                return self.fail(plan, error, container, key, owner, path or Path(prev, path_key, typename))
            container[key] = coerced
            return None
        if path is None:
            path = Path(prev, path_key, typename)
        if kind == OBJECT:
            object_plan = plan.object
            assert object_plan is not None
            if object_plan.is_type_of is not None and not object_plan.accepts(value):
                invalid = invalid_return_type_error(plan.type, value, [FieldDetails(node, None) for node in plan.nodes])
                return self.fail(plan, invalid, container, key, owner, path)
            result: dict[str, Any] = {}
            container[key] = result
            node = _Node(owner, container, key, not plan.non_null, path)
            # The object's fields: its plain leaves inline (generated.py), the others through `field`.
            nulled = object_plan.execute(self, value, node, result)
            return None if nulled is None or nulled is node else nulled
        return self.complete_list(plan, value, container, key, owner, path)

    def wait(  # noqa: PLR0917 - positional, like `complete`
        self, plan: ValuePlan, value: Any, container: Any, key: Any, owner: _Node, path: Path
    ) -> None:
        container[key] = None  # holds the key's place in the selection's order
        self.pending.append((plan, value, container, key, owner, path))

    def complete_list(  # noqa: PLR0917 - positional: called for every list of the answer
        self, plan: ValuePlan, value: Any, container: Any, key: Any, owner: _Node, path: Path
    ) -> _Node | None:
        if value.__class__ is not list and not is_iterable(value):  # a list is: no ABC check for the usual case
            error = GraphQLError(f"Expected Iterable, but did not find one for field '{plan.field}'.")
            return self.fail(plan, error, container, key, owner, path)
        items = list(value)
        container[key] = items
        node = _Node(owner, container, key, not plan.non_null, path)
        item_plan = plan.item
        assert item_plan is not None
        complete = self.complete
        object_plan = item_plan.object
        if object_plan is None:
            # `complete` puts an awaitable item aside itself, at the same place and path.
            for index, item in enumerate(items):
                nulled = complete(item_plan, item, items, index, node, path, index, None, None)
                if nulled is not None:
                    return None if nulled is node else nulled  # graphql-core stops completing the list here too
            return None
        # A list of objects: an item of a class already seen (neither awaitable nor an exception) that is of the type
        # is completed here, the way `complete` completes it; anything else (null, an error, an awaitable, another
        # class, one `is_type_of` refuses) goes through `complete` itself.
        checks_type = object_plan.is_type_of is not None
        accepted = object_plan.accepted  # classes `is_type_of` accepted (plan.py): an uncast instance is of the type
        execute = object_plan.execute
        nullable = not item_plan.non_null
        for index, item in enumerate(items):
            cls = item.__class__
            if (
                item is None
                or cls not in SETTLED
                or (checks_type and (cls not in accepted or getattr(item, TYPE_CAST_ATTRIBUTE, None) is not None))
            ):
                nulled = complete(item_plan, item, items, index, node, path, index, None, None)
            else:
                result: dict[str, Any] = {}
                items[index] = result
                child = _Node(node, items, index, nullable, Path(path, index, None))
                nulled = execute(self, item, child, result)
                if nulled is child:
                    nulled = None
            if nulled is not None:
                return None if nulled is node else nulled  # graphql-core stops completing the list here too
        return None

    def fail(  # noqa: PLR0917 - positional, like `complete`
        self, plan: ValuePlan, raw: Exception, container: Any, key: Any, owner: _Node, path: Path
    ) -> _Node | None:
        """A field error at container[key]: null there if it may be null, else null the nearest nullable node above
        (the whole data at the root); the node nulled, or None."""
        error = located_error(raw, plan.nodes, path.as_list())
        if not plan.non_null:
            container[key] = None
            self.errors.add(error, path)
            return None
        self.nulled = True
        node = owner
        while not node.nullable:
            if node.parent is None:  # the root: the data itself is null
                self.data_nulled = True
                self.errors.add(error, None)
                return node
            node = node.parent
        node.container[node.key] = None
        self.errors.add(error, node.path)
        return node
