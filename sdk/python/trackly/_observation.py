"""Observation: one step of a trace (span, generation, tool call, ...), usable as a context manager.

Attributes are stored under the OTel / Langfuse / trackly.* keys the Trackly server maps onto its
canonical model (docs/conventions.md), so the exporter only has to encode them. Values are made
JSON-safe when they are set, on the caller's thread: the caller may mutate its objects later.
"""

from __future__ import annotations

import asyncio
import datetime
import random
import time
import traceback
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple

from . import _context
from ._context import SpanContext
from ._serialize import shallow_metadata, to_jsonable

if TYPE_CHECKING:
    from ._client import Trackly

STATUSES = ("ok", "error", "timeout", "cancelled", "skipped")
# OTLP Span.status.code: UNSET 0, OK 1, ERROR 2. timeout/cancelled/skipped travel in trackly.status.
_STATUS_CODE = {"ok": 1, "error": 2, "timeout": 2, "cancelled": 0, "skipped": 0}
_UNSET: Any = object()
_NO_METADATA: Dict[str, Any] = {}  # read-only

# What the exporter receives when an observation ends (see Observation._ended_span): trace_id,
# span_id, parent_id (0 for a root), name, type, start_ns, end_ns, status, status_message, is_trace,
# input and output (_UNSET when not set), events (None or a list of (name, time_ns, attributes)),
# the number of attributes A and of metadata entries M, then the A attribute keys, the A attribute
# values, the M metadata keys and the M metadata values.
EndedSpan = Tuple[Any, ...]

# Usage keys accepted by update(usage=...) → OTel GenAI attribute (docs/conventions.md "Usage").
_USAGE_KEYS = {
    "input_tokens": "gen_ai.usage.input_tokens",
    "prompt_tokens": "gen_ai.usage.input_tokens",
    "input": "gen_ai.usage.input_tokens",
    "output_tokens": "gen_ai.usage.output_tokens",
    "completion_tokens": "gen_ai.usage.output_tokens",
    "output": "gen_ai.usage.output_tokens",
    "total_tokens": "gen_ai.usage.total_tokens",
    "total": "gen_ai.usage.total_tokens",
    "cache_read_tokens": "gen_ai.usage.cache_read.input_tokens",
    "cache_write_tokens": "gen_ai.usage.cache_creation.input_tokens",
    "reasoning_tokens": "gen_ai.usage.reasoning.output_tokens",
}


def new_span_id() -> int:
    return random.getrandbits(64) or 1


def new_trace_id() -> int:
    return random.getrandbits(128) or 1


