"""Background export of ended observations over OTLP/HTTP JSON.

The caller's thread only appends to a bounded deque (a full queue drops and counts, never blocks).
One daemon thread batches, encodes, gzips and POSTs, retrying 408/429/5xx and network errors with
exponential backoff that honours Retry-After. Server replies: docs/api.md "OTLP/HTTP ingestion".
"""

from __future__ import annotations

import collections
import email.utils
import functools
import gzip
import http.client
import json
import logging
import os
import random
import threading
import time
import urllib.parse
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ._otlp_json import SpanEncoder, key_values

_RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class ExporterOptions:
    """Every field has a default."""

    endpoint: str = "http://127.0.0.1:4318/v1/traces"  # full OTLP/HTTP traces URL
    headers: Tuple[Tuple[str, str], ...] = ()  # extra request headers, e.g. Authorization
    max_queue_size: int = 100_000  # spans waiting for export; more are dropped and counted
    max_batch_size: int = 512  # spans per request
    flush_interval_s: float = 1.0  # how long a span may wait for a batch to fill
    timeout_s: float = 10.0  # per HTTP request
    max_retries: int = 6  # retries of one batch after the first attempt
    initial_backoff_s: float = 0.5  # first retry delay without Retry-After; doubles per retry
    max_backoff_s: float = 30.0  # cap on any retry delay, Retry-After included
    gzip: bool = True  # Content-Encoding: gzip
    gil_slice_s: float = 0.0005  # encoding work between pauses that let the caller's thread run


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class HttpTransport:
    """Not thread-safe (used by the export thread only). One keep-alive connection, reopened on error."""

    def __init__(self, endpoint: str, timeout_s: float) -> None:
        url = urllib.parse.urlsplit(endpoint)
        if url.scheme not in ("http", "https") or not url.hostname:
            raise ValueError(f"endpoint must be an http(s) URL, got {endpoint!r}")
        self._https = url.scheme == "https"
        self._host = url.hostname
        self._port = url.port
        self._path = (url.path or "/") + (f"?{url.query}" if url.query else "")
        self._timeout_s = timeout_s
        self._conn: Optional[http.client.HTTPConnection] = None

    def post(self, body: bytes, headers: Dict[str, str]) -> Reply:
        """Raises OSError / http.client.HTTPException when no reply arrives."""
        if self._conn is None:
            cls = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            self._conn = cls(self._host, self._port, timeout=self._timeout_s)
        try:
            self._conn.request("POST", self._path, body=body, headers=headers)
            resp = self._conn.getresponse()
            data = resp.read()
        except BaseException:
            self.close()
            raise
        if resp.getheader("connection", "").lower() == "close":
            self.close()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def retry_after_s(value: Optional[str], now: float) -> Optional[float]:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if unusable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def _restart_in_child(ref: "weakref.ref[BatchExporter]") -> None:
    exporter = ref()
    if exporter is not None:
        exporter._init_threading()  # the parent's queued spans are the parent's to export


