"""strawberry's schema extension runner, with each extension class's hooks looked at once per process.

strawberry decides for every request, every lifecycle stage and every extension whether the extension overrides the
stage's hook and of which kind it is (generator, async generator, plain or coroutine function), and wraps the bound
method in a fresh `contextlib.contextmanager` (an `update_wrapper` each): 32 such decisions and about 25 wrappers per
request for our nine extensions, a tenth of a small query's CPU (issue 15). The decision depends only on the class, so
it is made once per (class, stage) here; per request only the context manager itself is made. A stage no extension
hooks into costs no exit stack. The order of hooks, their nesting and their errors are strawberry's.
"""

from __future__ import annotations

import contextlib
import inspect
from asyncio import iscoroutinefunction
from collections.abc import AsyncIterator, Callable, Iterator
from types import TracebackType
from typing import Any, cast

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
)
from strawberry.extensions.runner import SchemaExtensionsRunner

_Factory = Callable[[SchemaExtension], Any]  # extension -> a (sync or async) context manager for its hook
_plans: dict[tuple[type[SchemaExtension], str], tuple[_Factory, bool] | None] = {}


def _plan(kind: type[SchemaExtension], hook_name: str) -> tuple[_Factory, bool] | None:
    """How to enter `kind`'s hook of a stage (a factory taking the extension, and whether it is async); None when the
    class does not override it. Mirrors `ExtensionContextManagerBase.get_hook`."""
    key = (kind, hook_name)
    if key in _plans:
        return _plans[key]
    hook_fn = getattr(kind, hook_name)
    plan: tuple[_Factory, bool] | None
    if hook_fn is getattr(SchemaExtension, hook_name):
        plan = None
    elif inspect.isgeneratorfunction(hook_fn):
        plan = (contextlib.contextmanager(hook_fn), False)
    elif inspect.isasyncgenfunction(hook_fn):
        plan = (contextlib.asynccontextmanager(hook_fn), True)
    elif callable(hook_fn):
        plan = _from_callable(hook_fn)
    else:
        raise ValueError(f"Hook {hook_name} on {kind} must be callable, received {hook_fn!r}")
    _plans[key] = plan
    return plan


def _from_callable(func: Callable[[SchemaExtension], Any]) -> tuple[_Factory, bool]:
    if iscoroutinefunction(func):

        @contextlib.asynccontextmanager
        async def run_async(extension: SchemaExtension) -> AsyncIterator[None]:
            await func(extension)
            yield

        return run_async, True

    @contextlib.contextmanager
    def run(extension: SchemaExtension) -> Iterator[None]:
        func(extension)
        yield

    return run, False


class _ListExitStack(contextlib.ExitStack):
    """`ExitStack` on a list: a deque starts with a block of 64 slots (about 0.6 KB) for a stage's few hooks, and a
    subscription holds its operation stage's stack for its whole life (issue 15: memory per socket). The stack only
    appends and pops from the end."""

    def __init__(self) -> None:
        self._exit_callbacks = []  # type: ignore[assignment,var-annotated]


class _ListAsyncExitStack(contextlib.AsyncExitStack):
    """`AsyncExitStack` on a list, as `_ListExitStack`."""

    def __init__(self) -> None:
        self._exit_callbacks = []  # type: ignore[assignment,var-annotated]


class _PlannedHooks(ExtensionContextManagerBase):
    """strawberry's `ExtensionContextManagerBase.__enter__`/`__aenter__` (same order, errors and exit stacks), with
    each hook held as (factory, extension, is_async) rather than a `WrappedHook` around a `partial`."""

    __slots__ = ()

    def __init__(self, extensions: list[SchemaExtension]) -> None:
        self.default_hook = getattr(SchemaExtension, self.HOOK_NAME)
        hooks: list[tuple[_Factory, SchemaExtension, bool]] = []
        for extension in extensions:
            plan = _plan(type(extension), self.HOOK_NAME)
            if plan is not None:
                factory, is_async = plan
                hooks.append((factory, extension, is_async))
        self.hooks = hooks  # type: ignore[assignment]

    def _planned(self) -> list[tuple[_Factory, SchemaExtension, bool]]:
        return cast(list[tuple[_Factory, SchemaExtension, bool]], self.hooks)

    def __enter__(self) -> None:
        if not self.hooks:
            return
        stack = self.exit_stack = _ListExitStack()
        stack.__enter__()
        for factory, extension, is_async in self._planned():
            if is_async:
                raise RuntimeError(
                    f"SchemaExtension hook {extension}.{self.HOOK_NAME} failed to complete synchronously."
                )
            stack.enter_context(factory(extension))

    def __exit__(
        self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None
    ) -> None:
        if self.hooks:
            self.exit_stack.__exit__(exc_type, exc_val, exc_tb)

    async def __aenter__(self) -> None:
        if not self.hooks:
            return
        stack = self.async_exit_stack = _ListAsyncExitStack()
        await stack.__aenter__()
        for factory, extension, is_async in self._planned():
            if is_async:
                await stack.enter_async_context(factory(extension))
            else:
                stack.enter_context(factory(extension))

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc_val: BaseException | None, exc_tb: TracebackType | None
    ) -> None:
        if self.hooks:
            await self.async_exit_stack.__aexit__(exc_type, exc_val, exc_tb)


class _Operation(_PlannedHooks, OperationContextManager):
    __slots__ = ()


class _Validation(_PlannedHooks, ValidationContextManager):
    __slots__ = ()


class _Parsing(_PlannedHooks, ParsingContextManager):
    __slots__ = ()


class _Executing(_PlannedHooks, ExecutingContextManager):
    __slots__ = ()


class PlannedExtensionsRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)
