"""Encodes ended observations (EndedSpan tuples) as an OTLP/HTTP JSON ExportTraceServiceRequest.

Format: shared/reference/wire-formats.md §1 (OTLP JSON: hex ids, int64 as decimal strings, AnyValue
objects). The attribute keys are the ones docs/conventions.md says the Trackly server maps.
Each span is written straight to JSON text (no intermediate dicts; strings quoted by the json
module's C escaper), one span per call, so encoding is cheap and the exporter thread never holds the
GIL for a whole batch (see BatchExporter). Output is ASCII: lone surrogates in user strings become
escapes instead of invalid UTF-8 that would fail the whole request.
"""

from __future__ import annotations

import json
import logging
import math
from json.encoder import encode_basestring_ascii as _quote
from typing import Any, Callable, Dict, List, Mapping, Optional

from ._observation import _UNSET, EndedSpan, status_code
from ._serialize import to_jsonable

_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_dumps = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode

Mask = Callable[[Any], Any]


def any_value(v: Any) -> Optional[Dict[str, Any]]:
    """The OTLP AnyValue of a JSON-safe value; objects and mixed lists become JSON text."""
    t = type(v)
    if t is str:
        return {"stringValue": v}
    if t is bool:
        return {"boolValue": v}
    if t is int:
        return {"intValue": str(v)} if _INT64_MIN <= v <= _INT64_MAX else {"stringValue": str(v)}
    if t is float:
        return {"doubleValue": v} if math.isfinite(v) else {"stringValue": repr(v)}
    if v is None:
        return None
    if t is list and all(type(x) is str for x in v):
        return {"arrayValue": {"values": [{"stringValue": x} for x in v]}}
    return {"stringValue": _dumps(v)}


def key_values(attrs: Mapping[str, Any]) -> List[Dict[str, Any]]:
    out = []
    for k, v in attrs.items():
        value = any_value(v)
        if value is not None:
            out.append({"key": k, "value": value})
    return out


def _value_json(v: Any) -> Optional[str]:
    """The OTLP AnyValue of `v` as JSON text (same mapping as any_value)."""
    t = type(v)
    if t is str:
        return '{"stringValue":' + _quote(v) + "}"
    if t is bool:
        return '{"boolValue":true}' if v else '{"boolValue":false}'
    if t is int:
        return f'{{"intValue":"{v}"}}' if _INT64_MIN <= v <= _INT64_MAX else '{"stringValue":"' + str(v) + '"}'
    if t is float:
        return '{"doubleValue":' + repr(v) + "}" if math.isfinite(v) else '{"stringValue":"' + repr(v) + '"}'
    if v is None:
        return None
    return _dumps(any_value(v))


def _attributes_json(attrs: Mapping[str, Any]) -> str:
    parts = []
    for k, v in attrs.items():
        value = _value_json(v)
        if value is not None:
            parts.append('{"key":' + _quote(k) + ',"value":' + value + "}")
    return "[" + ",".join(parts) + "]"


class SpanEncoder:
    """Thread-compatible. Applies the mask and the size cap, then encodes one span as JSON text."""

    def __init__(self, mask: Optional[Mask], max_field_bytes: int, log: logging.Logger) -> None:
        self._mask = mask
        self._max_field_bytes = max_field_bytes
        self._log = log

    def encode(self, span: EndedSpan) -> str:
        # 15 fixed fields, then the attribute and metadata keys and values (see EndedSpan).
        (trace_id, span_id, parent_id, name, kind, start_ns, end_ns, status, status_message, is_trace, input, output,
         events, n_attrs, n_metadata) = span[:15]
        attrs = dict(zip(span[15:15 + n_attrs], span[15 + n_attrs:15 + 2 * n_attrs])) if n_attrs else {}
        attrs["trackly.observation.type"] = kind
        if status:
            attrs["trackly.status"] = status
        if input is not _UNSET:
            attrs["langfuse.observation.input"] = self._field_text(input)
        if output is not _UNSET:
            attrs["langfuse.observation.output"] = self._field_text(output)
        if n_metadata:
            metadata = self._masked(dict(zip(span[-2 * n_metadata:-n_metadata], span[-n_metadata:])))
            if isinstance(metadata, dict):
                for k, v in metadata.items():
                    attrs["trackly.metadata." + k] = self._capped(v)
                if is_trace:  # the server keeps observation and trace metadata apart
                    attrs["langfuse.trace.metadata"] = self._cap_text(self._text(metadata))
            else:
                attrs["trackly.metadata.masked"] = self._capped(metadata)
        out = [
            f'{{"traceId":"{trace_id:032x}","spanId":"{span_id:016x}",',
            f'"parentSpanId":"{parent_id:016x}",' if parent_id else "",
            '"name":', _quote(name),
            f',"kind":1,"startTimeUnixNano":"{start_ns}","endTimeUnixNano":"{end_ns}"',  # kind: INTERNAL
            ',"attributes":', _attributes_json(attrs),
        ]
        if events:
            encoded = [
                f'{{"timeUnixNano":"{t}","name":{_quote(event)},"attributes":{_attributes_json(self._event_attrs(event, a))}}}'
                for event, t, a in events
            ]
            out.append(',"events":[' + ",".join(encoded) + "]")
        code = status_code(status)
        if code or status_message:
            message = ',"message":' + _quote(status_message) if status_message else ""
            out.append(f',"status":{{"code":{code}{message}}}')
        out.append("}")
        return "".join(out)

    def _masked(self, value: Any) -> Any:
        if self._mask is None:
            return value
        try:
            return self._mask(value)
        except Exception:
            # Exporting the unmasked value could leak what the mask exists to hide.
            self._log.exception("trackly: mask raised; the value is replaced by a placeholder")
            return "<mask failed>"

    def _event_attrs(self, name: str, attrs: Dict[str, Any]) -> Dict[str, Any]:
        # Exception messages and stacks can carry the same data as inputs; they pass the mask too.
        if self._mask is None or name != "exception":
            return attrs
        return {k: (self._masked(v) if k in ("exception.message", "exception.stacktrace") else v) for k, v in attrs.items()}

    def _field_text(self, value: Any) -> str:
        return self._cap_text(self._text(self._masked(value)))

    def _capped(self, value: Any) -> Any:
        if type(value) is str:
            return self._cap_text(value)
        if isinstance(value, (dict, list)):
            return self._cap_text(self._text(value))
        return value

    def _text(self, value: Any) -> str:
        try:
            return _dumps(value)
        except (TypeError, ValueError):  # a mask returned something that is not JSON-safe
            return _dumps(to_jsonable(value))

    def _cap_text(self, text: str) -> str:
        limit = self._max_field_bytes
        if len(text) <= limit // 4 or len(text.encode("utf-8")) <= limit:
            return text
        cut = text.encode("utf-8")[:limit].decode("utf-8", "ignore")
        return cut + f"…[truncated, {len(text)} chars in total]"