class BatchExporter:
    """Thread-safe. `enqueue` is called from any thread; one daemon thread does the exporting.

    Counters (read any time): `exported_spans` (acknowledged by the server, including ones it
    rejected as invalid in a partial success), `dropped_spans` (queue full), `failed_spans` (given up
    after retries or refused with a non-retryable status).
    """

    def __init__(
        self,
        options: ExporterOptions,
        encoder: SpanEncoder,
        resource: Mapping[str, Any],
        scope: Tuple[str, str],
        log: logging.Logger,
        transport: Any = None,
        wait: Optional[Callable[[float], bool]] = None,
    ) -> None:
        self._options = options
        self._encoder = encoder
        self._log = log
        self._transport = transport if transport is not None else HttpTransport(options.endpoint, options.timeout_s)
        self._wait_injected = wait
        head = {"resourceSpans": [{"resource": {"attributes": key_values(resource)},
                                   "scopeSpans": [{"scope": {"name": scope[0], "version": scope[1]}, "spans": [None]}]}]}
        prefix, suffix = json.dumps(head, separators=(",", ":")).split("null")
        self._prefix, self._suffix = prefix.encode(), suffix.encode()
        self._headers = {"Content-Type": "application/json", **dict(options.headers)}
        if options.gzip:
            self._headers["Content-Encoding"] = "gzip"
        self._rng = random.Random()
        self.exported_spans = 0
        self.dropped_spans = 0
        self.failed_spans = 0
        self._init_threading()
        # A forked child (multiprocessing, gunicorn workers) inherits no running thread; start afresh.
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=functools.partial(_restart_in_child, weakref.ref(self)))

    def _init_threading(self) -> None:
        self._queue: collections.deque = collections.deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._abort = threading.Event()  # set when shutdown's deadline passed: stop retrying
        self._flush_waiters: List[threading.Event] = []
        self._thread: Optional[threading.Thread] = None
        self._stopping = False
        self._drop_warned = False

    # ---- caller side (any thread) ----------------------------------------------------------------

    def enqueue(self, item: Any) -> None:
        """Queues one ended observation. O(1), never blocks, never raises."""
        q = self._queue
        if len(q) >= self._options.max_queue_size or self._stopping:
            self._count_drop("the exporter is shut down" if self._stopping else
                             f"the export queue is full ({self._options.max_queue_size} spans)")
            return
        q.append(item)
        if self._thread is None:
            self._start()
        elif len(q) % self._options.max_batch_size == 0:
            self._wake.set()

    def flush(self, timeout_s: Optional[float] = None) -> bool:
        """Exports everything queued before the call; True if that finished within the timeout."""
        if not self._queue and self._thread is None:
            return True
        done = threading.Event()
        with self._lock:
            self._flush_waiters.append(done)
        self._start()
        self._wake.set()
        return done.wait(timeout_s)

    def shutdown(self, timeout_s: Optional[float] = None) -> bool:
        """Exports what is queued, stops the thread; later spans are dropped. True if all done in time."""
        with self._lock:
            self._stopping = True
            thread = self._thread
        if thread is None:
            return not self._queue
        self._wake.set()
        thread.join(timeout_s)
        if thread.is_alive():
            self._abort.set()  # stop waiting between retries; the thread ends after the current request
            return False
        return True

    @property
    def queued_spans(self) -> int:
        return len(self._queue)

    def _count_drop(self, reason: str) -> None:
        with self._lock:
            self.dropped_spans += 1
            warn = not self._drop_warned
            self._drop_warned = True
        if warn:  # once: a full queue would otherwise log once per span
            self._log.warning("trackly: dropping spans because %s (counted in Trackly.dropped_spans)", reason)

    def _start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name="trackly-exporter", daemon=True)
            self._thread.start()

    # ---- export thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            self._wake.wait(self._options.flush_interval_s)
            self._wake.clear()
            with self._lock:
                waiters, self._flush_waiters = self._flush_waiters, []
                stopping = self._stopping
            try:
                self._drain(len(self._queue))
            except Exception:  # a bug here must not kill the thread silently
                self._log.exception("trackly: export failed")
            for w in waiters:
                w.set()
            if stopping:
                self._transport.close()
                return

    def _drain(self, count: int) -> None:
        q = self._queue
        batch_size = self._options.max_batch_size
        while count > 0:
            n = min(count, batch_size)
            count -= n
            spans = []
            for _ in range(n):
                try:
                    spans.append(q.popleft())
                except IndexError:
                    break
            if spans:
                self._export(spans)

    def _export(self, spans: List[Any]) -> None:
        encoded = self._encode(spans)
        if not encoded:
            return
        body = self._prefix + b",".join(encoded) + self._suffix
        if self._options.gzip:
            # zlib releases the GIL while compressing. mtime=0 (no timestamp: it means nothing to HTTP)
            # makes it one zlib call on Python 3.11+, without a separate CRC pass that would make this
            # thread wait once more for the GIL.
            body = gzip.compress(body, compresslevel=6, mtime=0)
        self._send(body, len(encoded))

    def _encode(self, spans: List[Any]) -> List[bytes]:
        # json.dumps holds the GIL for its whole call, and a busy caller thread waits up to the
        # interpreter's switch interval (5 ms) for it. Encoding one span per call and pausing every
        # gil_slice_s keeps each hold short, so the caller's thread is never stalled for long. The
        # first span also waits for a pause: this thread has held the GIL since the previous
        # request's reply came in (parsing it, popping this batch).
        out = []
        slice_s = self._options.gil_slice_s
        deadline = 0.0
        for span in spans:
            if time.perf_counter() >= deadline:
                time.sleep(slice_s / 4)
                deadline = time.perf_counter() + slice_s
            try:
                out.append(self._encoder.encode(span).encode("utf-8"))
            except Exception:
                self.failed_spans += 1
                name = span[3]  # see EndedSpan
                self._log.exception("trackly: could not encode span %r; it is dropped", name)
        return out

    def _send(self, body: bytes, n: int) -> None:
        opts = self._options
        for attempt in range(opts.max_retries + 1):
            delay: Optional[float] = None
            try:
                reply = self._transport.post(body, self._headers)
            except (OSError, http.client.HTTPException) as e:
                self._log.debug("trackly: export attempt %d failed: %s", attempt + 1, e)
                last_error = f"network error: {e}"
            except Exception:
                self.failed_spans += n
                self._log.exception("trackly: export of %d spans failed unexpectedly; not retrying", n)
                return
            else:
                if 200 <= reply.status < 300:
                    self.exported_spans += n
                    self._log_partial_success(reply)
                    return
                last_error = f"HTTP {reply.status}: {reply.body[:300]!r}"
                if reply.status not in _RETRYABLE_STATUS:
                    self.failed_spans += n
                    self._log.error("trackly: the server refused %d spans (%s); not retrying", n, last_error)
                    return
                delay = retry_after_s(reply.headers.get("retry-after"), time.time())
            if attempt == opts.max_retries:
                break
            if delay is None:
                delay = opts.initial_backoff_s * (2**attempt) * self._rng.uniform(0.5, 1.0)
            if self._sleep(min(delay, opts.max_backoff_s)):
                break
        self.failed_spans += n
        self._log.error("trackly: giving up on %d spans after %d attempts (%s)", n, attempt + 1, last_error)

    def _sleep(self, delay_s: float) -> bool:
        """Waits before a retry; True if shutdown gave up waiting."""
        if self._wait_injected is not None:
            return self._wait_injected(delay_s)
        return self._abort.wait(delay_s)

    def _log_partial_success(self, reply: Reply) -> None:
        if len(reply.body) <= 2:
            return
        try:
            partial = json.loads(reply.body).get("partialSuccess") or {}
        except (ValueError, AttributeError):
            return
        rejected = int(partial.get("rejectedSpans") or 0)
        if rejected:
            self._log.warning("trackly: the server rejected %d spans: %s", rejected, partial.get("errorMessage", ""))
