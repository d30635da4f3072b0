"""Trackly: the SDK's entry point. Creates observations, owns the exporter, reads configuration."""

from __future__ import annotations

import atexit
import logging
import os
from typing import Any, Callable, Dict, Mapping, MutableMapping, Optional, Sequence, TypeVar, Union

from . import _context, _decorator, _propagation
from ._context import SpanContext
from ._exporter import BatchExporter, ExporterOptions
from ._observation import _UNSET, Observation
from ._otlp_json import Mask, SpanEncoder
from ._serialize import DEFAULT_LIMITS, Limits

__version__ = "0.1.0"

F = TypeVar("F", bound=Callable[..., Any])
Parent = Union[Observation, SpanContext, None]

DEFAULT_HOST = "http://127.0.0.1:4318"


class Trackly:
    """Thread-safe. One per process is typical; it exports from one background thread.

    Arguments left as None are read from the environment (TRACKLY_API_KEY, TRACKLY_HOST,
    TRACKLY_FEATURE, TRACKLY_ENVIRONMENT, TRACKLY_RELEASE, TRACKLY_SAMPLE_RATE, TRACKLY_ENABLED,
    TRACKLY_FLUSH_INTERVAL, TRACKLY_MAX_QUEUE_SIZE), then defaulted. Nothing here raises into the
    caller: bad configuration is logged to the "trackly" logger and falls back to a default.
    """

    def __init__(
        self,
        api_key: Optional[str] = None,
        host: Optional[str] = None,
        feature: Optional[str] = None,
        environment: Optional[str] = None,
        release: Optional[str] = None,
        sample_rate: Optional[float] = None,
        mask: Optional[Mask] = None,
        *,
        enabled: Optional[bool] = None,
        service_name: Optional[str] = None,
        endpoint: Optional[str] = None,
        headers: Optional[Mapping[str, str]] = None,
        flush_interval: Optional[float] = None,
        max_queue_size: Optional[int] = None,
        max_batch_size: Optional[int] = None,
        timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        gzip: bool = True,
        limits: Limits = DEFAULT_LIMITS,
        max_field_bytes: int = 1_000_000,
        transport: Any = None,
        retry_wait: Optional[Callable[[float], bool]] = None,
    ) -> None:
        """`mask(value) -> value` sees every input, output and metadata mapping before export.

        `endpoint` overrides `{host}/v1/traces` (any OTLP/HTTP JSON endpoint); `headers` are added to
        export requests. `limits` bound captured values; `max_field_bytes` caps one encoded field.
        `transport` and `retry_wait` replace the HTTP client and the retry sleep (tests).
        """
        self._log = logging.getLogger("trackly")
        self._limits = limits
        env = os.environ
        self.api_key = api_key if api_key is not None else env.get("TRACKLY_API_KEY")
        self.host = (host or env.get("TRACKLY_HOST") or DEFAULT_HOST).rstrip("/")
        self.feature = feature if feature is not None else env.get("TRACKLY_FEATURE")
        self.environment = environment if environment is not None else env.get("TRACKLY_ENVIRONMENT")
        self.release = release if release is not None else env.get("TRACKLY_RELEASE")
        self._enabled = enabled if enabled is not None else self._env_bool("TRACKLY_ENABLED", True)
        rate = sample_rate if sample_rate is not None else self._env_number("TRACKLY_SAMPLE_RATE", 1.0, float)
        self.sample_rate = self._checked_rate(rate)
        # A trace is sampled when the low 64 bits of its id fall under this bound, so every process
        # that sees the trace id decides the same way.
        self._sample_bound = int(self.sample_rate * 2**64)

        request_headers: Dict[str, str] = {"User-Agent": f"trackly-python/{__version__}"}
        if self.api_key:
            request_headers["Authorization"] = f"Bearer {self.api_key}"
        request_headers.update(headers or {})
        options = ExporterOptions(
            endpoint=endpoint or f"{self.host}/v1/traces",
            headers=tuple(request_headers.items()),
            max_queue_size=max_queue_size or self._env_number("TRACKLY_MAX_QUEUE_SIZE", 100_000, int),
            max_batch_size=max_batch_size or 512,
            flush_interval_s=flush_interval or self._env_number("TRACKLY_FLUSH_INTERVAL", 1.0, float),
            timeout_s=timeout or 10.0,
            max_retries=max_retries if max_retries is not None else 6,
            gzip=gzip,
        )
        resource: Dict[str, Any] = {}
        for key, value in (("service.name", service_name), ("trackly.feature", self.feature),
                           ("trackly.environment", self.environment), ("trackly.release", self.release)):
            if value:
                resource[key] = str(value)
        encoder = SpanEncoder(mask, max_field_bytes, self._log)
        try:
            self._exporter = BatchExporter(options, encoder, resource, ("trackly", __version__), self._log,
                                           transport=transport, wait=retry_wait)
        except ValueError as e:
            self._log.error("trackly: %s; tracing is disabled", e)
            self._enabled = False
            self._exporter = BatchExporter(options, encoder, resource, ("trackly", __version__), self._log,
                                           transport=_NoTransport(), wait=retry_wait)
        atexit.register(self._at_exit)

    # ---- observations -----------------------------------------------------------------------------

    def trace(self, name: str, *, user_id: Optional[str] = None, session_id: Optional[str] = None,
              tags: Optional[Sequence[str]] = None, metadata: Optional[Mapping[str, Any]] = None,
              input: Any = _UNSET, feature: Optional[str] = None, parent: Parent = None, **fields: Any) -> Observation:
        """A run of the agent: the root observation, carrying the trace's name, user, session, tags.

        Inside an active observation it nests (its trace fields still apply to the trace); `parent`
        continues a trace from elsewhere (see `extract`).
        """
        obs = self._observation(name, "span", parent)
        if obs.sampled:
            obs.is_trace = True
            obs.attributes["langfuse.trace.name"] = str(name)
            if feature is not None:
                obs.attributes["trackly.feature"] = str(feature)
            obs.update(user_id=user_id, session_id=session_id, tags=tags, metadata=metadata, input=input, **fields)
        return obs

    def span(self, name: str, *, input: Any = _UNSET, metadata: Optional[Mapping[str, Any]] = None,
             parent: Parent = None, **fields: Any) -> Observation:
        """A generic unit of work. `fields` are any `Observation.update` arguments."""
        return self._typed(name, "span", parent, input, metadata, fields)

    def step(self, name: str, *, input: Any = _UNSET, metadata: Optional[Mapping[str, Any]] = None,
             parent: Parent = None, **fields: Any) -> Observation:
        """One step of an agent or workflow (type "chain")."""
        return self._typed(name, "chain", parent, input, metadata, fields)

    def agent(self, name: str, *, input: Any = _UNSET, metadata: Optional[Mapping[str, Any]] = None,
              parent: Parent = None, **fields: Any) -> Observation:
        """An agent invocation (type "agent")."""
        return self._typed(name, "agent", parent, input, metadata, fields)

    def generation(self, name: str, *, model: Optional[str] = None, input: Any = _UNSET,
                   model_parameters: Optional[Mapping[str, Any]] = None, metadata: Optional[Mapping[str, Any]] = None,
                   parent: Parent = None, **fields: Any) -> Observation:
        """A model call. `fields`: provider, usage, cost, prompt_name, prompt_version,
        completion_start_time, output, ... (see `Observation.update`)."""
        return self._typed(name, "generation", parent, input, metadata,
                           dict(fields, model=model, model_parameters=model_parameters))

    def embedding(self, name: str, *, model: Optional[str] = None, input: Any = _UNSET,
                  metadata: Optional[Mapping[str, Any]] = None, parent: Parent = None, **fields: Any) -> Observation:
        """An embedding call (type "embedding")."""
        return self._typed(name, "embedding", parent, input, metadata, dict(fields, model=model))

    def tool(self, name: str, *, arguments: Any = _UNSET, call_id: Optional[str] = None,
             metadata: Optional[Mapping[str, Any]] = None, parent: Parent = None, **fields: Any) -> Observation:
        """A tool call; set `result=`, `error_type=`, `retry_count=` with `update`."""
        obs = self._typed(name, "tool", parent, arguments, metadata, fields)
        if obs.sampled:
            obs.attributes["gen_ai.tool.name"] = str(name)
            if call_id is not None:
                obs.attributes["gen_ai.tool.call.id"] = str(call_id)
        return obs

    def retriever(self, name: str, *, query: Any = _UNSET, metadata: Optional[Mapping[str, Any]] = None,
                  parent: Parent = None, **fields: Any) -> Observation:
        """A retrieval; set `documents=[{id, score, content, metadata}]` with `update`."""
        return self._typed(name, "retriever", parent, query, metadata, fields)

    def event(self, name: str, *, input: Any = _UNSET, metadata: Optional[Mapping[str, Any]] = None,
              parent: Parent = None, **fields: Any) -> Observation:
        """A point in time. Recorded at once: pass everything here; later updates are ignored."""
        obs = self._typed(name, "event", parent, input, metadata, fields)
        obs.end(obs.start_ns)
        return obs

    def observation(self, name: str, as_type: str = "span", *, input: Any = _UNSET,
                    metadata: Optional[Mapping[str, Any]] = None, parent: Parent = None, **fields: Any) -> Observation:
        """An observation of any server type (span, generation, embedding, tool, retriever, reranker,
        agent, chain, evaluator, guardrail, event)."""
        return self._typed(name, as_type, parent, input, metadata, fields)

    def track(self, fn: Optional[F] = None, *, name: Optional[str] = None, as_type: str = "span",
              capture_io: bool = False, capture_input: Optional[bool] = None, capture_output: Optional[bool] = None,
              metadata: Optional[Mapping[str, Any]] = None) -> Any:
        """Decorator: an observation per call of a sync, async, generator or async-generator function.

        `capture_io` records the arguments (by parameter name, without self/cls) and the return value
        (for generators: the yielded items, joined when they are all strings).
        """
        def decorate(f: F) -> F:
            try:
                return _decorator.track(
                    self, f, name, as_type,
                    capture_io if capture_input is None else capture_input,
                    capture_io if capture_output is None else capture_output,
                    dict(metadata) if metadata else None)
            except Exception:
                self._log.exception("trackly: could not instrument %r; it runs untraced", f)
                return f

        return decorate(fn) if fn is not None else decorate

    # ---- context -------------------------------------------------------------------------------

    def current_observation(self) -> Optional[Observation]:
        """The innermost active observation of this context, or None."""
        current = _context.current.get()
        return current if isinstance(current, Observation) else None

    def update_current(self, **fields: Any) -> None:
        """`Observation.update` on the active observation; does nothing outside one."""
        current = self.current_observation()
        if current is not None:
            current.update(**fields)

    def inject(self, headers: Optional[MutableMapping[str, str]] = None,
               observation: Optional[Observation] = None) -> MutableMapping[str, str]:
        """Adds `traceparent` for the active (or given) observation to `headers` and returns them."""
        carrier = headers if headers is not None else {}
        try:
            source = observation if observation is not None else _context.current.get()
            return _propagation.inject(_context.span_context_of(source), carrier)
        except Exception:
            self._log.exception("trackly: inject failed")
            return carrier

    def extract(self, headers: Optional[Mapping[str, Any]]) -> Optional[SpanContext]:
        """The remote parent in `traceparent`, for `trace(..., parent=...)`; None when absent/invalid."""
        try:
            return _propagation.extract(headers)
        except Exception:
            self._log.exception("trackly: extract failed")
            return None

    wrap = staticmethod(_context.wrap)
    ThreadPoolExecutor = _context.ThreadPoolExecutor

    # ---- integrations ----------------------------------------------------------------------------

    def callback(self) -> Any:
        """A LangChain callback handler: pass it as `callbacks=[trackly.callback()]`."""
        from ._langchain import CallbackHandler

        return CallbackHandler(self)

    def wrap_openai(self, client: Any) -> Any:
        """Instruments an OpenAI client (sync or async) in place and returns it."""
        from ._openai import instrument

        try:
            instrument(self, client)
        except Exception:
            self._log.exception("trackly: could not instrument the OpenAI client; it runs untraced")
        return client

    # ---- export ----------------------------------------------------------------------------------

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Sends every ended observation; True when done within `timeout` seconds."""
        try:
            return self._exporter.flush(timeout)
        except Exception:
            self._log.exception("trackly: flush failed")
            return False

    def shutdown(self, timeout: Optional[float] = 10.0) -> bool:
        """Flushes and stops exporting; later observations are dropped. True when all was sent in time."""
        try:
            atexit.unregister(self._at_exit)
            return self._exporter.shutdown(timeout)
        except Exception:
            self._log.exception("trackly: shutdown failed")
            return False

    @property
    def dropped_spans(self) -> int:
        """Observations dropped because the export queue was full (or after shutdown)."""
        return self._exporter.dropped_spans

    @property
    def exported_spans(self) -> int:
        return self._exporter.exported_spans

    @property
    def failed_spans(self) -> int:
        """Observations the server refused or that could not be sent after retries."""
        return self._exporter.failed_spans

    # ---- internals -------------------------------------------------------------------------------

    def _observation(self, name: str, kind: str, parent: Parent) -> Observation:
        if parent is None:
            parent = _context.current.get()
        obs = Observation(self, name, kind, parent)
        if not self._enabled:
            obs.sampled = False
        return obs

    def _typed(self, name: str, kind: str, parent: Parent, input: Any, metadata: Optional[Mapping[str, Any]],
               fields: Dict[str, Any]) -> Observation:
        obs = self._observation(name, kind, parent)
        if obs.sampled and (input is not _UNSET or metadata or fields):
            obs.update(input=input, metadata=metadata, **fields)
        return obs

    def _sample(self, trace_id: int) -> bool:
        return (trace_id & 0xFFFFFFFFFFFFFFFF) < self._sample_bound

    def _at_exit(self) -> None:
        self._exporter.shutdown(5.0)

    def _checked_rate(self, rate: Any) -> float:
        try:
            r = float(rate)
        except (TypeError, ValueError):
            r = -1.0
        if not 0.0 <= r <= 1.0:
            self._log.error("trackly: sample_rate must be a number from 0 to 1, got %r; using 1.0", rate)
            return 1.0
        return r

    def _env_number(self, name: str, default: Any, kind: Callable[[str], Any]) -> Any:
        raw = os.environ.get(name)
        if not raw:
            return default
        try:
            return kind(raw)
        except ValueError:
            self._log.error("trackly: %s=%r is not a number; using %r", name, raw, default)
            return default

    def _env_bool(self, name: str, default: bool) -> bool:
        raw = os.environ.get(name, "").strip().lower()
        if not raw:
            return default
        return raw not in ("0", "false", "no", "off")


class _NoTransport:
    """Stands in when the endpoint is unusable; tracing is disabled then, so it is never called."""

    def post(self, body: bytes, headers: Dict[str, str]) -> Any:
        raise OSError("no usable endpoint")

    def close(self) -> None:
        pass
