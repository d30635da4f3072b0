"""Instruments an OpenAI Python client (duck-typed; the `openai` package is not imported).

`client.chat.completions.create` and `client.embeddings.create` are replaced on the client's
resource objects by wrappers that record a generation / embedding with model, parameters, messages,
output and usage. Streams are wrapped so the observation ends when the stream is exhausted or
closed, with the first chunk's arrival as the completion start time. Usage of a stream is present
only when the caller asked for it (`stream_options={"include_usage": True}`).
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional

from ._observation import Observation

if TYPE_CHECKING:
    from ._client import Trackly

_NOT_PARAMETERS = {"model", "messages", "input", "stream", "extra_headers", "extra_query", "extra_body", "timeout"}
# OpenAI SDK exception class names → (status, error_type).
_ERRORS = {
    "RateLimitError": ("error", "rate_limit"),
    "APITimeoutError": ("timeout", "timeout"),
    "AuthenticationError": ("error", "auth_error"),
    "PermissionDeniedError": ("error", "auth_error"),
    "BadRequestError": ("error", "validation_error"),
    "UnprocessableEntityError": ("error", "validation_error"),
    "NotFoundError": ("error", "not_found"),
    "APIConnectionError": ("error", "upstream_error"),
    "InternalServerError": ("error", "upstream_error"),
}


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def instrument(client: "Trackly", openai_client: Any) -> None:
    completions = _get(_get(openai_client, "chat"), "completions")
    if completions is not None and callable(_get(completions, "create")):
        completions.create = _wrap(client, completions.create, _Chat)
    embeddings = _get(openai_client, "embeddings")
    if embeddings is not None and callable(_get(embeddings, "create")):
        embeddings.create = _wrap(client, embeddings.create, _Embedding)


def _wrap(client: "Trackly", create: Any, call: type) -> Any:
    if getattr(create, "__trackly_wrapped__", False):
        return create
    if inspect.iscoroutinefunction(create):
        @functools.wraps(create)
        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            c = call(client, kwargs)
            try:
                response = await create(*args, **kwargs)
            except BaseException as e:
                c.fail(e)
                raise
            return c.finish(response, is_async=True)

        traced_async.__trackly_wrapped__ = True  # type: ignore[attr-defined]
        return traced_async

    @functools.wraps(create)
    def traced(*args: Any, **kwargs: Any) -> Any:
        c = call(client, kwargs)
        try:
            response = create(*args, **kwargs)
        except BaseException as e:
            c.fail(e)
            raise
        return c.finish(response, is_async=False)

    traced.__trackly_wrapped__ = True  # type: ignore[attr-defined]
    return traced


class _Call:
    """Not thread-safe: one model call."""

    kind = "generation"
    name = "openai"

    def __init__(self, client: "Trackly", kwargs: Dict[str, Any]) -> None:
        self.obs: Observation = client._observation(self.name, self.kind, None)
        self.stream = bool(kwargs.get("stream"))
        if self.obs.sampled:
            params = {k: v for k, v in kwargs.items() if k not in _NOT_PARAMETERS and v is not None}
            self.obs.update(model=kwargs.get("model"), provider="openai", model_parameters=params,
                            input=self.request_input(kwargs))

    def request_input(self, kwargs: Dict[str, Any]) -> Any:
        raise NotImplementedError

    def fail(self, error: BaseException) -> None:
        status, error_type = _ERRORS.get(type(error).__name__, (None, None))
        if error_type:
            self.obs.update(error_type=error_type)
        self.obs.record_exception(error, status=status)
        self.obs.end()

    def finish(self, response: Any, is_async: bool) -> Any:
        if self.stream:
            return _AsyncStream(response, self) if is_async else _Stream(response, self)
        try:
            self.record(response)
        finally:
            self.obs.end()
        return response

    def record(self, response: Any) -> None:
        raise NotImplementedError

    def record_usage(self, usage: Any) -> None:
        if usage is None:
            return
        fields = {"input_tokens": _get(usage, "prompt_tokens"), "output_tokens": _get(usage, "completion_tokens"),
                  "total_tokens": _get(usage, "total_tokens"),
                  "cache_read_tokens": _get(_get(usage, "prompt_tokens_details"), "cached_tokens"),
                  "reasoning_tokens": _get(_get(usage, "completion_tokens_details"), "reasoning_tokens")}
        self.obs.update(usage={k: v for k, v in fields.items() if isinstance(v, int)})

    # Streams: called per chunk and once at the end.
    def on_chunk(self, chunk: Any) -> None:
        pass

    def on_stream_end(self, error: Optional[BaseException]) -> None:
        if error is not None:
            self.obs.record_exception(error)
        self.obs.end()


class _Chat(_Call):
    kind = "generation"
    name = "openai.chat.completions"

    def __init__(self, client: "Trackly", kwargs: Dict[str, Any]) -> None:
        self.texts: Dict[int, List[str]] = {}
        self.tool_calls: Dict[int, Dict[int, Dict[str, Any]]] = {}
        self.finish_reasons: Dict[int, Any] = {}
        super().__init__(client, kwargs)

    def request_input(self, kwargs: Dict[str, Any]) -> Any:
        return kwargs.get("messages")

    def record(self, response: Any) -> None:
        messages = []
        for choice in _get(response, "choices") or []:
            message = _get(choice, "message")
            out: Dict[str, Any] = {"role": _get(message, "role") or "assistant", "content": _get(message, "content")}
            calls = _get(message, "tool_calls")
            if calls:
                out["tool_calls"] = [{"id": _get(c, "id"), "name": _get(_get(c, "function"), "name"),
                                      "arguments": _get(_get(c, "function"), "arguments")} for c in calls]
            if _get(choice, "finish_reason"):
                out["finish_reason"] = _get(choice, "finish_reason")
            messages.append(out)
        self.obs.update(output=messages)
        model = _get(response, "model")
        if model:
            self.obs.update(attributes={"gen_ai.response.model": model})
        self.record_usage(_get(response, "usage"))

    def on_chunk(self, chunk: Any) -> None:
        self.obs.mark_first_token()
        for choice in _get(chunk, "choices") or []:
            index = _get(choice, "index", 0) or 0
            delta = _get(choice, "delta")
            text = _get(delta, "content")
            if text:
                self.texts.setdefault(index, []).append(text)
            for call in _get(delta, "tool_calls") or []:
                slot = self.tool_calls.setdefault(index, {}).setdefault(_get(call, "index", 0) or 0,
                                                                        {"id": None, "name": None, "arguments": ""})
                fn = _get(call, "function")
                slot["id"] = _get(call, "id") or slot["id"]
                slot["name"] = _get(fn, "name") or slot["name"]
                slot["arguments"] += _get(fn, "arguments") or ""
            if _get(choice, "finish_reason"):
                self.finish_reasons[index] = _get(choice, "finish_reason")
        model = _get(chunk, "model")
        if model:
            self.obs.attributes["gen_ai.response.model"] = model
        self.record_usage(_get(chunk, "usage"))

    def on_stream_end(self, error: Optional[BaseException]) -> None:
        messages = []
        for index in sorted(set(self.texts) | set(self.tool_calls) | set(self.finish_reasons)):
            out: Dict[str, Any] = {"role": "assistant", "content": "".join(self.texts.get(index, [])) or None}
            calls = self.tool_calls.get(index)
            if calls:
                out["tool_calls"] = [calls[i] for i in sorted(calls)]
            if index in self.finish_reasons:
                out["finish_reason"] = self.finish_reasons[index]
            messages.append(out)
        self.obs.update(output=messages)
        super().on_stream_end(error)


class _Embedding(_Call):
    kind = "embedding"
    name = "openai.embeddings"

    def request_input(self, kwargs: Dict[str, Any]) -> Any:
        return kwargs.get("input")

    def record(self, response: Any) -> None:
        data = _get(response, "data") or []
        first = _get(data[0], "embedding") if data else None
        # The vectors themselves are large and not worth showing; their count and size are.
        self.obs.update(output={"embeddings": len(data), "dimensions": len(first) if first is not None else None})
        model = _get(response, "model")
        if model:
            self.obs.update(attributes={"gen_ai.response.model": model})
        self.record_usage(_get(response, "usage"))


class _Stream:
    """Wraps a sync OpenAI Stream: iterates and delegates everything else to it."""

    def __init__(self, stream: Any, call: _Call) -> None:
        self._stream = stream
        self._call = call
        self._done = False
        self._it: Any = None

    def __iter__(self) -> "_Stream":
        return self

    def __next__(self) -> Any:
        try:
            if self._it is None:
                self._it = iter(self._stream)
            chunk = next(self._it)
        except StopIteration:
            self._finish(None)
            raise
        except BaseException as e:
            self._finish(e)
            raise
        self._on_chunk(chunk)
        return chunk

    def __enter__(self) -> "_Stream":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        try:
            close = getattr(self._stream, "close", None)
            if callable(close):
                close()
        finally:
            self._finish(None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def _on_chunk(self, chunk: Any) -> None:
        try:
            self._call.on_chunk(chunk)
        except Exception:
            self._call.obs._client._log.exception("trackly: could not read a stream chunk")

    def _finish(self, error: Optional[BaseException]) -> None:
        if not self._done:
            self._done = True
            self._call.on_stream_end(error)


class _AsyncStream(_Stream):
    """Wraps an async OpenAI AsyncStream."""

    def __aiter__(self) -> "_AsyncStream":
        return self

    async def __anext__(self) -> Any:
        try:
            if self._it is None:
                self._it = self._stream.__aiter__()
            chunk = await self._it.__anext__()
        except StopAsyncIteration:
            self._finish(None)
            raise
        except BaseException as e:
            self._finish(e)
            raise
        self._on_chunk(chunk)
        return chunk

    async def __aenter__(self) -> "_AsyncStream":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        try:
            close = getattr(self._stream, "close", None)
            if callable(close):
                result = close()
                if inspect.isawaitable(result):
                    await result
        finally:
            self._finish(None)
