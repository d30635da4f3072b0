"""Test helpers: a transport that records export requests, and decoding of OTLP JSON bodies."""

from __future__ import annotations

import gzip
import json
import threading
from typing import Any, Dict, List, Optional

from trackly import Trackly
from trackly._exporter import Reply


def attribute_value(v: Dict[str, Any]) -> Any:
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        return int(v["intValue"])
    if "doubleValue" in v:
        return v["doubleValue"]
    if "boolValue" in v:
        return v["boolValue"]
    if "arrayValue" in v:
        return [attribute_value(x) for x in v["arrayValue"].get("values", [])]
    raise AssertionError(f"unexpected AnyValue {v}")


def decode_request(body: bytes, gzipped: bool = True) -> List[Dict[str, Any]]:
    """The spans of one OTLP JSON request, each with `attrs` as a plain dict."""
    doc = json.loads(gzip.decompress(body) if gzipped else body)
    spans = []
    for rs in doc["resourceSpans"]:
        resource = {a["key"]: attribute_value(a["value"]) for a in rs["resource"].get("attributes", [])}
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                s["attrs"] = {a["key"]: attribute_value(a["value"]) for a in s.get("attributes", [])}
                s["resource"] = resource
                s["scope"] = ss["scope"]
                for e in s.get("events", []):
                    e["attrs"] = {a["key"]: attribute_value(a["value"]) for a in e.get("attributes", [])}
                spans.append(s)
    return spans


class RecordingTransport:
    """Thread-safe. Answers each POST with the next scripted reply (default 200 {})."""

    def __init__(self, replies: Optional[List[Any]] = None) -> None:
        self.replies = list(replies or [])
        self.requests: List[tuple] = []
        self._lock = threading.Lock()

    def post(self, body: bytes, headers: Dict[str, str]) -> Reply:
        with self._lock:
            self.requests.append((body, dict(headers)))
            reply = self.replies.pop(0) if self.replies else Reply(200, {}, b"{}")
        if isinstance(reply, BaseException):
            raise reply
        return reply

    def close(self) -> None:
        pass

    def spans(self) -> List[Dict[str, Any]]:
        out: List[Dict[str, Any]] = []
        for body, headers in self.requests:
            out.extend(decode_request(body, headers.get("Content-Encoding") == "gzip"))
        return out


def recording_client(**kwargs: Any) -> "tuple[Trackly, RecordingTransport]":
    transport = kwargs.pop("transport", None) or RecordingTransport()
    kwargs.setdefault("api_key", "tk-test")
    client = Trackly(transport=transport, **kwargs)
    return client, transport


def by_name(spans: List[Dict[str, Any]]) -> Dict[str, Dict[str, Any]]:
    return {s["name"]: s for s in spans}
