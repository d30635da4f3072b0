"""W3C Trace Context `traceparent` (https://www.w3.org/TR/trace-context/#traceparent-header).

Hand-written because the format is one line and the SDK has no dependencies.
"""

from __future__ import annotations

import re
from typing import Any, Mapping, MutableMapping, Optional

from ._context import SpanContext

HEADER = "traceparent"
# version "00" has exactly four fields; later versions may append more after another "-".
_TRACEPARENT = re.compile(r"^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$")


def format_traceparent(ctx: SpanContext) -> str:
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{'01' if ctx.sampled else '00'}"


def parse_traceparent(value: Any) -> Optional[SpanContext]:
    """The remote SpanContext in a traceparent value, or None when it is absent or invalid."""
    if not isinstance(value, str):
        return None
    m = _TRACEPARENT.match(value.strip().lower())
    if m is None:
        return None
    version, trace_hex, span_hex, flags_hex, rest = m.groups()
    if version == "ff" or (version == "00" and rest):
        return None
    trace_id, span_id = int(trace_hex, 16), int(span_hex, 16)
    if trace_id == 0 or span_id == 0:
        return None
    return SpanContext(trace_id, span_id, sampled=bool(int(flags_hex, 16) & 1), remote=True)


def inject(ctx: Optional[SpanContext], carrier: MutableMapping[str, str]) -> MutableMapping[str, str]:
    if ctx is not None:
        carrier[HEADER] = format_traceparent(ctx)
    return carrier


def extract(carrier: Optional[Mapping[str, Any]]) -> Optional[SpanContext]:
    """Reads traceparent from a headers mapping, matching the name case-insensitively."""
    if not carrier:
        return None
    value = carrier.get(HEADER) if hasattr(carrier, "get") else None
    if value is None:
        for k, v in carrier.items():
            if isinstance(k, str) and k.lower() == HEADER:
                value = v
                break
    if isinstance(value, (list, tuple)):
        value = value[0] if value else None
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    return parse_traceparent(value)