class Observation:
    """One observation. Not thread-safe: update it from the thread that owns it (reads are safe).

    Ending it (leaving the `with` block or calling `end()`) hands a copy of it to the exporter; later
    updates are ignored. Every public method swallows its own errors (logged) so tracing never breaks
    the traced code; exceptions raised inside a `with` block are recorded and re-raised unchanged.
    """

    __slots__ = (
        "_client", "trace_id", "span_id", "parent_id", "name", "type", "sampled", "start_ns", "end_ns",
        "attributes", "input", "output", "metadata", "events", "status", "status_message", "_token",
        "_ended", "_first_token_ns", "is_trace",
    )

    def __init__(self, client: "Trackly", name: str, kind: str, parent: Optional[Any], start_ns: Optional[int] = None) -> None:
        """`parent` is an Observation or SpanContext to continue, or None to start a new trace."""
        self._client = client
        self.name = name
        self.type = kind
        if parent is None:
            self.trace_id = new_trace_id()
            self.parent_id = 0
            self.sampled = client._sample(self.trace_id)
        else:
            self.trace_id = parent.trace_id
            self.parent_id = parent.span_id
            self.sampled = parent.sampled
        self.span_id = new_span_id()
        self.start_ns = start_ns or time.time_ns()
        self.end_ns = 0
        self.attributes: Dict[str, Any] = {}
        self.input: Any = _UNSET
        self.output: Any = _UNSET
        self.metadata: Optional[Dict[str, Any]] = None
        self.events: Optional[List[tuple]] = None
        self.status = ""
        self.status_message = ""
        self._token: Any = None
        self._ended = False
        self._first_token_ns = 0
        self.is_trace = False  # made by Trackly.trace(): its metadata is also the trace's

    # ---- identity ----------------------------------------------------------------------------

    @property
    def span_context(self) -> SpanContext:
        return SpanContext(self.trace_id, self.span_id, self.sampled)

    @property
    def trace_id_hex(self) -> str:
        return f"{self.trace_id:032x}"

    @property
    def span_id_hex(self) -> str:
        return f"{self.span_id:016x}"

    @property
    def trace_url(self) -> str:
        """Where the Trackly web UI shows this observation's trace."""
        return f"{self._client.host}/traces/{self.trace_id_hex}"

    # ---- context manager -----------------------------------------------------------------------

    def __enter__(self) -> "Observation":
        self._token = _context.current.set(self)
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        token, self._token = self._token, None
        if token is not None:
            try:
                _context.current.reset(token)
            except ValueError:
                # Entered in another context (e.g. a generator resumed elsewhere): restore the parent.
                _context.current.set(None)
        if exc is not None:
            self.record_exception(exc)
        self.end()
        return False

    async def __aenter__(self) -> "Observation":
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> bool:
        return self.__exit__(exc_type, exc, tb)

    # ---- updates -------------------------------------------------------------------------------

    def update(
        self,
        *,
        name: Optional[str] = None,
        input: Any = _UNSET,
        output: Any = _UNSET,
        metadata: Optional[Mapping[str, Any]] = None,
        status: Optional[str] = None,
        status_message: Optional[str] = None,
        error_type: Optional[str] = None,
        level: Optional[str] = None,
        model: Optional[str] = None,
        provider: Optional[str] = None,
        model_parameters: Optional[Mapping[str, Any]] = None,
        usage: Optional[Mapping[str, Any]] = None,
        cost: Any = None,
        prompt_name: Optional[str] = None,
        prompt_version: Optional[int] = None,
        completion_start_time: Any = None,
        retry_count: Optional[int] = None,
        result: Any = _UNSET,
        documents: Any = _UNSET,
        user_id: Optional[str] = None,
        session_id: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        attributes: Optional[Mapping[str, Any]] = None,
    ) -> "Observation":
        """Sets fields; only the ones given change. Returns self. Never raises.

        `result` (tools) and `documents` (retrievers) are the output under the name those types use.
        `status` is one of ok, error, timeout, cancelled, skipped. `usage` takes input_tokens,
        output_tokens, total_tokens, cache_read_tokens, cache_write_tokens, reasoning_tokens (or
        OpenAI's prompt_tokens / completion_tokens); input includes cached tokens and output includes
        reasoning tokens. `cost` is a total in USD or {input, output, total}. `attributes` are raw
        OTel attributes, sent as given.
        """
        if self._ended or not self.sampled:
            return self
        try:
            limits = self._client._limits
            a = self.attributes
            if name is not None:
                self.name = str(name)
            if input is not _UNSET:
                self.input = to_jsonable(input, limits)
            if result is not _UNSET:
                output = result
            if documents is not _UNSET:
                output = _documents(documents)
            if output is not _UNSET:
                self.output = to_jsonable(output, limits)
            if metadata:
                md = shallow_metadata(metadata, limits)
                if self.metadata is None:
                    self.metadata = md
                else:
                    self.metadata.update(md)
            if status is not None:
                self._set_status(status)
            if status_message is not None:
                self.status_message = str(status_message)
            if error_type is not None:
                a["trackly.error.type"] = str(error_type)
            if level is not None:
                a["langfuse.observation.level"] = str(level).upper()
            if model is not None:
                a["gen_ai.request.model"] = str(model)
            if provider is not None:
                a["gen_ai.provider.name"] = str(provider)
            if model_parameters:
                a["langfuse.observation.model.parameters"] = to_jsonable(dict(model_parameters), limits)
            if usage:
                self._set_usage(usage)
            if cost is not None:
                self._set_cost(cost)
            if prompt_name is not None:
                a["langfuse.observation.prompt.name"] = str(prompt_name)
            if prompt_version is not None:
                a["langfuse.observation.prompt.version"] = int(prompt_version)
            if completion_start_time is not None:
                a["langfuse.observation.completion_start_time"] = _iso(completion_start_time)
            if retry_count is not None:
                a["trackly.retry_count"] = int(retry_count)
            if user_id is not None:
                a["trackly.user.id"] = str(user_id)
            if session_id is not None:
                a["trackly.session.id"] = str(session_id)
            if tags is not None:
                a["trackly.tags"] = [str(t) for t in tags]
            if attributes:
                for k, v in attributes.items():
                    a[str(k)] = to_jsonable(v, limits)
        except Exception:
            self._client._log.exception("trackly: Observation.update failed; the update is dropped")
        return self

    def mark_first_token(self) -> None:
        """Records now as the time the first token (chunk) of a streamed answer arrived."""
        if not self._first_token_ns:
            self._first_token_ns = time.time_ns()
            self.attributes["langfuse.observation.completion_start_time"] = _iso_ns(self._first_token_ns)

    def add_event(self, name: str, attributes: Optional[Mapping[str, Any]] = None) -> None:
        """Adds a timestamped OTel span event."""
        if self._ended or not self.sampled:
            return
        try:
            attrs = {str(k): to_jsonable(v, self._client._limits) for k, v in (attributes or {}).items()}
            if self.events is None:
                self.events = []
            self.events.append((str(name), time.time_ns(), attrs))
        except Exception:
            self._client._log.exception("trackly: add_event failed")

    def record_exception(self, exc: BaseException, status: Optional[str] = None) -> None:
        """Records `exc` (type, message, stack) and sets the status it implies.

        CancelledError / KeyboardInterrupt → cancelled, TimeoutError → timeout, else error; an
        explicit `status` or error type set earlier wins.
        """
        if self._ended or not self.sampled:
            return
        try:
            stack = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
            self.add_event("exception", {
                "exception.type": _qualified_name(type(exc)),
                "exception.message": str(exc),
                "exception.stacktrace": stack,
            })
            if status is None:
                if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
                    status = "cancelled"
                elif isinstance(exc, (TimeoutError, asyncio.TimeoutError)):
                    status = "timeout"
                else:
                    status = "error"
            if not self.status or self.status == "ok":
                self._set_status(status)
            if not self.status_message:
                self.status_message = str(exc) or type(exc).__name__
            self.attributes.setdefault("trackly.error.type", type(exc).__name__)
        except Exception:
            self._client._log.exception("trackly: record_exception failed")

    def end(self, end_ns: Optional[int] = None) -> None:
        """Ends the observation and queues it for export. Idempotent; never raises."""
        if self._ended:
            return
        self._ended = True
        self.end_ns = end_ns or time.time_ns()
        if self.sampled:
            self._client._exporter.enqueue(self._ended_span())

    # ---- internals -----------------------------------------------------------------------------

    def _ended_span(self) -> EndedSpan:
        # A flat tuple rather than self: the export queue can hold max_queue_size spans, and every
        # full garbage collection walks each tracked object in it, pausing the thread that triggered
        # it for tens of ms. CPython stops tracking a tuple once a collection finds only atomic values
        # (str, int, float, bool, None) in it; a dict or list value (structured input, tags, events)
        # keeps it tracked, which is correct, only slower to collect.
        a, md = self.attributes, self.metadata or _NO_METADATA
        return (self.trace_id, self.span_id, self.parent_id, self.name, self.type, self.start_ns, self.end_ns,
                self.status, self.status_message, self.is_trace, self.input, self.output, self.events,
                len(a), len(md), *a, *a.values(), *md, *md.values())

    def _set_status(self, status: str) -> None:
        s = str(status).lower()
        if s not in STATUSES:
            self._client._log.warning("trackly: unknown status %r (expected one of %s); using 'error'", status, STATUSES)
            s = "error"
        self.status = s

    def _set_usage(self, usage: Mapping[str, Any]) -> None:
        a = self.attributes
        for k, v in usage.items():
            key = _USAGE_KEYS.get(k)
            if key is not None and v is not None:
                a[key] = int(v)

    def _set_cost(self, cost: Any) -> None:
        if isinstance(cost, Mapping):
            details = {str(k): float(v) for k, v in cost.items() if v is not None}
        else:
            details = {"total": float(cost)}
        self.attributes["langfuse.observation.cost_details"] = details

    def __repr__(self) -> str:
        return f"<Observation {self.type} {self.name!r} trace={self.trace_id_hex} span={self.span_id_hex}>"


