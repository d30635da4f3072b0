"""The active observation, kept in a contextvar, and helpers to carry it into threads.

asyncio tasks copy the context when they are created, so nesting across `await`, `gather` and
`create_task` needs nothing. Threads start with an empty context; `wrap` and `ThreadPoolExecutor`
carry the caller's context over explicitly.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import functools
from typing import Any, Callable, NamedTuple, Optional, TypeVar, Union

T = TypeVar("T")


class SpanContext(NamedTuple):
    """Immutable identity of a span, possibly in another process (from `extract`)."""

    trace_id: int  # 128-bit, non-zero
    span_id: int  # 64-bit, non-zero
    sampled: bool = True
    remote: bool = False

    @property
    def trace_id_hex(self) -> str:
        return f"{self.trace_id:032x}"

    @property
    def span_id_hex(self) -> str:
        return f"{self.span_id:016x}"


# The current observation (trackly.Observation) or a remote SpanContext; None outside any trace.
current: contextvars.ContextVar[Any] = contextvars.ContextVar("trackly_current", default=None)


def wrap(fn: Callable[..., T]) -> Callable[..., T]:
    """Returns `fn` bound to the caller's context, for running in another thread.

    Each call runs in its own copy of the captured context, so one wrapped function may run in
    several threads at once (a contextvars.Context cannot be entered twice concurrently).
    """
    captured = contextvars.copy_context()

    @functools.wraps(fn)
    def run_in_captured_context(*args: Any, **kwargs: Any) -> T:
        return captured.copy().run(fn, *args, **kwargs)

    return run_in_captured_context


class ThreadPoolExecutor(concurrent.futures.ThreadPoolExecutor):
    """A ThreadPoolExecutor whose tasks run in the context of the code that submitted them."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> "concurrent.futures.Future[T]":
        return super().submit(contextvars.copy_context().run, fn, *args, **kwargs)


ParentLike = Union["SpanContext", Any, None]


def span_context_of(parent: ParentLike) -> Optional[SpanContext]:
    """The SpanContext of an Observation or SpanContext (None for None)."""
    if parent is None or isinstance(parent, SpanContext):
        return parent
    return parent.span_context
