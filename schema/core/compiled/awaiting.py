"""A level's awaitables awaited together without a task per coroutine (what `Run.settle` awaits).

`asyncio.gather` wraps every coroutine in a Task: its creation, a turn of the loop before its first step, a turn to
wake it when the loader's future it awaits is done, and a callback into the gathering future when it ends — for every
resolver of a level (the cabinet: a dozen per account). Here each coroutine is stepped directly: its first step at
once (a resolver that returns without suspending is done there), and when it awaits an asyncio future, the next step
is that future's done callback. The number of turns between a future's result and the step that reads it is the
same as a Task's (one), so the loads a level's resolvers make after their first await meet in the same batches.

What a Task gave each coroutine is kept: its own copy of the context (a `ContextVar` set in one resolver is not seen
by another or by the request), `asyncio.current_task()` answering a task (the request's: the one awaiting them all),
its exception as its result (`return_exceptions=True`), and, when the request is cancelled, a cancellation thrown into
every coroutine still suspended (after cancelling the future it awaits, as `Task.cancel` does). Awaitables that are
not coroutines go through `asyncio.ensure_future` as `asyncio.gather` would take them.
"""

from __future__ import annotations

import asyncio
from asyncio import AbstractEventLoop, CancelledError, Future, Task
from asyncio.tasks import _enter_task, _leave_task
from collections.abc import Sequence
from contextvars import Context, copy_context
from types import CoroutineType
from typing import Any


class _Suspended:
    """A coroutine between two steps: what it awaits (an asyncio future, or None after a bare `yield`)."""

    __slots__ = ("context", "coroutine", "index", "waiting_on")

    def __init__(self, index: int, coroutine: Any, context: Context) -> None:
        self.index = index
        self.coroutine = coroutine
        self.context = context
        self.waiting_on: Future[Any] | None = None


class _Gathering:
    __slots__ = ("cancelled", "done", "left", "loop", "results", "suspended", "task")

    def __init__(self, loop: AbstractEventLoop, task: Task[Any] | None, count: int) -> None:
        self.loop = loop
        self.task = task
        self.results: list[Any] = [None] * count
        self.left = 0  # awaitables not finished
        self.done: Future[None] | None = None  # made when something is left after the first steps
        self.suspended: dict[int, _Suspended] = {}
        self.cancelled = False

    def start(self, index: int, coroutine: Any) -> None:
        """The first step, in a copy of the current context, within the current task."""
        context = copy_context()
        context.run(self.step, _Suspended(index, coroutine, context), None)

    def step(self, state: _Suspended, error: BaseException | None) -> None:
        """One step of a coroutine (inside its context): until it finishes or awaits an unfinished future."""
        coroutine = state.coroutine
        while True:
            try:
                yielded = coroutine.send(None) if error is None else coroutine.throw(error)
            except StopIteration as stop:
                self.finish(state, stop.value)
                return
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as raised:  # noqa: BLE001 - the awaitable's result, as gather(return_exceptions=True)
                self.finish(state, raised)
                return
            blocking = getattr(yielded, "_asyncio_future_blocking", None)
            if blocking:  # `await future`: the next step when it is done
                yielded._asyncio_future_blocking = False
                state.waiting_on = yielded
                self.suspend(state)
                yielded.add_done_callback(lambda _, state=state: self.wake(state), context=state.context)
                return
            if yielded is None and blocking is None:  # a bare yield (`asyncio.sleep(0)`): the next turn
                state.waiting_on = None
                self.suspend(state)
                self.loop.call_soon(self.wake, state, context=state.context)
                return
            # What a Task refuses, thrown into the coroutine as a Task throws it.
            error = RuntimeError(f"Task got bad yield: {yielded!r}")

    def suspend(self, state: _Suspended) -> None:
        if state.index not in self.suspended:
            self.suspended[state.index] = state
            self.left += 1

    def wake(self, state: _Suspended) -> None:
        """The next step (a done callback or a scheduled call, inside the coroutine's context)."""
        state.waiting_on = None
        error = CancelledError() if self.cancelled else None
        task = self.task
        if task is not None and asyncio.current_task(self.loop) is None:
            # The coroutine's steps run as the request's task, as its first step did.
            _enter_task(self.loop, task)
            try:
                self.step(state, error)
            finally:
                _leave_task(self.loop, task)
        else:
            self.step(state, error)

    def finish(self, state: _Suspended, result: Any) -> None:
        self.results[state.index] = result
        if self.suspended.pop(state.index, None) is not None:
            self.left -= 1
            if self.left == 0 and self.done is not None and not self.done.done():
                self.done.set_result(None)

    def cancel(self) -> None:
        """The request is cancelled: every suspended coroutine hears it at its next step, as a cancelled task."""
        self.cancelled = True
        for state in list(self.suspended.values()):
            if state.waiting_on is not None:
                state.waiting_on.cancel()  # its done callback then steps the coroutine with the cancellation


def _outcome(future: Future[Any]) -> Any:
    if future.cancelled():
        return CancelledError()
    error = future.exception()
    return error if error is not None else future.result()


async def gather(awaitables: Sequence[Any]) -> list[Any]:
    """The awaitables' results (an exception raised is its result), in their order."""
    loop = asyncio.get_running_loop()
    gathering = _Gathering(loop, asyncio.current_task(loop), len(awaitables))
    for index, awaitable in enumerate(awaitables):
        if awaitable.__class__ is CoroutineType:
            gathering.start(index, awaitable)
            continue
        future = asyncio.ensure_future(awaitable)
        if future.done():
            gathering.results[index] = _outcome(future)
            continue
        state = _Suspended(index, None, copy_context())
        state.waiting_on = future
        gathering.suspend(state)
        future.add_done_callback(lambda done, state=state: gathering.finish(state, _outcome(done)))
    if gathering.left:
        gathering.done = loop.create_future()
        try:
            await gathering.done
        except CancelledError:
            gathering.cancel()
            raise
    return gathering.results