def status_code(status: str) -> int:
    """The OTLP status code for a Trackly status ("" → UNSET)."""
    return _STATUS_CODE.get(status, 0)


def _qualified_name(cls: type) -> str:
    module = getattr(cls, "__module__", "")
    return cls.__qualname__ if module in ("builtins", "__main__", None) else f"{module}.{cls.__qualname__}"


def _iso_ns(ns: int) -> str:
    seconds, rest = divmod(ns, 1_000_000_000)
    t = datetime.datetime.fromtimestamp(seconds, tz=datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + f".{rest // 1000:06d}Z"


def _iso(value: Any) -> str:
    """ISO 8601 UTC text for a datetime, a Unix time in seconds (float) or in ns (int)."""
    if isinstance(value, datetime.datetime):
        if value.tzinfo is None:
            value = value.astimezone()
        return _iso_ns(int(value.timestamp() * 1_000_000) * 1000)
    if isinstance(value, int) and value > 10**15:
        return _iso_ns(value)
    return _iso_ns(int(float(value) * 1_000_000) * 1000)


def _documents(documents: Any) -> List[Dict[str, Any]]:
    """Retrieval documents as [{id, score, content, metadata}]; LangChain Documents duck-typed."""
    out = []
    for d in documents or ():
        if isinstance(d, Mapping):
            get = d.get
        else:
            def get(key: str, default: Any = None, _d: Any = d) -> Any:
                return getattr(_d, key, default)
        doc = {
            "id": get("id"),
            "score": get("score"),
            "content": get("content", None) if get("content", None) is not None else get("page_content"),
            "metadata": get("metadata"),
        }
        out.append({k: v for k, v in doc.items() if v is not None})
    return out
