"""@trackly.track: one observation per call of a sync, async, generator or async-generator function.

Generators are resumed by whoever iterates them, possibly in another context; the observation is
made current only while the generator body runs (around each step), so it never leaks into the
consumer's context between items.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional

from . import _context
from ._observation import _UNSET, Observation
from ._serialize import to_jsonable

if TYPE_CHECKING:
    from ._client import Trackly

_MAX_CAPTURED_ITEMS = 1000  # yielded items kept as a generator's output


class _Tracker:
    """Immutable per decorated function: how to start its observation and capture its I/O."""

    def __init__(self, client: "Trackly", fn: Callable, name: Optional[str], as_type: str, capture_input: bool,
                 capture_output: bool, metadata: Optional[Dict[str, Any]]) -> None:
        self.client = client
        self.name = name or getattr(fn, "__qualname__", None) or getattr(fn, "__name__", "function")
        self.as_type = as_type
        self.capture_input = capture_input
        self.capture_output = capture_output
        self.metadata = metadata
        self.signature: Optional[inspect.Signature] = None
        if capture_input:
            try:
                self.signature = inspect.signature(fn)
            except (TypeError, ValueError):
                pass

    def start(self, args: tuple, kwargs: dict) -> Observation:
        obs = self.client._observation(self.name, self.as_type, None)
        if obs.sampled and (self.capture_input or self.metadata):
            obs.update(input=self._input(args, kwargs) if self.capture_input else _UNSET, metadata=self.metadata)
        return obs

    def _input(self, args: tuple, kwargs: dict) -> Any:
        try:
            if self.signature is None:
                return {"args": list(args), "kwargs": kwargs}
            bound = self.signature.bind_partial(*args, **kwargs)
            values = dict(bound.arguments)
            params = list(self.signature.parameters)
            if params and params[0] in ("self", "cls") and params[0] in values:
                del values[params[0]]
            return values
        except Exception:
            return {"args": list(args), "kwargs": kwargs}

    def finish(self, obs: Observation, output: Any) -> None:
        if self.capture_output:
            obs.update(output=output)
        obs.end()


def track(client: "Trackly", fn: Callable, name: Optional[str], as_type: str, capture_input: bool,
          capture_output: bool, metadata: Optional[Dict[str, Any]]) -> Callable:
    t = _Tracker(client, fn, name, as_type, capture_input, capture_output, metadata)
    if inspect.isasyncgenfunction(fn):
        return _wrap_async_generator(t, fn)
    if inspect.isgeneratorfunction(fn):
        return _wrap_generator(t, fn)
    if inspect.iscoroutinefunction(fn):
        return _wrap_coroutine(t, fn)
    return _wrap_function(t, fn)


def _wrap_function(t: _Tracker, fn: Callable) -> Callable:
    @functools.wraps(fn)
    def traced(*args: Any, **kwargs: Any) -> Any:
        obs = t.start(args, kwargs)
        with obs:
            result = fn(*args, **kwargs)
            if t.capture_output:
                obs.update(output=result)
        return result

    return traced


def _wrap_coroutine(t: _Tracker, fn: Callable) -> Callable:
    @functools.wraps(fn)
    async def traced(*args: Any, **kwargs: Any) -> Any:
        obs = t.start(args, kwargs)
        with obs:
            result = await fn(*args, **kwargs)
            if t.capture_output:
                obs.update(output=result)
        return result

    return traced


def _collected(items: List[Any]) -> Any:
    if items and all(type(x) is str for x in items):
        return "".join(items)  # streamed text reads best as one string
    return items


def _wrap_generator(t: _Tracker, fn: Callable) -> Callable:
    @functools.wraps(fn)
    def traced(*args: Any, **kwargs: Any) -> Any:
        obs = t.start(args, kwargs)
        items: List[Any] = []
        gen = fn(*args, **kwargs)  # creating a generator runs none of its body
        to_send: Any = None
        to_throw: Optional[BaseException] = None
        try:
            while True:
                token = _context.current.set(obs)
                try:
                    if to_throw is not None:
                        exc, to_throw = to_throw, None
                        item = gen.throw(exc)
                    else:
                        item = gen.send(to_send)
                finally:
                    _context.current.reset(token)
                if t.capture_output and len(items) < _MAX_CAPTURED_ITEMS:
                    items.append(to_jsonable(item, t.client._limits))
                try:
                    to_send = yield item
                except GeneratorExit:
                    # The consumer stopped early (break, close, garbage collection): not an error.
                    token = _context.current.set(obs)
                    try:
                        gen.close()
                    finally:
                        _context.current.reset(token)
                    t.finish(obs, _collected(items))
                    raise
                except BaseException as e:
                    to_throw = e
        except StopIteration as stop:
            if stop.value is not None and t.capture_output:
                items.append(to_jsonable(stop.value, t.client._limits))
            t.finish(obs, _collected(items))
            return stop.value
        except GeneratorExit:
            raise
        except BaseException as e:
            obs.record_exception(e)
            t.finish(obs, _collected(items))
            raise

    return traced


def _wrap_async_generator(t: _Tracker, fn: Callable) -> Callable:
    @functools.wraps(fn)
    async def traced(*args: Any, **kwargs: Any) -> Any:
        obs = t.start(args, kwargs)
        items: List[Any] = []
        agen = fn(*args, **kwargs)  # creating an async generator runs none of its body
        to_send: Any = None
        to_throw: Optional[BaseException] = None
        try:
            while True:
                token = _context.current.set(obs)
                try:
                    if to_throw is not None:
                        exc, to_throw = to_throw, None
                        item = await agen.athrow(exc)
                    else:
                        item = await agen.asend(to_send)
                finally:
                    _context.current.reset(token)
                if t.capture_output and len(items) < _MAX_CAPTURED_ITEMS:
                    items.append(to_jsonable(item, t.client._limits))
                try:
                    to_send = yield item
                except GeneratorExit:
                    token = _context.current.set(obs)
                    try:
                        await agen.aclose()
                    finally:
                        _context.current.reset(token)
                    t.finish(obs, _collected(items))
                    raise
                except BaseException as e:
                    to_throw = e
        except StopAsyncIteration:
            t.finish(obs, _collected(items))
        except GeneratorExit:
            raise
        except BaseException as e:
            obs.record_exception(e)
            t.finish(obs, _collected(items))
            raise

    return traced
