"""An object plan's fields as one generated function: the loop over fields unrolled, each plain field read inline.

Most values of an answer are scalars read straight off their parent (`serial`, `takenOn`, `amount` …). Run through a
loop, each pays for loading its plan's attributes, a dispatch on its kind, a getter call and a coercion call; unrolled
into one function per object plan (built once, with the plan), a plain field is an attribute read, a class check and
a store. For exactly the values whose coerced form is the value itself (a `str` for String and ID, a `bool` for
Boolean, an `int` in range for Int, an `int` for a scalar serialized by `int`, a member of a strawberry enum) and
for null of a nullable field; every other value goes to `Run.complete`, the way the loop sent it, so answers and
errors stay graphql-core's (`run.py`). Fields with resolvers go to `Run.field` unchanged.

The generated source names only the plan's own objects (bound as constants) and attribute names that are Python
identifiers; anything else is read through its getter.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from types import GeneratorType
from typing import TYPE_CHECKING, Any

from graphql import GraphQLBoolean, GraphQLID, GraphQLInt, GraphQLString
from graphql.pyutils import Path, Undefined

if TYPE_CHECKING:
    from schema.core.compiled.plan import FieldPlan, ObjectPlan, ValuePlan

# Classes whose instances were found to be neither awaitable nor an exception: their values skip both checks.
SETTLED: set[type] = {str, int, float, bool, list, tuple, dict}
_SETTLED_KEPT = 4096

# Scalars whose coercion answers a value of exactly this class unchanged (graphql-core's serialize_* functions).
_UNCHANGED: dict[Any, str] = {
    GraphQLString: "v.__class__ is str",
    GraphQLID: "v.__class__ is str",
    GraphQLBoolean: "v.__class__ is bool",
    GraphQLInt: "v.__class__ is int and -2147483648 <= v <= 2147483647",
}

ObjectFunction = Callable[[Any, Any, Any, dict[str, Any]], Any]  # (run, source, node, result) → the node nulled


def settle(cls: type) -> None:
    if cls is not GeneratorType and len(SETTLED) < _SETTLED_KEPT:  # a generator may be an awaitable one
        SETTLED.add(cls)


def _unchanged(plan: ValuePlan) -> str | None:
    """A condition on `v` under which the field's coerced value is `v` itself; None when there is none."""
    condition = _UNCHANGED.get(plan.type)
    if condition is not None:
        return condition
    if getattr(plan.type, "coerce_output_value", None) is int:  # Kopecks, KilowattHours … (schema/core/scalars.py)
        return "v.__class__ is int"
    return None


def _read(field: FieldPlan, name: str) -> str:
    attribute = field.attribute
    if attribute is not None and attribute.isidentifier() and not keyword.iskeyword(attribute):
        return f"source.{attribute}"
    return f"{name}_get(source)"


def _leaf(field: FieldPlan, name: str, constants: dict[str, Any]) -> list[str]:
    """The lines reading and storing one plain leaf field (`name`: the prefix of its constants)."""
    plan = field.value
    constants[f"{name}_get"] = field.getter
    constants[f"{name}_value"] = plan
    constants[f"{name}_key"] = field.response_name
    store = f"result[{name}_key] = "
    complete = [
        f"        n = run.complete({name}_value, v, result, {name}_key, node, node.path, {name}_key, typename, None)",
        "        if n is not None:",
        "            return n",
    ]
    lines = [
        "    try:",
        f"        v = {_read(field, name)}",
        "    except Exception as error:",
        f"        n = run.fail({name}_value, error, result, {name}_key, node, Path(node.path, {name}_key, typename))",
        "        if n is not None:",
        "            return n",
        "    else:",
    ]
    unchanged = _unchanged(plan)
    names = plan.enum_names
    if unchanged is not None:
        lines += [f"        if {unchanged}:", f"            {store}v"]
    elif names is not None:
        constants[f"{name}_names"], constants[f"{name}_enum"] = names
        lines += [
            f"        c = {name}_names.get(v) if v.__class__ is {name}_enum else None",
            "        if c is not None:",
            f"            {store}c",
        ]
    else:
        constants[f"{name}_coerce"] = plan.coerce
        lines += [
            "        c = None",
            "        if v.__class__ in SETTLED:",
            "            try:",
            f"                c = {name}_coerce(v)",
            "            except Exception:",
            "                c = None",
            "        if c is not None and c is not Undefined:",
            f"            {store}c",
        ]
    if not plan.non_null:
        lines += ["        elif v is None:", f"            {store}None"]
    lines += ["        else:", *("    " + line for line in complete)]
    return lines


def object_function(plan: ObjectPlan) -> ObjectFunction:
    """The function filling `result` with the object's fields, in the selection's order: the node a non-null error
    nulled (this one or above), else None."""
    constants: dict[str, Any] = {"Path": Path, "Undefined": Undefined, "SETTLED": SETTLED, "typename": plan.name}
    body: list[str] = []
    for index, field in enumerate(plan.fields):
        name = f"f{index}"
        if field.typename is not None:
            constants[f"{name}_key"] = field.response_name
            body.append(f"    result[{name}_key] = typename")
        elif field.getter is not None and field.value.kind == 0:  # LEAF
            body += _leaf(field, name, constants)
        else:
            constants[name] = field
            body += [f"    n = run.field({name}, source, node, result)", "    if n is not None:", "        return n"]
    source = "\n".join(["def execute(run, source, node, result):", *body, "    return None"])
    namespace: dict[str, Any] = dict(constants)
    exec(compile(source, f"<plan of {plan.name}>", "exec"), namespace)  # our own source; the constants are bound
    function: ObjectFunction = namespace["execute"]
    return function
