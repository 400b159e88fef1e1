"""The compiled execution path of queries (issue 15).

A query's plan is built once per validated document, operation and values of the `@skip`/`@include` variables
(`plan.py`): the fields collected by graphql-core's own `collect_fields`, the kind of every position (leaf, object,
list, non-null) resolved ahead, plain getters and resolvers bound, literal arguments coerced. It is run level by
level (`run.py`): every object of a level is resolved, the awaitables of the level are gathered together (so the
dataloaders of a level batch as they did), and the objects they answer form the next level. The answer is
graphql-core's: data, errors with their paths and locations, null propagation, field order.

What the plan does not support goes through graphql-core unchanged (`executor.py`): mutations, subscriptions,
introspection, abstract types, resolve-hook extensions, fragment variables.
"""
